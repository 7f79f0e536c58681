//! [`Hub`]: publish and subscribe, over the state its clones share (`state.rs`).

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::queue::{Queue, QueueState};
use super::state::{close_every, every_queue, Log, Shared};
use super::subscribe::Subscribe;
use super::subscription::Subscription;
use crate::event::Event;
use crate::lifecycle::DisconnectReason;
use crate::replay::id::{log_id, LogId};
use crate::replay::window::{Join, Window};
use crate::replay::{Entry, Head, Known, Position, Record, ReplayLog, ResetReason};

/// A broadcast hub. Cheap to clone: clones share everything.
#[derive(Clone)]
pub struct Hub {
    pub(super) shared: Arc<Shared>,
}

/// What [`Hub::publish`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Published {
    /// The event's sequence number.
    pub seq: u64,
    /// Its id on the wire: `<epoch>-<seq>`.
    pub id: String,
    /// How many subscribers it was queued for.
    pub delivered: usize,
    /// False when [`publish_once`](Hub::publish_once) found its key already published;
    /// `seq` and `id` are then that event's, and nothing was delivered.
    pub fresh: bool,
}

/// Why an event could not be published.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublishError {
    /// The event carries its own id. The hub gives ids (they are what resume uses), so it
    /// refuses to overwrite one; put your own identifier in the data.
    IdSet,
    /// The shared log behind a [`SharedHub`](super::SharedHub) could not be reached (the message says why).
    /// The event may or may not have been appended: retry with
    /// [`publish_once`](super::SharedHub::publish_once) and a key of your own.
    Unavailable(String),
    /// A [`publish_once`](Hub::publish_once) key that was already used for another event
    /// (another topic or other fields). Keys name one event each.
    KeyReused,
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IdSet => f.write_str(
                "the event already has an id; the hub assigns ids, so publish it without one",
            ),
            Self::Unavailable(why) => write!(f, "the shared log is unavailable: {why}"),
            Self::KeyReused => {
                f.write_str("this idempotency key was already used for a different event")
            }
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
    /// assert!(published.id.ends_with("-1"));
    /// # Ok::<(), sse_layer::hub::PublishError>(())
    /// ```
    pub fn publish(&self, topic: &str, event: Event) -> Result<Published, PublishError> {
        self.publish_record(topic, None, None, event)
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
        self.publish_record(topic, Some(key), None, event)
    }

    /// As [`publish`](Self::publish), at most once per `once` key: publishing again with
    /// the same key and the same event appends nothing and answers the first call's `seq`
    /// and `id` with `fresh: false`, so a retry (after a timeout, a crash between publish
    /// and acknowledgement) never makes a duplicate. Keys are remembered as long as the
    /// log retains their event (for logs that keep the records they are given, as
    /// [`MemoryLog`](crate::replay::MemoryLog) does).
    ///
    /// # Errors
    /// [`PublishError::IdSet`] when the event has an id of its own;
    /// [`PublishError::KeyReused`] when the key was used for another event.
    ///
    /// ```
    /// use sse_layer::hub::{Hub, PublishError};
    /// use sse_layer::Event;
    ///
    /// let hub = Hub::new();
    /// let first = hub.publish_once("order-42", "orders", Event::new().data("shipped"))?;
    /// let retry = hub.publish_once("order-42", "orders", Event::new().data("shipped"))?;
    /// assert!(first.fresh && !retry.fresh);
    /// assert_eq!(first.id, retry.id);
    /// let other = hub.publish_once("order-42", "orders", Event::new().data("lost"));
    /// assert_eq!(other, Err(PublishError::KeyReused));
    /// # Ok::<(), PublishError>(())
    /// ```
    pub fn publish_once(
        &self,
        once: &str,
        topic: &str,
        event: Event,
    ) -> Result<Published, PublishError> {
        self.publish_record(topic, None, Some(once), event)
    }

    fn publish_record(
        &self,
        topic: &str,
        key: Option<&str>,
        once: Option<&str>,
        event: Event,
    ) -> Result<Published, PublishError> {
        if event.id_str().is_some() {
            return Err(PublishError::IdSet);
        }
        let shared = &*self.shared;
        let mut state = shared.lock();
        if let Some(earlier) = once.and_then(|once| state.once.get(once)) {
            let id = state.log.id_of(earlier.seq);
            let same = *earlier.topic == *topic
                && earlier.key.as_deref() == key
                && event
                    .try_id(id.clone())
                    .is_ok_and(|event| event.encode() == earlier.bytes);
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
        let bytes = event
            .try_id(id.clone())
            .expect("the log's ids are valid")
            .encode();
        let (record, delivered) = shared.append(&mut state, seq, topic, key, bytes);
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
        let shared = &*self.shared;
        let mut state = shared.lock();
        debug_assert!(entry.seq > state.log.last_seq());
        let bytes = crate::encode::with_id(&log_id(&entry.epoch, entry.seq), &entry.body);
        shared
            .append(
                &mut state,
                entry.seq,
                &entry.topic,
                entry.key.as_deref(),
                bytes,
            )
            .1
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
    /// let first = hub.publish("t", Event::new().data("1")).unwrap();
    /// for n in 2..=3 {
    ///     hub.publish("t", Event::new().data(n.to_string())).unwrap();
    /// }
    /// // A client that has event 1 gets 2 and 3 first.
    /// let subscription = hub.subscribe(Subscribe::new().last_event_id(first.id));
    /// assert_eq!(subscription.queued(), 2);
    /// ```
    pub fn subscribe(&self, options: Subscribe) -> Subscription {
        self.subscribe_with(options, false).0
    }

    /// As [`subscribe`](Self::subscribe), except that an `<epoch>-<seq>` id the local log
    /// cannot resume from gets no reset: the subscription is registered to catch up
    /// (taking no live events yet), and the id is returned for the caller to judge
    /// against a shared log.
    pub(crate) fn subscribe_to_catch_up(
        &self,
        options: Subscribe,
    ) -> (Subscription, Option<(String, u64)>) {
        self.subscribe_with(options, true)
    }

    fn subscribe_with(
        &self,
        options: Subscribe,
        defer: bool,
    ) -> (Subscription, Option<(String, u64)>) {
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
                queued.push_replay(shared.reset_record(reason, state.log.cursor(), now));
            }
        }
        let queue = Arc::new(Queue::new(shared.limits, shared.overflow, queued));
        shared.register(&mut state, &queue, options);
        drop(state);
        shared.live.fetch_add(1, Ordering::Relaxed);
        metrics.subscribers.increment(1.0);
        (Subscription::new(queue, self.shared.clone()), deferred)
    }

    /// A shared hub's follower read its engine for the first time: the window it keeps
    /// from now on.
    pub(crate) fn install_window(&self, window: Window) {
        self.shared.lock().log = Log::Window(window);
    }

    /// What this hub's window has seen: the engine fences if it holds less.
    pub(crate) fn known(&self) -> Known {
        let state = self.shared.lock();
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
        if let Some(window) = self.shared.lock().log.window() {
            window.set_head(head);
        }
    }

    /// The engine lost what came after `through` (its history is now `head`): the window
    /// forgets it, live streams drop what they had queued of it, and each client that was
    /// given some gets a `lost` reset (id: `through`'s) before the events that follow.
    /// Returns how many got one.
    pub(crate) fn rewind(&self, through: u64, head: Head) -> usize {
        let mut state = self.shared.lock();
        let reset = self
            .shared
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
        let mut state = self.shared.lock();
        let Some(window) = state.log.window() else {
            return 0;
        };
        window.restart_after(through);
        let cursor = window.id_of(through);
        let reset = self
            .shared
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
        let state = self.shared.lock();
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
        close_every(&self.shared.lock(), reason);
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
        every_queue(&state)
            .filter(|queue| !queue.is_closed())
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
