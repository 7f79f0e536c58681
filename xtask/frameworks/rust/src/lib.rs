//! What every Rust stack here serves, whatever the framework (see `../README.md`): the
//! port, the ticker's pace, and the echo contract (its request, and its rule for invalid
//! events: glue around the framework's own encoder, which is what the echo route tests).

use std::time::Duration;

use serde::Deserialize;

/// The ticker's pace.
pub const TICK: Duration = Duration::from_millis(250);

/// The port to listen on, from `PORT`.
pub fn port() -> u16 {
    std::env::var("PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(3000)
}

/// The echo contract's request: `{"events": [...]}`.
#[derive(Debug, Deserialize)]
pub struct EchoRequest {
    /// The events to write, in order.
    pub events: Vec<EchoEvent>,
}

/// One event of the echo contract.
#[derive(Debug, Clone, Deserialize)]
pub struct EchoEvent {
    /// `id` field.
    pub id: Option<String>,
    /// `event` field.
    pub event: Option<String>,
    /// Data.
    pub data: Option<String>,
    /// `retry`, in ms.
    pub retry: Option<u64>,
    /// A comment.
    pub comment: Option<String>,
}

/// True when the echo contract wants a 400: an id with CR, LF or NUL, a type with CR or LF.
pub fn invalid(events: &[EchoEvent]) -> bool {
    events.iter().any(|event| {
        event
            .id
            .as_deref()
            .is_some_and(|id| id.contains(['\r', '\n', '\0']))
            || event
                .event
                .as_deref()
                .is_some_and(|kind| kind.contains(['\r', '\n']))
    })
}
