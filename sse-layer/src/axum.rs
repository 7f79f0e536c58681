//! axum 0.8 integration (feature `axum`): return an [`EventStream`] or a
//! [`Subscription`] straight from a handler, let `?` turn this crate's errors (one
//! [`Error`](crate::Error) for all of them) into answers, and take the resume point as an `Option<LastEventId>` argument.
//!
//! ```
//! use std::time::Duration;
//! use axum::{extract::State, routing::{get, post}, Router};
//! use futures_util::{stream, StreamExt};
//! use sse_layer::hub::{Hub, Subscribe, Subscription};
//! use sse_layer::{event_name, Error, Event, EventStream, LastEventId, SseLayer};
//!
//! async fn ticks(last: Option<LastEventId>) -> EventStream<impl futures_util::Stream<Item = Event>> {
//!     let next = last.and_then(|id| id.parse::<u64>()).map_or(1, |n| n + 1);
//!     EventStream::new(stream::iter(next..).map(|n| Event::new().event(event_name!("tick")).id(n).data("x")))
//! }
//!
//! async fn news(State(hub): State<Hub>, last: Option<LastEventId>) -> Subscription {
//!     hub.subscribe(Subscribe::topic("news").resume(last))
//! }
//!
//! async fn publish(State(hub): State<Hub>, kind: String) -> Result<String, Error> {
//!     let event = Event::new().try_event(kind)?.data("hello"); // a 400 on a bad type
//!     Ok(hub.publish("news", event).await?.id) // a 503 + Retry-After when the engine is away
//! }
//!
//! let app: Router = Router::new()
//!     .route("/ticks", get(ticks))
//!     .route("/news", get(news))
//!     .route("/publish", post(publish))
//!     .with_state(Hub::new())
//!     .layer(SseLayer::new().heartbeat(Duration::from_secs(15)));
//! # let _ = app;
//! ```
//!
//! What each error answers, always with `{"error": "<the message>"}` as JSON:
//!
//! | error | status |
//! |---|---|
//! | [`EventError::InvalidId`], [`EventError::InvalidEventType`] | `400`: such values usually come from the request |
//! | [`EventError::Json`] | `500` |
//! | [`PublishError::IdSet`] | `500`: the handler's mistake |
//! | [`PublishError::Unavailable`] | `503` with `Retry-After: 1` |
//! | [`PublishError::KeyReused`] | `422`: an idempotency key sent again with another event |
//! | [`InvalidOrigin`] | `500`: a configuration mistake |
//! | [`Error`](crate::Error) | as the error it holds |
//!
//! A `4xx` makes browsers' `EventSource` stop reconnecting for good; send these from
//! endpoints that publish or answer once, not as the answer to a stream a client should
//! keep retrying.

use std::convert::Infallible;

use axum_core::body::Body;
use axum_core::extract::OptionalFromRequestParts;
use axum_core::response::{IntoResponse, Response};
use futures_core::Stream;
use http::request::Parts;
use http::{header, HeaderValue, StatusCode};

use crate::cors::InvalidOrigin;
use crate::field::EventError;
use crate::hub::{PublishError, Subscription};
use crate::last_event_id::LastEventId;
use crate::stream::{EventStream, StreamItem};

impl<S> IntoResponse for EventStream<S>
where
    S: Stream + Send + 'static,
    S::Item: StreamItem,
{
    fn into_response(self) -> Response {
        EventStream::into_http_response(self).map(Body::new)
    }
}

impl IntoResponse for Subscription {
    fn into_response(self) -> Response {
        Subscription::into_http_response(self).map(Body::new)
    }
}

impl IntoResponse for EventError {
    fn into_response(self) -> Response {
        let status = match self {
            Self::InvalidId | Self::InvalidEventType => StatusCode::BAD_REQUEST,
            Self::Json(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        json_error(status, &self)
    }
}

impl IntoResponse for PublishError {
    fn into_response(self) -> Response {
        match self {
            Self::IdSet => json_error(StatusCode::INTERNAL_SERVER_ERROR, &self),
            Self::KeyReused => json_error(StatusCode::UNPROCESSABLE_ENTITY, &self),
            Self::Unavailable(_) => {
                let mut response = json_error(StatusCode::SERVICE_UNAVAILABLE, &self);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                response
            }
        }
    }
}

impl IntoResponse for crate::Error {
    fn into_response(self) -> Response {
        match self {
            Self::Event(error) => error.into_response(),
            Self::Publish(error) => error.into_response(),
        }
    }
}

impl IntoResponse for InvalidOrigin {
    fn into_response(self) -> Response {
        json_error(StatusCode::INTERNAL_SERVER_ERROR, &self)
    }
}

fn json_error(status: StatusCode, error: &dyn std::fmt::Display) -> Response {
    let body = serde_json::json!({ "error": error.to_string() }).to_string();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// `Option<LastEventId>` as a handler argument: the id the layer read (which honours its
/// query-parameter setting), or, without the layer, the `Last-Event-ID` header. `None`
/// on a first connection; never a rejection, since an unknown id must not become an
/// error answer.
impl<S: Send + Sync> OptionalFromRequestParts<S> for LastEventId {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let id = match parts.extensions.get::<LastEventId>() {
            Some(id) => Some(id.clone()),
            None => LastEventId::from_parts(parts, None),
        };
        Ok(id)
    }
}
