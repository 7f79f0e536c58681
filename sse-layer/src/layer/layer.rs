//! [`SseLayer`]: the configuration, with documented defaults that are safe in production.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tower::Layer;

use super::config::{Config, ShutdownConfig, StreamCap};
use super::service::SseService;
use crate::cors::SseCors;
use crate::error::BoxError;
use crate::event::Event;
use crate::lifecycle::{Disconnect, Shutdown};

/// Adds the transport rules of Server-Sent Events to any tower service.
///
/// The inner service only produces events ([`EventStream`](crate::EventStream), or any
/// `200 text/event-stream` response); the layer owns the rest: headers, the first byte,
/// heartbeats, error events, `Last-Event-ID` and CORS. Other responses (401, 204, 404…)
/// pass through untouched except for CORS headers.
///
/// ```
/// use std::time::Duration;
/// use sse_layer::{SseCors, SseLayer};
///
/// let layer = SseLayer::new()
///     .heartbeat(Duration::from_secs(10))
///     .retry(Duration::from_secs(3))
///     .cors(SseCors::allow_origins(["https://app.example"])?.allow_credentials());
/// # let _ = layer;
/// # Ok::<(), sse_layer::InvalidOrigin>(())
/// ```
///
/// | setting | default |
/// |---|---|
/// | [`heartbeat`](Self::heartbeat) | a `:` comment line after 15 s without a write |
/// | [`retry`](Self::retry) | not sent (browsers wait about 3 s) |
/// | [`on_error`](Self::on_error) | `event: error` / `data: stream error`, then the end |
/// | [`last_event_id_query`](Self::last_event_id_query) | off: only the header is read |
/// | [`cors`](Self::cors) | off: no CORS headers, `OPTIONS` reaches the service |
/// | [`shutdown`](Self::shutdown) | off: streams end only when their events do |
/// | [`max_lifetime`](Self::max_lifetime) | none |
/// | [`max_streams`](Self::max_streams) | no cap |
/// | [`on_disconnect`](Self::on_disconnect) | none (metrics and `tracing` still see every end) |
///
/// Metrics go through the `metrics` facade (names in [`sse_layer::metrics`](crate::metrics)); install
/// the recorder before building the layer. Each stream has a `tracing` span, `sse_stream`.
#[derive(Clone)]
pub struct SseLayer {
    pub(crate) config: Arc<Config>,
    pub(crate) cors: Option<SseCors>,
}

impl fmt::Debug for SseLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SseLayer")
            .field("heartbeat", &self.config.heartbeat)
            .field("retry", &self.config.retry)
            .field("retry_jitter", &self.config.retry_jitter)
            .field("last_event_id_query", &self.config.last_event_id_query)
            .field("cors", &self.cors)
            .field("max_lifetime", &self.config.max_lifetime)
            .field(
                "shutdown",
                &self.config.shutdown.as_ref().map(|shutdown| shutdown.grace),
            )
            .finish_non_exhaustive()
    }
}

impl Default for SseLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl SseLayer {
    /// A layer with the defaults in the table above.
    pub fn new() -> Self {
        Self {
            config: Arc::new(Config::default()),
            cors: None,
        }
    }

    fn config_mut(&mut self) -> &mut Config {
        // Copy-on-write: a clone of a configured layer can be changed on its own.
        Arc::make_mut(&mut self.config)
    }

    /// Sends a heartbeat comment after `idle` without any write. The timer restarts on
    /// every event, so a busy stream carries no heartbeat bytes at all.
    ///
    /// ```
    /// let layer = sse_layer::SseLayer::new().heartbeat(std::time::Duration::from_secs(5));
    /// # let _ = layer;
    /// ```
    pub fn heartbeat(mut self, idle: Duration) -> Self {
        self.config_mut().heartbeat = Some(idle).filter(|idle| !idle.is_zero());
        self
    }

