//! The metric names, in one place, and handles resolved once rather than per event.
//!
//! Everything goes through the [`metrics`] facade: install any recorder (Prometheus,
//! StatsD, …) *before* building the layer and the hub, because they resolve their handles
//! when built.
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | `sse_streams_opened_total` | counter | | event streams started |
//! | `sse_streams_open` | gauge | | event streams open now |
//! | `sse_streams_rejected_total` | counter | | streams refused with 503 by `max_streams` |
//! | `sse_stream_bytes_total` | counter | | bytes of streams handed to the server |
//! | `sse_heartbeats_total` | counter | | heartbeat comments sent |
//! | `sse_disconnects_total` | counter | `reason` | ended streams, by [`DisconnectReason`](crate::lifecycle::DisconnectReason) |
//! | `sse_events_sent_total` | counter | | events sent by `EventStream` and hub subscriptions |
//! | `sse_hub_published_total` | counter | | events published to a hub |
//! | `sse_hub_subscribers` | gauge | | hub subscriptions open now |
//! | `sse_hub_dropped_events_total` | counter | `reason` | `drop_oldest`, `coalesced`, `disconnected` (one per cut-off subscriber) |
//! | `sse_replay_total` | counter | `outcome` | resumes: `hit`, or a reset for `expired` / `unknown` |
//! | `sse_hub_queue_depth` | histogram | | events waiting for a subscriber, seen at each write |

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
        let reason = |reason: DisconnectReason| counter!("sse_disconnects_total", "reason" => reason.as_str());
        Self {
            opened: counter!("sse_streams_opened_total"),
            open: gauge!("sse_streams_open"),
            rejected: counter!("sse_streams_rejected_total"),
            bytes: counter!("sse_stream_bytes_total"),
            heartbeats: counter!("sse_heartbeats_total"),
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
    pub(crate) queue_depth: Histogram,
    pub(crate) events_sent: Counter,
}

impl HubMetrics {
    pub(crate) fn new() -> Self {
        let dropped =
            |reason: &'static str| counter!("sse_hub_dropped_events_total", "reason" => reason);
        let replay = |outcome: &'static str| counter!("sse_replay_total", "outcome" => outcome);
        Self {
            published: counter!("sse_hub_published_total"),
            subscribers: gauge!("sse_hub_subscribers"),
            dropped_oldest: dropped("drop_oldest"),
            coalesced: dropped("coalesced"),
            disconnected: dropped("disconnected"),
            replay_hit: replay("hit"),
            replay_expired: replay("expired"),
            replay_unknown: replay("unknown"),
            queue_depth: histogram!("sse_hub_queue_depth"),
            events_sent: events_sent(),
        }
    }
}

impl HubMetrics {
    /// Counts a resume answered with a reset.
    pub(crate) fn count_reset(&self, reason: crate::replay::ResetReason) {
        match reason {
            crate::replay::ResetReason::Expired => self.replay_expired.increment(1),
            crate::replay::ResetReason::Unknown => self.replay_unknown.increment(1),
        }
    }
}

pub(crate) fn events_sent() -> Counter {
    counter!("sse_events_sent_total")
}
