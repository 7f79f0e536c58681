//! [`Event`]: what a handler sends, checked when it is built so that nothing invalid can
//! reach the wire.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

/// A Server-Sent Event.
///
/// Every field is optional. Setters that could let a value break out of its field (`id`,
/// `event`) validate and return a typed [`EventError`]; everything else is accepted as is
/// and encoded safely (line breaks in `data` become several `data:` lines, in a comment
/// several comment lines).
///
/// ```
/// use sse_layer::Event;
///
/// let event = Event::new()
///     .event("tick")?
///     .id("42")?
///     .data("line one\r\nline two");
/// assert_eq!(
///     event.encode(),
///     "event: tick\nid: 42\ndata: line one\ndata: line two\n\n"
/// );
///
/// // A CR in an id would start a new field on the wire: refused, not written.
/// assert!(Event::new().id("1\rdata: injected").is_err());
/// # Ok::<(), sse_layer::EventError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    pub(crate) data: Option<Cow<'static, str>>,
    pub(crate) event: Option<Cow<'static, str>>,
    pub(crate) id: Option<Cow<'static, str>>,
    pub(crate) retry: Option<Duration>,
    pub(crate) comment: Option<Cow<'static, str>>,
}

/// Why an [`Event`] field was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventError {
    /// The id contains CR, LF or NUL (clients ignore ids with NUL; CR and LF end the field).
    InvalidId,
    /// The event type contains CR or LF, which would end the field.
    InvalidEventType,
    /// The value could not be serialized to JSON.
    #[cfg(feature = "json")]
    Json(String),
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidId => f.write_str("an event id must not contain CR, LF or NUL"),
            Self::InvalidEventType => f.write_str("an event type must not contain CR or LF"),
            #[cfg(feature = "json")]
            Self::Json(reason) => write!(f, "event data is not serializable to JSON: {reason}"),
        }
    }
}

impl std::error::Error for EventError {}

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
    /// assert!(sse_layer::Event::new().event("a\nb").is_err());
    /// ```
    ///
    /// # Errors
    /// [`EventError::InvalidEventType`] if it contains CR or LF.
    pub fn event(mut self, event: impl Into<Cow<'static, str>>) -> Result<Self, EventError> {
        let event = event.into();
        if memchr::memchr2(b'\r', b'\n', event.as_bytes()).is_some() {
            return Err(EventError::InvalidEventType);
        }
        self.event = Some(event);
        Ok(self)
    }

    /// Sets the id: the client's resume point, sent back as `Last-Event-ID` on reconnect.
    /// An empty id resets the client's last event id.
    ///
    /// ```
    /// assert!(sse_layer::Event::new().id("7\0").is_err());
    /// ```
    ///
    /// # Errors
    /// [`EventError::InvalidId`] if it contains CR, LF or NUL.
    pub fn id(mut self, id: impl Into<Cow<'static, str>>) -> Result<Self, EventError> {
        let id = id.into();
        if memchr::memchr3(b'\r', b'\n', 0, id.as_bytes()).is_some() {
            return Err(EventError::InvalidId);
        }
        self.id = Some(id);
        Ok(self)
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
