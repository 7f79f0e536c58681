//! The [`Transcript`]: everything observed of one SSE response, with timestamps.
//!
//! A live run, a recorded fixture and an in-process test all produce one, and every
//! offline check is a pure function of it; so they share exactly one code path.
//! It (de)serialises as the fixture format documented in `fixtures/README.md`.

use serde::{Deserialize, Serialize};

pub use crate::fixture_error::{FixtureError, HexError};
use crate::parser::{Item, Leftover, ParseError, Parser, ParserOptions};

/// The format version written in every fixture.
pub const FIXTURE_VERSION: u32 = 1;

/// What was sent, what came back, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    /// Always [`FIXTURE_VERSION`] when written by this crate.
    #[serde(default = "fixture_version")]
    pub sse_conformance_fixture: u32,
    /// The request that produced the response.
    pub request: RequestInfo,
    /// `HTTP/1.1`, `HTTP/2`, or `in-process` for a service driven without a socket.
    pub version: String,
    /// The response status.
    pub status: u16,
    /// The response headers in order, values decoded as UTF-8 with replacement.
    pub headers: Vec<Header>,
    /// Milliseconds from sending the request to receiving the headers.
    pub headers_at_ms: f64,
    /// Every body chunk as it arrived.
    pub chunks: Vec<Chunk>,
    /// How the observation ended.
    pub end: End,
    /// Milliseconds from sending the request to the end of the observation.
    pub observed_ms: f64,
}

impl Header {
    /// A header as received (the value decoded as UTF-8 with replacement).
    pub fn new(name: &http::HeaderName, value: &http::HeaderValue) -> Self {
        Self {
            name: name.as_str().to_owned(),
            value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
        }
    }

    /// Every header of a map, in order.
    pub fn list(headers: &http::HeaderMap) -> Vec<Self> {
        headers
            .iter()
            .map(|(name, value)| Self::new(name, value))
            .collect()
    }
}

impl From<(String, String)> for Header {
    fn from((name, value): (String, String)) -> Self {
        Self { name, value }
    }
}

impl From<Header> for (String, String) {
    fn from(header: Header) -> Self {
        (header.name, header.value)
    }
}

fn fixture_version() -> u32 {
    FIXTURE_VERSION
}

/// The request side of a transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestInfo {
    /// The method.
    pub method: String,
    /// The URL (or the request path for an in-process service).
    pub url: String,
    /// Headers sent, beyond the transport's own.
    #[serde(default)]
    pub headers: Vec<Header>,
}

/// One header line; in fixtures a `["name", "value"]` pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "(String, String)", into = "(String, String)")]
pub struct Header {
    /// Lower-case name.
    pub name: String,
    /// The value.
    pub value: String,
}

/// A body chunk: its bytes and its arrival time (ms since the request was sent).
///
/// Serialised as `{"at_ms": 1.5, "text": "data: x\n\n"}`, or with `"hex"` instead of
/// `"text"` when the bytes are not valid UTF-8.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// Arrival time in ms since the request was sent.
    pub at_ms: f64,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Why the observation stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum End {
    /// The server ended the body cleanly.
    Eof,
    /// The observation time ran out with the stream still open.
    Timeout,
    /// Enough events were seen for the purpose (a probe).
    Enough,
    /// The connection broke (reset, truncated chunked encoding, protocol error).
    Error {
        /// What the transport said.
        message: String,
    },
}

/// An [`Item`] with the arrival time of the chunk that completed it.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedItem {
    /// Arrival time in ms since the request was sent.
    pub at_ms: f64,
    /// For an event, when the chunk holding its first field line arrived (its lines
    /// waited `at_ms - started_ms` for the blank line that dispatched them); for any other
    /// item, `at_ms`.
    pub started_ms: f64,
    /// What the parser found.
    pub item: Item,
}

