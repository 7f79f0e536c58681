//! sse-layer under axum 0.8: handlers return an `EventStream`, the layer on the router
//! owns the transport (headers, heartbeats, CORS, Last-Event-ID).
//!
//! `cargo run -p sse-layer --example axum`, then `curl -N http://127.0.0.1:3001/tokens`.

use std::time::Duration;

use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::{stream, StreamExt};
use sse_layer::{Event, EventStream, LastEventId, SseCors, SseLayer};

/// An LLM-style stream: JSON tokens, then `[DONE]`.
async fn tokens(last: Option<Extension<LastEventId>>) -> impl IntoResponse {
    let skip = last
        .and_then(|Extension(id)| id.parse::<usize>())
        .unwrap_or(0);
    let words = ["Server-", "Sent ", "Events ", "with ", "sse-layer."];
    let tokens =
        stream::iter(words.into_iter().enumerate().skip(skip)).then(|(i, word)| async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            Event::new()
                .id((i + 1).to_string())
                .and_then(|event| event.json_data(&serde_json::json!({ "token": word })))
        });
    let done = stream::once(async { Ok(Event::new().data("[DONE]")) });
    EventStream::new(tokens.chain(done)).into_response()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = Router::new().route("/tokens", get(tokens)).layer(
        SseLayer::new()
            .heartbeat(Duration::from_secs(15))
            .retry(Duration::from_secs(2))
            .cors(SseCors::any_origin()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3001").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
