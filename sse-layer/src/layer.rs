//! [`SseLayer`]: the configuration, with documented defaults that are safe in production.

use std::borrow::Cow;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use tower::Layer;

use crate::cors::SseCors;
use crate::service::SseService;
use crate::{BoxError, Event};

/// The default idle time before a heartbeat comment: well under the 60 s idle timeouts of
/// nginx and AWS ALB, and Cloudflare's ~100 s.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(15);

type ErrorEventFn = dyn Fn(&BoxError) -> Event + Send + Sync;

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
#[derive(Clone)]
pub struct SseLayer {
    pub(crate) config: Arc<Config>,
    pub(crate) cors: Option<SseCors>,
}

/// What every stream of one layer shares.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) heartbeat: Option<Duration>,
    pub(crate) heartbeat_comment: Bytes,
    pub(crate) retry: Option<Duration>,
    pub(crate) retry_jitter: Duration,
    pub(crate) last_event_id_query: Option<Cow<'static, str>>,
    pub(crate) on_error: Arc<ErrorEventFn>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            heartbeat: Some(DEFAULT_HEARTBEAT),
            heartbeat_comment: Bytes::from_static(b":\n"),
            retry: None,
            retry_jitter: Duration::ZERO,
            last_event_id_query: None,
            on_error: Arc::new(|_| default_error_event()),
        }
    }
}

fn default_error_event() -> Event {
    Event::new()
        .event("error")
        .expect("a static, valid event type")
        .data("stream error")
}

impl Config {
    /// The first bytes of every stream: the `retry:` hint (with its jitter) or an empty
    /// comment, so headers and a byte reach the client before the first event.
    ///
    /// A line, not a block: no blank line follows, because fetch-event-source surfaces
    /// every blank line as a message and httpx-sse every block with a `retry`, both with
    /// empty data (which breaks `JSON.parse(data)` in clients). The line simply joins the
    /// first event's block, where every client handles it.
    pub(crate) fn prelude(&self) -> Bytes {
        let Some(retry) = self.retry else {
            return Bytes::from_static(b":\n");
        };
        let jitter_ms = self.retry_jitter.as_millis();
        let retry_ms = retry.as_millis()
            + if jitter_ms == 0 {
                0
            } else {
                // RandomState is seeded randomly per instance: jitter without a rand crate.
                u128::from(RandomState::new().build_hasher().finish()) % (jitter_ms + 1)
            };
        let mut buf = BytesMut::with_capacity(32);
        buf.extend_from_slice(b"retry: ");
        crate::encode::write_decimal(&mut buf, retry_ms);
        buf.put_u8(b'\n');
        buf.freeze()
    }
}

impl fmt::Debug for SseLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SseLayer")
            .field("heartbeat", &self.config.heartbeat)
            .field("retry", &self.config.retry)
            .field("retry_jitter", &self.config.retry_jitter)
            .field("last_event_id_query", &self.config.last_event_id_query)
            .field("cors", &self.cors)
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
    ///     Event::new().event("error").unwrap().data(r#"{"message":"try again"}"#)
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
}

impl<S> Layer<S> for SseLayer {
    type Service = SseService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SseService::new(inner, self.config.clone(), self.cors.as_ref())
    }
}
