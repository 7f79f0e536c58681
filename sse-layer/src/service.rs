//! [`SseService`] and its [`ResponseFuture`]: reads `Last-Event-ID` on the way in, turns an
//! event-stream response into a proper SSE response on the way out.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use pin_project_lite::pin_project;
use tower::{Layer, Service};
use tower_http::cors::Cors;

use crate::body::{SseBody, StreamContext};
use crate::cors::SseCors;
use crate::headers::{fix_stream_headers, is_event_stream};
use crate::last_event_id::LastEventId;
use crate::layer::{Config, StreamCap};
use crate::lifecycle::{EndReason, Stalled};
use crate::BoxError;

/// The service [`SseLayer`](crate::SseLayer) makes. See the layer for what it does.
///
/// ```
/// use std::convert::Infallible;
/// use sse_layer::{Event, EventStream, SseLayer};
/// use tower::{service_fn, Layer, ServiceExt};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let handler = service_fn(|_request: http::Request<()>| async {
///     let events = futures_util::stream::iter([Event::new().data("hi")]);
///     Ok::<_, Infallible>(EventStream::new(events).into_response())
/// });
/// let response = SseLayer::new().layer(handler).oneshot(http::Request::new(())).await.unwrap();
/// assert_eq!(response.headers()["x-accel-buffering"], "no");
/// # });
/// ```
#[derive(Clone)]
pub struct SseService<S> {
    inner: Inner<S>,
}

// One per connection, so its size does not matter; boxing the CORS variant would add an
// allocation to every clone instead.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
enum Inner<S> {
    Plain(SseCore<S>),
    Cors(Cors<SseCore<S>>),
}

/// The SSE work itself, below the optional CORS layer (which answers preflights alone).
#[derive(Clone)]
struct SseCore<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> SseService<S> {
    pub(crate) fn new(inner: S, config: Arc<Config>, cors: Option<&SseCors>) -> Self {
        let core = SseCore { inner, config };
        let inner = match cors {
            Some(cors) => Inner::Cors(cors.to_layer().layer(core)),
            None => Inner::Plain(core),
        };
        Self { inner }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SseService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Body<Data = Bytes>,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response<SseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        match &mut self.inner {
            Inner::Plain(core) => core.poll_ready(cx),
            Inner::Cors(cors) => cors.poll_ready(cx),
        }
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let kind = match &mut self.inner {
            Inner::Plain(core) => Kind::Plain {
                future: core.call(request),
            },
            Inner::Cors(cors) => Kind::Cors {
                future: cors.call(request),
            },
        };
        ResponseFuture { kind }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SseCore<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<SseBody<ResBody>>;
    type Error = S::Error;
    type Future = CoreFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let query = self.config.last_event_id_query.as_deref();
        if let Some(id) = LastEventId::from_request(&request, query) {
            request.extensions_mut().insert(id);
        }
        // Only kept for whoever reads it: the disconnect hook, or a tracing subscriber.
        let wants_path =
            self.config.on_disconnect.is_some() || tracing::enabled!(tracing::Level::DEBUG);
        let path = if wants_path {
            request.uri().path().to_owned()
        } else {
            String::new()
        };
        let stalled = request.extensions().get::<Stalled>().cloned();
        CoreFuture {
            future: self.inner.call(request),
            config: Some(self.config.clone()),
            path,
            stalled,
        }
    }
}

pin_project! {
    /// The future of [`SseService`]'s response.
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
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
    struct CoreFuture<F> {
        #[pin]
        future: F,
        config: Option<Arc<Config>>,
        path: String,
        stalled: Option<Stalled>,
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
