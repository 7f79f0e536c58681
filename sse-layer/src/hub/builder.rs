//! [`HubBuilder`]: a hub's engine (in memory by default, or a shared one), queue bounds,
//! overflow policy and reset event.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::engine::EngineLink;
use super::follower::FollowerConfig;
use super::hub::Hub;
use super::local::Local;
use super::queue::{Overflow, QueueLimits};
use super::state::{Core, Log, OnceKeys, ResetEventFn, State};
use crate::event::Event;
use crate::metrics::HubMetrics;
use crate::replay::window::Window;
use crate::replay::{Engine, MemoryLog, ReplayLog, ResetReason};

/// Configures a [`Hub`]; see [`Hub::builder`].
pub struct HubBuilder {
    log: Option<Box<dyn ReplayLog>>,
    /// A shared engine, in place of a log of its own.
    engine: Option<Arc<dyn Engine>>,
    /// The window of recent events each instance keeps over a shared engine.
    window: (usize, usize),
    follow_wait: Duration,
    limits: QueueLimits,
    overflow: Overflow,
    reset_event: Arc<ResetEventFn>,
}

impl Default for HubBuilder {
    fn default() -> Self {
        Self {
            log: None,
            engine: None,
            window: (1000, 1 << 20),
            follow_wait: Duration::from_secs(1),
            limits: QueueLimits::default(),
            overflow: Overflow::default(),
            reset_event: Arc::new(default_reset_event),
        }
    }
}

fn default_reset_event(reason: ResetReason) -> Event {
    let data = match reason {
        ResetReason::Expired => r#"{"reason":"expired"}"#,
        ResetReason::Unknown => r#"{"reason":"unknown"}"#,
        ResetReason::Lost => r#"{"reason":"lost"}"#,
    };
    Event::new().event(crate::event_name!("reset")).data(data)
}

impl fmt::Debug for HubBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubBuilder")
            .field("limits", &self.limits)
            .field("overflow", &self.overflow)
            .finish_non_exhaustive()
    }
}

impl HubBuilder {
    /// The replay log (default: [`MemoryLog::default`]).
    ///
    /// ```
    /// let hub = sse_layer::hub::Hub::builder()
    ///     .replay(sse_layer::replay::MemoryLog::new(100, 64 * 1024))
    ///     .build();
    /// # let _ = hub;
    /// ```
    pub fn replay(mut self, log: impl ReplayLog) -> Self {
        self.log = Some(Box::new(log));
        self
    }

    /// A shared engine: instances that share it share one order and one history, so an
    /// event published on any of them reaches the subscribers of all of them, and a
    /// client resumes on any of them (see [`Hub`]). Without one, the hub keeps its events
    /// in memory ([`replay`](Self::replay)). This is the one line that moves an
    /// application from one instance to many.
    ///
    /// The hub's writer and follower run as tasks on the tokio runtime, started when the
    /// hub is built inside one (or else at its first use inside one), until the last
    /// clone of the hub is dropped. Then its subscriptions end too (once they have sent
    /// what they queued): keep a clone for as long as the server serves them.
    ///
    /// ```no_run
    /// # #[cfg(feature = "redis")]
    /// # fn build() -> Result<(), sse_layer::replay::LogError> {
    /// use sse_layer::hub::Hub;
    /// use sse_layer::replay::RedisLog;
    ///
    /// let hub = Hub::builder()
    ///     .engine(RedisLog::builder("redis://127.0.0.1:6379/").name("orders").build()?)
    ///     .build();
    /// # let _ = hub;
    /// # Ok(())
    /// # }
    /// ```
    pub fn engine(mut self, engine: impl Engine) -> Self {
        self.engine = Some(Arc::new(engine));
        self
    }

    /// With a shared engine: how many recent events each instance keeps in memory to
    /// serve resumes without asking the engine (default: 1,000 events, 1 MiB).
    ///
    /// ```
    /// let builder = sse_layer::hub::Hub::builder().window(10_000, 8 << 20);
    /// # let _ = builder;
    /// ```
    pub fn window(mut self, max_events: usize, max_bytes: usize) -> Self {
        self.window = (max_events, max_bytes);
        self
    }

