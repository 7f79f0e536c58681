//! The demo's routes, as one tower service behind `SseLayer`. Kept apart from `main.rs`
//! so the integration tests serve exactly the same thing.

use std::convert::Infallible;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{stream, Stream, StreamExt};
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full, Limited};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use serde::Deserialize;
use sse_layer::{BoxError, Event, EventStream, LastEventId, SseLayer};
use tokio::net::TcpListener;
use tower::{service_fn, Layer, Service};

pub type Body = UnsyncBoxBody<Bytes, BoxError>;
type Events = Pin<Box<dyn Stream<Item = Event> + Send>>;

const PAGE: &str = include_str!("page.html");
/// Request bodies (chat prompts, echo scripts) larger than this get a 413.
const MAX_REQUEST_BODY: usize = 1 << 20;

/// The demo application: every route, with the SSE transport rules from `layer`.
pub fn app(
    layer: SseLayer,
) -> impl Service<
    Request<hyper::body::Incoming>,
    Response = Response<sse_layer::SseBody<Body>>,
    Error = Infallible,
    Future = impl Send,
> + Clone
       + Send {
    layer.layer(service_fn(route))
}

/// Serves `layer` + the demo routes on `listener` (HTTP/1.1 and h2c prior knowledge)
/// until the task is dropped.
pub async fn serve(listener: TcpListener, layer: SseLayer) {
    let service = app(layer);
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            continue;
        };
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(socket), service)
                .await;
        });
    }
}

