//! What a client makes of a body: the parser run over the chunks as they arrived
//! ([`Analysis`]), with the arrival time of each item ([`TimedItem`]).

use super::body_scan::{Bom, Utf8Scan};
use super::chunk::Chunk;
use crate::parser::{Item, Leftover, ParseError, Parser, ParserOptions};

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

    /// Runs the WHATWG parser over `chunks` as they arrived: see
    /// [`Transcript::analyze`](super::Transcript::analyze).
    pub(super) fn of_chunks(chunks: &[Chunk]) -> Analysis {
        let mut parser = Parser::with_options(ParserOptions::diagnostics());
        let mut items = Vec::new();
        let mut parse_error = None;
        let (mut events, mut retries, mut comments, mut notices) = (0usize, 0, 0, 0);
        let mut utf8 = Utf8Scan::default();
        let mut body_bytes = 0;
        let mut bom = Bom::default();
        for chunk in chunks {
            utf8.feed(&chunk.bytes);
            body_bytes += chunk.bytes.len();
            bom.feed(&chunk.bytes);
        }
        // When the lines of the event being built began to arrive.
        let mut pending_since: Option<f64> = None;
        for chunk in chunks {
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
}
