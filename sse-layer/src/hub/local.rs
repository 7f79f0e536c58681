//! [`Local`]: a hub's delivery on this instance (publish into its own log, or deliver
//! what an engine numbered; subscribe with replay or reset), over `state.rs`.

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::published::{PublishError, Published};
use super::queue::{Queue, QueueState};
use super::state::{close_every, every_queue, Core, Log};
use super::subscribe::Subscribe;
use crate::event::Event;
use crate::lifecycle::DisconnectReason;
use crate::replay::id::{log_id, LogId};
use crate::replay::window::{Join, Window};
use crate::replay::{Entry, Head, Known, Position, Record, ReplayLog, ResetReason};

/// The delivery core of a [`Hub`](super::Hub) on this instance: its subscribers, its
/// log (its own, or its window over an engine's) and the lock over both. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Local {
    pub(super) core: Arc<Core>,
}

impl fmt::Debug for Local {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Local")
            .field("limits", &self.core.limits)
            .field("overflow", &self.core.overflow)
            .finish_non_exhaustive()
    }
}

impl Local {
    /// Numbers `event` in this hub's own log, keeps it and queues it for every subscriber
    /// that accepts it. With a `once` key already used, nothing is appended: the earlier
    /// event's id is answered (`fresh: false`), or `KeyReused` for another event.
    pub(super) fn publish(
        &self,
        topic: &str,
        key: Option<&str>,
        once: Option<&str>,
        event: Event,
    ) -> Result<Published, PublishError> {
        // Encoded without its id (`Hub` refused an event that carries one), then given
        // it: the one path every engine's events take, so the fields come in the same
        // order whoever numbered the event.
        let body = event.encode();
        let core = &*self.core;
        let mut state = core.lock();
        if let Some(earlier) = once.and_then(|once| state.once.get(once)) {
            let id = state.log.id_of(earlier.seq);
            let same = *earlier.topic == *topic
                && earlier.key.as_deref() == key
                && crate::encode::with_id(&id, &body) == earlier.bytes;
            return if same {
                Ok(Published {
                    seq: earlier.seq,
                    id,
                    delivered: 0,
                    fresh: false,
                })
            } else {
                Err(PublishError::KeyReused)
            };
        }
        let seq = state.log.last_seq() + 1;
        let id = state.log.id_of(seq);
        let bytes = crate::encode::with_id(&id, &body);
        let (record, delivered) = core.append(&mut state, seq, topic, key, bytes);
        if let Some(once) = once {
            state.once.insert(once, &record);
        }
        Ok(Published {
            seq,
            id,
            delivered,
            fresh: true,
        })
    }

    /// Appends an event that a shared log numbered (encoded without an id) and delivers
    /// it. Its number must be above the window's.
    pub(crate) fn publish_entry(&self, entry: &Entry) -> usize {
        let core = &*self.core;
        let mut state = core.lock();
        debug_assert!(entry.seq > state.log.last_seq());
        let bytes = crate::encode::with_id(&log_id(&entry.epoch, entry.seq), &entry.body);
        core.append(
            &mut state,
            entry.seq,
            &entry.topic,
            entry.key.as_deref(),
            bytes,
        )
        .1
    }

    /// A new subscriber's queue: its replay or reset event, then the live events (both
    /// taken under the lock, so they meet without a gap or a duplicate). The caller wraps
    /// it in a `Subscription` (which sits above this file: it may need a catch-up, which
    /// reads through this file).
    pub(super) fn register(&self, options: Subscribe) -> Arc<Queue> {
        self.register_with(options, false).0
    }

    /// As [`register`](Self::register), except that an `<epoch>-<seq>` id the local log
    /// cannot resume from gets no reset: the queue is registered to catch up (taking no
    /// live events yet), and the id is returned for the caller to judge against a shared
    /// log.
    pub(crate) fn register_to_catch_up(
        &self,
        options: Subscribe,
    ) -> (Arc<Queue>, Option<(String, u64)>) {
        self.register_with(options, true)
    }

    fn register_with(
        &self,
        options: Subscribe,
        defer: bool,
    ) -> (Arc<Queue>, Option<(String, u64)>) {
        let core = &*self.core;
        let metrics = &core.metrics;
        let mut state = core.lock();
        let mut queued = QueueState::default();
        let mut deferred = None;
        if let Some(id) = &options.last_event_id {
            let reset = match state.log.position(id) {
                Position::After(seq) => {
                    state.log.for_each_after(seq, &mut |record| {
                        if options.accepts(record) {
                            queued.push_replay(record.clone());
                        }
                    });
                    queued.sent_through = seq;
                    metrics.replay_hit.increment(1);
                    None
                }
                position => match LogId::parse(id) {
                    Some(client) if defer => {
                        deferred = Some((client.epoch.to_owned(), client.seq));
                        queued.catching_up = true;
                        queued.sent_through = client.seq;
                        None
                    }
                    _ if position == Position::Expired => Some(ResetReason::Expired),
                    _ => Some(ResetReason::Unknown),
                },
            };
            if let Some(reason) = reset {
                let now = state.log.last_seq();
                queued.push_replay(core.reset_record(reason, state.log.cursor(), now));
            }
        }
        let queue = Arc::new(Queue::new(core.limits, core.overflow, queued));
        core.register(&mut state, &queue, options);
        drop(state);
        core.live.fetch_add(1, Ordering::Relaxed);
        metrics.subscribers.increment(1.0);
        (queue, deferred)
    }