/// What a client makes of the body: the parser run over the chunks, plus byte facts.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Events, retries, comments and notices in order: the first
    /// [`EVENT_SAMPLE`](Self::EVENT_SAMPLE) events and retries, and the first
    /// [`SAMPLE`](Self::SAMPLE) comments and notices.
    pub items: Vec<TimedItem>,
    /// How many events the stream dispatched (all of them, kept or not).
    pub events: usize,
    /// How many valid `retry` fields it had (all of them, kept or not).
    pub retries: usize,
    /// How many comment lines the stream had (all of them, kept or not).
    pub comments: usize,
    /// How many notices the parser raised (all of them, kept or not).
    pub notices: usize,
    /// A size limit the stream broke.
    pub parse_error: Option<ParseError>,
    /// What was still unfinished when the observation ended.
    pub leftover: Leftover,
    /// Byte offset of the first invalid UTF-8 sequence, if any.
    pub invalid_utf8_at: Option<usize>,
    /// The body started with a UTF-8 BOM.
    pub bom: bool,
    /// Total body bytes.
    pub body_bytes: usize,
}

impl Analysis {
    /// How many comments, and how many notices, [`items`](Self::items) keeps at most.
    pub const SAMPLE: usize = 256;

    /// How many events, and how many retries, [`items`](Self::items) keeps at most: far
    /// more than any judgment needs, and about 10 MB at the most.
    pub const EVENT_SAMPLE: usize = 100_000;

    /// The last valid `retry` the stream sent (among those kept): how long a browser
    /// waits before it reconnects, in ms.
    ///
    /// ```
    /// let transcript: sse_conformance::Transcript = serde_json::from_str(r#"{
    ///     "request": {"method": "GET", "url": "http://127.0.0.1:8080/events"},
    ///     "version": "HTTP/1.1", "status": 200, "headers": [], "headers_at_ms": 1.0,
    ///     "chunks": [{"at_ms": 2.0, "text": "retry: 500\nretry: 2000\ndata: a\n\n"}],
    ///     "end": {"kind": "eof"}, "observed_ms": 3.0
    /// }"#)?;
    /// assert_eq!(transcript.analyze().last_retry(), Some(2000));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn last_retry(&self) -> Option<u64> {
        self.items.iter().rev().find_map(|timed| match timed.item {
            Item::Retry(ms) => Some(ms),
            _ => None,
        })
    }

    /// The dispatched events that were kept (see [`EVENT_SAMPLE`](Self::EVENT_SAMPLE)),
    /// with their arrival times; [`events`](Self::events) counts them all.
    pub fn events(&self) -> impl Iterator<Item = (f64, &crate::parser::Event)> {
        self.items.iter().filter_map(|timed| match &timed.item {
            Item::Event(event) => Some((timed.at_ms, event)),
            _ => None,
        })
    }
}

