//! An incremental, WHATWG-exact `text/event-stream` parser.
//!
//! It follows the "Interpreting an event stream" rules of the HTML Living Standard
//! (section 9.2.6) to the letter, and its output never depends on how the bytes are
//! split into chunks.
//!
//! ```
//! use sse_conformance::parser::{Item, Parser};
//!
//! let mut parser = Parser::new();
//! let mut items = Vec::new();
//! // A CR at the end of one chunk and the LF starting the next are ONE line break.
//! parser.feed(b"id: 7\r", |item| items.push(item)).unwrap();
//! parser.feed(b"\ndata: hello\n\n", |item| items.push(item)).unwrap();
//!
//! let Item::Event(event) = &items[0] else { panic!("expected an event") };
//! assert_eq!(event.event_type, "message");
//! assert_eq!(event.data, "hello");
//! assert_eq!(event.last_event_id, "7");
//! ```
//!
//! Why bytes and not text: CR and LF are ASCII and can never be part of a multi-byte
//! UTF-8 sequence, and a decoder that meets an incomplete sequence before an ASCII byte
//! emits U+FFFD and then that byte. So splitting lines on raw bytes and decoding each
//! value with [`String::from_utf8_lossy`] (which substitutes maximal subparts exactly as
//! the WHATWG UTF-8 decoder does) gives the same result as decoding the whole stream
//! first, while lines that sit wholly inside one chunk are never copied.
//!
//! Two ways to receive items: [`Parser::feed`] hands out owned [`Item`]s;
//! [`Parser::feed_borrowed`] hands out [`ItemRef`]s that borrow the parser's buffers, with
//! no allocation per event (see BENCHMARKS.md for what each costs).

use std::borrow::Cow;
use std::fmt;

/// The UTF-8 byte order mark, stripped once at the very start of a stream.
const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// One thing the parser found in the stream, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A dispatched event: what an `EventSource` would fire.
    Event(Event),
    /// A `retry` field whose value was all ASCII digits: the new reconnection time in ms.
    Retry(u64),
    /// A comment line (only with [`ParserOptions::comments`]), without its leading `:`.
    Comment(String),
    /// Something a client silently ignores (only with [`ParserOptions::notices`]).
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

/// Limits and diagnostics for a [`Parser`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParserOptions {
    /// The longest line accepted, in bytes, line break excluded.
    pub max_line_len: usize,
    /// The largest data buffer of one event, in bytes, judged at the end of each data
    /// line (so the buffer holds at most this plus one line).
    pub max_event_len: usize,
    /// Report comment lines as [`Item::Comment`].
    pub comments: bool,
    /// Report ignored fields as [`Item::Notice`].
    pub notices: bool,
}

impl Default for ParserOptions {
    fn default() -> Self {
        Self {
            max_line_len: 4 << 20,
            max_event_len: 16 << 20,
            comments: false,
            notices: false,
        }
    }
}

impl ParserOptions {
    /// The defaults plus comments and notices: what a checker wants to see.
    pub fn diagnostics() -> Self {
        Self {
            comments: true,
            notices: true,
            ..Self::default()
        }
    }
}

/// The stream broke a size limit; the parser refuses further input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// A line longer than [`ParserOptions::max_line_len`].
    LineTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// An event whose data exceeds [`ParserOptions::max_event_len`].
    EventTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LineTooLong { limit } => write!(f, "a line is longer than {limit} bytes"),
            Self::EventTooLarge { limit } => {
                write!(f, "an event's data is larger than {limit} bytes")
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// What was left over when the stream ended: the spec discards it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leftover {
    /// Complete field lines of an event that no blank line closed (`retry` lines, which
    /// take effect at once, and comments are not counted).
    pub field_lines: usize,
    /// Bytes of a final line that no line break ended.
    pub partial_line: usize,
    /// Whether the discarded event had data (so a client lost a real event).
    pub had_data: bool,
}