    /// A shared hub's follower read its engine for the first time: the window it keeps
    /// from now on.
    pub(crate) fn install_window(&self, window: Window) {
        self.core.lock().log = Log::Window(window);
    }

    /// What this hub's window has seen: the engine fences if it holds less.
    pub(crate) fn known(&self) -> Known {
        let state = self.core.lock();
        match state.log.window_ref() {
            Some(window) if window.is_synced() => Known {
                epoch: window.head().epoch.clone(),
                top: window.last_seq(),
            },
            _ => Known::default(),
        }
    }

    /// The engine's head moved on without taking anything the window delivered.
    pub(crate) fn set_head(&self, head: Head) {
        if let Some(window) = self.core.lock().log.window() {
            window.set_head(head);
        }
    }

    /// The engine lost what came after `through` (its history is now `head`): the window
    /// forgets it, live streams drop what they had queued of it, and each client that was
    /// given some gets a `lost` reset (id: `through`'s) before the events that follow.
    /// Returns how many got one.
    pub(crate) fn rewind(&self, through: u64, head: Head) -> usize {
        let mut state = self.core.lock();
        let reset = self
            .core
            .reset_record(ResetReason::Lost, head.id_of(through), through);
        if let Some(window) = state.log.window() {
            window.rewind(through, head);
        }
        every_queue(&state)
            .filter(|queue| !queue.lock().catching_up && queue.rewind(through, &reset))
            .count()
    }

    /// Events up to `through` can no longer be read (trimmed before the follower read
    /// them): live streams that had not got them get an `expired` reset.
    pub(crate) fn skip_gap(&self, through: u64) -> usize {
        let mut state = self.core.lock();
        let Some(window) = state.log.window() else {
            return 0;
        };
        window.restart_after(through);
        let cursor = window.id_of(through);
        let reset = self
            .core
            .reset_record(ResetReason::Expired, cursor, through);
        every_queue(&state)
            .filter(|queue| queue.skip_gap(through, &reset))
            .count()
    }

    /// A subscription that read a shared log up to `position` (of the history whose epoch
    /// is `epoch`) goes live here if the window allows (see [`Join`]).
    pub(crate) fn join(
        &self,
        queue: &Queue,
        epoch: &str,
        position: u64,
        options: &Subscribe,
    ) -> Join {
        let state = self.core.lock();
        let Some(window) = state.log.window_ref() else {
            return Join::Stale;
        };
        let join = window.join(epoch, position);
        let mut queued = queue.lock();
        match join {
            Join::Replay => {
                window.for_each_after(position, &mut |record| {
                    if options.accepts(record) {
                        queued.push_replay(record.clone());
                    }
                });
                queued.catching_up = false;
            }
            Join::Ahead => {
                queued.skip_through = position;
                queued.catching_up = false;
            }
            Join::Behind | Join::Stale => {}
        }
        join
    }

    /// Ends every stream once what it has queued is sent.
    pub(crate) fn close_all(&self, reason: DisconnectReason) {
        close_every(&self.core.lock(), reason);
    }

    /// Counts a resume answered with a replay (from elsewhere than the local log).
    pub(crate) fn count_replay_hit(&self) {
        self.core.metrics.replay_hit.increment(1);
    }

    pub(super) fn topic_subscribers(&self, topic: &str) -> usize {
        let state = self.core.lock();
        state
            .everything
            .iter()
            .chain(state.topics.get(topic).into_iter().flatten())
            .filter(|subscriber| !subscriber.queue.is_closed())
            .count()
    }

    pub(super) fn subscribers(&self) -> usize {
        let state = self.core.lock();
        every_queue(&state)
            .filter(|queue| !queue.is_closed())
            .count()
    }

    pub(super) fn newest(&self) -> Option<Arc<Record>> {
        self.core.lock().log.newest()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(hub: &Local) -> usize {
        let state = hub.core.lock();
        state.everything.len() + state.topics.values().map(Vec::len).sum::<usize>()
    }

    #[test]
    fn dropped_subscriptions_are_swept_without_a_publish() {
        let hub = super::super::Hub::builder().build_local(false);
        let subscribe =
            |options| super::super::Subscription::new(hub.register(options), hub.core.clone());
        let keep: Vec<_> = (0..100).map(|_| subscribe(Subscribe::topic("t"))).collect();
        let churn: Vec<_> = (0..1000)
            .map(|n| subscribe(Subscribe::topic(format!("t{}", n % 3)).and_topic("t")))
            .collect();
        drop(churn);
        // Dead entries never outnumber the open ones (plus a small floor).
        assert!(entries(&hub) <= 100 + 2 * 64, "{}", entries(&hub));
        assert_eq!(hub.subscribers(), 100);
        drop(keep);
        assert!(entries(&hub) <= 2 * 64, "{}", entries(&hub));
        // A publish clears what is left in its topic.
        hub.publish("t", None, None, Event::new().data("x"))
            .unwrap();
        assert_eq!(hub.core.lock().topics.get("t").map_or(0, Vec::len), 0);
    }
}