    /// No heartbeats (for tests, or when something else keeps the connection alive).
    ///
    /// ```
    /// let layer = sse_layer::SseLayer::new().no_heartbeat();
    /// # let _ = layer;
    /// ```
    pub fn no_heartbeat(mut self) -> Self {
        self.config_mut().heartbeat = None;
        self
    }

    /// The text of the heartbeat comment (default: empty). Line breaks make several lines.
    /// Heartbeats are comment lines with no blank line after them, so no client ever sees
    /// them as a message.
    ///
    /// ```
    /// let layer = sse_layer::SseLayer::new().heartbeat_comment("ping");
    /// # let _ = layer;
    /// ```
    pub fn heartbeat_comment(mut self, text: impl Into<Cow<'static, str>>) -> Self {
        self.config_mut().heartbeat_comment = crate::encode::comment_lines(&text.into());
        self
    }

    /// Sends `retry: <ms>` as the first bytes of every stream: how long the client waits
    /// before it reconnects.
    ///
    /// ```
    /// let layer = sse_layer::SseLayer::new().retry(std::time::Duration::from_secs(2));
    /// # let _ = layer;
    /// ```
    pub fn retry(mut self, retry: Duration) -> Self {
        self.config_mut().retry = Some(retry);
        self
    }

    /// Adds a random 0..=`jitter` to each stream's `retry:` hint, so that clients cut off
    /// together (a deploy, a proxy restart) do not all come back in the same instant.
    ///
    /// ```
    /// use std::time::Duration;
    /// let layer = sse_layer::SseLayer::new()
    ///     .retry(Duration::from_secs(2))
    ///     .retry_jitter(Duration::from_secs(1));
    /// # let _ = layer;
    /// ```
    pub fn retry_jitter(mut self, jitter: Duration) -> Self {
        self.config_mut().retry_jitter = jitter;
        self
    }

    /// Also reads the last event id from this query parameter (e.g. `lastEventId`, which
    /// EventSource polyfills send). The `Last-Event-ID` header wins when both are present.
    ///
    /// ```
    /// let layer = sse_layer::SseLayer::new().last_event_id_query("lastEventId");
    /// # let _ = layer;
    /// ```
    pub fn last_event_id_query(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.config_mut().last_event_id_query = Some(name.into());
        self
    }

    /// The event sent when the event stream fails; the stream then ends. It is only
    /// written between events, never inside one.
    ///
    /// ```
    /// use sse_layer::{Event, SseLayer};
    /// let layer = SseLayer::new().on_error(|_error| {
    ///     Event::new().event(sse_layer::event_name!("error")).data(r#"{"message":"try again"}"#)
    /// });
    /// # let _ = layer;
    /// ```
    pub fn on_error<F>(mut self, make_event: F) -> Self
    where
        F: Fn(&BoxError) -> Event + Send + Sync + 'static,
    {
        self.config_mut().on_error = Arc::new(make_event);
        self
    }

    /// Answers CORS (and its preflight) for browsers on other origins.
    ///
    /// ```
    /// let layer = sse_layer::SseLayer::new().cors(sse_layer::SseCors::any_origin());
    /// # let _ = layer;
    /// ```
    pub fn cors(mut self, cors: SseCors) -> Self {
        self.cors = Some(cors);
        self
    }

    /// Ends every stream when `signal` is triggered: each finishes the event it is
    /// writing, sends a final event with a `retry:` hint (see
    /// [`shutdown_event`](Self::shutdown_event)) and ends, within `grace` at most. A
    /// stream that cannot reach an event boundary in time (a raw body stuck mid-event)
    /// ends without the final event; clients discard the half event.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sse_layer::{lifecycle::Shutdown, SseLayer};
    ///
    /// let shutdown = Shutdown::new();
    /// let layer = SseLayer::new().shutdown(shutdown.clone(), Duration::from_secs(5));
    /// // hyper_util's GracefulShutdown (or axum's with_graceful_shutdown) then completes
    /// // once `shutdown.trigger()` has run, instead of waiting for endless streams.
    /// # let _ = layer;
    /// ```
    pub fn shutdown(mut self, signal: Shutdown, grace: Duration) -> Self {
        self.config_mut().shutdown = Some(ShutdownConfig { signal, grace });
        self
    }