impl Leftover {
    /// True when nothing was discarded.
    pub fn is_empty(&self) -> bool {
        self.field_lines == 0 && self.partial_line == 0
    }
}

/// A dispatched event, borrowed from the parser's buffers: no allocation per event.
/// [`ItemRef::into_owned`] makes an [`Event`] of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRef<'a> {
    /// The event type: `message` unless an `event` field set a non-empty one.
    pub event_type: &'a str,
    /// The data lines joined with LF, without the final LF. Borrowed, except when the
    /// bytes were not valid UTF-8 (then replaced) or, for [`Parser::feed`], large enough
    /// that handing over the buffer beats copying it.
    pub data: Cow<'a, str>,
    /// The last-event-id string at the time of dispatch.
    pub last_event_id: &'a str,
}

/// An [`Item`], borrowed from the parser's buffers (see [`Parser::feed_borrowed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemRef<'a> {
    /// A dispatched event.
    Event(EventRef<'a>),
    /// A valid `retry` field, in ms.
    Retry(u64),
    /// A comment line (with [`ParserOptions::comments`]).
    Comment(Cow<'a, str>),
    /// An ignored field (with [`ParserOptions::notices`]).
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

/// A line that has started but not ended yet (it continues in the next chunk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Partial {
    /// At the start of a line.
    None,
    /// The line so far is in `Parser::line`.
    Line,
    /// A `data` line whose value goes straight into `Parser::data`; `strip_space` while
    /// the one optional leading space has not been seen yet.
    Data { strip_space: bool },
}

/// Data buffers are shrunk back to this between events: enough for 64 KiB lines without
/// regrowing every event, bounded for parsers that once saw a huge event.
const RETAINED_DATA_CAPACITY: usize = 256 * 1024;
/// For owned events, data at least this large is handed over instead of copied.
const HAND_OVER_DATA: usize = 4 * 1024;
/// Lines are scanned byte by byte this far before `memchr2` takes over: its SIMD set-up
/// does not pay off on short lines (`event: tick`, `id: 7`, blank lines).
const SCALAR_SCAN: usize = 16;

/// The first CR or LF in `bytes`.
#[inline]
fn find_line_break(bytes: &[u8]) -> Option<usize> {
    let head = &bytes[..bytes.len().min(SCALAR_SCAN)];
    if let Some(at) = head.iter().position(|&b| b == b'\r' || b == b'\n') {
        return Some(at);
    }
    memchr::memchr2(b'\r', b'\n', &bytes[head.len()..]).map(|at| at + head.len())
}

/// The first `byte` in `bytes`: scalar over a short head, `memchr` beyond it.
#[inline]
fn find_byte(byte: u8, bytes: &[u8]) -> Option<usize> {
    let head = &bytes[..bytes.len().min(SCALAR_SCAN)];
    if let Some(at) = head.iter().position(|&b| b == byte) {
        return Some(at);
    }
    memchr::memchr(byte, &bytes[head.len()..]).map(|at| at + head.len())
}

/// Below this, SIMD validation costs more to set up than it saves.
const SIMD_UTF8_FROM: usize = 256;

/// `bytes` as text, if valid UTF-8 (SIMD-validated when long).
#[inline]
fn valid_utf8(bytes: &[u8]) -> Option<&str> {
    if bytes.len() >= SIMD_UTF8_FROM {
        simdutf8::basic::from_utf8(bytes).ok()
    } else {
        std::str::from_utf8(bytes).ok()
    }
}

/// Appends `bytes` decoded as UTF-8, with U+FFFD for invalid sequences.
fn push_lossy(out: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => out.push_str(text),
        Err(_) => out.push_str(&String::from_utf8_lossy(bytes)),
    }
}

