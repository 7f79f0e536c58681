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
//!
//! The rooms, each importing only the ones listed before it:
//! - `item.rs` and `options.rs`: what comes out and what goes in;
//! - `scan.rs`: finding line breaks and colons, validating UTF-8;
//! - `fields.rs`: one line's field into the event being built, and its dispatch (the
//!   spec's buffers);
//! - `decode.rs`: the [`Parser`], which turns chunks into whole lines (the BOM, CR, LF
//!   and CRLF across chunk boundaries, the line limit, comments) and hands each field to
//!   `fields.rs`.

mod decode;
mod fields;
mod item;
mod options;
mod scan;

pub use decode::Parser;
pub use item::{Event, EventRef, Item, ItemRef, Notice};
pub use options::{Leftover, ParseError, ParserOptions};

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
mod tests;
