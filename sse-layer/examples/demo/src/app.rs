//! The demo's routing table, as one tower service behind `SseLayer`, and the serve loop.
//! Each route's contract is its own file under `routes/`.

use std::convert::Infallible;
use std::time::Duration;

use http::{Method, Request, Response, StatusCode};
use sse_layer::lifecycle::Shutdown;
use sse_layer::serve::Server;
use sse_layer::SseLayer;
use tokio::net::TcpListener;
use tower::{service_fn, Layer, Service};

use crate::hubs::Hubs;

use crate::routes::answer::{full, text, Refusal};
use crate::routes::{bench, chat, echo, events, private, topics, vendors};

pub use crate::routes::answer::Body;
pub use crate::routes::chat::MAX_PROMPT;

const PAGE: &str = include_str!("page.html");
/// A client that does not read for this long is dropped (heartbeats count as writes).
pub const WRITE_DEADLINE: Duration = Duration::from_secs(30);

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
        (&Method::GET, "/events") => events::events(&hubs, &request),
        (&Method::GET, "/private/events") => private::events(&hubs, &request),
        (&Method::GET, "/subscribe") => topics::subscribe(&hubs, &request),
        (&Method::POST, "/publish") => topics::publish(&hubs, request).await,
        (&Method::POST, "/chat") => chat::chat(request).await,
        (&Method::POST, "/v1/chat/completions") => {
            vendors::stream(vendors::Vendor::OpenAiChat, request).await
        }
        (&Method::POST, "/v1/responses") => {
            vendors::stream(vendors::Vendor::OpenAiResponses, request).await
        }
        (&Method::POST, "/v1/messages") => {
            vendors::stream(vendors::Vendor::Anthropic, request).await
        }
        (&Method::POST, "/echo") => echo::echo(request).await,
        (&Method::GET, "/bench") => bench::bench(&request),
        (
            _,
            "/"
            | "/events"
            | "/private/events"
            | "/subscribe"
            | "/publish"
            | "/chat"
            | "/echo"
            | "/bench"
            | "/v1/chat/completions"
            | "/v1/responses"
            | "/v1/messages",
        ) => Ok(text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n")),
        _ => Ok(text(StatusCode::NOT_FOUND, "not found\n")),
    };
    Ok(response.unwrap_or_else(Refusal::into_response))
}
