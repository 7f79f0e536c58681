//! [`Hub`]: publish and subscribe, the same on every engine. It delivers through its
//! [`Local`] core (`local.rs`), and when it has an engine, publishes and catches up
//! through it (`engine.rs`).

use std::fmt;
use std::sync::Arc;

use super::engine::EngineLink;
use super::local::Local;
use super::published::{PublishError, Published};
use super::subscribe::Subscribe;
use super::subscription::Subscription;
use crate::event::Event;
use crate::replay::Record;

/// A broadcast hub: publish an event once, and every subscriber of its topic gets it,
/// with a replay log for clients that come back. Cheap to clone: clones share
/// everything.
///
/// The **engine** is chosen where the hub is built, and nothing else depends on it:
/// - in memory (the default, [`Hub::new`]): this process numbers and keeps the events;
/// - a shared engine ([`HubBuilder::engine`](super::HubBuilder::engine), such as
///   `replay::RedisLog` with the feature `redis` or `replay::NatsLog` with `nats`):
///   several server instances share one order and one history, so an event published
///   on any instance reaches the subscribers of every instance, and a client resumes
///   on any of them.
///
/// Ids are `<epoch>-<seq>`. A resume gets every retained event after its id, then the
/// live ones, without a gap or a duplicate; an id the log cannot resume from gets a
/// **reset event** (see [`replay`](crate::replay)) instead of a silent skip.
///
/// With a shared engine:
/// - **One order everywhere.** `publish` appends to the engine, which numbers the event;
///   each instance's follower (one per hub, one engine connection) reads the engine in
///   that order, encodes each event once and fans it out to its local subscribers.
/// - **Resume anywhere.** A resume is served from the instance's window of recent
///   events when it holds them, and otherwise from the engine, a page at a time as the
///   client drains (so a slow client resuming a long history holds at most its queue's
///   limits); the missed events and the live ones meet without a gap or a duplicate.
/// - **Honest about loss.** When the engine lost events (it came back empty, from an
///   older copy, or failed over to a replica that lagged: see
///   [`Engine`](crate::replay::Engine) for how it fences), no id is ever given to two
///   events, and every client that had lost events gets a `lost` reset, inside its open
///   stream or at its next resume, whose id is the last event that survived, followed by
///   every event after it. Streams that had none of the lost events carry on untouched.
/// - **Engine trouble.** `publish` returns [`PublishError::Unavailable`]; open streams
///   stay open (the layer's heartbeats go on); the follower retries and, once the engine
///   is back, delivers everything it accepted meanwhile. A resume that needs the engine
///   waits for it, with the stream open.
///
/// ```
/// use sse_layer::hub::{Hub, Subscribe};
/// use sse_layer::Event;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let hub = Hub::new();
/// let subscription = hub.subscribe(Subscribe::topic("scores"));
/// let published = hub.publish("scores", Event::new().data("1-0")).await?;
/// assert_eq!((published.seq, subscription.queued()), (1, 1));
/// assert!(published.id.ends_with("-1"));
/// # Ok::<(), sse_layer::hub::PublishError>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Hub {
    pub(super) local: Local,
    /// The shared engine, if the hub has one.
    pub(super) engine: Option<Arc<EngineLink>>,
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("local", &self.local)
            .field("shared_engine", &self.engine.is_some())
            .finish()
    }
}

impl Hub {
    /// Publishes `event` to `topic`: it is given the next id, kept for resumes, encoded
    /// once and queued for every subscriber of the topic whose filter accepts it (with a
    /// shared engine, on every instance). In memory it completes at once; with a shared
    /// engine it returns once the engine has the event.
    ///
    /// # Errors
    /// [`PublishError::IdSet`] when the event has an id of its own;
    /// [`PublishError::Unavailable`] when a shared engine cannot be reached (the event
    /// may or may not have been appended: retry with
    /// [`publish_once`](Self::publish_once) to avoid a duplicate).
    ///
    /// ```
    /// use sse_layer::hub::{Hub, Subscribe};
    /// use sse_layer::Event;
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let hub = Hub::new();
    /// let _reader = hub.subscribe(Subscribe::topic("scores"));
    /// let published = hub.publish("scores", Event::new().data("1-0")).await?;
    /// assert_eq!((published.seq, published.delivered), (1, 1));
    /// # Ok::<(), sse_layer::hub::PublishError>(())
    /// # }).unwrap();
    /// ```
    pub async fn publish(&self, topic: &str, event: Event) -> Result<Published, PublishError> {
        self.publish_record(topic, None, None, event).await
    }

