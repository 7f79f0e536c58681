//! What a caller sets ([`ParserOptions`]), the error that stops a parser, and what the
//! end of a stream discarded.

use std::fmt;

/// Limits and diagnostics for a [`Parser`](super::Parser).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParserOptions {
    /// The longest line accepted, in bytes, line break excluded.
    pub max_line_len: usize,
    /// The largest data buffer of one event, in bytes, judged at the end of each data
    /// line (so the buffer holds at most this plus one line).
    pub max_event_len: usize,
    /// Report comment lines as [`Item::Comment`](super::Item::Comment).
    pub comments: bool,
    /// Report ignored fields as [`Item::Notice`](super::Item::Notice).
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
