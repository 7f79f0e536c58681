//! The demo's routes, as one tower service behind `SseLayer`. Kept apart from `main.rs`
//! so the integration tests serve exactly the same thing.

use std::convert::Infallible;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{stream, Stream, StreamExt};
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full, Limited};
use serde::Deserialize;
use sse_layer::hub::Subscribe;
use sse_layer::lifecycle::Shutdown;
use sse_layer::llm::{self, Anthropic, Framer, OpenAiChat, OpenAiResponses};
use sse_layer::serve::Server;
use sse_layer::{BoxError, Event, EventStream, LastEventId, SseLayer};
use tokio::net::TcpListener;
use tower::{service_fn, Layer, Service};

use super::hubs::{HubError, Hubs};

pub type Body = UnsyncBoxBody<Bytes, BoxError>;
type Events = Pin<Box<dyn Stream<Item = Event> + Send>>;

const PAGE: &str = include_str!("page.html");
/// Request bodies (chat prompts, echo scripts) larger than this get a 413.
const MAX_REQUEST_BODY: usize = 1 << 20;
/// A chat prompt longer than this (in bytes) gets a 413: what a stream holds is bounded.
pub const MAX_PROMPT: usize = 16 * 1024;
/// A client that does not read for this long is dropped (heartbeats count as writes).
pub const WRITE_DEADLINE: Duration = Duration::from_secs(30);
/// The longest topic name `/publish` and `/subscribe` accept.
const MAX_TOPIC: usize = 256;

/// The demo application: every route, with the SSE transport rules from `layer`, and its
/// events in `hubs`.
pub fn app(
    layer: SseLayer,
    hubs: Hubs,
) -> impl Service<
    Request<hyper::body::Incoming>,
    Response = Response<sse_layer::SseBody<Body>>,
    Error = Infallible,
    Future = impl Send,
> + Clone
       + Send {
    layer.layer(service_fn(move |request| route(hubs.clone(), request)))
}

/// Serves `layer` + the demo routes on `listener` (HTTP/1.1 and h2c prior knowledge)
/// until the task is dropped.
#[allow(dead_code)] // the tests serve with it
pub async fn serve(listener: TcpListener, layer: SseLayer) {
    serve_until(
        listener,
        layer,
        Hubs::memory(),
        Shutdown::new(),
        Duration::ZERO,
    )
    .await;
}

/// As [`serve`], until `shutdown` is triggered; then it stops accepting, lets every
/// stream send its final event (the layer must have been given the same `shutdown`) and
/// returns when the connections are done, or `grace` after the trigger at the latest.
/// `sse_layer::serve::Server` does the accepting: head timeout, accept back-off, a
/// bounded send buffer, the write deadline.
pub async fn serve_until(
    listener: TcpListener,
    layer: SseLayer,
    hubs: Hubs,
    shutdown: Shutdown,
    grace: Duration,
) {
    Server::new()
        .write_deadline(Some(WRITE_DEADLINE))
        .shutdown(shutdown, grace)
        .serve(listener, app(layer, hubs))
        .await;
}

