//! [`Hub`]: publish and subscribe, over the state its clones share (`state.rs`).

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;

use super::queue::{Queue, QueueState};
use super::state::{close_every, Deferred, Shared};
use super::subscribe::Subscribe;
use super::subscription::Subscription;
use crate::event::Event;
use crate::lifecycle::DisconnectReason;
use crate::replay::{Position, Record, ReplayLog, ResetReason};

/// A broadcast hub. Cheap to clone: clones share everything.
#[derive(Clone)]
pub struct Hub {
    pub(super) shared: Arc<Shared>,
}

/// What [`Hub::publish`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Published {
    /// The event's sequence number: its id on the wire, in decimal.
    pub seq: u64,
    /// How many subscribers it was queued for.
    pub delivered: usize,
}

/// Why an event could not be published.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublishError {
    /// The event carries its own id. The hub gives ids (they are what resume uses), so it
    /// refuses to overwrite one; put your own identifier in the data.
    IdSet,
    /// The shared log behind a [`SharedHub`](super::SharedHub) could not be reached (the message says why).
    /// The event may or may not have been appended.
    Unavailable(String),
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IdSet => f.write_str(
                "the event already has an id; the hub assigns ids, so publish it without one",
            ),
            Self::Unavailable(why) => write!(f, "the shared log is unavailable: {why}"),
        }
    }
}

