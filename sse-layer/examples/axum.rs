//! sse-layer under axum 0.8 (feature `axum`): a ticker with resume, an OpenAI-style chat
//! stream, and a hub to publish to. Handlers return streams as they are; the layer on
//! the router owns the transport (headers, heartbeats, CORS, Last-Event-ID).
//!
//! `cargo run -p sse-layer --example axum --features axum`, then
//! `curl -N http://127.0.0.1:3001/ticks`, `curl -N -X POST http://127.0.0.1:3001/chat`,
//! `curl -N http://127.0.0.1:3001/news` and `curl -X POST -d hi http://127.0.0.1:3001/news`.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use futures_util::{stream, Stream, StreamExt};
use sse_layer::hub::{Hub, Subscribe, Subscription};
use sse_layer::llm::{self, OpenAiChat};
use sse_layer::{event_name, Error, Event, EventStream, LastEventId, SseCors, SseLayer};

#[derive(Clone)]
struct Hubs {
    ticks: Hub,
    news: Hub,
}

/// One tick a second for every client, from a hub that keeps the last 100 for resume.
async fn ticks(State(hubs): State<Hubs>, last: Option<LastEventId>) -> Subscription {
    hubs.ticks.subscribe(Subscribe::new().resume(last))
}

/// An answer in OpenAI's chat-completions convention, one word every 100 ms. It is not
/// something to reconnect to: no `retry:` hint, and a heartbeat while the model thinks.
async fn chat() -> EventStream<impl Stream<Item = Event>> {
    let words = ["Server-", "Sent ", "Events ", "with ", "sse-layer."];
    let pieces = stream::iter(words).then(|word| async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok::<_, Infallible>(word)
    });
    EventStream::new(llm::frame(pieces, OpenAiChat::new("chatcmpl-1", "demo")))
        .no_retry()
        .heartbeat(Duration::from_secs(5))
}

async fn news(State(hubs): State<Hubs>, last: Option<LastEventId>) -> Subscription {
    hubs.news.subscribe(Subscribe::topic("news").resume(last))
}

/// Publishes the request body; a shared engine that is down answers 503 with a JSON
/// message.
async fn publish(State(hubs): State<Hubs>, body: String) -> Result<String, Error> {
    let event = Event::new().event(event_name!("headline")).data(body);
    let published = hubs.news.publish("news", event).await?;
    Ok(format!("published as {}\n", published.seq))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let hubs = Hubs {
        ticks: Hub::new(),
        news: Hub::new(),
    };
    let ticker = hubs.ticks.clone();
    tokio::spawn(async move {
        for n in 1u64.. {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let tick = Event::new().event(event_name!("tick")).data(n.to_string());
            let _ = ticker.publish("ticks", tick).await;
        }
    });
    let app = Router::new()
        .route("/ticks", get(ticks))
        .route("/chat", post(chat))
        .route("/news", get(news).post(publish))
        .with_state(hubs)
        .layer(
            SseLayer::new()
                .heartbeat(Duration::from_secs(15))
                .retry(Duration::from_secs(2))
                .cors(SseCors::any_origin()),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3001").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