    /// As [`publish`](Self::publish), with a key for
    /// [`Overflow::CoalesceByKey`](super::Overflow::CoalesceByKey) (say, the job whose
    /// progress this is) and for filters.
    ///
    /// # Errors
    /// As [`publish`](Self::publish).
    ///
    /// ```
    /// use sse_layer::hub::Hub;
    /// use sse_layer::Event;
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let hub = Hub::new();
    /// hub.publish_keyed("jobs", "job-7", Event::new().data("40%")).await?;
    /// assert_eq!(hub.newest().unwrap().key(), Some("job-7"));
    /// # Ok::<(), sse_layer::hub::PublishError>(())
    /// # }).unwrap();
    /// ```
    pub async fn publish_keyed(
        &self,
        topic: &str,
        key: &str,
        event: Event,
    ) -> Result<Published, PublishError> {
        self.publish_record(topic, Some(key), None, event).await
    }

    /// As [`publish`](Self::publish), at most once per `once` key: publishing again with
    /// the same key and the same event appends nothing and answers the first call's `seq`
    /// and `id` with `fresh: false`, so a retry (after a timeout, a crash between publish
    /// and acknowledgement) never makes a duplicate. Keys are remembered as long as the
    /// log retains their event (with a shared engine, across every instance).
    ///
    /// # Errors
    /// As [`publish`](Self::publish); [`PublishError::KeyReused`] when the key was used
    /// for another event.
    ///
    /// ```
    /// use sse_layer::hub::{Hub, PublishError};
    /// use sse_layer::Event;
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let hub = Hub::new();
    /// let first = hub.publish_once("order-42", "orders", Event::new().data("shipped")).await?;
    /// let retry = hub.publish_once("order-42", "orders", Event::new().data("shipped")).await?;
    /// assert!(first.fresh && !retry.fresh);
    /// assert_eq!(first.id, retry.id);
    /// let other = hub.publish_once("order-42", "orders", Event::new().data("lost")).await;
    /// assert_eq!(other, Err(PublishError::KeyReused));
    /// # Ok::<(), PublishError>(())
    /// # }).unwrap();
    /// ```
    pub async fn publish_once(
        &self,
        once: &str,
        topic: &str,
        event: Event,
    ) -> Result<Published, PublishError> {
        self.publish_record(topic, None, Some(once), event).await
    }

    async fn publish_record(
        &self,
        topic: &str,
        key: Option<&str>,
        once: Option<&str>,
        event: Event,
    ) -> Result<Published, PublishError> {
        // The hub gives ids, whatever the engine: checked once, before either path.
        if event.id_str().is_some() {
            return Err(PublishError::IdSet);
        }
        match &self.engine {
            None => self.local.publish(topic, key, once, event),
            Some(engine) => engine.publish(topic, key, once, event).await,
        }
    }

    /// A new subscriber: it gets, in order, a reset event or the replay its
    /// `Last-Event-ID` asks for, then every event published from now on that its topics
    /// and filter accept.
    ///
    /// Replay and live events meet without a gap or a duplicate. With a shared engine,
    /// a replay this instance's window cannot answer is read from the engine, a page at
    /// a time as the client drains, with the stream open (also while the engine is
    /// unreachable); the client's id is judged by the engine itself, so a window that is
    /// behind (a fresh instance, a fence not yet seen) never answers for it.
    ///
    /// ```
    /// use sse_layer::hub::{Hub, Subscribe};
    /// use sse_layer::Event;
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let hub = Hub::new();
    /// let first = hub.publish("t", Event::new().data("1")).await.unwrap();
    /// for n in 2..=3 {
    ///     hub.publish("t", Event::new().data(n.to_string())).await.unwrap();
    /// }
    /// // A client that has event 1 gets 2 and 3 first.
    /// let subscription = hub.subscribe(Subscribe::new().last_event_id(first.id));
    /// assert_eq!(subscription.queued(), 2);
    /// # });
    /// ```
    pub fn subscribe(&self, options: Subscribe) -> Subscription {
        match &self.engine {
            None => Subscription::new(self.local.register(options), self.local.core.clone()),
            Some(engine) => engine.subscribe(&self.local, options),
        }
    }

    /// How many of this instance's open subscriptions receive `topic` (those to every
    /// topic included).
    ///
    /// ```
    /// use sse_layer::hub::{Hub, Subscribe};
    /// let hub = Hub::new();
    /// let _a = hub.subscribe(Subscribe::topic("a"));
    /// let _all = hub.subscribe(Subscribe::new());
    /// assert_eq!((hub.topic_subscribers("a"), hub.topic_subscribers("b")), (2, 1));
    /// ```
    pub fn topic_subscribers(&self, topic: &str) -> usize {
        self.local.topic_subscribers(topic)
    }

    /// How many subscribers this instance delivers to now: subscriptions cut off for
    /// being slow no longer count, and one with several topics counts once per topic.
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
        self.local.subscribers()
    }

    /// The newest event this instance holds: in memory, the newest in its log; with a
    /// shared engine, the newest its follower delivered, if its window still holds it.
    ///
    /// ```
    /// assert!(sse_layer::hub::Hub::new().newest().is_none());
    /// ```
    pub fn newest(&self) -> Option<Arc<Record>> {
        self.local.newest()
    }
}