/// The incremental parser. Feed it chunks as they arrive; call [`Parser::finish`] at the end.
#[derive(Debug, Clone)]
pub struct Parser {
    options: ParserOptions,
    partial: Partial,
    /// Bytes of a line that started in an earlier chunk (with [`Partial::Line`]).
    line: Vec<u8>,
    /// Length of the unfinished line so far, whatever buffer holds it.
    partial_len: usize,
    /// The previous chunk ended with CR: an LF starting the next one belongs to it.
    skip_lf: bool,
    /// How many BOM bytes have matched at the start; `None` once past the start.
    bom_matched: Option<usize>,
    /// Complete data lines, each followed by LF; then the value of an unfinished data line.
    data: Vec<u8>,
    /// Length of `data` up to the last complete data line.
    data_complete: usize,
    /// Emit owned data (hand large buffers over) rather than borrowed.
    owned: bool,
    event_type: String,
    id_buffer: String,
    /// An `id` field was seen since the last dispatch (so the last-event-id may change).
    /// A flag rather than comparing the strings: no `memcmp` call on every event.
    id_seen: bool,
    /// An `event` field was seen since the last dispatch (only tracked with notices).
    event_seen: bool,
    /// An event carrying the current last-event-id was dispatched (only tracked with
    /// notices).
    id_dispatched: bool,
    last_event_id: String,
    /// Field lines seen since the last blank line (for [`Leftover`]).
    field_lines: usize,
    failed: Option<ParseError>,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    /// A parser with the default limits and no diagnostics.
    pub fn new() -> Self {
        Self::with_options(ParserOptions::default())
    }

    /// A parser with the given options.
    pub fn with_options(options: ParserOptions) -> Self {
        Self {
            options,
            partial: Partial::None,
            line: Vec::new(),
            partial_len: 0,
            skip_lf: false,
            bom_matched: Some(0),
            data: Vec::new(),
            data_complete: 0,
            owned: false,
            event_type: String::new(),
            id_buffer: String::new(),
            id_seen: false,
            event_seen: false,
            id_dispatched: false,
            last_event_id: String::new(),
            field_lines: 0,
            failed: None,
        }
    }

    /// A parser for a stream a client reconnected to with `Last-Event-ID: last_event_id`:
    /// the last-event-id string starts there, as an `EventSource` keeps it across the
    /// reconnect, so events before the stream's first `id` field carry it.
    ///
    /// ```
    /// use sse_conformance::parser::{Item, Parser, ParserOptions};
    ///
    /// let mut parser = Parser::resuming(ParserOptions::default(), "7");
    /// let items = parser.feed_to_vec(b"data: hello\n\nid: 8\ndata: next\n\n").unwrap();
    /// let ids: Vec<&str> = items
    ///     .iter()
    ///     .filter_map(|item| match item {
    ///         Item::Event(event) => Some(event.last_event_id.as_str()),
    ///         _ => None,
    ///     })
    ///     .collect();
    /// assert_eq!(ids, ["7", "8"]);
    /// ```
    pub fn resuming(options: ParserOptions, last_event_id: &str) -> Self {
        let mut parser = Self::with_options(options);
        parser.last_event_id = last_event_id.to_owned();
        parser.id_buffer = last_event_id.to_owned();
        parser
    }

    /// The last-event-id string: what a client would send as `Last-Event-ID` now.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Field lines of the event being built (not yet closed by a blank line).
    pub fn pending_field_lines(&self) -> usize {
        self.field_lines
    }

    /// Bytes of a line not yet ended.
    pub fn pending_line_bytes(&self) -> usize {
        self.partial_len + self.bom_matched.filter(|&n| n < BOM.len()).unwrap_or(0)
    }

    /// Parses one chunk, calling `emit` with each completed item, owned.
    ///
    /// # Errors
    /// A line or event over the configured limits; the parser then refuses all input.
    pub fn feed<F: FnMut(Item)>(&mut self, chunk: &[u8], mut emit: F) -> Result<(), ParseError> {
        self.owned = true;
        let result = self.feed_borrowed(chunk, |item| emit(item.into_owned()));
        self.owned = false;
        result
    }

