//! [`SharedHub`]: a hub whose order and history live in a [`SharedLog`] that several
//! server instances share, so that an event published on any instance reaches the
//! subscribers of every instance, and a client resumes on any of them.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch, Notify};
use tokio::task::AbortHandle;

use super::builder::HubBuilder;
use super::catch_up::{CatchUp, Source};
use super::follower::{follow, FollowerConfig};
use super::hub::{Hub, PublishError};
use super::pages::Pages;
use super::queue::{Overflow, QueueLimits};
use super::subscribe::Subscribe;
use super::subscription::Subscription;
use super::writer::{write, Write};
use crate::event::Event;
use crate::lifecycle::DisconnectReason;
use crate::replay::id::log_id;
use crate::replay::window::Window;
use crate::replay::{Append, Outcome, ResetReason, SharedLog};

/// Events a publisher may queue for the writer before `publish` waits.
const WRITE_QUEUE: usize = 4096;
/// A broadcast hub shared by every instance through a [`SharedLog`] (such as
/// `replay::RedisLog`, feature `redis`). Cheap to clone: clones share everything.
///
/// - **One order everywhere.** `publish` appends to the shared log, which numbers the
///   event; each instance's follower (one per hub, one engine connection) reads the log in
///   that order, encodes each event once and fans it out to its local subscribers.
/// - **Resume anywhere.** Ids are `<epoch>-<seq>`. A resume is served from the local
///   window of recent events when it holds them, and otherwise from the shared log:
///   the subscription takes live events from the moment it is made, the missed ones are
///   fetched up to that point, and the two meet without a gap or a duplicate.
/// - **Honest about loss.** An id older than the log retains gets the `expired` reset
///   event; one it never issued gets `unknown`. When the engine lost events (it came back
///   empty, from an older snapshot, or failed over to a replica that lagged: see
///   [`SharedLog`] for how it fences), no id is ever given to two events, and every
///   client that had lost events gets a `lost` reset, inside its open stream or at its
///   next resume, whose id is the last event that survived, followed by every event
///   after it. Streams that had none of the lost events carry on untouched.
/// - **Engine trouble.** `publish` returns [`PublishError::Unavailable`]; open streams stay
///   open (the layer's heartbeats go on); the follower retries and, once the engine is
///   back, delivers everything it accepted meanwhile. A resume that needs the engine
///   waits for it, with the stream open.
/// - **Bounded resumes.** A resume the local window cannot answer reads the shared log a
///   page at a time as its client drains (pages are shared by resumes at the same place):
///   a slow client resuming a long history holds at most its queue's limits.
///
/// ```no_run
/// # #[cfg(feature = "redis")]
/// async fn run() -> Result<(), Box<dyn std::error::Error>> {
///     use sse_layer::hub::{SharedHub, Subscribe};
///     use sse_layer::replay::RedisLog;
///     use sse_layer::Event;
///
///     let log = RedisLog::builder("redis://127.0.0.1:6379/")
///         .name("orders")
///         .max_events(10_000)
///         .build()?;
///     let hub = SharedHub::builder().start(log);
///     // In a handler: resume on this instance whatever instance issued the id.
///     let subscription = hub.subscribe(Subscribe::topic("orders").last_event_id("k3x9a-41"));
///     // Anywhere: every instance's subscribers of "orders" get it.
///     let published = hub.publish("orders", Event::new().data("order 42 shipped")).await?;
///     println!("published as {}", published.id);
///     # drop(subscription);
///     Ok(())
/// }
/// ```
#[derive(Clone)]
pub struct SharedHub {
    inner: Arc<Inner>,
}

struct Inner {
    hub: Hub,
    source: Arc<Source>,
    writer: mpsc::Sender<Write>,
    tasks: Vec<AbortHandle>,
}

impl Drop for Inner {
    /// Without the follower nothing more would reach the local streams: end them (after
    /// what they have queued), so that their clients reconnect to an instance that runs.
    fn drop(&mut self) {
        self.tasks.iter().for_each(AbortHandle::abort);
        self.hub.close_all(DisconnectReason::Shutdown);
    }
}

/// What [`SharedHub::publish`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SharedPublished {
    /// The event's id on the wire: `<epoch>-<seq>`.
    pub id: String,
    /// Its sequence number in the shared log.
    pub seq: u64,
    /// False when [`publish_once`](SharedHub::publish_once) found its key already
    /// published (by this instance or another); `id` is then that event's.
    pub fresh: bool,
}

/// Configures a [`SharedHub`]; see [`SharedHub::builder`].
pub struct SharedHubBuilder {
    hub: HubBuilder,
    window: (usize, usize),
    follow_wait: Duration,
}

impl fmt::Debug for SharedHubBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedHubBuilder")
            .field("hub", &self.hub)
            .field("window", &self.window)
            .field("follow_wait", &self.follow_wait)
            .finish()
    }
}

