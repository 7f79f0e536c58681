//! [`ResponseFuture`]: waits for the inner service's response, then turns an event-stream
//! response into a proper SSE response (headers, the stream cap, the [`SseBody`]); any
//! other response passes through.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use http::Response;
use pin_project_lite::pin_project;

use super::body::{SseBody, StreamContext};
use super::config::{Config, StreamCap};
use crate::headers::{fix_stream_headers, is_event_stream};
use crate::lifecycle::{EndReason, Stalled};
use crate::overrides::StreamOverrides;

pin_project! {
    /// The future of [`SseService`]'s response.
    pub struct ResponseFuture<F> {
        #[pin]
        pub(super) kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    pub(super) enum Kind<F> {
        Plain { #[pin] future: CoreFuture<F> },
        Cors { #[pin] future: tower_http::cors::ResponseFuture<CoreFuture<F>> },
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<SseBody<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Plain { future } => future.poll(cx),
            KindProj::Cors { future } => future.poll(cx),
        }
    }
}

pin_project! {
    /// The SSE work on a response, below the optional CORS layer.
    pub(super) struct CoreFuture<F> {
        #[pin]
        pub(super) future: F,
        pub(super) config: Option<Arc<Config>>,
        pub(super) path: String,
        pub(super) stalled: Option<Stalled>,
    }
}

impl<F, ResBody, E> Future for CoreFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<SseBody<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.future.poll(cx))?;
        let config = this.config.take().expect("polled after completion");
        if !is_event_stream(&response) {
            return Poll::Ready(Ok(response.map(SseBody::passthrough)));
        }
        let permit = match &config.max_streams {
            None => None,
            Some(cap) => match cap.permits.clone().try_acquire_owned() {
                Ok(permit) => Some(permit),
                Err(_) => {
                    // Dropping the response drops its stream (and whatever feeds it).
                    config.metrics.rejected.increment(1);
                    return Poll::Ready(Ok(too_many_streams(cap)));
                }
            },
        };
        let (mut parts, body) = response.into_parts();
        fix_stream_headers(&mut parts.headers);
        let context = StreamContext {
            path: std::mem::take(this.path),
            stalled: this.stalled.take(),
            inner_end: parts.extensions.get::<EndReason>().cloned(),
            overrides: parts
                .extensions
                .get::<StreamOverrides>()
                .copied()
                .unwrap_or_default(),
            permit,
        };
        Poll::Ready(Ok(Response::from_parts(
            parts,
            SseBody::stream(body, config, context),
        )))
    }
}

/// The `503` of a full [`SseLayer::max_streams`](crate::SseLayer::max_streams).
fn too_many_streams<B>(cap: &StreamCap) -> Response<SseBody<B>> {
    let seconds = cap.retry_after.as_secs() + u64::from(cap.retry_after.subsec_nanos() > 0);
    let mut response = Response::new(SseBody::full(Bytes::from_static(
        b"too many open event streams; retry later\n",
    )));
    *response.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
