//! What a hub's clones share, below everything else in `hub/`: the lock and the state it
//! guards (the log and the subscriber lists), delivery of one record to a list, sweeping
//! the subscriptions that went away, and a resume that must be answered elsewhere.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;

use super::queue::{Overflow, Pushed, Queue, QueueLimits};
use super::subscribe::{Filter, Subscribe};
use crate::event::Event;
use crate::lifecycle::DisconnectReason;
use crate::metrics::HubMetrics;
use crate::replay::{Record, ReplayLog, ResetReason};

pub(super) type ResetEventFn = dyn Fn(ResetReason) -> Event + Send + Sync;

pub(super) struct Shared {
    pub(super) state: Mutex<State>,
    /// Open subscriptions.
    pub(super) live: AtomicUsize,
    /// Subscriptions dropped since the last sweep; their entries linger in the lists
    /// until a publish meets them or a sweep clears them.
    pub(super) gone: AtomicUsize,
    pub(super) limits: QueueLimits,
    pub(super) overflow: Overflow,
    pub(super) reset_event: Arc<ResetEventFn>,
    pub(super) metrics: HubMetrics,
}

pub(super) struct State {
    pub(super) log: Box<dyn ReplayLog>,
    /// Subscribers by topic; the keys are the interned topic names records share.
    pub(super) topics: HashMap<Arc<str>, Vec<Subscriber>>,
    /// Subscribers to every topic.
    pub(super) everything: Vec<Subscriber>,
}

#[derive(Clone)]
pub(super) struct Subscriber {
    pub(super) queue: Arc<Queue>,
    pub(super) filter: Option<Filter>,
}

pub(super) fn close_every(state: &State, reason: DisconnectReason) {
    std::iter::once(&state.everything)
        .chain(state.topics.values())
        .flatten()
        .for_each(|subscriber| subscriber.queue.close(reason));
}

/// A subscription whose resume the local log could not answer.
#[derive(Debug, Clone)]
pub(crate) struct Deferred {
    /// The local log's last sequence number when it was registered: live events after it
    /// reach the subscription; the ones up to it must come from elsewhere.
    pub(crate) through: u64,
    /// The local log's epoch then; `None` when it had not read its engine yet.
    pub(crate) epoch: Option<String>,
}

impl Shared {
    /// Keeps `bytes` as event `seq` of `topic` and queues it for its subscribers.
    pub(super) fn append(
        &self,
        state: &mut State,
        seq: u64,
        topic: &str,
        key: Option<&str>,
        bytes: Bytes,
    ) -> usize {
        let topic = state
            .topics
            .get_key_value(topic)
            .map_or_else(|| Arc::from(topic), |(interned, _)| interned.clone());
        let record = Arc::new(Record {
            seq,
            topic,
            key: key.map(Arc::from),
            bytes,
        });
        state.log.append(record.clone());
        let State {
            topics, everything, ..
        } = state;
        let mut delivered = deliver(everything, &record, &self.metrics);
        if let Some(subscribers) = topics.get_mut(&record.topic) {
            delivered += deliver(subscribers, &record, &self.metrics);
        }
        self.metrics.published.increment(1);
        delivered
    }

    /// The reset event for `reason`. Its id, `cursor`, moves the client to now, so that
    /// a reconnect after it does not ask for the same impossible resume again.
    pub(super) fn reset_bytes(&self, cursor: String, reason: ResetReason) -> Bytes {
        (self.reset_event)(reason)
            .try_id(cursor)
            .expect("the log's ids are valid")
            .encode()
    }

    /// Adds a subscriber to the lists its topics put it in; each topic once.
    pub(super) fn register(&self, state: &mut State, queue: &Arc<Queue>, mut options: Subscribe) {
        if let Some(topics) = &mut options.topics {
            topics.sort_unstable();
            topics.dedup();
        }
        let subscriber = Subscriber {
            queue: queue.clone(),
            filter: options.filter,
        };
        match options.topics {
            None => state.everything.push(subscriber),
            Some(topics) => {
                for topic in topics {
                    match state.topics.get_mut(topic.as_str()) {
                        Some(subscribers) => subscribers.push(subscriber.clone()),
                        None => {
                            state
                                .topics
                                .insert(Arc::from(topic), vec![subscriber.clone()]);
                        }
                    }
                }
            }
        }
    }
}

pub(super) fn deliver(
    subscribers: &mut Vec<Subscriber>,
    record: &Arc<Record>,
    metrics: &HubMetrics,
) -> usize {
    let mut delivered = 0;
    let mut index = 0;
    while index < subscribers.len() {
        let subscriber = &subscribers[index];
        if subscriber
            .filter
            .as_ref()
            .is_some_and(|accepts| !accepts(record))
        {
            index += 1;
            continue;
        }
        match subscriber.queue.push(record) {
            Pushed::Queued => {}
            Pushed::Dropped(count) => metrics.dropped_oldest.increment(count as u64),
            Pushed::Coalesced => metrics.coalesced.increment(1),
            Pushed::Disconnected => {
                // It no longer receives anything; its stream ends once drained.
                metrics.disconnected.increment(1);
                subscribers.swap_remove(index);
                continue;
            }
            Pushed::Closed => {
                subscribers.swap_remove(index);
                continue;
            }
        }
        delivered += 1;
        index += 1;
    }
    delivered
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // Every change under this lock is completed before anything can panic, so a
        // poisoned lock still guards consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets a subscription that went away: its queue is closed at once (publishing
    /// skips it from then on), and its entries leave the lists at the next publish to
    /// them or at a sweep. Sweeps are amortised: one pass over the lists once as many
    /// subscriptions have gone as are open (64 at least), so a disconnect costs amortised
    /// O(1): most drops never take the hub's lock, the one that sweeps takes it once,
    /// and dead entries never outnumber live ones by much.
    pub(super) fn forget(&self, queue: &Queue) {
        queue.close(DisconnectReason::ClientGone);
        self.metrics.subscribers.decrement(1.0);
        let live = self.live.fetch_sub(1, Ordering::Relaxed).saturating_sub(1);
        let gone = self.gone.fetch_add(1, Ordering::Relaxed) + 1;
        if gone >= live.max(64) {
            self.sweep();
        }
    }

    pub(super) fn sweep(&self) {
        let mut state = self.lock();
        self.gone.store(0, Ordering::Relaxed);
        let open = |subscriber: &Subscriber| !subscriber.queue.is_closed();
        state.everything.retain(open);
        state.topics.retain(|_, subscribers| {
            subscribers.retain(open);
            !subscribers.is_empty()
        });
    }
}
