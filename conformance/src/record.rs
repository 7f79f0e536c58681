//! Recording a response body into timed chunks: shared by the live client and the
//! in-process driver of `testing`, so both produce transcripts the same way.

use std::error::Error;

use bytes::{Buf, Bytes};
use http::HeaderValue;
use http_body::Body;
use http_body_util::BodyExt;
use tokio::time::{timeout_at, Instant};

use std::time::Duration;

use crate::parser::{Item, Parser};
use crate::transcript::{Chunk, End, Header, RequestInfo, Transcript, FIXTURE_VERSION};

/// When to stop observing.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The longest observation, from sending the request.
    pub duration: Duration,
    /// Stop once this many events were dispatched (`Some(0)`: right after the headers).
    pub max_events: Option<usize>,
    /// Stop after this many body bytes.
    pub max_bytes: usize,
    /// Count only events that carry an event ID towards `max_events`: a reconnect waits
    /// for the event that continues the stream, not for a greeting sent before the
    /// stream's first `id` field.
    pub only_events_with_id: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            duration: Duration::from_secs(10),
            max_events: None,
            max_bytes: 64 << 20,
            only_events_with_id: false,
        }
    }
}

/// A progress report while a stream is observed.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Time since the request was sent.
    pub elapsed: Duration,
    /// Events dispatched so far.
    pub events: usize,
    /// Body bytes so far.
    pub bytes: usize,
}

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

/// An error and its sources, one line.
pub(crate) fn error_chain(error: &dyn Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// Decompresses a body chunk by chunk, as a browser does before its SSE parser sees it.
/// Chunks keep their arrival times, so a compressor that buffers shows as a burst.
pub(crate) enum Decoder {
    Identity,
    Gzip(flate2::write::GzDecoder<Vec<u8>>),
    Deflate(flate2::write::ZlibDecoder<Vec<u8>>),
}

impl Decoder {
    /// The decoder for a `Content-Encoding`, or the encoding it cannot decode.
    pub(crate) fn for_encoding(encoding: Option<&HeaderValue>) -> Result<Self, String> {
        let Some(encoding) = encoding else {
            return Ok(Self::Identity);
        };
        let encoding = String::from_utf8_lossy(encoding.as_bytes())
            .trim()
            .to_ascii_lowercase();
        match encoding.as_str() {
            "" | "identity" => Ok(Self::Identity),
            "gzip" | "x-gzip" => Ok(Self::Gzip(flate2::write::GzDecoder::new(Vec::new()))),
            "deflate" => Ok(Self::Deflate(flate2::write::ZlibDecoder::new(Vec::new()))),
            _ => Err(encoding),
        }
    }

    /// Decodes `data`, producing at most `room` bytes: input goes in small steps and
    /// stops once the output fills the room, so a bomb (a few KiB that inflate to GiB)
    /// never allocates more than the room plus one step's output (about 0.5 MiB at
    /// deflate's largest ratio).
    pub(crate) fn decode(&mut self, data: Bytes, room: usize) -> Result<Bytes, String> {
        use std::io::Write;
        /// Input fed per step.
        const STEP: usize = 512;
        fn bounded<W: Write>(
            decoder: &mut W,
            output: impl Fn(&mut W) -> &mut Vec<u8>,
            data: &[u8],
            room: usize,
        ) -> std::io::Result<Vec<u8>> {
            for piece in data.chunks(STEP) {
                decoder.write_all(piece)?;
                decoder.flush()?;
                if output(decoder).len() >= room {
                    break;
                }
            }
            let mut out = std::mem::take(output(decoder));
            out.truncate(room);
            Ok(out)
        }
        let output = match self {
            Self::Identity => return Ok(data.slice(..data.len().min(room))),
            Self::Gzip(decoder) => bounded(decoder, |d| d.get_mut(), &data, room),
            Self::Deflate(decoder) => bounded(decoder, |d| d.get_mut(), &data, room),
        };
        output
            .map(Bytes::from)
            .map_err(|e| format!("cannot decompress the body: {e}"))
    }
}
