//! [`Framer`], the seam every convention implements, and the small helpers they share.
//! Below the conventions' files and `mod.rs`.

use crate::error::BoxError;
use crate::event::Event;
use crate::field::EventName;

/// A streaming convention: which events open, carry, close and fail a streamed answer.
///
/// ```
/// use sse_layer::llm::Framer;
/// use sse_layer::{BoxError, Event};
///
/// /// `{"token": "..."}` per piece, then `[DONE]`.
/// struct Tokens;
/// impl Framer for Tokens {
///     fn start(&mut self) -> Vec<Event> { Vec::new() }
///     fn delta(&mut self, text: &str) -> Event {
///         Event::new().json_data(&serde_json::json!({ "token": text })).unwrap()
///     }
///     fn finish(&mut self) -> Vec<Event> { vec![Event::new().data("[DONE]")] }
///     fn error(&mut self, error: &BoxError) -> Vec<Event> {
///         vec![Event::new().event(sse_layer::event_name!("error")).data(error.to_string())]
///     }
/// }
/// assert_eq!(Tokens.delta("hi").data_str(), Some(r#"{"token":"hi"}"#));
/// ```
pub trait Framer {
    /// The events before the first piece of text.
    fn start(&mut self) -> Vec<Event>;
    /// The event carrying one piece of text.
    fn delta(&mut self, text: &str) -> Event;
    /// The events after the last piece, when the answer completed.
    fn finish(&mut self) -> Vec<Event>;
    /// The events that report a failure after the stream started; nothing follows them.
    /// Ids on them are removed (see [`frame`](super::frame)).
    fn error(&mut self, error: &BoxError) -> Vec<Event>;
}

/// An event whose data is `value` as JSON; the framers only build values that serialize.
pub(super) fn json_event(event_type: Option<&'static str>, value: &serde_json::Value) -> Event {
    let event = match event_type {
        // The conventions' names are constants without line breaks.
        Some(event_type) => Event::new().event(EventName::from_static(event_type)),
        None => Event::new(),
    };
    event.data(value.to_string())
}

/// The seconds since the Unix epoch, for `created` fields.
pub(super) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
