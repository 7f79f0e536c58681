//! The wire format, in one place.
//!
//! Rules (WHATWG HTML, "Interpreting an event stream"), and why each matters:
//! - `name: value` with exactly one space: the client strips one leading space, so a
//!   value that itself starts with a space keeps it. An empty value is written `name:`.
//! - A line ends at CRLF, LF or a lone CR, so every one of them in `data` or a comment
//!   starts a new `data:` / `:` line: the client joins data lines with ONE LF, and no
//!   value can ever start a field or event of its own.
//! - The fields come in one order (comment, `event`, `id`, `retry`, `data`), and a blank
//!   line ends the event. A hub's events carry their `id` first (`with_id`): the hub
//!   encodes the event once without it, then puts the id it was given in front, the same
//!   whichever engine numbered it.

use bytes::{BufMut, BytesMut};

use crate::event::Event;

impl Event {
    /// The wire form: the fields in one order (comment, `event`, `id`, `retry`, `data`),
    /// then the blank line that dispatches.
    ///
    /// Encode once and clone the [`Bytes`](bytes::Bytes) to send one event to many
    /// clients.
    ///
    /// ```
    /// let event = sse_layer::Event::new().event(sse_layer::event_name!("tick")).data("a\nb");
    /// assert_eq!(event.encode(), "event: tick\ndata: a\ndata: b\n\n");
    /// ```
    pub fn encode(&self) -> bytes::Bytes {
        let mut buf = BytesMut::with_capacity(self.encoded_len_hint());
        write_event(self, &mut buf);
        buf.freeze()
    }

    /// An upper-bound-ish guess of the encoded size, used to size buffers once.
    pub(crate) fn encoded_len_hint(&self) -> usize {
        fn len(field: &Option<std::borrow::Cow<'static, str>>) -> usize {
            field.as_ref().map_or(0, |value| value.len() + 8)
        }
        len(&self.data) + len(&self.event) + len(&self.id) + len(&self.comment) + 24
    }
}

/// Appends the wire form of `event` to `buf`. An event with no field at all writes
/// nothing: a lone blank line dispatches nothing in a browser, but fetch-event-source
/// would surface it as an empty message.
pub(crate) fn write_event(event: &Event, buf: &mut BytesMut) {
    if event.is_empty() {
        return;
    }
    buf.reserve(event.encoded_len_hint());
    if let Some(comment) = &event.comment {
        write_lines(buf, b":", comment.as_bytes());
    }
    if let Some(event_type) = &event.event {
        write_field(buf, b"event", event_type.as_bytes());
    }
    if let Some(id) = &event.id {
        write_field(buf, b"id", id.as_bytes());
    }
    if let Some(retry) = event.retry {
        buf.put_slice(b"retry: ");
        write_decimal(buf, retry.as_millis());
        buf.put_u8(b'\n');
    }
    if let Some(data) = &event.data {
        write_lines(buf, b"data:", data.as_bytes());
    }
    buf.put_u8(b'\n');
}

/// An event encoded without an id (whole: its fields and the blank line), with `id`
/// put in front. `id` must hold no line break or NUL (ids a log makes never do).
pub(crate) fn with_id(id: &str, event: &[u8]) -> bytes::Bytes {
    let mut buf = BytesMut::with_capacity(id.len() + event.len() + 6);
    write_field(&mut buf, b"id", id.as_bytes());
    if event.is_empty() {
        buf.put_u8(b'\n');
    } else {
        buf.put_slice(event);
    }
    buf.freeze()
}

/// Comment lines only (no blank line after them): the layer's heartbeats.
pub(crate) fn comment_lines(text: &str) -> bytes::Bytes {
    let mut buf = BytesMut::with_capacity(text.len() + 4);
    write_lines(&mut buf, b":", text.as_bytes());
    buf.freeze()
}

/// One field whose value is known to hold no line break.
fn write_field(buf: &mut BytesMut, name: &[u8], value: &[u8]) {
    buf.put_slice(name);
    if value.is_empty() {
        buf.put_slice(b":\n");
    } else {
        buf.put_slice(b": ");
        buf.put_slice(value);
        buf.put_u8(b'\n');
    }
}

/// One `prefix value` line per line of `value`, where CRLF, LF and lone CR each end a line.
/// `prefix` already ends with its colon (`data:` or `:`).
fn write_lines(buf: &mut BytesMut, prefix: &[u8], mut value: &[u8]) {
    loop {
        let (line, rest) = match memchr::memchr2(b'\r', b'\n', value) {
            Some(end) => {
                let skip = if value[end] == b'\r' && value.get(end + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                (&value[..end], Some(&value[end + skip..]))
            }
            None => (value, None),
        };
        buf.put_slice(prefix);
        if !line.is_empty() {
            buf.put_u8(b' ');
            buf.put_slice(line);
        }
        buf.put_u8(b'\n');
        match rest {
            Some(rest) => value = rest,
            None => return,
        }
    }
}

/// Writes `n` in decimal without going through `fmt` (no allocation, no formatter).
pub(crate) fn write_decimal(buf: &mut BytesMut, mut n: u128) {
    let mut digits = [0u8; 40];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.put_slice(&digits[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn wire(event: Event) -> String {
        String::from_utf8(event.encode().to_vec()).unwrap()
    }

    #[test]
    fn every_line_break_is_one_line() {
        let event = Event::new().data("a\r\nb\rc\nd");
        assert_eq!(wire(event), "data: a\ndata: b\ndata: c\ndata: d\n\n");
    }

    #[test]
    fn trailing_and_doubled_breaks_keep_empty_lines() {
        assert_eq!(wire(Event::new().data("a\n")), "data: a\ndata:\n\n");
        assert_eq!(wire(Event::new().data("\r\r")), "data:\ndata:\ndata:\n\n");
        assert_eq!(wire(Event::new().data("\r\n\n")), "data:\ndata:\ndata:\n\n");
    }

    #[test]
    fn leading_space_survives() {
        assert_eq!(wire(Event::new().data(" x")), "data:  x\n\n");
        assert_eq!(wire(Event::new().try_id(" 1").unwrap()), "id:  1\n\n");
    }

    #[test]
    fn retry_is_whole_milliseconds() {
        let event = Event::new().retry(Duration::from_micros(1_500_999));
        assert_eq!(wire(event), "retry: 1500\n\n");
        assert_eq!(wire(Event::new().retry(Duration::ZERO)), "retry: 0\n\n");
    }

    #[test]
    fn empty_event_writes_nothing() {
        assert_eq!(wire(Event::new()), "");
    }
}
