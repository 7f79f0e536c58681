//! What the clones of a hub's delivery core ([`Local`](super::local::Local)) share: the
//! lock and the state it guards (the log, the subscriber lists, the idempotency keys),
//! delivery of one record to a list, and sweeping the subscriptions that went away. It
//! builds on `queue.rs` and `subscribe.rs` only; `local.rs`, `builder.rs`,
//! `subscription.rs` and the engine's files build on it.

use std::collections::{HashMap, VecDeque};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use bytes::Bytes;

use super::queue::{Overflow, Pushed, Queue, QueueLimits};
use super::subscribe::{Filter, Subscribe};
use crate::event::Event;
use crate::lifecycle::DisconnectReason;
use crate::metrics::HubMetrics;
use crate::replay::window::Window;
use crate::replay::{Record, ReplayLog, ResetReason};

pub(super) type ResetEventFn = dyn Fn(ResetReason) -> Event + Send + Sync;

pub(super) struct Core {
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
    pub(super) log: Log,
    /// Subscribers by topic; the keys are the interned topic names records share.
    pub(super) topics: HashMap<Arc<str>, Vec<Subscriber>>,
    /// Subscribers to every topic.
    pub(super) everything: Vec<Subscriber>,
    /// `publish_once` keys of a hub that numbers its own events.
    pub(super) once: OnceKeys,
}

/// The log a hub holds: its own, or its window over a shared one.
pub(super) enum Log {
    Local(Box<dyn ReplayLog>),
    Window(Window),
}

impl Log {
    pub(super) fn window(&mut self) -> Option<&mut Window> {
        match self {
            Self::Window(window) => Some(window),
            Self::Local(_) => None,
        }
    }

    pub(super) fn window_ref(&self) -> Option<&Window> {
        match self {
            Self::Window(window) => Some(window),
            Self::Local(_) => None,
        }
    }
}

impl Deref for Log {
    type Target = dyn ReplayLog;

    fn deref(&self) -> &Self::Target {
        match self {
            Self::Local(log) => &**log,
            Self::Window(window) => window,
        }
    }
}

impl DerefMut for Log {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            Self::Local(log) => &mut **log,
            Self::Window(window) => window,
        }
    }
}

/// `publish_once` keys, each remembered for as long as the log retains its event (the
/// key holds the record weakly), in the order they were given.
#[derive(Default)]
pub(super) struct OnceKeys {
    events: HashMap<Arc<str>, Weak<Record>>,
    order: VecDeque<Arc<str>>,
}

impl OnceKeys {
    /// The event published with `key`, if the log still holds it.
    pub(super) fn get(&mut self, key: &str) -> Option<Arc<Record>> {
        let record = self.events.get(key)?.upgrade();
        if record.is_none() {
            self.events.remove(key);
        }
        record
    }

    pub(super) fn insert(&mut self, key: &str, record: &Arc<Record>) {
        let key: Arc<str> = Arc::from(key);
        self.events.insert(key.clone(), Arc::downgrade(record));
        self.order.push_back(key);
        // The log drops events oldest first: so do the keys (those republished since keep
        // their newer entry).
        while let Some(oldest) = self.order.front() {
            match self.events.get(oldest) {
                Some(event) if event.strong_count() > 0 => break,
                Some(_) => {
                    self.events.remove(oldest);
                }
                None => {}
            }
            self.order.pop_front();
        }
    }
}

#[derive(Clone)]
pub(super) struct Subscriber {
    pub(super) queue: Arc<Queue>,
    pub(super) filter: Option<Filter>,
}

pub(super) fn close_every(state: &State, reason: DisconnectReason) {
    every_queue(state).for_each(|queue| queue.close(reason));
}

/// Every subscriber's queue (one with several topics more than once).
pub(super) fn every_queue(state: &State) -> impl Iterator<Item = &Arc<Queue>> {
    std::iter::once(&state.everything)
        .chain(state.topics.values())
        .flatten()
        .map(|subscriber| &subscriber.queue)
}

impl Core {
    /// Keeps `bytes` as event `seq` of `topic` and queues it for its subscribers; the
    /// record, and how many got it.
    pub(super) fn append(
        &self,
        state: &mut State,
        seq: u64,
        topic: &str,
        key: Option<&str>,
        bytes: Bytes,
    ) -> (Arc<Record>, usize) {
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
        (record, delivered)
    }

    /// The reset event for `reason`. Its id, `cursor`, moves the client to now (or, for
    /// `lost`, to what survived), so that a reconnect after it does not ask for the same
    /// impossible resume again.
    pub(super) fn reset_bytes(&self, cursor: String, reason: ResetReason) -> Bytes {
        (self.reset_event)(reason)
            .try_id(cursor)
            .expect("the log's ids are valid")
            .encode()
    }

    /// The reset event as a record at position `seq` (whose id is `cursor`), to queue in
    /// order with the others; counted.
    pub(crate) fn reset_record(
        &self,
        reason: ResetReason,
        cursor: String,
        seq: u64,
    ) -> Arc<Record> {
        self.metrics.count_reset(reason);
        Arc::new(Record {
            seq,
            topic: Arc::from(""),
            key: None,
            bytes: self.reset_bytes(cursor, reason),
        })
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

/// Queues `record` for every subscriber in `subscribers` that accepts it; drops the ones
/// that were cut off. Returns how many got it.
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
            Pushed::NotYet => {
                index += 1;
                continue;
            }
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
