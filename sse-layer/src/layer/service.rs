//! [`SseService`]: reads `Last-Event-ID` on the way in, and answers CORS preflights; its
//! [`ResponseFuture`] does the work on the way out.

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use tower::{Layer, Service};
use tower_http::cors::Cors;

use super::body::SseBody;
use super::config::Config;
use super::future::{CoreFuture, Kind, ResponseFuture};
use crate::cors::SseCors;
use crate::error::BoxError;
use crate::last_event_id::LastEventId;
use crate::lifecycle::Stalled;

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
///     Ok::<_, Infallible>(EventStream::new(events).into_http_response())
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