    /// With a shared engine: how long one read of the follower waits for new events
    /// before it checks the engine's epoch (default: 1 s). It bounds how late a loss of
    /// the engine's data is noticed on a quiet log.
    ///
    /// ```
    /// let builder = sse_layer::hub::Hub::builder()
    ///     .follow_wait(std::time::Duration::from_millis(250));
    /// # let _ = builder;
    /// ```
    pub fn follow_wait(mut self, wait: Duration) -> Self {
        self.follow_wait = wait;
        self
    }

    /// Each subscriber's bounds (default: 512 events, 512 KiB).
    ///
    /// ```
    /// use sse_layer::hub::{Hub, QueueLimits};
    /// let hub = Hub::builder().queue_limits(QueueLimits { events: 16, bytes: 4096 }).build();
    /// # let _ = hub;
    /// ```
    pub fn queue_limits(mut self, limits: QueueLimits) -> Self {
        self.limits = limits;
        self
    }

    /// What a full queue does (default: [`Overflow::Disconnect`]).
    ///
    /// ```
    /// use sse_layer::hub::{Hub, Overflow};
    /// let hub = Hub::builder().overflow(Overflow::DropOldest).build();
    /// # let _ = hub;
    /// ```
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// The event that starts a stream whose `Last-Event-ID` cannot be resumed from, or
    /// that a stream gets when a shared engine lost events it had delivered (default:
    /// `event: reset` with `data: {"reason":"expired"}`, `{"reason":"unknown"}` or
    /// `{"reason":"lost"}`). The hub sets its id, replacing any: the newest event's, or
    /// for `lost` the last one that survived.
    ///
    /// ```
    /// use sse_layer::hub::Hub;
    /// use sse_layer::Event;
    /// let hub = Hub::builder()
    ///     .reset_event(|reason| Event::new().event(sse_layer::event_name!("resync")).data(reason.as_str()))
    ///     .build();
    /// # let _ = hub;
    /// ```
    pub fn reset_event<F>(mut self, make_event: F) -> Self
    where
        F: Fn(ResetReason) -> Event + Send + Sync + 'static,
    {
        self.reset_event = Arc::new(make_event);
        self
    }

    /// The hub.
    pub fn build(mut self) -> Hub {
        match self.engine.take() {
            None => Hub {
                local: self.build_local(false),
                engine: None,
            },
            Some(engine) => {
                let follower = FollowerConfig {
                    window: self.window,
                    wait: self.follow_wait,
                };
                let local = self.build_local(true);
                let link = EngineLink::new(local.clone(), engine, follower);
                Hub {
                    local,
                    engine: Some(Arc::new(link)),
                }
            }
        }
    }

    /// The delivery core: over its own log, or (with an engine) over a window that the
    /// follower fills.
    pub(super) fn build_local(self, windowed: bool) -> Local {
        Local {
            core: Arc::new(Core {
                live: AtomicUsize::new(0),
                gone: AtomicUsize::new(0),
                state: Mutex::new(State {
                    log: if windowed {
                        Log::Window(Window::unsynced())
                    } else {
                        Log::Local(self.log.unwrap_or_else(|| Box::new(MemoryLog::default())))
                    },
                    topics: HashMap::new(),
                    everything: Vec::new(),
                    once: OnceKeys::default(),
                }),
                limits: self.limits,
                overflow: self.overflow,
                reset_event: self.reset_event,
                metrics: HubMetrics::new(),
            }),
        }
    }
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    /// A hub with the defaults: a [`MemoryLog`](crate::replay::MemoryLog) of 1,000 events / 1 MiB, queues of 512
    /// events / 512 KiB, and [`Overflow::Disconnect`].
    ///
    /// ```
    /// let hub = sse_layer::hub::Hub::new();
    /// assert_eq!(hub.subscribers(), 0);
    /// ```
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Configures a hub.
    ///
    /// ```
    /// use sse_layer::hub::{Hub, Overflow, QueueLimits};
    /// use sse_layer::replay::MemoryLog;
    ///
    /// let hub = Hub::builder()
    ///     .replay(MemoryLog::new(10_000, 8 << 20))
    ///     .queue_limits(QueueLimits { events: 128, bytes: 128 * 1024 })
    ///     .overflow(Overflow::DropOldest)
    ///     .build();
    /// # let _ = hub;
    /// ```
    pub fn builder() -> HubBuilder {
        HubBuilder::default()
    }
}