    /// Parses one chunk, calling `emit` with each completed item borrowed from the
    /// parser's buffers: the fast path, with no allocation per event.
    ///
    /// ```
    /// use sse_conformance::parser::{ItemRef, Parser};
    ///
    /// let mut parser = Parser::new();
    /// let mut total = 0;
    /// parser.feed_borrowed(b"data: abc\n\ndata: de\n\n", |item| {
    ///     if let ItemRef::Event(event) = item {
    ///         total += event.data.len();
    ///     }
    /// })?;
    /// assert_eq!(total, 5);
    /// # Ok::<(), sse_conformance::parser::ParseError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Parser::feed`].
    pub fn feed_borrowed<F>(&mut self, chunk: &[u8], mut emit: F) -> Result<(), ParseError>
    where
        F: FnMut(ItemRef<'_>),
    {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let result = self.feed_inner(chunk, &mut emit);
        if let Err(error) = &result {
            self.failed = Some(error.clone());
        }
        result
    }

    /// Convenience: parses one chunk and returns its items.
    ///
    /// # Errors
    /// As [`Parser::feed`].
    pub fn feed_to_vec(&mut self, chunk: &[u8]) -> Result<Vec<Item>, ParseError> {
        let mut items = Vec::new();
        self.feed(chunk, |item| items.push(item))?;
        Ok(items)
    }

    /// Ends the stream: an event not closed by a blank line is discarded, as clients do.
    ///
    /// The parser is then ready for a new stream (as after a reconnect); the
    /// last-event-id string is kept, like an `EventSource` keeps it.
    pub fn finish(&mut self) -> Leftover {
        let leftover = Leftover {
            field_lines: self.field_lines,
            partial_line: self.pending_line_bytes(),
            had_data: self.data_complete > 0,
        };
        self.partial = Partial::None;
        self.partial_len = 0;
        self.line.clear();
        self.data.clear();
        self.data_complete = 0;
        self.event_type.clear();
        self.skip_lf = false;
        self.bom_matched = Some(0);
        self.field_lines = 0;
        self.id_buffer.clone_from(&self.last_event_id);
        self.id_seen = false;
        self.event_seen = false;
        leftover
    }

    fn feed_inner(
        &mut self,
        mut chunk: &[u8],
        emit: &mut impl FnMut(ItemRef<'_>),
    ) -> Result<(), ParseError> {
        if let Some(matched) = self.bom_matched {
            // Match the BOM byte by byte, since it may arrive split across chunks.
            let mut matched = matched;
            while matched < BOM.len() {
                let Some((&byte, rest)) = chunk.split_first() else {
                    self.bom_matched = Some(matched);
                    return Ok(());
                };
                if byte != BOM[matched] {
                    // Not a BOM after all: the bytes matched so far start a line.
                    self.line.extend_from_slice(&BOM[..matched]);
                    self.partial_len = matched;
                    if matched > 0 {
                        self.partial = Partial::Line;
                    }
                    break;
                }
                matched += 1;
                chunk = rest;
            }
            self.bom_matched = None;
        }

        while let Some(&first) = chunk.first() {
            if self.skip_lf {
                self.skip_lf = false;
                if first == b'\n' {
                    chunk = &chunk[1..];
                    continue;
                }
            }
            chunk = match self.partial {
                Partial::None => self.start_line(chunk, emit)?,
                Partial::Line => self.continue_line(chunk, emit)?,
                Partial::Data { strip_space } => self.continue_data_line(chunk, strip_space)?,
            };
        }
        Ok(())
    }

    /// At the start of a line: the two common lines (blank, `data:`) take fast paths.
    fn start_line<'c>(
        &mut self,
        chunk: &'c [u8],
        emit: &mut impl FnMut(ItemRef<'_>),
    ) -> Result<&'c [u8], ParseError> {
        if matches!(chunk[0], b'\r' | b'\n') {
            self.dispatch(emit);
            return Ok(self.after_line_break(chunk, 0));
        }
        if let Some(value) = chunk.strip_prefix(b"data:") {
            return match memchr::memchr2(b'\r', b'\n', value) {
                Some(end) => {
                    self.field_lines += 1;
                    self.push_data_line(&value[..end])?;
                    Ok(self.after_line_break(chunk, 5 + end))
                }
                None => {
                    // A long data line: its value goes straight to the data buffer.
                    self.partial = Partial::Data { strip_space: true };
                    self.partial_len = 5;
                    self.continue_data_line(value, true)
                }
            };
        }
        match find_line_break(chunk) {
            Some(end) => {
                self.process_line(&chunk[..end], emit)?;
                Ok(self.after_line_break(chunk, end))
            }
            None => {
                self.partial = Partial::Line;
                self.buffer_line(chunk)?;
                Ok(&[])
            }
        }
    }

    /// A line whose start is in `self.line`.
    fn continue_line<'c>(
        &mut self,
        chunk: &'c [u8],
        emit: &mut impl FnMut(ItemRef<'_>),
    ) -> Result<&'c [u8], ParseError> {
        let Some(end) = find_line_break(chunk) else {
            self.buffer_line(chunk)?;
            return Ok(&[]);
        };
        let mut line = std::mem::take(&mut self.line);
        line.extend_from_slice(&chunk[..end]);
        self.partial = Partial::None;
        self.partial_len = 0;
        let result = self.process_line(&line, emit);
        line.clear();
        self.line = line;
        result?;
        Ok(self.after_line_break(chunk, end))
    }