    /// The final event of a shutdown (default: `event: shutdown`, `retry:` the layer's
    /// retry or 5 s plus its jitter, `data: {"reason":"shutdown"}`). Give it a `retry`
    /// so clients come back when the new instance is up. Used once
    /// [`shutdown`](Self::shutdown) is configured (in either order).
    ///
    /// ```
    /// use std::time::Duration;
    /// use sse_layer::{lifecycle::Shutdown, Event, SseLayer};
    ///
    /// let layer = SseLayer::new()
    ///     .shutdown(Shutdown::new(), Duration::from_secs(5))
    ///     .shutdown_event(|| Event::new().retry(Duration::from_secs(10)).data("bye"));
    /// # let _ = layer;
    /// ```
    pub fn shutdown_event<F>(mut self, make_event: F) -> Self
    where
        F: Fn() -> Event + Send + Sync + 'static,
    {
        self.config_mut().shutdown_event = Some(Arc::new(make_event));
        self
    }

    /// Ends each stream after `life` plus a random 0..=`jitter`, at an event boundary.
    /// The client reconnects (resuming with `Last-Event-ID`), which spreads connections
    /// across instances after a deploy and re-checks authentication now and then. A raw
    /// body stuck in the middle of an event is ended anyway after the shutdown grace
    /// period (10 s without [`shutdown`](Self::shutdown)); clients discard the half event.
    ///
    /// ```
    /// use std::time::Duration;
    /// let layer = sse_layer::SseLayer::new()
    ///     .max_lifetime(Duration::from_secs(30 * 60), Duration::from_secs(5 * 60));
    /// # let _ = layer;
    /// ```
    pub fn max_lifetime(mut self, life: Duration, jitter: Duration) -> Self {
        self.config_mut().max_lifetime = Some((life, jitter));
        self
    }

    /// At most `streams` event streams open at once, across every service made from this
    /// layer (and its clones). One more gets `503 Service Unavailable` with
    /// `Retry-After: <retry_after in seconds>` instead of being accepted without limit.
    ///
    /// Native `EventSource` does not retry after a 503 (nor after any non-200); clients
    /// built on fetch (fetch-event-source, most SDKs) read `Retry-After` and do.
    ///
    /// ```
    /// use std::time::Duration;
    /// let layer = sse_layer::SseLayer::new().max_streams(10_000, Duration::from_secs(5));
    /// # let _ = layer;
    /// ```
    pub fn max_streams(mut self, streams: usize, retry_after: Duration) -> Self {
        self.config_mut().max_streams = Some(StreamCap {
            permits: Arc::new(Semaphore::new(streams.min(Semaphore::MAX_PERMITS))),
            retry_after,
        });
        self
    }

    /// Called once for every stream that ends, with why ([`Disconnect`]).
    ///
    /// ```
    /// use sse_layer::{lifecycle::DisconnectReason, SseLayer};
    /// let layer = SseLayer::new().on_disconnect(|disconnect| {
    ///     if disconnect.reason == DisconnectReason::Slow {
    ///         eprintln!("{} was too slow after {:?}", disconnect.path, disconnect.open_for);
    ///     }
    /// });
    /// # let _ = layer;
    /// ```
    pub fn on_disconnect<F>(mut self, hook: F) -> Self
    where
        F: Fn(&Disconnect) + Send + Sync + 'static,
    {
        self.config_mut().on_disconnect = Some(Arc::new(hook));
        self
    }
}

impl<S> Layer<S> for SseLayer {
    type Service = SseService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SseService::new(inner, self.config.clone(), self.cors.as_ref())
    }
}
