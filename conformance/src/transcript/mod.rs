//! The [`Transcript`]: everything observed of one SSE response, with timestamps.
//!
//! A live run, a recorded fixture and an in-process test all produce one, and every
//! offline check is a pure function of it; so they share exactly one code path.
//! It (de)serialises as the fixture format documented in `fixtures/README.md`.

//!
//! The rooms: `parts.rs` (the request, the headers, the end), `chunk.rs` (a body chunk
//! and its text-or-hex form), `hex.rs`, `body_scan.rs` (UTF-8 and BOM facts, chunk by
//! chunk), `analysis.rs` (the parser run over the chunks) and `error.rs`; this file holds
//! the [`Transcript`] itself and reads and writes fixtures.

mod analysis;
mod body_scan;
mod chunk;
mod error;
mod hex;
mod parts;

use serde::{Deserialize, Serialize};

pub use analysis::{Analysis, TimedItem};
pub use chunk::Chunk;
pub use error::{FixtureError, HexError};
pub use hex::{from_hex, to_hex};
pub use parts::{End, Header, RequestInfo};

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

fn fixture_version() -> u32 {
    FIXTURE_VERSION
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
        Analysis::of_chunks(&self.chunks)
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

#[cfg(test)]
mod tests;
