//! [`Event`]: what a handler sends, checked when it is built so that nothing invalid can
//! reach the wire.

use std::borrow::Cow;
use std::time::Duration;

use crate::field::{EventError, EventId, EventName};

/// A Server-Sent Event.
///
/// Every field is optional, and every setter chains. The two fields a value could break
/// out of take checked types: an [`EventName`] (a name fixed in the code is checked by the
/// compiler) and an [`EventId`] (integers need no check). A string known only at run
/// time goes through [`try_event`](Self::try_event) / [`try_id`](Self::try_id), which
/// return a typed [`EventError`] instead of letting it reach the wire. Everything else is
/// accepted as is and encoded safely (line breaks in `data` become several `data:` lines,
/// in a comment several comment lines).
///
/// ```
/// use sse_layer::{event_name, Event};
///
/// let n: u64 = 42;
/// let event = Event::new()
///     .event(event_name!("tick"))
///     .id(n)
///     .data("line one\r\nline two");
/// assert_eq!(
///     event.encode(),
///     "event: tick\nid: 42\ndata: line one\ndata: line two\n\n"
/// );
///
/// // A CR in an id would start a new field on the wire: refused, not written.
/// assert!(Event::new().try_id("1\rdata: injected").is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    pub(crate) data: Option<Cow<'static, str>>,
    pub(crate) event: Option<Cow<'static, str>>,
    pub(crate) id: Option<Cow<'static, str>>,
    pub(crate) retry: Option<Duration>,
    pub(crate) comment: Option<Cow<'static, str>>,
}

impl Event {
    /// An empty event; add fields with the setters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the data. Any line break (CRLF, LF or a lone CR) starts a new `data:` line, so
    /// a client sees it as exactly one LF. Empty data is still sent and dispatched.
    ///
    /// ```
    /// assert_eq!(sse_layer::Event::new().data("").encode(), "data:\n\n");
    /// ```
    pub fn data(mut self, data: impl Into<Cow<'static, str>>) -> Self {
        self.data = Some(data.into());
        self
    }

    /// Sets the data to the JSON form of `value` (one line: JSON escapes line breaks).
    ///
    /// ```
    /// let event = sse_layer::Event::new().json_data(&[1, 2])?;
    /// assert_eq!(event.encode(), "data: [1,2]\n\n");
    /// # Ok::<(), sse_layer::EventError>(())
    /// ```
    ///
    /// # Errors
    /// [`EventError::Json`] when serde_json refuses the value.
    #[cfg(feature = "json")]
    pub fn json_data<T: serde::Serialize + ?Sized>(self, value: &T) -> Result<Self, EventError> {
        let json = serde_json::to_string(value).map_err(|e| EventError::Json(e.to_string()))?;
        Ok(self.data(json))
    }

    /// Sets the event type (`event:` field); clients dispatch to listeners of that name.
    ///
    /// ```
    /// use sse_layer::{event_name, Event};
    /// let event = Event::new().event(event_name!("tick"));
    /// assert_eq!(event.encode(), "event: tick\n\n");
    /// ```
    pub fn event(mut self, name: EventName) -> Self {
        self.event = Some(name.into_inner());
        self
    }

    /// Sets an event type known only at run time, after checking it.
    ///
    /// ```
    /// let kind = String::from("a\nb");
    /// assert!(sse_layer::Event::new().try_event(kind).is_err());
    /// ```
    ///
    /// # Errors
    /// [`EventError::InvalidEventType`] if it contains CR or LF.
    pub fn try_event(self, name: impl Into<Cow<'static, str>>) -> Result<Self, EventError> {
        Ok(self.event(EventName::new(name)?))
    }

    /// Sets the id: the client's resume point, sent back as `Last-Event-ID` on reconnect.
    /// Takes an integer or a checked [`EventId`]; an empty id resets the client's last
    /// event id.
    ///
    /// ```
    /// assert_eq!(sse_layer::Event::new().id(7u32).encode(), "id: 7\n\n");
    /// ```
    pub fn id(mut self, id: impl Into<EventId>) -> Self {
        self.id = Some(id.into().into_inner());
        self
    }

    /// Sets an id known only at run time, after checking it.
    ///
    /// ```
    /// assert!(sse_layer::Event::new().try_id("7\0").is_err());
    /// assert_eq!(sse_layer::Event::new().try_id("a-1")?.id_str(), Some("a-1"));
    /// # Ok::<(), sse_layer::EventError>(())
    /// ```
    ///
    /// # Errors
    /// [`EventError::InvalidId`] if it contains CR, LF or NUL.
    pub fn try_id(self, id: impl Into<Cow<'static, str>>) -> Result<Self, EventError> {
        Ok(self.id(EventId::new(id)?))
    }

    /// Sets the client's reconnection time (`retry:` field, whole milliseconds).
    ///
    /// ```
    /// use std::time::Duration;
    /// let event = sse_layer::Event::new().retry(Duration::from_secs(3));
    /// assert_eq!(event.encode(), "retry: 3000\n\n");
    /// ```
    pub fn retry(mut self, retry: Duration) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Adds a comment, which clients ignore; line breaks make several comment lines.
    ///
    /// ```
    /// let event = sse_layer::Event::new().comment("two\nlines");
    /// assert_eq!(event.encode(), ": two\n: lines\n\n");
    /// ```
    pub fn comment(mut self, comment: impl Into<Cow<'static, str>>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// True when no field is set: such an event writes nothing at all.
    ///
    /// ```
    /// assert!(sse_layer::Event::new().is_empty());
    /// assert!(!sse_layer::Event::new().data("").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.data.is_none()
            && self.event.is_none()
            && self.id.is_none()
            && self.retry.is_none()
            && self.comment.is_none()
    }

    /// The data, if set.
    pub fn data_str(&self) -> Option<&str> {
        self.data.as_deref()
    }

    /// The event type, if set.
    pub fn event_str(&self) -> Option<&str> {
        self.event.as_deref()
    }

    /// The id, if set.
    pub fn id_str(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The same event without its id: for events that must not move a client's resume
    /// cursor (errors).
    pub(crate) fn without_id(mut self) -> Self {
        self.id = None;
        self
    }
}