async fn route(
    hubs: Hubs,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Body>, Infallible> {
    let response = match (request.method(), request.uri().path()) {
        (&Method::GET, "/") => Ok(full(
            StatusCode::OK,
            "text/html; charset=utf-8",
            PAGE.to_owned(),
        )),
        (&Method::GET, "/events") => events(&hubs, &request),
        (&Method::GET, "/subscribe") => subscribe(&hubs, &request),
        (&Method::POST, "/publish") => publish(&hubs, request).await,
        (&Method::POST, "/chat") => chat(request).await,
        (&Method::POST, "/echo") => echo(request).await,
        (&Method::GET, "/bench") => bench(&request),
        (_, "/" | "/events" | "/subscribe" | "/publish" | "/chat" | "/echo" | "/bench") => {
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

/// `GET /events?interval_ms=N`: `tick` events every N ms, from a hub shared by every
/// client of that interval, with ids 1, 2, 3… and data `{"n": id}`. After
/// `Last-Event-ID: K` the stream replays from K+1 (the hub keeps the last 1,000 ticks);
/// an id the hub never issued, or one too old, starts with a `reset` event, then the
/// live ticks.
///
/// For reconnect tests: `close_after=C` ends each connection after C events (the client
/// reconnects and resumes), and `stop_after=S` answers `204 No Content` once the client
/// has event S (it stops reconnecting).
fn events(hubs: &Hubs, request: &Request<hyper::body::Incoming>) -> Answer {
    let interval_ms: u64 = query_number(request, "interval_ms")?.unwrap_or(1000);
    if !(1..=3_600_000).contains(&interval_ms) {
        return Err(bad_request("interval_ms must be between 1 and 3600000"));
    }
    let close_after: Option<u64> = query_number(request, "close_after")?;
    let stop_after: Option<u64> = query_number(request, "stop_after")?;
    // With --redis, ids are `<epoch>-<seq>`: the number is the part after the dash.
    let last = request.extensions().get::<LastEventId>().and_then(|id| {
        id.as_str()
            .rsplit_once('-')
            .map_or(id.as_str(), |(_, seq)| seq)
            .parse::<u64>()
            .ok()
    });
    if let (Some(stop), Some(last)) = (stop_after, last) {
        if last >= stop {
            return Ok(sse_layer::reconnect::stop());
        }
    }
    let mut subscription = hubs
        .subscribe_ticks(interval_ms, Subscribe::new().resume_from(request))
        .map_err(Refusal::from)?;
    if let Some(count) = close_after {
        subscription = subscription.limit(count);
    }
    Ok(subscription.into_response().map(BodyExt::boxed_unsync))
}

/// `GET /subscribe?topic=T`: the events published to `T` (by `POST /publish`, on any
/// instance with `--redis`), with `Last-Event-ID` resume and the `reset` event.
fn subscribe(hubs: &Hubs, request: &Request<hyper::body::Incoming>) -> Answer {
    let topic = query_text(request, "topic").ok_or_else(|| bad_request("topic is required"))?;
    check_topic(&topic)?;
    let subscription = hubs.subscribe_topic(&topic, Subscribe::new().resume_from(request));
    Ok(subscription.into_response().map(BodyExt::boxed_unsync))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishRequest {
    topic: String,
    event: Option<String>,
    data: String,
}

/// `POST /publish {"topic": "...", "event"?: "...", "data": "..."}`: `202` with
/// `{"id": "<the event's SSE id>"}`; `400` for invalid input, `503` when the shared log
/// (Redis) cannot be reached.
async fn publish(hubs: &Hubs, request: Request<hyper::body::Incoming>) -> Answer {
    let PublishRequest { topic, event, data } = json_body(request).await?;
    check_topic(&topic)?;
    let mut built = Event::new();
    if let Some(name) = event {
        built = built
            .event(name)
            .map_err(|error| bad_request(&format!("invalid event: {error}")))?;
    }
    let id = hubs
        .publish(&topic, built.data(data))
        .await
        .map_err(Refusal::from)?;
    Ok(full(
        StatusCode::ACCEPTED,
        "application/json",
        serde_json::json!({ "id": id }).to_string(),
    ))
}

fn check_topic(topic: &str) -> Result<(), Refusal> {
    if topic.is_empty() || topic.len() > MAX_TOPIC {
        return Err(bad_request(&format!(
            "topic must be 1 to {MAX_TOPIC} bytes long"
        )));
    }
    Ok(())
}

impl From<HubError> for Refusal {
    fn from(error: HubError) -> Self {
        let (status, message) = match error {
            HubError::TooManyTickers => (
                StatusCode::SERVICE_UNAVAILABLE,
                "too many distinct interval_ms values in use; try a common one".to_owned(),
            ),
            HubError::Invalid(why) => (StatusCode::BAD_REQUEST, why),
            HubError::Unavailable(why) => (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the shared event log is unavailable: {why}"),
            ),
        };
        Refusal {
            status,
            body: serde_json::json!({ "error": message }),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatRequest {
    prompt: String,
    /// `tokens` (default), `openai-chat`, `openai-responses` or `anthropic`.
    format: Option<String>,
    /// Fail after this many pieces: shows the convention's in-band error event.
    fail_after: Option<usize>,
    /// Merge pieces for up to this many milliseconds (or 256 bytes).
    coalesce_ms: Option<u64>,
}

/// `POST /chat {"prompt": "..."}`: an LLM-style stream, one piece of text every 25 ms.
/// By default each event's data is `{"token": "..."}` and the last is `[DONE]`; with
/// `"format"` it follows the OpenAI chat-completions, OpenAI Responses or Anthropic
/// convention instead (see `sse_layer::llm`).
async fn chat(request: Request<hyper::body::Incoming>) -> Answer {
    let ChatRequest {
        prompt,
        format,
        fail_after,
        coalesce_ms,
    } = json_body(request).await?;
    let framer: Box<dyn Framer + Send> = match format.as_deref().unwrap_or("tokens") {
        "tokens" => Box::new(TokenJson),
        "openai-chat" => Box::new(OpenAiChat::new("chatcmpl-demo", "sse-layer-demo")),
        "openai-responses" => Box::new(OpenAiResponses::new("resp_demo", "sse-layer-demo")),
        "anthropic" => Box::new(Anthropic::new("msg_demo", "sse-layer-demo")),
        other => {
            return Err(bad_request(&format!(
                "unknown format {other:?}: use tokens, openai-chat, openai-responses or anthropic"
            )))
        }
    };
    if prompt.len() > MAX_PROMPT {
        return Err(Refusal {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            body: serde_json::json!({
                "error": format!("the prompt is {} bytes; at most {MAX_PROMPT}", prompt.len())
            }),
        });
    }
    let answer = format!(
        "You said: {prompt}\nThis reply streams one token at a time, the way a language model answers."
    );
    // One token at a time from the one string (a token is a word and its space): what a
    // stream holds is the answer, never a copy per token.
    let tokens = stream::unfold(
        (answer, 0usize, 0usize),
        move |(answer, at, index)| async move {
            if at >= answer.len() {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
            let end = answer[at..]
                .find(' ')
                .map_or(answer.len(), |space| at + space + 1);
            let piece = match fail_after {
                Some(limit) if index >= limit => Err(BoxError::from("the model backend went away")),
                _ => Ok(answer[at..end].to_owned()),
            };
            Some((piece, (answer, end, index + 1)))
        },
    );
    let pieces = match coalesce_ms {
        Some(ms) => llm::coalesce(tokens, Duration::from_millis(ms), 256).boxed(),
        None => tokens.boxed(),
    };
    Ok(sse(llm::frame(pieces, framer).boxed()))
}

/// The demo's own convention, as a [`Framer`]: `{"token": "..."}` per piece, then
/// `[DONE]`; an error is `event: error` with `{"error": "..."}`.
struct TokenJson;

impl Framer for TokenJson {
    fn start(&mut self) -> Vec<Event> {
        Vec::new()
    }

    fn delta(&mut self, text: &str) -> Event {
        Event::new()
            .json_data(&serde_json::json!({ "token": text }))
            .expect("a JSON string")
    }

    fn finish(&mut self) -> Vec<Event> {
        vec![Event::new().data("[DONE]")]
    }

    fn error(&mut self, error: &BoxError) -> Vec<Event> {
        let event = Event::new()
            .event("error")
            .and_then(|event| event.json_data(&serde_json::json!({ "error": error.to_string() })))
            .expect("a valid error event");
        vec![event]
    }
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

fn query_text(request: &Request<hyper::body::Incoming>, name: &str) -> Option<String> {
    form_urlencoded::parse(request.uri().query()?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
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