async fn route(request: Request<hyper::body::Incoming>) -> Result<Response<Body>, Infallible> {
    let response = match (request.method(), request.uri().path()) {
        (&Method::GET, "/") => Ok(full(
            StatusCode::OK,
            "text/html; charset=utf-8",
            PAGE.to_owned(),
        )),
        (&Method::GET, "/events") => events(&request),
        (&Method::POST, "/chat") => chat(request).await,
        (&Method::POST, "/echo") => echo(request).await,
        (&Method::GET, "/bench") => bench(&request),
        (_, "/" | "/events" | "/chat" | "/echo" | "/bench") => {
            Ok(text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n"))
        }
        _ => Ok(text(StatusCode::NOT_FOUND, "not found\n")),
    };
    Ok(response.unwrap_or_else(Refusal::into_response))
}

type Answer = Result<Response<Body>, Refusal>;

/// A request the demo refuses: a 4xx with a JSON `{"error": ...}` saying why.
struct Refusal {
    status: StatusCode,
    body: serde_json::Value,
}

impl Refusal {
    fn into_response(self) -> Response<Body> {
        full(self.status, "application/json", self.body.to_string())
    }
}

/// `GET /events?interval_ms=N`: `tick` events every N ms with ids 1, 2, 3…; after
/// `Last-Event-ID: K` (a number) they start at K+1, and any other id starts afresh.
///
/// For reconnect tests: `close_after=C` ends each connection after C events (the client
/// reconnects and resumes), and `stop_after=S` answers `204 No Content` once the client
/// has event S (it stops reconnecting).
fn events(request: &Request<hyper::body::Incoming>) -> Answer {
    let interval_ms: u64 = query_number(request, "interval_ms")?.unwrap_or(1000);
    if !(1..=3_600_000).contains(&interval_ms) {
        return Err(bad_request("interval_ms must be between 1 and 3600000"));
    }
    let close_after: Option<usize> = query_number(request, "close_after")?;
    let stop_after: Option<u64> = query_number(request, "stop_after")?;
    let last = request
        .extensions()
        .get::<LastEventId>()
        .and_then(|id| id.parse::<u64>());
    if let (Some(stop), Some(last)) = (stop_after, last) {
        if last >= stop {
            return Ok(sse_layer::reconnect::stop());
        }
    }
    let first = last.map_or(1, |last| last.saturating_add(1));
    let mut interval = tokio::time::interval(Duration::from_millis(interval_ms));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let ticks = stream::unfold((interval, first), |(mut interval, n)| async move {
        interval.tick().await;
        let event = Event::new()
            .event("tick")
            .and_then(|event| event.id(n.to_string()))
            .and_then(|event| event.json_data(&serde_json::json!({ "n": n })))
            .expect("tick events are valid");
        Some((event, (interval, n + 1)))
    });
    Ok(match close_after {
        Some(count) => sse(ticks.take(count).boxed()),
        None => sse(ticks.boxed()),
    })
}

#[derive(Deserialize)]
struct ChatRequest {
    prompt: String,
}

/// `POST /chat {"prompt": "..."}`: an LLM-style token stream ending with `[DONE]`.
async fn chat(request: Request<hyper::body::Incoming>) -> Answer {
    let ChatRequest { prompt } = json_body(request).await?;
    let answer = format!(
        "You said: {prompt}\nThis reply streams one token at a time, the way a language model answers."
    );
    let tokens: Vec<String> = answer.split_inclusive(' ').map(str::to_owned).collect();
    let tokens = stream::iter(tokens).then(|token| async move {
        tokio::time::sleep(Duration::from_millis(25)).await;
        Event::new()
            .json_data(&serde_json::json!({ "token": token }))
            .expect("a JSON string")
    });
    let done = stream::once(async { Event::new().data("[DONE]") });
    Ok(sse(tokens.chain(done).boxed()))
}

/// One event of the echo contract; every field optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EchoEvent {
    id: Option<String>,
    event: Option<String>,
    data: Option<String>,
    retry: Option<u64>,
    comment: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EchoRequest {
    events: Vec<EchoEvent>,
}

/// `POST /echo {"events": [...]}`: exactly those events, then the end of the stream.
/// Every event is validated before anything is sent: a bad one is a 400 naming it.
async fn echo(request: Request<hyper::body::Incoming>) -> Answer {
    let EchoRequest { events } = json_body(request).await?;
    let events = events
        .into_iter()
        .enumerate()
        .map(|(index, spec)| {
            build_echo_event(spec).map_err(|error| Refusal {
                status: StatusCode::BAD_REQUEST,
                body: serde_json::json!({ "error": error.to_string(), "index": index }),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(sse(stream::iter(events).boxed()))
}

fn build_echo_event(spec: EchoEvent) -> Result<Event, sse_layer::EventError> {
    let mut event = Event::new();
    if let Some(id) = spec.id {
        event = event.id(id)?;
    }
    if let Some(event_type) = spec.event {
        event = event.event(event_type)?;
    }
    if let Some(data) = spec.data {
        event = event.data(data);
    }
    if let Some(retry) = spec.retry {
        event = event.retry(Duration::from_millis(retry));
    }
    if let Some(comment) = spec.comment {
        event = event.comment(comment);
    }
    Ok(event)
}

/// `GET /bench?n=N&size=S`: N events with an id, a name and S bytes of data, as fast as
/// the client reads.
fn bench(request: &Request<hyper::body::Incoming>) -> Answer {
    let n: u64 = query_number(request, "n")?.unwrap_or(1000);
    let size: usize = query_number(request, "size")?.unwrap_or(64);
    if n > 100_000_000 || size > 1 << 20 {
        return Err(bad_request(
            "n must be at most 100000000 and size at most 1048576",
        ));
    }
    let payload: std::sync::Arc<str> = "x".repeat(size).into();
    let events = stream::iter(0..n).map(move |i| {
        Event::new()
            .event("bench")
            .and_then(|event| event.id(i.to_string()))
            .expect("valid")
            .data(payload.to_string())
    });
    Ok(sse(events.boxed()))
}

fn sse(events: Events) -> Response<Body> {
    EventStream::new(events)
        .into_response()
        .map(BodyExt::boxed_unsync)
}

fn query_number<T: std::str::FromStr>(
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

async fn json_body<T: serde::de::DeserializeOwned>(
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

fn bad_request(message: &str) -> Refusal {
    Refusal {
        status: StatusCode::BAD_REQUEST,
        body: serde_json::json!({ "error": message }),
    }
}

fn text(status: StatusCode, message: &'static str) -> Response<Body> {
    full(status, "text/plain; charset=utf-8", message.to_owned())
}

fn full(status: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
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
