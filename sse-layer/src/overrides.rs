//! [`StreamOverrides`]: one response's own heartbeat and `retry:` hint, in place of the
//! layer's.
//!
//! The layer's settings suit the streams a client reconnects to (a ticker, a feed). A
//! stream that answers one request, such as `POST /chat`, should not tell browsers how
//! soon to reconnect, and may want a shorter heartbeat while a model thinks. The response
//! carries the difference in its extensions, where the layer reads it.

use std::time::Duration;

/// One response's heartbeat and `retry:` hint, overriding [`SseLayer`](crate::SseLayer)'s
/// for that stream only. Whatever is not set keeps the layer's setting.
///
/// Set it through [`EventStream`](crate::EventStream) or
/// [`Subscription`](crate::hub::Subscription), or insert it into the extensions of any
/// `text/event-stream` response:
///
/// ```
/// use std::time::Duration;
/// use sse_layer::{Event, EventStream, StreamOverrides};
///
/// let answer = futures_util::stream::iter([Event::new().data("done")]);
/// // No reconnect hint for a one-shot answer, and a heartbeat every 5 s while it thinks:
/// let response = EventStream::new(answer)
///     .no_retry()
///     .heartbeat(Duration::from_secs(5))
///     .into_http_response();
/// let overrides = response.extensions().get::<StreamOverrides>().unwrap();
/// assert_eq!(overrides.retry_setting(), Some(None));
///
/// // The same for a body the layer did not make:
/// let mut raw = http::Response::new(());
/// raw.extensions_mut().insert(StreamOverrides::new().no_heartbeat());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamOverrides {
    heartbeat: Option<Option<Duration>>,
    retry: Option<Option<Duration>>,
}

impl StreamOverrides {
    /// Nothing overridden: the layer's settings.
    pub const fn new() -> Self {
        Self {
            heartbeat: None,
            retry: None,
        }
    }

    /// A heartbeat comment after `idle` without a write (zero: none).
    #[must_use]
    pub const fn heartbeat(mut self, idle: Duration) -> Self {
        self.heartbeat = Some(if idle.is_zero() { None } else { Some(idle) });
        self
    }

    /// No heartbeat on this stream.
    #[must_use]
    pub const fn no_heartbeat(mut self) -> Self {
        self.heartbeat = Some(None);
        self
    }

    /// `retry: <ms>` as this stream's first line (the layer's jitter still applies).
    #[must_use]
    pub const fn retry(mut self, retry: Duration) -> Self {
        self.retry = Some(Some(retry));
        self
    }

    /// No `retry:` line on this stream: an empty comment opens it instead.
    #[must_use]
    pub const fn no_retry(mut self) -> Self {
        self.retry = Some(None);
        self
    }

    /// True when nothing is overridden.
    pub const fn is_empty(&self) -> bool {
        self.heartbeat.is_none() && self.retry.is_none()
    }

    /// The heartbeat setting: `None` keeps the layer's, `Some(None)` turns it off.
    pub const fn heartbeat_setting(&self) -> Option<Option<Duration>> {
        self.heartbeat
    }

    /// The retry setting: `None` keeps the layer's, `Some(None)` sends none.
    pub const fn retry_setting(&self) -> Option<Option<Duration>> {
        self.retry
    }

    /// Puts these overrides into a response's extensions, unless there are none.
    pub(crate) fn attach(self, extensions: &mut http::Extensions) {
        if !self.is_empty() {
            extensions.insert(self);
        }
    }
}

/// The four per-response setters, as inherent methods of a body type with an
/// `overrides: StreamOverrides` field ([`EventStream`](crate::EventStream) and
/// [`Subscription`](crate::hub::Subscription)): no trait to import.
macro_rules! override_setters {
    () => {
        /// This stream's heartbeat, in place of the layer's: a comment after `idle`
        /// without a write (zero: none). See [`StreamOverrides`](crate::StreamOverrides).
        #[must_use]
        pub fn heartbeat(mut self, idle: std::time::Duration) -> Self {
            self.overrides = self.overrides.heartbeat(idle);
            self
        }

        /// No heartbeat on this stream, whatever the layer's.
        #[must_use]
        pub fn no_heartbeat(mut self) -> Self {
            self.overrides = self.overrides.no_heartbeat();
            self
        }

        /// This stream's `retry:` hint, in place of the layer's.
        #[must_use]
        pub fn retry(mut self, retry: std::time::Duration) -> Self {
            self.overrides = self.overrides.retry(retry);
            self
        }

        /// No `retry:` hint on this stream, whatever the layer's: for an answer to one
        /// request (`POST /chat`), which a client should not reconnect to.
        #[must_use]
        pub fn no_retry(mut self) -> Self {
            self.overrides = self.overrides.no_retry();
            self
        }
    };
}

pub(crate) use override_setters;
