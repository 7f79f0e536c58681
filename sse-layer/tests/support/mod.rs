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
        EventStream::new(ReceiverStream::new(receiver)).into_response(),
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
