//! [`HubBuilder`]: a hub's replay log, queue bounds, overflow policy and reset event.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};

use super::hub::Hub;
use super::queue::{Overflow, QueueLimits};
use super::state::{Log, OnceKeys, ResetEventFn, Shared, State};
use crate::event::Event;
use crate::metrics::HubMetrics;
use crate::replay::window::Window;
use crate::replay::{MemoryLog, ReplayLog, ResetReason};

/// Configures a [`Hub`]; see [`Hub::builder`].
pub struct HubBuilder {
    log: Option<Box<dyn ReplayLog>>,
    /// A shared hub's window, in place of a log of its own.
    window: Option<Window>,
    limits: QueueLimits,
    overflow: Overflow,
    reset_event: Arc<ResetEventFn>,
}

impl Default for HubBuilder {
    fn default() -> Self {
        Self {
            log: None,
            window: None,
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

    /// A hub over a shared log: the window of it the follower keeps.
    pub(crate) fn window(mut self, window: Window) -> Self {
        self.window = Some(window);
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
    pub fn build(self) -> Hub {
        Hub {
            shared: Arc::new(Shared {
                live: AtomicUsize::new(0),
                gone: AtomicUsize::new(0),
                state: Mutex::new(State {
                    log: match self.window {
                        Some(window) => Log::Window(window),
                        None => {
                            Log::Local(self.log.unwrap_or_else(|| Box::new(MemoryLog::default())))
                        }
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
