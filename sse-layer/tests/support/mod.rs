//! Helpers shared by the integration tests: drive a layered service in process and record
//! each body frame with the (tokio) time it arrived.

#![allow(dead_code)]

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::{Body, Frame};
use http_body_util::{BodyExt, StreamBody};
use sse_layer::{Event, EventStream, SseLayer};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tower::{service_fn, Layer, Service, ServiceExt};

pub type RawBody = StreamBody<ReceiverStream<Result<Frame<Bytes>, Infallible>>>;

/// Calls `layer` around a handler that answers `response` once, in process.
pub async fn call<B>(
    layer: SseLayer,
    request: Request<()>,
    response: Response<B>,
) -> Response<sse_layer::SseBody<B>>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<sse_layer::BoxError>,
{
    let cell = std::sync::Mutex::new(Some(response));
    let handler = service_fn(move |_request: Request<()>| {
        let response = cell.lock().unwrap().take().expect("called once");
        async move { Ok::<_, Infallible>(response) }
    });
    let mut service = layer.layer(handler);
    service.ready().await.unwrap();
    service.call(request).await.unwrap()
}

/// An event stream fed by the returned sender.
pub fn event_channel() -> (
    mpsc::Sender<Event>,
    Response<EventStream<ReceiverStream<Event>>>,
) {
    let (sender, receiver) = mpsc::channel(64);
    (
        sender,
        EventStream::new(ReceiverStream::new(receiver)).into_http_response(),
    )
}

/// A raw `text/event-stream` body fed byte chunk by byte chunk.
pub fn raw_channel() -> (
    mpsc::Sender<Result<Frame<Bytes>, Infallible>>,
    Response<RawBody>,
) {
    let (sender, receiver) = mpsc::channel(64);
    let response = Response::builder()
        .header("content-type", "text/event-stream")
        .body(StreamBody::new(ReceiverStream::new(receiver)))
        .unwrap();
    (sender, response)
}

/// Every data frame until the body ends or `until` passes, with its arrival time.
pub async fn frames<B>(body: B, until: Duration) -> Vec<(Duration, String)>
where
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Debug,
{
    let start = Instant::now();
    let deadline = start + until;
    let mut body = std::pin::pin!(body);
    let mut frames = Vec::new();
    while let Ok(Some(frame)) = tokio::time::timeout_at(deadline, body.frame()).await {
        if let Ok(data) = frame.unwrap().into_data() {
            frames.push((start.elapsed(), String::from_utf8(data.to_vec()).unwrap()));
        }
    }
    frames
}

/// The times (in whole seconds) of frames equal to `text`.
pub fn times_of(frames: &[(Duration, String)], text: &str) -> Vec<u64> {
    frames
        .iter()
        .filter(|(_, frame)| frame == text)
        .map(|(at, _)| at.as_secs())
        .collect()
}

/// Serves a tower service over TCP on 127.0.0.1 (HTTP/1.1 and h2c); returns `http://addr`.
pub async fn serve<S, B>(service: S) -> String
where
    S: Service<Request<hyper::body::Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let service = hyper_util::service::TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let _ = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .serve_connection(hyper_util::rt::TokioIo::new(socket), service)
                .await;
            });
        }
    });
    format!("http://{addr}")
}

/// Resolves when dropped: put it in a stream to see when the server lets go of it.
pub struct DropSignal(pub Option<tokio::sync::oneshot::Sender<()>>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        if let Some(sender) = self.0.take() {
            let _ = sender.send(());
        }
    }
}

/// Observes `url` with the conformance client.
pub async fn observe(
    url: &str,
    h2: bool,
    headers: &[(&str, &str)],
    limits: sse_conformance::client::Limits,
) -> sse_conformance::Transcript {
    let mut target = sse_conformance::client::Target::get(url).unwrap();
    target.http2_prior_knowledge = h2;
    for (name, value) in headers {
        target
            .headers
            .push((name.parse().unwrap(), value.parse().unwrap()));
    }
    sse_conformance::client::observe(&target, &limits, &mut |_| {})
        .await
        .unwrap()
}
