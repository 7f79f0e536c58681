//! What a caller sets for an observation ([`Limits`]) and what it hears while it runs
//! ([`Progress`]).

use std::time::Duration;

/// When to stop observing.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The longest observation, from sending the request.
    pub duration: Duration,
    /// Stop once this many events were dispatched (`Some(0)`: right after the headers).
    pub max_events: Option<usize>,
    /// Stop after this many body bytes.
    pub max_bytes: usize,
    /// Count only events that carry an event ID towards `max_events`: a reconnect waits
    /// for the event that continues the stream, not for a greeting sent before the
    /// stream's first `id` field.
    pub only_events_with_id: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            duration: Duration::from_secs(10),
            max_events: None,
            max_bytes: 64 << 20,
            only_events_with_id: false,
        }
    }
}

/// A progress report while a stream is observed.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Time since the request was sent.
    pub elapsed: Duration,
    /// Events dispatched so far.
    pub events: usize,
    /// Body bytes so far.
    pub bytes: usize,
}
