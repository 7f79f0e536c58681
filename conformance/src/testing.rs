//! Snapshot testing for users: drive a tower `Service` in process (no socket) or a URL,
//! and get a stable, readable transcript of the SSE response for `insta::assert_snapshot!`.
//!
//! ```
//! use std::convert::Infallible;
//! use sse_conformance::testing::{snapshot_service, Limits};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let service = tower::service_fn(|_request: http::Request<()>| async {
//!     let body = "retry: 1000\n\nid: 1\nevent: greeting\ndata: hello\ndata: world\n\n";
//!     let response = http::Response::builder()
//!         .header("content-type", "text/event-stream")
//!         .body(http_body_util::Full::new(bytes::Bytes::from(body)))
//!         .unwrap();
//!     Ok::<_, Infallible>(response)
//! });
//! let snapshot = snapshot_service(service, http::Request::new(()), Limits::default()).await;
//! assert_eq!(snapshot, "\
//! status: 200
//! content-type: text/event-stream
//! ---
//! retry: 1000
//! event: greeting
//!   id: \"1\"
//!   data: hello
//!   data: world
//! --- end of stream
//! ");
//! # });
//! ```

use std::fmt::{Display, Write};
use std::time::Duration;

use http::{Request, Response};
use http_body::Body;
use tokio::time::Instant;
use tower::{Service, ServiceExt};

pub use crate::client::Limits;
use crate::client::{observe, ClientError, Target};
use crate::parser::{Item, Notice};
use crate::record::{millis, record_body, unanswered, Decoder, Head};
use crate::transcript::{End, Header, RequestInfo, Transcript};

/// Headers that matter to SSE clients and proxies; the rest would make snapshots brittle.
const SNAPSHOT_HEADERS: &[&str] = &[
    "access-control-allow-credentials",
    "access-control-allow-headers",
    "access-control-allow-methods",
    "access-control-allow-origin",
    "cache-control",
    "content-encoding",
    "content-length",
    "content-type",
    "location",
    "retry-after",
    "vary",
    "x-accel-buffering",
];

/// Calls `service` with `request` and records its response, without a socket.
///
/// Stops at the end of the body or at `limits` (use `max_events`, or a `duration` under
/// tokio's paused time, for endless streams).
pub async fn transcript_of_service<S, ReqBody, ResBody>(
    service: S,
    request: Request<ReqBody>,
    limits: Limits,
) -> Transcript
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: Display,
    ResBody: Body,
    ResBody::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let start = Instant::now();
    let deadline = start + limits.duration;
    let info = RequestInfo {
        method: request.method().to_string(),
        url: request.uri().to_string(),
        headers: Header::list(request.headers()),
    };
    let response = match service.oneshot(request).await {
        Ok(response) => response,
        Err(error) => {
            return errored(
                info,
                format!("the service failed: {error}"),
                millis(start.elapsed()),
            )
        }
    };
    let headers_at_ms = millis(start.elapsed());
    let status = response.status().as_u16();
    let headers = Header::list(response.headers());
    let decoder =
        match Decoder::for_encoding(response.headers().get(http::header::CONTENT_ENCODING)) {
            Ok(decoder) => decoder,
            Err(encoding) => {
                let message = format!("cannot decode Content-Encoding {encoding:?}");
                return errored(info, message, headers_at_ms);
            }
        };
    let recorded = record_body(
        response.into_body(),
        decoder,
        start,
        deadline,
        &limits,
        &mut |_| {},
    )
    .await;
    let head = Head {
        version: "in-process".into(),
        status,
        headers,
        at_ms: headers_at_ms,
    };
    recorded.into_transcript(info, head, millis(start.elapsed()))
}

fn errored(request: RequestInfo, message: String, at_ms: f64) -> Transcript {
    unanswered(request, "in-process", End::Error { message }, at_ms)
}

/// [`transcript_of_service`], rendered with [`render`].
pub async fn snapshot_service<S, ReqBody, ResBody>(
    service: S,
    request: Request<ReqBody>,
    limits: Limits,
) -> String
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: Display,
    ResBody: Body,
    ResBody::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    render(&transcript_of_service(service, request, limits).await)
}

/// Observes `url` with a `GET` and renders it with [`render`].
///
/// # Errors
/// No response could be had.
pub async fn snapshot_url(url: &str, limits: Limits) -> Result<String, ClientError> {
    let transcript = observe(&Target::get(url)?, &limits, &mut |_| {}).await?;
    Ok(render(&transcript))
}

/// A stable text form of a transcript: the status, the SSE-relevant headers (sorted), then
/// what a client sees, in order: retries, comments, events with their fields, ignored
/// fields, anything discarded at the end. No timing, so it does not flake.
pub fn render(transcript: &Transcript) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "status: {}", transcript.status);
    let mut headers: Vec<&Header> = transcript
        .headers
        .iter()
        .filter(|header| SNAPSHOT_HEADERS.contains(&header.name.to_ascii_lowercase().as_str()))
        .collect();
    headers.sort_by(|a, b| a.name.cmp(&b.name));
    for header in headers {
        let _ = writeln!(
            out,
            "{}: {}",
            header.name.to_ascii_lowercase(),
            header.value
        );
    }
    out.push_str("---\n");
    let analysis = transcript.analyze();
    for timed in &analysis.items {
        match &timed.item {
            Item::Retry(ms) => {
                let _ = writeln!(out, "retry: {ms}");
            }
            Item::Comment(text) => {
                let _ = writeln!(out, "comment: {text:?}");
            }
            Item::Event(event) => {
                let _ = writeln!(out, "event: {}", event.event_type);
                if !event.last_event_id.is_empty() {
                    let _ = writeln!(out, "  id: {:?}", event.last_event_id);
                }
                for line in event.data.split('\n') {
                    let _ = writeln!(out, "  data: {line}");
                }
            }
            Item::Notice(Notice::UnknownField { name }) => {
                let _ = writeln!(out, "ignored field: {name:?}");
            }
            Item::Notice(Notice::InvalidRetry { value }) => {
                let _ = writeln!(out, "ignored retry: {value:?}");
            }
            Item::Notice(Notice::IdWithNul { value }) => {
                let _ = writeln!(out, "ignored id: {value:?}");
            }
            Item::Notice(Notice::RepeatedField {
                name,
                replaced,
                value,
            }) => {
                let _ = writeln!(
                    out,
                    "{name} {replaced:?} replaced by {value:?} in one event"
                );
            }
            Item::Notice(Notice::SharedId { id }) => {
                let _ = writeln!(out, "id {id:?} again: two events share it");
            }
        }
    }
    if let Some(error) = &analysis.parse_error {
        let _ = writeln!(out, "parse error: {error}");
    }
    if !analysis.leftover.is_empty() {
        let _ = writeln!(
            out,
            "discarded: {} field line(s), {} byte(s) of an unfinished line",
            analysis.leftover.field_lines, analysis.leftover.partial_line
        );
    }
    out.push_str(match &transcript.end {
        End::Eof => "--- end of stream\n",
        End::Timeout | End::Enough => "--- still open\n",
        End::Error { .. } => "--- broken\n",
    });
    if let End::Error { message } = &transcript.end {
        let _ = writeln!(out, "{message}");
    }
    out
}

/// A shorthand for limits that stop after `events` events or `seconds` seconds.
///
/// ```
/// let limits = sse_conformance::testing::stop_after(3, 5);
/// assert_eq!(limits.max_events, Some(3));
/// ```
pub fn stop_after(events: usize, seconds: u64) -> Limits {
    Limits {
        duration: Duration::from_secs(seconds),
        max_events: Some(events),
        ..Limits::default()
    }
}