impl Default for SharedHubBuilder {
    fn default() -> Self {
        Self {
            hub: HubBuilder::default(),
            window: (1000, 1 << 20),
            follow_wait: Duration::from_secs(1),
        }
    }
}

impl SharedHubBuilder {
    /// Each subscriber's bounds, as [`HubBuilder::queue_limits`].
    ///
    /// ```
    /// use sse_layer::hub::{QueueLimits, SharedHub};
    /// let builder = SharedHub::builder().queue_limits(QueueLimits { events: 64, bytes: 1 << 16 });
    /// # let _ = builder;
    /// ```
    pub fn queue_limits(mut self, limits: QueueLimits) -> Self {
        self.hub = self.hub.queue_limits(limits);
        self
    }

    /// What a full queue does, as [`HubBuilder::overflow`].
    ///
    /// ```
    /// use sse_layer::hub::{Overflow, SharedHub};
    /// let builder = SharedHub::builder().overflow(Overflow::DropOldest);
    /// # let _ = builder;
    /// ```
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.hub = self.hub.overflow(overflow);
        self
    }

    /// The reset event, as [`HubBuilder::reset_event`].
    ///
    /// ```
    /// use sse_layer::hub::SharedHub;
    /// use sse_layer::Event;
    /// let builder = SharedHub::builder().reset_event(|reason| Event::new().data(reason.as_str()));
    /// # let _ = builder;
    /// ```
    pub fn reset_event<F>(mut self, make_event: F) -> Self
    where
        F: Fn(ResetReason) -> Event + Send + Sync + 'static,
    {
        self.hub = self.hub.reset_event(make_event);
        self
    }

    /// How many recent events each instance keeps in memory to serve resumes without
    /// asking the engine (default: 1,000 events, 1 MiB).
    ///
    /// ```
    /// let builder = sse_layer::hub::SharedHub::builder().window(10_000, 8 << 20);
    /// # let _ = builder;
    /// ```
    pub fn window(mut self, max_events: usize, max_bytes: usize) -> Self {
        self.window = (max_events, max_bytes);
        self
    }

    /// How long one read of the follower waits for new events before it checks the
    /// engine's epoch (default: 1 s). It bounds how late a loss of the engine's data is
    /// noticed on a quiet log.
    ///
    /// ```
    /// let builder = sse_layer::hub::SharedHub::builder()
    ///     .follow_wait(std::time::Duration::from_millis(250));
    /// # let _ = builder;
    /// ```
    pub fn follow_wait(mut self, wait: Duration) -> Self {
        self.follow_wait = wait;
        self
    }

    /// Starts the hub on `log`: its writer and its follower run as tasks on the current
    /// tokio runtime until the last clone of the hub is dropped. Then its subscriptions
    /// end too (once they have sent what they queued): keep a clone for as long as the
    /// server serves them.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn start(self, log: impl SharedLog) -> SharedHub {
        let log: Arc<dyn SharedLog> = Arc::new(log);
        let hub = self.hub.window(Window::unsynced()).build();
        let (writer, writes) = mpsc::channel(WRITE_QUEUE);
        let (window_epoch, window_epochs) = watch::channel(Arc::from(""));
        let nudge = Arc::new(Notify::new());
        let follower = FollowerConfig {
            window: self.window,
            wait: self.follow_wait,
        };
        let tasks = vec![
            tokio::spawn(write(log.clone(), hub.clone(), nudge.clone(), writes)).abort_handle(),
            tokio::spawn(follow(
                hub.clone(),
                log.clone(),
                follower,
                nudge.clone(),
                window_epoch,
            ))
            .abort_handle(),
        ];
        SharedHub {
            inner: Arc::new(Inner {
                hub,
                source: Arc::new(Source {
                    pages: Pages::new(log),
                    nudge,
                    window_epoch: window_epochs,
                }),
                writer,
                tasks,
            }),
        }
    }
}

impl fmt::Debug for SharedHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedHub")
            .field("hub", &self.inner.hub)
            .finish_non_exhaustive()
    }
}

impl SharedHub {
    /// Configures a shared hub.
    ///
    /// ```
    /// use sse_layer::hub::{Overflow, SharedHub};
    /// let builder = SharedHub::builder().overflow(Overflow::Disconnect).window(5000, 4 << 20);
    /// # let _ = builder;
    /// ```
    pub fn builder() -> SharedHubBuilder {
        SharedHubBuilder::default()
    }

