//! What every route shares: the answer type, the refusal (a 4xx/5xx with a JSON
//! message), and the helpers that read queries and bodies and build responses.

use std::pin::Pin;

use bytes::Bytes;
use futures_util::Stream;
use http::{header, Request, Response, StatusCode};
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full, Limited};
use sse_layer::{BoxError, Event, EventStream};

/// The body of every demo response.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;
pub(crate) type Events = Pin<Box<dyn Stream<Item = Event> + Send>>;

/// Request bodies (chat prompts, echo scripts) larger than this get a 413.
const MAX_REQUEST_BODY: usize = 1 << 20;

pub(crate) type Answer = Result<Response<Body>, Refusal>;

/// A request the demo refuses: a 4xx with a JSON `{"error": ...}` saying why.
pub(crate) struct Refusal {
    pub(crate) status: StatusCode,
    pub(crate) body: serde_json::Value,
}

impl Refusal {
    pub(crate) fn into_response(self) -> Response<Body> {
        full(self.status, "application/json", self.body.to_string())
    }
}

pub(crate) fn sse(events: Events) -> Response<Body> {
    EventStream::new(events)
        .into_http_response()
        .map(BodyExt::boxed_unsync)
}

/// The answer to one request (a chat): no `retry:` hint, since a client should not
/// come back to it, whatever the layer tells the feeds.
pub(crate) fn sse_answer(events: Events) -> Response<Body> {
    EventStream::new(events)
        .no_retry()
        .into_http_response()
        .map(BodyExt::boxed_unsync)
}

pub(crate) fn query_number<T: std::str::FromStr>(
    request: &Request<hyper::body::Incoming>,
    name: &str,
) -> Result<Option<T>, Refusal> {
    let Some(query) = request.uri().query() else {
        return Ok(None);
    };
    match form_urlencoded::parse(query.as_bytes()).find(|(key, _)| key == name) {
        None => Ok(None),
        Some((_, value)) => value
            .parse()
            .map(Some)
            .map_err(|_| bad_request(&format!("{name} must be a whole number, got {value:?}"))),
    }
}

pub(crate) fn query_text(request: &Request<hyper::body::Incoming>, name: &str) -> Option<String> {
    form_urlencoded::parse(request.uri().query()?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

pub(crate) async fn json_body<T: serde::de::DeserializeOwned>(
    request: Request<hyper::body::Incoming>,
) -> Result<T, Refusal> {
    let bytes = Limited::new(request.into_body(), MAX_REQUEST_BODY)
        .collect()
        .await
        .map_err(|_| Refusal {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            body: serde_json::json!({ "error": "the request body is too large or broken" }),
        })?
        .to_bytes();
    serde_json::from_slice(&bytes)
        .map_err(|error| bad_request(&format!("invalid JSON body: {error}")))
}

pub(crate) fn bad_request(message: &str) -> Refusal {
    Refusal {
        status: StatusCode::BAD_REQUEST,
        body: serde_json::json!({ "error": message }),
    }
}

pub(crate) fn text(status: StatusCode, message: &'static str) -> Response<Body> {
    full(status, "text/plain; charset=utf-8", message.to_owned())
}

pub(crate) fn full(status: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
    let mut response = Response::new(
        Full::new(Bytes::from(body))
            .map_err(|e| match e {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    response
}
