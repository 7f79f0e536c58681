//! The demo's `GET /bench?n=N&size=S` built on axum's own `Sse`, for the on-the-wire
//! comparison (`cargo xtask bench`). Same events: an id, the name `bench`, S bytes of data.
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

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, axum::Router::new().route("/bench", get(bench))).await
}
