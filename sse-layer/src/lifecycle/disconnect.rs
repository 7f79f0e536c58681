//! Why a stream ended, observable: [`DisconnectReason`], the [`Disconnect`] report the
//! layer's `on_disconnect` hook receives, and [`EndReason`], through which a body tells
//! the layer why it ended.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Why a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The handler's events ran out: the stream ended normally.
    Completed,
    /// The client went away: it closed the connection or cancelled the request.
    ClientGone,
    /// The stream reached its maximum lifetime; the client reconnects and resumes.
    Lifetime,
    /// The client read too slowly: its queue overflowed, or a write missed its deadline.
    Slow,
    /// The server is shutting down.
    Shutdown,
    /// The event stream failed.
    Error,
}

impl DisconnectReason {
    /// A short, stable name (`completed`, `client_gone`, `lifetime`, `slow`, `shutdown`,
    /// `error`), used as the `reason` label of metrics.
    ///
    /// ```
    /// assert_eq!(sse_layer::lifecycle::DisconnectReason::Slow.as_str(), "slow");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::ClientGone => "client_gone",
            Self::Lifetime => "lifetime",
            Self::Slow => "slow",
            Self::Shutdown => "shutdown",
            Self::Error => "error",
        }
    }
}

/// What the layer knows about a stream that just ended, given to
/// [`SseLayer::on_disconnect`](crate::SseLayer::on_disconnect).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Disconnect {
    /// Why it ended.
    pub reason: DisconnectReason,
    /// How long it was open.
    pub open_for: Duration,
    /// Bytes of the stream handed to the server (events, heartbeats, the final event).
    pub bytes: u64,
    /// The request's path, for telling streams apart.
    pub path: String,
}

/// A one-time slot in which a response body records why it ended, for the layer to
/// report. Put a clone in the response's extensions; [`Subscription`] does.
///
/// [`Subscription`]: crate::hub::Subscription
///
/// ```
/// use sse_layer::lifecycle::{DisconnectReason, EndReason};
///
/// let reason = EndReason::default();
/// reason.set(DisconnectReason::Slow);
/// reason.set(DisconnectReason::Completed); // the first reason stays
/// assert_eq!(reason.get(), Some(DisconnectReason::Slow));
/// ```
#[derive(Debug, Clone, Default)]
pub struct EndReason(Arc<OnceLock<DisconnectReason>>);

impl EndReason {
    /// Records `reason` unless one was recorded already.
    pub fn set(&self, reason: DisconnectReason) {
        let _ = self.0.set(reason);
    }

    /// The recorded reason, if any.
    pub fn get(&self) -> Option<DisconnectReason> {
        self.0.get().copied()
    }
}
