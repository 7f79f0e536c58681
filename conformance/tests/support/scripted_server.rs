//! A scripted HTTP server for the checker's tests: each request is answered by a
//! [`Script`] (status, headers, timed chunks) that the test builds from the request.

#![allow(dead_code)]

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use sse_conformance::checks::{CheckOptions, Status};
use sse_conformance::client::Target;
use sse_conformance::report::Report;
use sse_conformance::run::{run_endpoint, RunOptions};
use tokio::sync::mpsc;

/// What a misbehaving server answers: status, headers, then timed chunks.
pub struct Script {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    /// (delay before the chunk, bytes)
    pub chunks: Vec<(Duration, Bytes)>,
    /// Keep the connection open after the last chunk.
    pub hold: bool,
}

impl Script {
    /// Just a status and no body: a refusal.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            hold: false,
            ..Self::sse(vec![])
        }
    }

    pub fn sse(chunks: Vec<(Duration, Bytes)>) -> Self {
        Self {
            status: 200,
            headers: vec![
                ("content-type", "text/event-stream".into()),
                ("cache-control", "no-cache, no-transform".into()),
                ("x-accel-buffering", "no".into()),
            ],
            chunks,
            hold: true,
        }
    }
}

/// A body fed by a task that sleeps between chunks.
pub struct ChannelBody(mpsc::Receiver<Bytes>);

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|bytes| Ok(Frame::data(bytes))))
    }
}

pub type Behaviour = Arc<dyn Fn(&http::request::Parts, Bytes) -> Script + Send + Sync>;

pub async fn spawn_server(behaviour: Behaviour) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let behaviour = behaviour.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let behaviour = behaviour.clone();
                    async move {
                        let (parts, body) = request.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let script = behaviour(&parts, body);
                        Ok::<_, Infallible>(respond(script))
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

pub fn respond(script: Script) -> Response<ChannelBody> {
    let (sender, receiver) = mpsc::channel(16);
    let mut response = Response::new(ChannelBody(receiver));
    *response.status_mut() = StatusCode::from_u16(script.status).unwrap();
    for (name, value) in &script.headers {
        response.headers_mut().append(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    tokio::spawn(async move {
        for (delay, bytes) in script.chunks {
            tokio::time::sleep(delay).await;
            if sender.send(bytes).await.is_err() {
                return;
            }
        }
        if script.hold {
            sender.closed().await;
        }
    });
    response
}

pub fn ticks(first: u64, count: u64, every: Duration) -> Vec<(Duration, Bytes)> {
    (first..first + count)
        .map(|n| {
            (
                if n == first { Duration::ZERO } else { every },
                Bytes::from(format!("id: {n}\ndata: {n}\n\n")),
            )
        })
        .collect()
}

/// The `Last-Event-ID` a request sent, as a number or not (`None`: it sent none).
pub fn resumes_from(request: &http::request::Parts) -> Option<Result<u64, String>> {
    let id = request.headers.get("last-event-id")?;
    let id = id.to_str().unwrap_or_default().to_owned();
    Some(id.parse::<u64>().map_err(|_| id))
}

pub async fn check_url(url: &str, duration_ms: u64, checks: CheckOptions) -> Report {
    let options = RunOptions {
        target: Target::get(url).unwrap(),
        duration: Duration::from_millis(duration_ms),
        checks,
        allow: Vec::new(),
    };
    run_endpoint(&options, &mut |_| {}).await.unwrap()
}

pub fn assert_status(report: &Report, id: &str, want: Status) {
    let result = report.get(id).unwrap();
    assert_eq!(
        result.status, want,
        "{id}: {} {:?}",
        result.message, result.evidence
    );
}
