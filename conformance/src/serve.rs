//! `sse-conformance serve`: recorded fixtures served back with their timing, so SSE
//! *clients* can be tested against real (mis)behaviour.

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body::{Body, Frame};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::time::{Instant, Sleep};

use crate::transcript::FixtureError;
use crate::transcript::{End, Transcript};

/// Fixtures by request path. A single file is served at every path (key `""`).
pub type Fixtures = BTreeMap<String, Transcript>;

/// Loads one fixture file, or every `*.json` fixture of a folder (served at `/<stem>`).
///
/// # Errors
/// An unreadable path or a file that is not a fixture.
pub fn load(path: &Path) -> Result<Fixtures, FixtureError> {
    let mut fixtures = Fixtures::new();
    let unreadable = |source| FixtureError::Read {
        path: path.to_owned(),
        source,
    };
    if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(unreadable)?;
        for entry in entries {
            let file = entry.map_err(unreadable)?.path();
            if file.extension().is_some_and(|ext| ext == "json") {
                let stem = file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                fixtures.insert(format!("/{stem}"), Transcript::load(&file)?);
            }
        }
        if fixtures.is_empty() {
            return Err(FixtureError::NoFixtures {
                path: path.to_owned(),
            });
        }
    } else {
        fixtures.insert(String::new(), Transcript::load(path)?);
    }
    Ok(fixtures)
}

/// Serves `fixtures` on `listener` (HTTP/1.1 and h2c) until the task is dropped.
pub async fn serve(listener: TcpListener, fixtures: Fixtures) {
    let fixtures = Arc::new(fixtures);
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            continue;
        };
        let fixtures = fixtures.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let fixtures = fixtures.clone();
                async move { Ok::<_, Infallible>(answer(&fixtures, &request)) }
            });
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(socket), service)
                .await;
        });
    }
}

fn answer(fixtures: &Fixtures, request: &Request<Incoming>) -> Response<ReplayBody> {
    let path = request.uri().path();
    let fixture = fixtures.get("").or_else(|| fixtures.get(path));
    let Some(fixture) = fixture else {
        let index: Vec<&str> = fixtures.keys().map(String::as_str).collect();
        let mut response = Response::new(ReplayBody::text(format!(
            "no fixture at {path}; try one of: {}\n",
            index.join(" ")
        )));
        *response.status_mut() = StatusCode::NOT_FOUND;
        return response;
    };
    replay(fixture)
}

/// The recorded response: status, headers (minus those the transport owns), timed chunks.
pub fn replay(fixture: &Transcript) -> Response<ReplayBody> {
    let body_len: usize = fixture.chunks.iter().map(|chunk| chunk.bytes.len()).sum();
    let mut response = Response::new(ReplayBody::new(fixture));
    *response.status_mut() =
        StatusCode::from_u16(fixture.status).unwrap_or(StatusCode::BAD_GATEWAY);
    for header in &fixture.headers {
        let name = header.name.to_ascii_lowercase();
        let transport_owned = matches!(
            name.as_str(),
            "transfer-encoding" | "connection" | "keep-alive" | "date"
        );
        // A recorded length is kept only when true, or hyper would refuse the body.
        let wrong_length = name == "content-length" && header.value.trim() != body_len.to_string();
        if transport_owned || wrong_length {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&header.value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// A body that plays chunks back at their recorded offsets from the headers.
pub struct ReplayBody {
    chunks: VecDeque<(Duration, Bytes)>,
    start: Instant,
    sleep: Pin<Box<Sleep>>,
    end: End,
}

impl ReplayBody {
    fn new(fixture: &Transcript) -> Self {
        let chunks = fixture
            .chunks
            .iter()
            .map(|chunk| {
                let offset_ms = (chunk.at_ms - fixture.headers_at_ms).max(0.0);
                (
                    Duration::from_micros((offset_ms * 1000.0) as u64),
                    Bytes::from(chunk.bytes.clone()),
                )
            })
            .collect();
        Self::from_parts(chunks, fixture.end.clone())
    }

    fn text(text: String) -> Self {
        Self::from_parts(
            VecDeque::from([(Duration::ZERO, Bytes::from(text))]),
            End::Eof,
        )
    }

    fn from_parts(chunks: VecDeque<(Duration, Bytes)>, end: End) -> Self {
        let start = Instant::now();
        Self {
            chunks,
            start,
            sleep: Box::pin(tokio::time::sleep_until(start)),
            end,
        }
    }
}

impl Body for ReplayBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let Some((offset, _)) = self.chunks.front() else {
            return match &self.end {
                End::Eof => Poll::Ready(None),
                End::Error { message } => {
                    Poll::Ready(Some(Err(std::io::Error::other(message.clone()))))
                }
                // It was still open when recorded: stay open until the client leaves.
                End::Timeout | End::Enough => Poll::Pending,
            };
        };
        let due = self.start + *offset;
        if Instant::now() < due {
            self.sleep.as_mut().reset(due);
            if self.sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        let (_, bytes) = self.chunks.pop_front().expect("checked above");
        Poll::Ready(Some(Ok(Frame::data(bytes))))
    }
}
