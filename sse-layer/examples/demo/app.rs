//! The demo's routes, as one tower service behind `SseLayer`. Kept apart from `main.rs`
//! so the integration tests serve exactly the same thing.

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{stream, Stream, StreamExt};
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full, Limited};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use serde::Deserialize;
use sse_layer::hub::{Hub, Subscribe};
use sse_layer::lifecycle::{Shutdown, WriteDeadline};
use sse_layer::llm::{self, Anthropic, Framer, OpenAiChat, OpenAiResponses};
use sse_layer::{BoxError, Event, EventStream, LastEventId, SseLayer};
use tokio::net::TcpListener;
use tower::{service_fn, Layer, Service};
use tower_http::add_extension::AddExtension;

pub type Body = UnsyncBoxBody<Bytes, BoxError>;
type Events = Pin<Box<dyn Stream<Item = Event> + Send>>;

const PAGE: &str = include_str!("page.html");
/// Request bodies (chat prompts, echo scripts) larger than this get a 413.
const MAX_REQUEST_BODY: usize = 1 << 20;
/// A client that does not read for this long is dropped (heartbeats count as writes).
pub const WRITE_DEADLINE: Duration = Duration::from_secs(30);
/// At most this many distinct `interval_ms` tickers run at once.
const MAX_TICKERS: usize = 64;
/// A ticker with no subscriber keeps ticking this long, so that clients that reconnect
/// (after `close_after`, a network blip) resume from its replay log.
const TICKER_LINGER: Duration = Duration::from_secs(60);

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
    let tickers = Tickers::default();
    layer.layer(service_fn(move |request| route(tickers.clone(), request)))
}

/// Serves `layer` + the demo routes on `listener` (HTTP/1.1 and h2c prior knowledge)
/// until the task is dropped.
#[allow(dead_code)] // the tests serve with it
pub async fn serve(listener: TcpListener, layer: SseLayer) {
    serve_until(listener, layer, Shutdown::new(), Duration::ZERO).await;
}

/// As [`serve`], until `shutdown` is triggered; then it stops accepting, lets every
/// stream send its final event (the layer must have been given the same `shutdown`) and
/// returns when the connections are done, or after `grace` plus a second at most.
pub async fn serve_until(
    listener: TcpListener,
    layer: SseLayer,
    shutdown: Shutdown,
    grace: Duration,
) {
    let service = app(layer);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let socket = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, _)) => socket,
                Err(_) => continue,
            },
            () = shutdown.triggered() => break,
        };
        // A client that stops reading is dropped after WRITE_DEADLINE; the flag tells the
        // layer why, for its disconnect report.
        let socket = WriteDeadline::new(socket, WRITE_DEADLINE);
        let service = AddExtension::new(service.clone(), socket.stalled());
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let builder = auto::Builder::new(TokioExecutor::new());
            let connection =
                builder.serve_connection(TokioIo::new(socket), TowerToHyperService::new(service));
            let _ = watcher.watch(connection).await;
        });
    }
    let _ = tokio::time::timeout(grace + Duration::from_secs(1), graceful.shutdown()).await;
}

/// One ticking hub per `interval_ms`, shared by every client of that interval.
#[derive(Clone, Default)]
struct Tickers {
    hubs: Arc<Mutex<HashMap<u64, Hub>>>,
}

impl Tickers {
    /// Subscribes to the ticker of `interval_ms`, starting it if needed.
    fn subscribe(
        &self,
        interval_ms: u64,
        options: Subscribe,
    ) -> Result<sse_layer::hub::Subscription, Refusal> {
        let mut hubs = self
            .hubs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !hubs.contains_key(&interval_ms) && hubs.len() >= MAX_TICKERS {
            return Err(Refusal {
                status: StatusCode::SERVICE_UNAVAILABLE,
                body: serde_json::json!({ "error": "too many distinct interval_ms values in use; try a common one" }),
            });
        }
        let hub = hubs.entry(interval_ms).or_insert_with(|| {
            let hub = Hub::new();
            tokio::spawn(tick(self.clone(), interval_ms, hub.clone()));
            hub
        });
        // Subscribed under the map's lock, so the ticker cannot retire the hub between
        // the lookup and the subscription.
        Ok(hub.subscribe(options))
    }
}

/// Publishes `tick` events with ids 1, 2, 3… (the hub's sequence) every `interval_ms`,
/// until nobody has listened for [`TICKER_LINGER`].
async fn tick(tickers: Tickers, interval_ms: u64, hub: Hub) {
    let period = Duration::from_millis(interval_ms);
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_listened = tokio::time::Instant::now();
    // The hub numbers events 1, 2, 3…; this ticker is its only publisher, so `n` matches.
    let mut n: u64 = 0;
    loop {
        interval.tick().await;
        {
            let mut hubs = tickers
                .hubs
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if hub.subscribers() > 0 {
                last_listened = tokio::time::Instant::now();
            } else if last_listened.elapsed() >= TICKER_LINGER {
                hubs.remove(&interval_ms);
                return;
            }
        }
        n += 1;
        let event = Event::new()
            .event("tick")
            .and_then(|event| event.json_data(&serde_json::json!({ "n": n })))
            .expect("tick events are valid");
        let published = hub.publish("ticks", event).expect("the hub gives the id");
        debug_assert_eq!(published.seq, n);
    }
}

async fn route(
    tickers: Tickers,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Body>, Infallible> {
    let response = match (request.method(), request.uri().path()) {
        (&Method::GET, "/") => Ok(full(
            StatusCode::OK,
            "text/html; charset=utf-8",
            PAGE.to_owned(),
        )),
        (&Method::GET, "/events") => events(&tickers, &request),
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

/// `GET /events?interval_ms=N`: `tick` events every N ms, from a hub shared by every
/// client of that interval, with ids 1, 2, 3… and data `{"n": id}`. After
/// `Last-Event-ID: K` the stream replays from K+1 (the hub keeps the last 1,000 ticks);
/// an id the hub never issued, or one too old, starts with a `reset` event, then the
/// live ticks.
///
/// For reconnect tests: `close_after=C` ends each connection after C events (the client
/// reconnects and resumes), and `stop_after=S` answers `204 No Content` once the client
/// has event S (it stops reconnecting).
fn events(tickers: &Tickers, request: &Request<hyper::body::Incoming>) -> Answer {
    let interval_ms: u64 = query_number(request, "interval_ms")?.unwrap_or(1000);
    if !(1..=3_600_000).contains(&interval_ms) {
        return Err(bad_request("interval_ms must be between 1 and 3600000"));
    }
    let close_after: Option<u64> = query_number(request, "close_after")?;
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
    let mut subscription = tickers.subscribe(interval_ms, Subscribe::new().resume_from(request))?;
    if let Some(count) = close_after {
        subscription = subscription.limit(count);
    }
    Ok(subscription.into_response().map(BodyExt::boxed_unsync))
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
    let answer = format!(
        "You said: {prompt}\nThis reply streams one token at a time, the way a language model answers."
    );
    let tokens: Vec<String> = answer.split_inclusive(' ').map(str::to_owned).collect();
    let tokens =
        stream::iter(tokens.into_iter().enumerate()).then(move |(index, token)| async move {
            tokio::time::sleep(Duration::from_millis(25)).await;
            match fail_after {
                Some(limit) if index >= limit => Err(BoxError::from("the model backend went away")),
                _ => Ok(token),
            }
        });
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
