//! The demo's `GET /bench?n=N&size=S` (and an idle stream, `/idle`) built on axum's own
//! `Sse`, for the on-the-wire and idle-memory comparisons (`cargo xtask bench`). Same events: an id, the name `bench`, S bytes of data.
//! Prints `listening on http://IP:PORT` first, like the demo.

use std::convert::Infallible;

use axum::extract::Query;
use axum::response::sse::{Event, Sse};
use axum::routing::get;
use futures_util::{stream, Stream, StreamExt};

#[derive(serde::Deserialize)]
struct Params {
    n: u64,
    size: usize,
}

async fn bench(Query(params): Query<Params>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let payload = "x".repeat(params.size);
    Sse::new(stream::iter(0..params.n).map(move |i| {
        Ok(Event::default()
            .event("bench")
            .id(i.to_string())
            .data(payload.clone()))
    }))
}

/// `GET /idle`: one event, then nothing but axum's keep-alive comment every 15 s (the
/// same as the demo's `/events?interval_ms=3600000` with its default heartbeat).
async fn idle() -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let first =
        stream::once(async { Ok(Event::default().event("tick").id("1").data("{\"n\":1}")) });
    Sse::new(first.chain(stream::pending())).keep_alive(
        axum::response::sse::KeepAlive::new().interval(std::time::Duration::from_secs(15)),
    )
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(
        listener,
        axum::Router::new()
            .route("/bench", get(bench))
            .route("/idle", get(idle)),
    )
    .await
}
