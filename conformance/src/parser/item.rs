//! What the parser hands out: owned [`Item`]s, and [`ItemRef`]s that borrow its buffers.

use std::borrow::Cow;

/// One thing the parser found in the stream, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A dispatched event: what an `EventSource` would fire.
    Event(Event),
    /// A `retry` field whose value was all ASCII digits: the new reconnection time in ms.
    Retry(u64),
    /// A comment line (only with
    /// [`ParserOptions::comments`](super::ParserOptions::comments)), without its leading `:`.
    Comment(String),
    /// Something a client silently ignores (only with
    /// [`ParserOptions::notices`](super::ParserOptions::notices)).
    Notice(Notice),
}

impl Item {
    /// The JSON form `sse-conformance parse` prints and parser fixtures expect:
    /// `{"kind":"event","type":…,"data":…,"last_event_id":…}` or `{"kind":"retry","ms":…}`.
    /// Comments and notices have none.
    ///
    /// ```
    /// use sse_conformance::parser::Item;
    /// assert_eq!(Item::Retry(5).to_json().unwrap().to_string(), r#"{"kind":"retry","ms":5}"#);
    /// ```
    pub fn to_json(&self) -> Option<serde_json::Value> {
        match self {
            Item::Event(event) => Some(serde_json::json!({
                "kind": "event",
                "type": event.event_type,
                "data": event.data,
                "last_event_id": event.last_event_id,
            })),
            Item::Retry(ms) => Some(serde_json::json!({ "kind": "retry", "ms": ms })),
            Item::Comment(_) | Item::Notice(_) => None,
        }
    }
}

/// An event as an `EventSource` dispatches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The event type: `message` unless an `event` field set a non-empty one.
    pub event_type: Cow<'static, str>,
    /// The data lines joined with LF, without the final LF.
    pub data: String,
    /// The last-event-id string at the time of dispatch (empty if none was ever set).
    pub last_event_id: String,
}

/// Fields a client ignores without a word: worth reporting, since they are usually bugs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A field name the spec does not know (names are case-sensitive: `Data` is unknown).
    UnknownField {
        /// The field name, decoded as UTF-8 with replacement.
        name: String,
    },
    /// A `retry` field whose value is not only ASCII digits (`+5`, `5s`, empty).
    InvalidRetry {
        /// The value, decoded as UTF-8 with replacement.
        value: String,
    },
    /// An `id` field containing NUL, which clients ignore.
    IdWithNul {
        /// The value, with NUL shown as U+0000.
        value: String,
    },
    /// An `id` or `event` field set a second time before a blank line: the first value
    /// is silently replaced. The usual cause is a missing blank line, which runs two
    /// events together into one.
    RepeatedField {
        /// `id` or `event`.
        name: &'static str,
        /// The value it replaced.
        replaced: String,
        /// The new value.
        value: String,
    },
    /// An event whose `id` field repeats the id an earlier event already carries: two
    /// events share one resume point, so a client that reconnects with it cannot say
    /// which one it had.
    SharedId {
        /// The id.
        id: String,
    },
}

/// A dispatched event, borrowed from the parser's buffers: no allocation per event.
/// [`ItemRef::into_owned`] makes an [`Event`] of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRef<'a> {
    /// The event type: `message` unless an `event` field set a non-empty one.
    pub event_type: &'a str,
    /// The data lines joined with LF, without the final LF. Borrowed, except when the
    /// bytes were not valid UTF-8 (then replaced) or, for
    /// [`Parser::feed`](super::Parser::feed), large enough that handing over the buffer
    /// beats copying it.
    pub data: Cow<'a, str>,
    /// The last-event-id string at the time of dispatch.
    pub last_event_id: &'a str,
}

/// An [`Item`], borrowed from the parser's buffers (see
/// [`Parser::feed_borrowed`](super::Parser::feed_borrowed)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemRef<'a> {
    /// A dispatched event.
    Event(EventRef<'a>),
    /// A valid `retry` field, in ms.
    Retry(u64),
    /// A comment line (with [`ParserOptions::comments`](super::ParserOptions::comments)).
    Comment(Cow<'a, str>),
    /// An ignored field (with [`ParserOptions::notices`](super::ParserOptions::notices)).
    Notice(Notice),
}

impl ItemRef<'_> {
    /// The owned form.
    pub fn into_owned(self) -> Item {
        match self {
            ItemRef::Event(event) => Item::Event(Event {
                event_type: if event.event_type == "message" {
                    Cow::Borrowed("message")
                } else {
                    Cow::Owned(event.event_type.to_owned())
                },
                data: event.data.into_owned(),
                last_event_id: event.last_event_id.to_owned(),
            }),
            ItemRef::Retry(ms) => Item::Retry(ms),
            ItemRef::Comment(text) => Item::Comment(text.into_owned()),
            ItemRef::Notice(notice) => Item::Notice(notice),
        }
    }
}
