//! Chunks into whole lines: the BOM, CR, LF and CRLF (also split across chunks), the line
//! limit, comments and the `name: value` split. What each field means is `fields.rs`'s job.

use super::fields::EventBuffers;
use super::item::{Item, ItemRef};
use super::options::{Leftover, ParseError, ParserOptions};
use super::scan::{find_byte, find_line_break, BOM};

/// A line that has started but not ended yet (it continues in the next chunk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Partial {
    /// At the start of a line.
    None,
    /// The line so far is in `Parser::line`.
    Line,
    /// A `data` line whose value goes straight into the data buffer; `strip_space` while
    /// the one optional leading space has not been seen yet.
    Data { strip_space: bool },
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
    /// The event being built and the last-event-id string.
    event: EventBuffers,
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
            event: EventBuffers::new(&options),
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
        parser.event = EventBuffers::resuming(&options, last_event_id);
        parser
    }

    /// The last-event-id string: what a client would send as `Last-Event-ID` now.
    pub fn last_event_id(&self) -> &str {
        self.event.last_event_id()
    }

    /// Field lines of the event being built (not yet closed by a blank line).
    pub fn pending_field_lines(&self) -> usize {
        self.event.field_lines()
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
        self.event.owned = true;
        let result = self.feed_borrowed(chunk, |item| emit(item.into_owned()));
        self.event.owned = false;
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
        let leftover = self.event.finish(self.pending_line_bytes());
        self.partial = Partial::None;
        self.partial_len = 0;
        self.line.clear();
        self.skip_lf = false;
        self.bom_matched = Some(0);
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
            self.event.dispatch(emit);
            return Ok(self.after_line_break(chunk, 0));
        }
        if let Some(value) = chunk.strip_prefix(b"data:") {
            return match memchr::memchr2(b'\r', b'\n', value) {
                Some(end) => {
                    self.event.count_field_line();
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
        self.event.data_piece(piece);
        match end {
            None => {
                self.partial = Partial::Data { strip_space };
                Ok(&[])
            }
            Some(end) => {
                self.event.end_data_line()?;
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

    #[inline]
    fn push_data_line(&mut self, value: &[u8]) -> Result<(), ParseError> {
        if value.len() + 5 > self.options.max_line_len {
            return Err(ParseError::LineTooLong {
                limit: self.options.max_line_len,
            });
        }
        let value = value.strip_prefix(b" ").unwrap_or(value);
        self.event.data_line(value)
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
            self.event.dispatch(emit);
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
        self.event.field(name, value, emit)
    }
}