    /// More of a data line's value, appended where it belongs.
    fn continue_data_line<'c>(
        &mut self,
        chunk: &'c [u8],
        strip_space: bool,
    ) -> Result<&'c [u8], ParseError> {
        let end = find_line_break(chunk);
        let mut piece = &chunk[..end.unwrap_or(chunk.len())];
        self.partial_len += piece.len();
        if self.partial_len > self.options.max_line_len {
            return Err(ParseError::LineTooLong {
                limit: self.options.max_line_len,
            });
        }
        let mut strip_space = strip_space;
        if strip_space && !piece.is_empty() {
            piece = piece.strip_prefix(b" ").unwrap_or(piece);
            strip_space = false;
        }
        // The event's size is judged when the line ends, as for a line that came in one
        // piece, so that which limit a stream breaks never depends on its chunking; until
        // then the line limit bounds what the data buffer can grow by.
        self.data.extend_from_slice(piece);
        match end {
            None => {
                self.partial = Partial::Data { strip_space };
                Ok(&[])
            }
            Some(end) => {
                self.check_event_len(1)?;
                self.field_lines += 1;
                self.data.push(b'\n');
                self.data_complete = self.data.len();
                self.partial = Partial::None;
                self.partial_len = 0;
                Ok(self.after_line_break(chunk, end))
            }
        }
    }

    /// The rest of `chunk` after the line break at `at` (CR, LF or CRLF); a CR at the very
    /// end may be the first half of a CRLF split across chunks.
    fn after_line_break<'c>(&mut self, chunk: &'c [u8], at: usize) -> &'c [u8] {
        let mut next = at + 1;
        if chunk[at] == b'\r' {
            match chunk.get(next) {
                Some(b'\n') => next += 1,
                Some(_) => {}
                None => self.skip_lf = true,
            }
        }
        &chunk[next..]
    }

    fn buffer_line(&mut self, bytes: &[u8]) -> Result<(), ParseError> {
        self.partial_len += bytes.len();
        if self.partial_len > self.options.max_line_len {
            return Err(ParseError::LineTooLong {
                limit: self.options.max_line_len,
            });
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn check_event_len(&self, more: usize) -> Result<(), ParseError> {
        if self.data.len() + more > self.options.max_event_len {
            return Err(ParseError::EventTooLarge {
                limit: self.options.max_event_len,
            });
        }
        Ok(())
    }

    fn push_data_line(&mut self, value: &[u8]) -> Result<(), ParseError> {
        if value.len() + 5 > self.options.max_line_len {
            return Err(ParseError::LineTooLong {
                limit: self.options.max_line_len,
            });
        }
        let value = value.strip_prefix(b" ").unwrap_or(value);
        self.check_event_len(value.len() + 1)?;
        self.data.extend_from_slice(value);
        self.data.push(b'\n');
        self.data_complete = self.data.len();
        Ok(())
    }

    /// Any complete line other than the fast paths'.
    fn process_line(
        &mut self,
        line: &[u8],
        emit: &mut impl FnMut(ItemRef<'_>),
    ) -> Result<(), ParseError> {
        if line.len() > self.options.max_line_len {
            return Err(ParseError::LineTooLong {
                limit: self.options.max_line_len,
            });
        }
        if line.is_empty() {
            self.dispatch(emit);
            return Ok(());
        }
        if line[0] == b':' {
            if self.options.comments {
                emit(ItemRef::Comment(String::from_utf8_lossy(&line[1..])));
            }
            return Ok(());
        }
        let (name, value) = match find_byte(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        // A retry line takes effect at once and belongs to no event: it is not pending.
        if name != b"retry" {
            self.field_lines += 1;
        }
        match name {
            b"data" => {
                self.check_event_len(value.len() + 1)?;
                self.data.extend_from_slice(value);
                self.data.push(b'\n');
                self.data_complete = self.data.len();
            }
            b"event" => {
                if self.options.notices {
                    if self.event_seen {
                        emit(ItemRef::Notice(Notice::RepeatedField {
                            name: "event",
                            replaced: self.event_type.clone(),
                            value: String::from_utf8_lossy(value).into_owned(),
                        }));
                    }
                    self.event_seen = true;
                }
                self.event_type.clear();
                push_lossy(&mut self.event_type, value);
            }
            b"id" => {
                if find_byte(0, value).is_some() {
                    if self.options.notices {
                        let value = String::from_utf8_lossy(value).into_owned();
                        emit(ItemRef::Notice(Notice::IdWithNul { value }));
                    }
                } else {
                    if self.id_seen && self.options.notices {
                        emit(ItemRef::Notice(Notice::RepeatedField {
                            name: "id",
                            replaced: self.id_buffer.clone(),
                            value: String::from_utf8_lossy(value).into_owned(),
                        }));
                    }
                    self.id_buffer.clear();
                    push_lossy(&mut self.id_buffer, value);
                    self.id_seen = true;
                }
            }
            b"retry" => {
                if !value.is_empty() && value.iter().all(u8::is_ascii_digit) {
                    let ms = value.iter().fold(0u64, |acc, digit| {
                        acc.saturating_mul(10)
                            .saturating_add(u64::from(digit - b'0'))
                    });
                    emit(ItemRef::Retry(ms));
                } else if self.options.notices {
                    let value = String::from_utf8_lossy(value).into_owned();
                    emit(ItemRef::Notice(Notice::InvalidRetry { value }));
                }
            }
            _ => {
                if self.options.notices {
                    let name = String::from_utf8_lossy(name).into_owned();
                    emit(ItemRef::Notice(Notice::UnknownField { name }));
                }
            }
        }
        Ok(())
    }

    /// A blank line: the resume point moves, and an event fires if there is data.
    fn dispatch(&mut self, emit: &mut impl FnMut(ItemRef<'_>)) {
        self.field_lines = 0;
        self.event_seen = false;
        let shared_id = self.options.notices
            && self.id_seen
            && self.data_complete > 0
            && self.id_dispatched
            && !self.id_buffer.is_empty()
            && self.id_buffer == self.last_event_id;
        if self.id_seen {
            self.id_seen = false;
            if self.id_buffer != self.last_event_id {
                self.id_dispatched = false;
            }
            self.last_event_id.clone_from(&self.id_buffer);
        }
        if self.data_complete == 0 {
            self.event_type.clear();
            return;
        }
        if shared_id {
            emit(ItemRef::Notice(Notice::SharedId {
                id: self.last_event_id.clone(),
            }));
        }
        self.id_dispatched = true;
        self.data.pop(); // the one trailing LF
        let data =
            if self.owned && self.data.len() >= HAND_OVER_DATA {
                // Hand the buffer over (copying 64 KiB events into fresh allocations makes
                // glibc trim and refault the heap on every event), and start the next event
                // with as much room. `String::from_utf8` validates again: the price of no
                // `unsafe`.
                let capacity = self.data.capacity().min(RETAINED_DATA_CAPACITY);
                let bytes = std::mem::replace(&mut self.data, Vec::with_capacity(capacity));
                Cow::Owned(String::from_utf8(bytes).unwrap_or_else(|invalid| {
                    String::from_utf8_lossy(invalid.as_bytes()).into_owned()
                }))
            } else {
                match valid_utf8(&self.data) {
                    Some(text) => Cow::Borrowed(text),
                    None => Cow::Owned(String::from_utf8_lossy(&self.data).into_owned()),
                }
            };
        let event_type = if self.event_type.is_empty() {
            "message"
        } else {
            self.event_type.as_str()
        };
        emit(ItemRef::Event(EventRef {
            event_type,
            data,
            last_event_id: &self.last_event_id,
        }));
        self.data.clear();
        self.data_complete = 0;
        if self.data.capacity() > RETAINED_DATA_CAPACITY {
            self.data.shrink_to(RETAINED_DATA_CAPACITY);
        }
        self.event_type.clear();
    }
}

/// Parses `bytes` fed in pieces cut at the offsets in `cuts` (sorted; out-of-range cuts
/// are clamped), then finishes: for testing that a result does not depend on chunking.
///
/// ```
/// use sse_conformance::parser::{parse_chunked, ParserOptions};
/// let stream = b"data: a\r\n\r\n";
/// let whole = parse_chunked(ParserOptions::default(), stream, &[]).unwrap();
/// let split = parse_chunked(ParserOptions::default(), stream, &[8, 9, 10]).unwrap();
/// assert_eq!(whole, split);
/// ```
///
/// # Errors
/// As [`Parser::feed`].
pub fn parse_chunked(
    options: ParserOptions,
    bytes: &[u8],
    cuts: &[usize],
) -> Result<(Vec<Item>, Leftover), ParseError> {
    let mut parser = Parser::with_options(options);
    let mut items = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&bytes.len())) {
        let cut = cut.clamp(start, bytes.len());
        parser.feed(&bytes[start..cut], |item| items.push(item))?;
        start = cut;
    }
    Ok((items, parser.finish()))
}

/// Parses a whole stream at once (then [`Parser::finish`]): handy in tests.
///
/// ```
/// let items = sse_conformance::parser::parse_all(b"data: a\r\ndata: b\n\n").unwrap();
/// assert_eq!(items.len(), 1);
/// ```
///
/// # Errors
/// As [`Parser::feed`].
pub fn parse_all(bytes: &[u8]) -> Result<Vec<Item>, ParseError> {
    let mut parser = Parser::new();
    let items = parser.feed_to_vec(bytes)?;
    parser.finish();
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(bytes: &[u8]) -> Vec<(String, String, String)> {
        parse_all(bytes)
            .unwrap()
            .into_iter()
            .filter_map(|item| match item {
                Item::Event(e) => Some((e.event_type.into_owned(), e.data, e.last_event_id)),
                _ => None,
            })
            .collect()
    }

    fn parse_notices(stream: &[u8]) -> Vec<Notice> {
        let mut parser = Parser::with_options(ParserOptions::diagnostics());
        let items = parser.feed_to_vec(stream).unwrap();
        items
            .into_iter()
            .filter_map(|item| match item {
                Item::Notice(notice) => Some(notice),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn an_id_or_event_set_twice_in_one_event_is_a_notice() {
        let mut parser = Parser::with_options(ParserOptions::diagnostics());
        // Two events that a missing blank line ran together, then two proper ones.
        let items = parser
            .feed_to_vec(b"id: 1\nevent: a\ndata: x\nid: 2\nevent: b\ndata: y\n\nid: 3\ndata: z\n\nevent: c\ndata: w\n\n")
            .unwrap();
        let notices: Vec<&Notice> = items
            .iter()
            .filter_map(|item| match item {
                Item::Notice(notice) => Some(notice),
                _ => None,
            })
            .collect();
        assert_eq!(
            notices,
            [
                &Notice::RepeatedField {
                    name: "id",
                    replaced: "1".into(),
                    value: "2".into()
                },
                &Notice::RepeatedField {
                    name: "event",
                    replaced: "a".into(),
                    value: "b".into()
                },
            ]
        );
        // An id an earlier event carries, set again on the next one: a shared id. The same
        // id on an event after an id-only block, or an empty id, is not.
        let shared = parse_notices(b"id: 7\ndata: a\n\nid: 7\ndata: b\n\nid: 8\n\nid: 8\ndata: c\n\nid:\ndata: d\n\nid:\ndata: e\n\n");
        assert_eq!(shared, [Notice::SharedId { id: "7".into() }]);
        // Without diagnostics the parser reports nothing, and the last value wins.
        let plain = parse_all(b"id: 1\nid: 2\ndata: y\n\n").unwrap();
        assert_eq!(plain.len(), 1);
        assert!(matches!(&plain[0], Item::Event(event) if event.last_event_id == "2"));
    }

    #[test]
    fn id_moves_the_resume_point_without_an_event() {
        let mut parser = Parser::new();
        assert!(parser.feed_to_vec(b"id: 5\n\n").unwrap().is_empty());
        assert_eq!(parser.last_event_id(), "5");
    }

    #[test]
    fn incomplete_final_event_is_discarded_with_its_id() {
        let mut parser = Parser::new();
        parser.feed(b"data: a\n\nid: 9\ndata: b\n", |_| {}).unwrap();
        let leftover = parser.finish();
        assert_eq!(leftover.field_lines, 2);
        assert!(leftover.had_data);
        assert_eq!(parser.last_event_id(), "");
    }

    #[test]
    fn split_bom_is_stripped_and_a_false_start_is_kept() {
        let mut parser = Parser::new();
        parser.feed(b"\xEF", |_| {}).unwrap();
        parser.feed(b"\xBB", |_| {}).unwrap();
        let items = parser.feed_to_vec(b"\xBFdata: x\n\n").unwrap();
        assert_eq!(items.len(), 1);
        // EF BB followed by 'd' is not a BOM: it becomes U+FFFD in the field name.
        assert!(events(b"\xEF\xBBdata: x\n\n").is_empty());
    }

    #[test]
    fn limits_give_errors_not_growth() {
        let options = ParserOptions {
            max_line_len: 8,
            ..ParserOptions::default()
        };
        let mut parser = Parser::with_options(options);
        assert_eq!(
            parser.feed(b"data: 0123456789", |_| {}),
            Err(ParseError::LineTooLong { limit: 8 })
        );
        assert!(parser.feed(b"\n\n", |_| {}).is_err(), "stays failed");
    }

    #[test]
    fn retry_needs_only_digits() {
        let items = parse_all(b"retry: 03000\nretry: +5\nretry:\nretry: 5s\n\n").unwrap();
        assert_eq!(items, vec![Item::Retry(3000)]);
    }
}