impl Transcript {
    /// The first value of a header (names compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|header| header.name.eq_ignore_ascii_case(name))
            .map(|header| header.value.as_str())
    }

    /// Every value of a header.
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |header| header.name.eq_ignore_ascii_case(name))
            .map(|header| header.value.as_str())
    }

    /// The media type without parameters, lower-cased.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// True for a response an `EventSource` accepts: 200 and `text/event-stream`.
    pub fn is_event_stream(&self) -> bool {
        self.status == 200 && self.media_type().as_deref() == Some("text/event-stream")
    }

    /// The whole body.
    pub fn body(&self) -> Vec<u8> {
        self.chunks
            .iter()
            .flat_map(|chunk| chunk.bytes.iter().copied())
            .collect()
    }

    /// Runs the WHATWG parser over the chunks as they arrived.
    ///
    /// What it keeps is bounded whatever the stream: every event and retry up to
    /// [`Analysis::EVENT_SAMPLE`], then only their counts; comments and notices up to
    /// [`Analysis::SAMPLE`] each; no copy of the body.
    pub fn analyze(&self) -> Analysis {
        let mut parser = Parser::with_options(ParserOptions::diagnostics());
        let mut items = Vec::new();
        let mut parse_error = None;
        let (mut events, mut retries, mut comments, mut notices) = (0usize, 0, 0, 0);
        let mut utf8 = Utf8Scan::default();
        let mut body_bytes = 0;
        let mut bom = Bom::default();
        for chunk in &self.chunks {
            utf8.feed(&chunk.bytes);
            body_bytes += chunk.bytes.len();
            bom.feed(&chunk.bytes);
        }
        // When the lines of the event being built began to arrive.
        let mut pending_since: Option<f64> = None;
        for chunk in &self.chunks {
            let at_ms = chunk.at_ms;
            let mut next_start = pending_since.unwrap_or(at_ms);
            let mut dispatched = false;
            let fed = parser.feed(&chunk.bytes, |item| {
                let started_ms = match item {
                    Item::Event(_) => {
                        dispatched = true;
                        std::mem::replace(&mut next_start, at_ms)
                    }
                    _ => at_ms,
                };
                // Any kind of item can be one per few bytes: a hostile stream must not
                // cost an allocation each. Count them all; keep a sample.
                let (count, sample) = match item {
                    Item::Event(_) => (&mut events, Analysis::EVENT_SAMPLE),
                    Item::Retry(_) => (&mut retries, Analysis::EVENT_SAMPLE),
                    Item::Comment(_) => (&mut comments, Analysis::SAMPLE),
                    Item::Notice(_) => (&mut notices, Analysis::SAMPLE),
                };
                *count += 1;
                if *count <= sample {
                    items.push(TimedItem {
                        at_ms,
                        started_ms,
                        item,
                    });
                }
            });
            let pending = parser.pending_field_lines() > 0 || parser.pending_line_bytes() > 0;
            pending_since = match (pending, pending_since) {
                (false, _) => None,
                // Still the same unfinished event as before this chunk.
                (true, Some(since)) if !dispatched => Some(since),
                (true, _) => Some(at_ms),
            };
            if let Err(error) = fed {
                parse_error = Some(error);
                break;
            }
        }
        let leftover = parser.finish();
        Analysis {
            items,
            events,
            retries,
            comments,
            notices,
            parse_error,
            leftover,
            invalid_utf8_at: utf8.finish(),
            bom: bom.found(),
            body_bytes,
        }
    }

    /// Reads a fixture file.
    ///
    /// # Errors
    /// Unreadable file or invalid fixture JSON, with the reason.
    pub fn load(path: &std::path::Path) -> Result<Self, FixtureError> {
        let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Read {
            path: path.to_owned(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| FixtureError::Invalid {
            path: path.to_owned(),
            source,
        })
    }

    /// Writes this transcript as a fixture file (pretty JSON).
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn save(&self, path: &std::path::Path) -> Result<(), FixtureError> {
        let mut text = serde_json::to_string_pretty(self).expect("a transcript serialises");
        text.push('\n');
        std::fs::write(path, text).map_err(|source| FixtureError::Write {
            path: path.to_owned(),
            source,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct ChunkRepr {
    at_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hex: Option<String>,
}

impl Serialize for Chunk {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let repr = match std::str::from_utf8(&self.bytes) {
            Ok(text) => ChunkRepr {
                at_ms: self.at_ms,
                text: Some(text.to_owned()),
                hex: None,
            },
            Err(_) => ChunkRepr {
                at_ms: self.at_ms,
                text: None,
                hex: Some(to_hex(&self.bytes)),
            },
        };
        repr.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Chunk {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let repr = ChunkRepr::deserialize(deserializer)?;
        let bytes = match (repr.text, repr.hex) {
            (Some(text), None) => text.into_bytes(),
            (None, Some(hex)) => from_hex(&hex).map_err(serde::de::Error::custom)?,
            _ => {
                return Err(serde::de::Error::custom(
                    "a chunk has exactly one of \"text\" and \"hex\"",
                ))
            }
        };
        Ok(Chunk {
            at_ms: repr.at_ms,
            bytes,
        })
    }
}

/// Finds where a body stops being UTF-8, chunk by chunk, as `str::from_utf8` over the
/// whole body would (an unfinished sequence at the end counts), without joining it.
#[derive(Default)]
struct Utf8Scan {
    /// Bytes before the current chunk.
    offset: usize,
    /// The start of a sequence the previous chunk left unfinished (at most 3 bytes).
    pending: Vec<u8>,
    invalid_at: Option<usize>,
}

impl Utf8Scan {
    fn feed(&mut self, bytes: &[u8]) {
        if self.invalid_at.is_none() {
            let start = self.offset - self.pending.len();
            let joined;
            let data = if self.pending.is_empty() {
                bytes
            } else {
                let mut with_pending = std::mem::take(&mut self.pending);
                with_pending.extend_from_slice(bytes);
                joined = with_pending;
                &joined[..]
            };
            if let Err(error) = std::str::from_utf8(data) {
                match error.error_len() {
                    Some(_) => self.invalid_at = Some(start + error.valid_up_to()),
                    None => self.pending = data[error.valid_up_to()..].to_vec(),
                }
            }
        }
        self.offset += bytes.len();
    }

    fn finish(self) -> Option<usize> {
        self.invalid_at
            .or((!self.pending.is_empty()).then(|| self.offset - self.pending.len()))
    }
}

/// Whether a body starts with the UTF-8 byte order mark, however it is chunked.
#[derive(Default)]
struct Bom {
    start: Vec<u8>,
}

impl Bom {
    fn feed(&mut self, bytes: &[u8]) {
        let missing = 3usize.saturating_sub(self.start.len());
        self.start
            .extend_from_slice(&bytes[..missing.min(bytes.len())]);
    }

    fn found(&self) -> bool {
        self.start == b"\xEF\xBB\xBF"
    }
}

/// Lower-case hex, two digits a byte.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Parses hex written by [`to_hex`] (white space allowed between bytes).
///
/// # Errors
/// Odd length or a non-hex digit.
pub fn from_hex(hex: &str) -> Result<Vec<u8>, HexError> {
    let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(HexError::OddLength);
    }
    digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| HexError::NotHex(String::from_utf8_lossy(pair).into_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_round_trip_as_text_or_hex() {
        for bytes in [b"data: x\n\n".to_vec(), vec![0xff, b'\n', 0xc3]] {
            let chunk = Chunk { at_ms: 1.5, bytes };
            let json = serde_json::to_string(&chunk).unwrap();
            assert_eq!(
                serde_json::from_str::<Chunk>(&json).unwrap(),
                chunk,
                "{json}"
            );
        }
        assert!(serde_json::from_str::<Chunk>(r#"{"at_ms":0,"hex":"0"}"#).is_err());
    }

    fn transcript_of(chunks: &[&[u8]]) -> Transcript {
        let mut transcript: Transcript = serde_json::from_str(
            r#"{"request": {"method": "GET", "url": "http://x/"}, "version": "HTTP/1.1",
                "status": 200, "headers": [], "headers_at_ms": 0.0, "chunks": [],
                "end": {"kind": "eof"}, "observed_ms": 1.0}"#,
        )
        .unwrap();
        transcript.chunks = chunks
            .iter()
            .map(|bytes| Chunk {
                at_ms: 0.0,
                bytes: bytes.to_vec(),
            })
            .collect();
        transcript
    }

    #[test]
    fn utf8_and_bom_are_found_however_the_body_is_cut() {
        let bodies: [&[u8]; 7] = [
            b"\xEF\xBB\xBFdata: \xE2\x82\xAC\n\n",
            b"data: \xF0\x9F\x98\x80 ok\n",
            b"data: \xE2\x82\n\n",
            b"data: \xF0\x9F\x98",
            b"\xEF\xBB",
            b"ok \xC3\xA9 \xFF more",
            b"\xED\xA0\x80 surrogate",
        ];
        for body in bodies {
            let expected = std::str::from_utf8(body).err().map(|e| e.valid_up_to());
            for first in 0..=body.len() {
                for second in first..=body.len() {
                    let transcript =
                        transcript_of(&[&body[..first], &body[first..second], &body[second..]]);
                    let analysis = transcript.analyze();
                    assert_eq!(
                        analysis.invalid_utf8_at, expected,
                        "{body:?} cut {first}, {second}"
                    );
                    assert_eq!(analysis.bom, body.starts_with(b"\xEF\xBB\xBF"));
                    assert_eq!(analysis.body_bytes, body.len());
                }
            }
        }
    }

    #[test]
    fn a_flood_of_tiny_events_is_counted_not_kept() {
        let flood = b"data:\n\nretry: 1\n".repeat(Analysis::EVENT_SAMPLE + 500);
        let analysis = transcript_of(&[&flood]).analyze();
        assert_eq!(analysis.events, Analysis::EVENT_SAMPLE + 500);
        assert_eq!(analysis.retries, Analysis::EVENT_SAMPLE + 500);
        assert_eq!(analysis.events().count(), Analysis::EVENT_SAMPLE);
        assert_eq!(analysis.items.len(), 2 * Analysis::EVENT_SAMPLE);
    }
}
