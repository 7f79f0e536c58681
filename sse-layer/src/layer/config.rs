//! What every stream of one layer shares: the settings and their defaults, the first
//! bytes of a stream, its lifetime, and the default events. Everything else in `layer/`
//! imports this; it imports none of them.

use std::borrow::Cow;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use tokio::sync::Semaphore;

use crate::error::BoxError;
use crate::event::Event;
use crate::lifecycle::{Disconnect, Shutdown};
use crate::metrics::StreamMetrics;

/// The default idle time before a heartbeat comment: well under the 60 s idle timeouts of
/// nginx and AWS ALB, and Cloudflare's ~100 s.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(15);

pub(crate) type ErrorEventFn = dyn Fn(&BoxError) -> Event + Send + Sync;
pub(crate) type FinalEventFn = dyn Fn() -> Event + Send + Sync;
pub(crate) type DisconnectFn = dyn Fn(&Disconnect) + Send + Sync;

/// What every stream of one layer shares.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) heartbeat: Option<Duration>,
    pub(crate) heartbeat_comment: Bytes,
    pub(crate) retry: Option<Duration>,
    pub(crate) retry_jitter: Duration,
    pub(crate) last_event_id_query: Option<Cow<'static, str>>,
    pub(crate) on_error: Arc<ErrorEventFn>,
    pub(crate) shutdown: Option<ShutdownConfig>,
    /// `None`: [`default_shutdown_event`].
    pub(crate) shutdown_event: Option<Arc<FinalEventFn>>,
    pub(crate) max_lifetime: Option<(Duration, Duration)>,
    pub(crate) max_streams: Option<StreamCap>,
    pub(crate) on_disconnect: Option<Arc<DisconnectFn>>,
    pub(crate) metrics: StreamMetrics,
}

#[derive(Clone)]
pub(crate) struct ShutdownConfig {
    pub(crate) signal: Shutdown,
    pub(crate) grace: Duration,
}

/// The cap on concurrent streams; clones of a layer share it.
#[derive(Clone)]
pub(crate) struct StreamCap {
    pub(crate) permits: Arc<Semaphore>,
    pub(crate) retry_after: Duration,
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
            shutdown: None,
            shutdown_event: None,
            max_lifetime: None,
            max_streams: None,
            on_disconnect: None,
            metrics: StreamMetrics::new(),
        }
    }
}

fn default_error_event() -> Event {
    Event::new()
        .event(crate::event_name!("error"))
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
    ///
    /// `retry` is the stream's own (the layer's unless the response overrode it).
    pub(crate) fn prelude(&self, retry: Option<Duration>) -> Bytes {
        let Some(retry) = retry else {
            return Bytes::from_static(b":\n");
        };
        let jitter_ms = self.retry_jitter.as_millis();
        let retry_ms = retry.as_millis() + random_up_to(jitter_ms);
        let mut buf = BytesMut::with_capacity(32);
        buf.extend_from_slice(b"retry: ");
        crate::encode::write_decimal(&mut buf, retry_ms);
        buf.put_u8(b'\n');
        buf.freeze()
    }

    /// How long this stream may live: the maximum lifetime plus its random jitter.
    pub(crate) fn lifetime(&self) -> Option<Duration> {
        let (life, jitter) = self.max_lifetime?;
        let extra = random_up_to(jitter.as_millis());
        Some(life + Duration::from_millis(u64::try_from(extra).unwrap_or(u64::MAX)))
    }
}

/// A random number in `0..=max`. RandomState is seeded randomly per instance: jitter
/// without a rand crate.
fn random_up_to(max: u128) -> u128 {
    if max == 0 {
        return 0;
    }
    u128::from(RandomState::new().build_hasher().finish()) % (max + 1)
}

/// The default final event of a shutdown: `event: shutdown`, a `retry:` hint (the
/// stream's retry, else 5 s, plus the layer's jitter) and `data: {"reason":"shutdown"}`.
pub(crate) fn default_shutdown_event(config: &Config, retry: Option<Duration>) -> Event {
    let retry = retry.unwrap_or(Duration::from_secs(5));
    let jitter = random_up_to(config.retry_jitter.as_millis());
    Event::new()
        .event(crate::event_name!("shutdown"))
        .retry(retry + Duration::from_millis(u64::try_from(jitter).unwrap_or(0)))
        .data(r#"{"reason":"shutdown"}"#)
}
