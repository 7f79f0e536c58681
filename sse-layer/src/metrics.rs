//! The metric names, as public constants, and the handles the layer and the hub resolve
//! once rather than per event.
//!
//! Everything goes through the [`metrics`](https://docs.rs/metrics) facade: install any
//! recorder (Prometheus, StatsD, …) *before* building the layer and the hub, because they
//! resolve their handles when built. Use the constants to find the series in your
//! recorder or your dashboards' tests:
//!
//! ```
//! use sse_layer::metrics::{DISCONNECTS, REASON};
//! assert_eq!((DISCONNECTS, REASON), ("sse_disconnects_total", "reason"));
//! ```
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | [`STREAMS_OPENED`] | counter | | event streams started |
//! | [`STREAMS_OPEN`] | gauge | | event streams open now |
//! | [`STREAMS_REJECTED`] | counter | | streams refused with 503 by `max_streams` |
//! | [`STREAM_BYTES`] | counter | | bytes of streams handed to the server |
//! | [`HEARTBEATS`] | counter | | heartbeat comments sent |
//! | [`DISCONNECTS`] | counter | [`REASON`] | ended streams, by [`DisconnectReason`] |
//! | [`EVENTS_SENT`] | counter | | events sent by `EventStream` and hub subscriptions |
//! | [`HUB_PUBLISHED`] | counter | | events published to a hub |
//! | [`HUB_SUBSCRIBERS`] | gauge | | hub subscriptions open now |
//! | [`HUB_DROPPED_EVENTS`] | counter | [`REASON`] | `drop_oldest`, `coalesced`, `disconnected` (one per cut-off subscriber) |
//! | [`REPLAY`] | counter | [`OUTCOME`] | resumes: `hit`, or a reset for `expired` / `unknown` / `lost` (at a stream's start or in it) |
//! | [`HUB_QUEUE_DEPTH`] | histogram | | events waiting for a subscriber, seen at each write |

/// Counter: event streams started.
pub const STREAMS_OPENED: &str = "sse_streams_opened_total";
/// Gauge: event streams open now.
pub const STREAMS_OPEN: &str = "sse_streams_open";
/// Counter: streams refused with a 503 by [`SseLayer::max_streams`](crate::SseLayer::max_streams).
pub const STREAMS_REJECTED: &str = "sse_streams_rejected_total";
/// Counter: bytes of streams handed to the server.
pub const STREAM_BYTES: &str = "sse_stream_bytes_total";
/// Counter: heartbeat comments sent.
pub const HEARTBEATS: &str = "sse_heartbeats_total";
/// Counter, labelled [`REASON`]: ended streams, by
/// [`DisconnectReason::as_str`](crate::lifecycle::DisconnectReason::as_str).
pub const DISCONNECTS: &str = "sse_disconnects_total";
/// Counter: events sent by [`EventStream`](crate::EventStream) and hub subscriptions.
pub const EVENTS_SENT: &str = "sse_events_sent_total";
/// Counter: events published to a hub.
pub const HUB_PUBLISHED: &str = "sse_hub_published_total";
/// Gauge: hub subscriptions open now.
pub const HUB_SUBSCRIBERS: &str = "sse_hub_subscribers";
/// Counter, labelled [`REASON`]: events a subscriber did not get: `drop_oldest`,
/// `coalesced`, or `disconnected` (one per subscriber cut off for being slow).
pub const HUB_DROPPED_EVENTS: &str = "sse_hub_dropped_events_total";
/// Counter, labelled [`OUTCOME`]: resumes: `hit`, or a reset event for `expired`,
/// `unknown` or `lost` (`lost` also counts reset events sent inside open streams when a
/// shared engine lost events they had delivered).
pub const REPLAY: &str = "sse_replay_total";
/// Histogram: events waiting for a subscriber, seen at each write.
pub const HUB_QUEUE_DEPTH: &str = "sse_hub_queue_depth";
/// The label of [`DISCONNECTS`] and [`HUB_DROPPED_EVENTS`].
pub const REASON: &str = "reason";
/// The label of [`REPLAY`].
pub const OUTCOME: &str = "outcome";

use metrics::{counter, gauge, histogram, Counter, Gauge, Histogram};

use crate::lifecycle::DisconnectReason;

/// The layer's handles, one set per layer.
#[derive(Clone)]
pub(crate) struct StreamMetrics {
    pub(crate) opened: Counter,
    pub(crate) open: Gauge,
    pub(crate) rejected: Counter,
    pub(crate) bytes: Counter,
    pub(crate) heartbeats: Counter,
    disconnects: [Counter; 6],
}

impl StreamMetrics {
    pub(crate) fn new() -> Self {
        let reason = |reason: DisconnectReason| counter!(DISCONNECTS, REASON => reason.as_str());
        Self {
            opened: counter!(STREAMS_OPENED),
            open: gauge!(STREAMS_OPEN),
            rejected: counter!(STREAMS_REJECTED),
            bytes: counter!(STREAM_BYTES),
            heartbeats: counter!(HEARTBEATS),
            disconnects: [
                reason(DisconnectReason::Completed),
                reason(DisconnectReason::ClientGone),
                reason(DisconnectReason::Lifetime),
                reason(DisconnectReason::Slow),
                reason(DisconnectReason::Shutdown),
                reason(DisconnectReason::Error),
            ],
        }
    }

    pub(crate) fn disconnected(&self, reason: DisconnectReason) {
        let index = match reason {
            DisconnectReason::Completed => 0,
            DisconnectReason::ClientGone => 1,
            DisconnectReason::Lifetime => 2,
            DisconnectReason::Slow => 3,
            DisconnectReason::Shutdown => 4,
            DisconnectReason::Error => 5,
        };
        self.disconnects[index].increment(1);
    }
}

/// A hub's handles.
pub(crate) struct HubMetrics {
    pub(crate) published: Counter,
    pub(crate) subscribers: Gauge,
    pub(crate) dropped_oldest: Counter,
    pub(crate) coalesced: Counter,
    pub(crate) disconnected: Counter,
    pub(crate) replay_hit: Counter,
    pub(crate) replay_expired: Counter,
    pub(crate) replay_unknown: Counter,
    pub(crate) replay_lost: Counter,
    pub(crate) queue_depth: Histogram,
    pub(crate) events_sent: Counter,
}

impl HubMetrics {
    pub(crate) fn new() -> Self {
        let dropped = |reason: &'static str| counter!(HUB_DROPPED_EVENTS, REASON => reason);
        let replay = |outcome: &'static str| counter!(REPLAY, OUTCOME => outcome);
        Self {
            published: counter!(HUB_PUBLISHED),
            subscribers: gauge!(HUB_SUBSCRIBERS),
            dropped_oldest: dropped("drop_oldest"),
            coalesced: dropped("coalesced"),
            disconnected: dropped("disconnected"),
            replay_hit: replay("hit"),
            replay_expired: replay("expired"),
            replay_unknown: replay("unknown"),
            replay_lost: replay("lost"),
            queue_depth: histogram!(HUB_QUEUE_DEPTH),
            events_sent: events_sent(),
        }
    }

    /// Counts a reset event (at the start of a stream, or in it).
    pub(crate) fn count_reset(&self, reason: crate::replay::ResetReason) {
        match reason {
            crate::replay::ResetReason::Expired => self.replay_expired.increment(1),
            crate::replay::ResetReason::Unknown => self.replay_unknown.increment(1),
            crate::replay::ResetReason::Lost => self.replay_lost.increment(1),
        }
    }
}

pub(crate) fn events_sent() -> Counter {
    counter!(EVENTS_SENT)
}
