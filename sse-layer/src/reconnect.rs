//! Telling clients when, and whether, to come back.
//!
//! A browser's `EventSource` reconnects after every clean end of a `200` stream, waiting
//! the last `retry:` time it was sent (about 3 s by default). It stops for good on any
//! other answer. So: end a stream to make the client come back; answer `204 No Content`
//! to make it stop.

use std::time::Duration;

use http::{Response, StatusCode};

use crate::event::Event;

/// A `204 No Content` answer: an `EventSource` that gets it stops reconnecting, quietly.
/// Use it when the stream is over for good (a finished job, a closed chat).
///
/// ```
/// let response = sse_layer::reconnect::stop::<String>();
/// assert_eq!(response.status(), 204);
/// ```
pub fn stop<B: Default>() -> Response<B> {
    let mut response = Response::new(B::default());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// A last event before a clean close: sets how long the client waits before reconnecting.
///
/// ```
/// let event = sse_layer::reconnect::come_back_in(std::time::Duration::from_secs(30));
/// assert_eq!(event.encode(), "retry: 30000\n\n");
/// ```
pub fn come_back_in(delay: Duration) -> Event {
    Event::new().retry(delay)
}