    /// Publishes `event` to `topic` on every instance. It returns once the shared log has
    /// the event (and has numbered it); delivery follows through each instance's follower.
    ///
    /// # Errors
    /// [`PublishError::IdSet`] when the event has an id of its own;
    /// [`PublishError::Unavailable`] when the engine cannot be reached. After that error
    /// the event may or may not have been appended (the answer may be what was lost): use
    /// [`publish_once`](Self::publish_once) to retry without a duplicate.
    pub async fn publish(
        &self,
        topic: &str,
        event: Event,
    ) -> Result<SharedPublished, PublishError> {
        self.append(topic, None, None, event).await
    }

    /// As [`publish`](Self::publish), with a coalescing key (see
    /// [`Hub::publish_keyed`]).
    ///
    /// # Errors
    /// As [`publish`](Self::publish).
    pub async fn publish_keyed(
        &self,
        topic: &str,
        key: &str,
        event: Event,
    ) -> Result<SharedPublished, PublishError> {
        self.append(topic, Some(key), None, event).await
    }

    /// As [`publish`](Self::publish), at most once per `once` key across every instance
    /// and every retry: the second call with the same key appends nothing and returns the
    /// first call's id with `fresh: false`. The engine remembers keys as long as it
    /// retains events.
    ///
    /// # Errors
    /// As [`publish`](Self::publish); [`PublishError::KeyReused`] when the key was used
    /// for another event.
    pub async fn publish_once(
        &self,
        once: &str,
        topic: &str,
        event: Event,
    ) -> Result<SharedPublished, PublishError> {
        self.append(topic, None, Some(once), event).await
    }

    async fn append(
        &self,
        topic: &str,
        key: Option<&str>,
        once: Option<&str>,
        event: Event,
    ) -> Result<SharedPublished, PublishError> {
        if event.id_str().is_some() {
            return Err(PublishError::IdSet);
        }
        let append = Append {
            topic: topic.to_owned(),
            key: key.map(str::to_owned),
            body: event.encode(),
            once: once.map(str::to_owned),
        };
        let (reply, answer) = oneshot::channel();
        let stopped = || PublishError::Unavailable("the hub's writer stopped".into());
        self.inner
            .writer
            .send(Write { append, reply })
            .await
            .map_err(|_| stopped())?;
        let (epoch, outcome) = answer
            .await
            .map_err(|_| stopped())?
            .map_err(|error| PublishError::Unavailable(error.to_string()))?;
        match outcome {
            Outcome::Appended(seq) => Ok(SharedPublished {
                id: log_id(&epoch, seq),
                seq,
                fresh: true,
            }),
            Outcome::Duplicate { seq, epoch } => Ok(SharedPublished {
                id: log_id(&epoch, seq),
                seq,
                fresh: false,
            }),
            Outcome::KeyReused => Err(PublishError::KeyReused),
        }
    }

    /// A new subscriber, as [`Hub::subscribe`]: the replay its `Last-Event-ID` asks for
    /// (from this instance's window, or else from the shared log) or a reset event, then
    /// every event published on any instance that its topics and filter accept.
    ///
    /// When the replay must come from the shared log, the stream opens at once and reads
    /// it a page at a time as the client drains, then goes live (while the engine is
    /// unreachable, the stream stays open and waits). The client's id is judged by the
    /// log itself, so a window that is behind (a fresh instance, a fence not yet seen)
    /// never answers for it.
    pub fn subscribe(&self, options: Subscribe) -> Subscription {
        let inner = &*self.inner;
        let (subscription, client) = inner.hub.subscribe_to_catch_up(options.clone());
        match client {
            None => subscription,
            Some(client) => subscription.catch_up(CatchUp::new(
                inner.source.clone(),
                inner.hub.clone(),
                options,
                client,
            )),
        }
    }

    /// How many subscribers this instance delivers to (see [`Hub::subscribers`]).
    ///
    /// ```no_run
    /// # async fn run(hub: sse_layer::hub::SharedHub) {
    /// println!("{} local subscribers", hub.subscribers());
    /// # }
    /// ```
    pub fn subscribers(&self) -> usize {
        self.inner.hub.subscribers()
    }

    /// How many of this instance's subscriptions receive `topic` (see
    /// [`Hub::topic_subscribers`]).
    ///
    /// ```no_run
    /// # async fn run(hub: sse_layer::hub::SharedHub) {
    /// println!("{} local subscribers of news", hub.topic_subscribers("news"));
    /// # }
    /// ```
    pub fn topic_subscribers(&self, topic: &str) -> usize {
        self.inner.hub.topic_subscribers(topic)
    }

    /// The newest event this instance has delivered, if its window still holds it.
    ///
    /// ```no_run
    /// # async fn run(hub: sse_layer::hub::SharedHub) {
    /// if let Some(record) = hub.newest() {
    ///     println!("at {}", record.seq());
    /// }
    /// # }
    /// ```
    pub fn newest(&self) -> Option<Arc<crate::replay::Record>> {
        self.inner.hub.newest()
    }
}
