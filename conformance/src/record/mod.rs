//! Recording a response body into timed chunks: shared by the live client and the
//! in-process driver of `testing`, so both produce transcripts the same way.
//!
//! Below this file: `limits.rs` (when to stop, progress reports), `decoder.rs` (gzip and
//! deflate as a browser decodes them) and `error_chain.rs` (a transport error as one
//! line).

mod decoder;
mod error_chain;
mod limits;

pub(crate) use decoder::Decoder;
pub(crate) use error_chain::error_chain;
pub use limits::{Limits, Progress};

use std::error::Error;

use bytes::Buf;
use http_body::Body;
use http_body_util::BodyExt;
use tokio::time::{timeout_at, Instant};

use std::time::Duration;

use crate::parser::{Item, Parser};
use crate::transcript::{Chunk, End, Header, RequestInfo, Transcript, FIXTURE_VERSION};

/// Milliseconds with microsecond precision, as fixtures store them.
pub(crate) fn millis(duration: Duration) -> f64 {
    (duration.as_micros() as f64) / 1000.0
}

/// How a response began.
pub(crate) struct Head {
    /// `HTTP/1.1`, `HTTP/2`, or `in-process`.
    pub(crate) version: String,
    /// 0 when no response came.
    pub(crate) status: u16,
    pub(crate) headers: Vec<Header>,
    /// When the headers came (or the attempt ended), in ms since the request was sent.
    pub(crate) at_ms: f64,
}

/// The chunks of a body and how it ended.
pub(crate) struct Recorded {
    pub(crate) chunks: Vec<Chunk>,
    pub(crate) end: End,
}

/// Reads `body` until it ends, the deadline passes or the limits are reached, decoding it
/// as a browser would and timing every chunk from `start`.
pub(crate) async fn record_body<B>(
    body: B,
    mut decoder: Decoder,
    start: Instant,
    deadline: Instant,
    limits: &Limits,
    progress: &mut dyn FnMut(Progress),
) -> Recorded
where
    B: Body,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    let mut body = std::pin::pin!(body);
    let mut chunks = Vec::new();
    // Only counts events (for `max_events`); transcripts are analysed afterwards.
    let mut parser = Parser::new();
    let (mut events, mut bytes) = (0usize, 0usize);
    let end = loop {
        if limits.max_events.is_some_and(|max| events >= max) || bytes >= limits.max_bytes {
            break End::Enough;
        }
        let frame = match timeout_at(deadline, body.frame()).await {
            Err(_) => break End::Timeout,
            Ok(None) => break End::Eof,
            Ok(Some(Err(error))) => {
                break End::Error {
                    message: error_chain(&*error.into()),
                }
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(mut data) = frame.into_data() else {
            continue;
        };
        let room = limits.max_bytes - bytes;
        let data = match decoder.decode(data.copy_to_bytes(data.remaining()), room) {
            Ok(data) => data,
            Err(message) => break End::Error { message },
        };
        if data.is_empty() {
            continue;
        }
        let at = start.elapsed();
        let _ = parser.feed(&data, |item| {
            if let Item::Event(event) = item {
                events +=
                    usize::from(!limits.only_events_with_id || !event.last_event_id.is_empty());
            }
        });
        bytes += data.len();
        chunks.push(Chunk {
            at_ms: millis(at),
            bytes: data.to_vec(),
        });
        progress(Progress {
            elapsed: at,
            events,
            bytes,
        });
    };
    Recorded { chunks, end }
}

impl Recorded {
    /// The transcript of a response: the one place a [`Transcript`] is built from what
    /// was observed, live or in process.
    pub(crate) fn into_transcript(
        self,
        request: RequestInfo,
        head: Head,
        observed_ms: f64,
    ) -> Transcript {
        Transcript {
            sse_conformance_fixture: FIXTURE_VERSION,
            request,
            version: head.version,
            status: head.status,
            headers: head.headers,
            headers_at_ms: head.at_ms,
            chunks: self.chunks,
            end: self.end,
            observed_ms,
        }
    }
}

/// The transcript of a request that got no response: status 0, no headers, no body,
/// and how the attempt ended.
pub(crate) fn unanswered(request: RequestInfo, version: &str, end: End, at_ms: f64) -> Transcript {
    let head = Head {
        version: version.to_owned(),
        status: 0,
        headers: Vec::new(),
        at_ms,
    };
    let nothing = Recorded {
        chunks: Vec::new(),
        end,
    };
    nothing.into_transcript(request, head, at_ms)
}
