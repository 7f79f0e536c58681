//! The peer servers of `cargo xtask bench`, on axum's own `Sse`: the demo's
//! `GET /bench?n=N&size=S` (same events: an id, the name `bench`, S bytes of data), an
//! idle stream (`/idle`), and fan-out over a broadcast channel (`/fanout`, `/fire`).
//! Prints `listening on http://IP:PORT` first, like the demo.

#[path = "shared/fanout.rs"]
mod fanout;

use std::convert::Infallible;

use axum::extract::Query;
use axum::response::sse::{Event, Sse};
use axum::routing::get;
use fanout::now_nanos;
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

/// `GET /fanout`: every event sent to the broadcast channel, the usual axum fan-out (a
/// `tokio::sync::broadcast` receiver per client, each event encoded per client).
async fn fanout(
    axum::extract::State(sender): axum::extract::State<Fanout>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = sender.subscribe();
    let events = stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(data) => return Some((Ok(Event::default().data(data.as_str())), receiver)),
                // A lagging client skips (what broadcast does); the bench counts deliveries.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(events)
}

type Fanout = tokio::sync::broadcast::Sender<std::sync::Arc<String>>;

#[derive(serde::Deserialize)]
struct Fire {
    count: u64,
    gap_ms: u64,
}

/// `GET /fire?count=C&gap_ms=G`: publishes C events, G ms apart, each holding the time it
/// was published (ns since the Unix epoch), so clients can measure latency.
async fn fire(
    axum::extract::State(sender): axum::extract::State<Fanout>,
    Query(fire): Query<Fire>,
) -> &'static str {
    tokio::spawn(async move {
        for _ in 0..fire.count {
            tokio::time::sleep(std::time::Duration::from_millis(fire.gap_ms)).await;
            let _ = sender.send(std::sync::Arc::new(now_nanos().to_string()));
        }
    });
    "firing\n"
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on http://{}", listener.local_addr()?);
    let (sender, _) = tokio::sync::broadcast::channel::<std::sync::Arc<String>>(1024);
    axum::serve(
        listener,
        axum::Router::new()
            .route("/bench", get(bench))
            .route("/idle", get(idle))
            .route("/fanout", get(fanout))
            .route("/fire", get(fire))
            .with_state(sender),
    )
    .await
}
