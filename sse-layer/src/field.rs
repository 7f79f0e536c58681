//! [`EventName`] and [`EventId`]: the two [`Event`](crate::Event) fields a value could
//! break out of, validated here and nowhere else.
//!
//! A CR or LF inside an `event:` or `id:` value would end the field and start a new one
//! on the wire (`id: 1\rdata: injected`), and a NUL makes clients ignore the id. So a
//! value that could hold one (any runtime string) goes through a check that returns a
//! typed [`EventError`]; a value that cannot (an integer, a checked constant) converts
//! without one.

use std::borrow::Cow;
use std::fmt;

/// Why an [`Event`](crate::Event) field was refused.
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

/// An event type (the `event:` field): clients dispatch the event to listeners of this
/// name. It never holds CR or LF.
///
/// A name fixed in the code is checked by the compiler, so it cannot fail at run time:
///
/// ```
/// use sse_layer::{event_name, Event, EventName};
///
/// const TICK: EventName = EventName::from_static("tick");
/// let a = Event::new().event(TICK).data("1");
/// let b = Event::new().event(event_name!("tick")).data("1"); // the same, inline
/// assert_eq!(a, b);
/// assert_eq!(a.encode(), "event: tick\ndata: 1\n\n");
/// ```
///
/// A line break in a fixed name does not compile:
///
/// ```compile_fail
/// const BAD: sse_layer::EventName = sse_layer::EventName::from_static("tick\ndata: x");
/// ```
///
/// A name known only at run time is checked by [`EventName::new`] (or
/// [`Event::try_event`](crate::Event::try_event)):
///
/// ```
/// use sse_layer::{EventError, EventName};
/// let untrusted = String::from("tick\ndata: injected");
/// assert_eq!(EventName::new(untrusted), Err(EventError::InvalidEventType));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventName(Cow<'static, str>);

impl EventName {
    /// Checks a name known only at run time.
    ///
    /// # Errors
    /// [`EventError::InvalidEventType`] if it contains CR or LF.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Result<Self, EventError> {
        let name = name.into();
        if memchr::memchr2(b'\r', b'\n', name.as_bytes()).is_some() {
            return Err(EventError::InvalidEventType);
        }
        Ok(Self(name))
    }

    /// A name fixed in the code. Use it in a `const` (or through [`event_name!`](crate::event_name)), where
    /// a CR or LF is a compile error.
    ///
    /// # Panics
    /// Called outside a `const` with a CR or LF in `name`, like `http`'s
    /// `HeaderValue::from_static`.
    pub const fn from_static(name: &'static str) -> Self {
        assert!(
            stays_in_its_field(name.as_bytes(), false),
            "an event type must not contain CR or LF"
        );
        Self(Cow::Borrowed(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_inner(self) -> Cow<'static, str> {
        self.0
    }
}

/// An [`EventName`] checked at compile time: `event_name!("tick")`.
///
/// ```
/// let event = sse_layer::Event::new().event(sse_layer::event_name!("progress"));
/// assert_eq!(event.event_str(), Some("progress"));
/// ```
#[macro_export]
macro_rules! event_name {
    ($name:expr) => {
        const { $crate::EventName::from_static($name) }
    };
}

/// An event id (the `id:` field): the client's resume point, sent back as
/// `Last-Event-ID` when it reconnects. It never holds CR, LF or NUL.
///
/// Integers convert without a check, since their digits cannot break a line:
///
/// ```
/// use sse_layer::Event;
///
/// let n: u64 = 41;
/// let event = Event::new().id(n + 1).data("x");
/// assert_eq!(event.encode(), "id: 42\ndata: x\n\n");
/// ```
///
/// A string, which could come from anywhere, is checked by [`EventId::new`] (or
/// [`Event::try_id`](crate::Event::try_id)) and refused with a typed error:
///
/// ```
/// use sse_layer::{Event, EventError, EventId};
///
/// let untrusted = "7\r\ndata: injected";
/// assert_eq!(EventId::new(untrusted), Err(EventError::InvalidId));
/// assert_eq!(Event::new().try_id(untrusted), Err(EventError::InvalidId));
///
/// let checked = EventId::new("order-7")?; // check once, reuse it
/// assert_eq!(Event::new().id(checked).id_str(), Some("order-7"));
/// # Ok::<(), EventError>(())
/// ```
///
/// and a string cannot be passed where only checked ids go:
///
/// ```compile_fail
/// let untrusted = String::from("7\r\ndata: injected");
/// let event = sse_layer::Event::new().id(untrusted);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventId(Cow<'static, str>);

impl EventId {
    /// Checks an id known only at run time. An empty id is valid: it resets the client's
    /// last event id.
    ///
    /// # Errors
    /// [`EventError::InvalidId`] if it contains CR, LF or NUL.
    pub fn new(id: impl Into<Cow<'static, str>>) -> Result<Self, EventError> {
        let id = id.into();
        if memchr::memchr3(b'\r', b'\n', 0, id.as_bytes()).is_some() {
            return Err(EventError::InvalidId);
        }
        Ok(Self(id))
    }

    /// An id fixed in the code; in a `const`, a CR, LF or NUL is a compile error.
    ///
    /// ```
    /// const START: sse_layer::EventId = sse_layer::EventId::from_static("start");
    /// assert_eq!(START.as_str(), "start");
    /// ```
    ///
    /// # Panics
    /// Called outside a `const` with a CR, LF or NUL in `id`.
    pub const fn from_static(id: &'static str) -> Self {
        assert!(
            stays_in_its_field(id.as_bytes(), true),
            "an event id must not contain CR, LF or NUL"
        );
        Self(Cow::Borrowed(id))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_inner(self) -> Cow<'static, str> {
        self.0
    }
}

/// No CR or LF (and, for an id, no NUL): the `const` form of the checks, for values
/// fixed in the code.
const fn stays_in_its_field(bytes: &[u8], forbid_nul: bool) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'\r' || byte == b'\n' || (forbid_nul && byte == 0) {
            return false;
        }
        i += 1;
    }
    true
}

macro_rules! id_from_integer {
    ($($int:ty)*) => {$(
        impl From<$int> for EventId {
            fn from(n: $int) -> Self {
                Self(Cow::Owned(n.to_string()))
            }
        }
    )*};
}

id_from_integer!(u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize);

impl fmt::Display for EventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_break_and_nul_is_refused_where_it_could_escape() {
        for bad in ["a\rb", "a\nb", "\r\n", "\n"] {
            assert_eq!(EventName::new(bad), Err(EventError::InvalidEventType));
            assert_eq!(EventId::new(bad), Err(EventError::InvalidId));
        }
        assert_eq!(EventId::new("a\0b"), Err(EventError::InvalidId));
        // NUL cannot end the `event:` field, and browsers keep it there.
        assert!(EventName::new("a\0b").is_ok());
        assert!(EventId::new("").is_ok());
    }

    #[test]
    fn integers_become_their_decimal_digits() {
        assert_eq!(EventId::from(0u8).as_str(), "0");
        assert_eq!(EventId::from(-7i64).as_str(), "-7");
        assert_eq!(EventId::from(u128::MAX).as_str(), u128::MAX.to_string());
    }

    #[test]
    #[should_panic(expected = "must not contain CR, LF or NUL")]
    fn a_bad_static_id_outside_a_const_panics_like_from_static_in_http() {
        let id = std::hint::black_box("a\nb");
        let _ = EventId::from_static(id);
    }
}