impl std::error::Error for PublishError {}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("limits", &self.shared.limits)
            .field("overflow", &self.shared.overflow)
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// Publishes `event` to `topic`: it is encoded once, given the next id, kept in the
    /// replay log and queued for every subscriber of the topic whose filter accepts it.
    ///
    /// # Errors
    /// [`PublishError::IdSet`] when the event has an id of its own.
    ///
    /// ```
    /// use sse_layer::hub::{Hub, Subscribe};
    /// use sse_layer::Event;
    ///
    /// let hub = Hub::new();
    /// let _reader = hub.subscribe(Subscribe::topic("scores"));
    /// let published = hub.publish("scores", Event::new().data("1-0"))?;
    /// assert_eq!((published.seq, published.delivered), (1, 1));
    /// # Ok::<(), sse_layer::hub::PublishError>(())
    /// ```
    pub fn publish(&self, topic: &str, event: Event) -> Result<Published, PublishError> {
        self.publish_record(topic, None, event)
    }

    /// As [`publish`](Self::publish), with a key for [`Overflow::CoalesceByKey`](super::Overflow::CoalesceByKey) (say, the
    /// job whose progress this is) and for filters.
    ///
    /// # Errors
    /// [`PublishError::IdSet`] when the event has an id of its own.
    ///
    /// ```
    /// use sse_layer::hub::Hub;
    /// use sse_layer::Event;
    ///
    /// let hub = Hub::new();
    /// hub.publish_keyed("jobs", "job-7", Event::new().data("40%"))?;
    /// assert_eq!(hub.newest().unwrap().key(), Some("job-7"));
    /// # Ok::<(), sse_layer::hub::PublishError>(())
    /// ```
    pub fn publish_keyed(
        &self,
        topic: &str,
        key: &str,
        event: Event,
    ) -> Result<Published, PublishError> {
        self.publish_record(topic, Some(key), event)
    }

    fn publish_record(
        &self,
        topic: &str,
        key: Option<&str>,
        event: Event,
    ) -> Result<Published, PublishError> {
        if event.id_str().is_some() {
            return Err(PublishError::IdSet);
        }
        let shared = &*self.shared;
        let mut state = shared.lock();
        let seq = state.log.last_seq() + 1;
        let bytes = event
            .try_id(state.log.id_of(seq))
            .expect("the log's ids are valid")
            .encode();
        let delivered = shared.append(&mut state, seq, topic, key, bytes);
        Ok(Published { seq, delivered })
    }

    /// Appends an event that was numbered elsewhere (a shared log) and encoded without an
    /// id, and delivers it. `seq` must be above the log's `last_seq`.
    pub(crate) fn publish_numbered(
        &self,
        seq: u64,
        topic: &str,
        key: Option<&str>,
        body: &[u8],
    ) -> usize {
        let shared = &*self.shared;
        let mut state = shared.lock();
        debug_assert!(seq > state.log.last_seq());
        let bytes = crate::encode::with_id(&state.log.id_of(seq), body);
        shared.append(&mut state, seq, topic, key, bytes)
    }

    /// A new subscriber: it gets, in order, a reset event or the replay its
    /// `Last-Event-ID` asks for, then every event published from now on that its topics
    /// and filter accept.
    ///
    /// Replay and live events meet without a gap or a duplicate: both are taken under the
    /// hub's lock, the replay up to the newest event and the live events after it.
    ///
    /// ```
    /// use sse_layer::hub::{Hub, Subscribe};
    /// use sse_layer::Event;
    ///
    /// let hub = Hub::new();
    /// for n in 1..=3 {
    ///     hub.publish("t", Event::new().data(n.to_string())).unwrap();
    /// }
    /// // A client that has event 1 gets 2 and 3 first.
    /// let subscription = hub.subscribe(Subscribe::new().last_event_id("1"));
    /// assert_eq!(subscription.queued(), 2);
    /// ```
    pub fn subscribe(&self, options: Subscribe) -> Subscription {
        self.subscribe_with(options, false).0
    }

    /// As [`subscribe`](Self::subscribe), except that an id the local log cannot resume
    /// from gets no reset: the subscription is registered for live events only and held
    /// back until its `PendingReplay` releases it, and what the caller needs to fetch the
    /// rest from a shared log is returned with it.
    pub(crate) fn subscribe_deferred(
        &self,
        options: Subscribe,
    ) -> (Subscription, Option<Deferred>) {
        self.subscribe_with(options, true)
    }

    fn subscribe_with(&self, options: Subscribe, defer: bool) -> (Subscription, Option<Deferred>) {
        let shared = &*self.shared;
        let metrics = &shared.metrics;
        let mut state = shared.lock();
        let mut queued = QueueState::default();
        let mut deferred = None;
        if let Some(id) = &options.last_event_id {
            let reset = match state.log.position(id) {
                Position::After(seq) => {
                    state.log.for_each_after(seq, &mut |record| {
                        if options.accepts(record) {
                            queued.replay.push_back(record.clone());
                        }
                    });
                    metrics.replay_hit.increment(1);
                    None
                }
                _ if defer => {
                    // Live events after `through` reach the queue from now on; the ones
                    // up to it are the caller's to find.
                    deferred = Some(Deferred {
                        through: state.log.last_seq(),
                        epoch: state.log.epoch().map(str::to_owned),
                    });
                    queued.pending = true;
                    None
                }
                Position::Expired => {
                    metrics.replay_expired.increment(1);
                    Some(ResetReason::Expired)
                }
                Position::Unknown => {
                    metrics.replay_unknown.increment(1);
                    Some(ResetReason::Unknown)
                }
            };
            if let Some(reason) = reset {
                queued.first = Some(shared.reset_bytes(state.log.cursor(), reason));
            }
        }
        let queue = Arc::new(Queue::new(shared.limits, shared.overflow, queued));
        shared.register(&mut state, &queue, options);
        drop(state);
        shared.live.fetch_add(1, Ordering::Relaxed);
        metrics.subscribers.increment(1.0);
        (Subscription::new(queue, self.shared.clone()), deferred)
    }

    /// Replaces the log (a shared log's window moving to a new epoch) and, with
    /// `end_streams` (the shared log lost events), ends every stream once what it has
    /// queued is sent, so that its client reconnects and learns where it stands.
    pub(crate) fn replace_log(&self, log: Box<dyn ReplayLog>, end_streams: bool) {
        let mut state = self.shared.lock();
        state.log = log;
        if end_streams {
            close_every(&state, DisconnectReason::Error);
        }
    }

    /// Ends every stream once what it has queued is sent.
    pub(crate) fn close_all(&self, reason: DisconnectReason) {
        close_every(&self.shared.lock(), reason);
    }

    /// The reset event for `reason` with `cursor` as its id, encoded; counted.
    pub(crate) fn reset_event(&self, reason: ResetReason, cursor: String) -> Bytes {
        self.shared.metrics.count_reset(reason);
        self.shared.reset_bytes(cursor, reason)
    }

    /// Counts a resume answered with a replay (from elsewhere than the local log).
    pub(crate) fn count_replay_hit(&self) {
        self.shared.metrics.replay_hit.increment(1);
    }

    /// How many open subscriptions receive `topic` (those to every topic included).
    ///
    /// ```
    /// use sse_layer::hub::{Hub, Subscribe};
    /// let hub = Hub::new();
    /// let _a = hub.subscribe(Subscribe::topic("a"));
    /// let _all = hub.subscribe(Subscribe::new());
    /// assert_eq!((hub.topic_subscribers("a"), hub.topic_subscribers("b")), (2, 1));
    /// ```
    pub fn topic_subscribers(&self, topic: &str) -> usize {
        let state = self.shared.lock();
        state
            .everything
            .iter()
            .chain(state.topics.get(topic).into_iter().flatten())
            .filter(|subscriber| !subscriber.queue.is_closed())
            .count()
    }
}

impl Hub {
    /// How many subscribers the hub delivers to now: subscriptions cut off for being slow
    /// no longer count, and one with several topics counts once per topic.
    ///
    /// ```
    /// use sse_layer::hub::{Hub, Subscribe};
    /// let hub = Hub::new();
    /// let subscription = hub.subscribe(Subscribe::new());
    /// assert_eq!(hub.subscribers(), 1);
    /// drop(subscription);
    /// assert_eq!(hub.subscribers(), 0);
    /// ```
    pub fn subscribers(&self) -> usize {
        let state = self.shared.lock();
        std::iter::once(&state.everything)
            .chain(state.topics.values())
            .flatten()
            .filter(|subscriber| !subscriber.queue.is_closed())
            .count()
    }

    /// The newest event in the replay log.
    ///
    /// ```
    /// assert!(sse_layer::hub::Hub::new().newest().is_none());
    /// ```
    pub fn newest(&self) -> Option<Arc<Record>> {
        self.shared.lock().log.newest()
    }
}

/// Queues `record` for every subscriber in `subscribers` that accepts it; drops the ones
/// that were cut off. Returns how many got it.
#[cfg(test)]
mod tests {
    use super::*;

    fn entries(hub: &Hub) -> usize {
        let state = hub.shared.lock();
        state.everything.len() + state.topics.values().map(Vec::len).sum::<usize>()
    }

    #[test]
    fn dropped_subscriptions_are_swept_without_a_publish() {
        let hub = Hub::new();
        let keep: Vec<_> = (0..100)
            .map(|_| hub.subscribe(Subscribe::topic("t")))
            .collect();
        let churn: Vec<_> = (0..1000)
            .map(|n| hub.subscribe(Subscribe::topic(format!("t{}", n % 3)).and_topic("t")))
            .collect();
        drop(churn);
        // Dead entries never outnumber the open ones (plus a small floor).
        assert!(entries(&hub) <= 100 + 2 * 64, "{}", entries(&hub));
        assert_eq!(hub.subscribers(), 100);
        drop(keep);
        assert!(entries(&hub) <= 2 * 64, "{}", entries(&hub));
        // A publish clears what is left in its topic.
        hub.publish("t", Event::new().data("x")).unwrap();
        assert_eq!(hub.shared.lock().topics.get("t").map_or(0, Vec::len), 0);
    }
}
