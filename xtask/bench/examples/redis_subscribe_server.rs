//! The peer of the cluster benchmark: what users hand-roll today. An axum 0.8.9 `Sse`
//! endpoint where each connection opens its own Redis `SUBSCRIBE` (redis-rs pub/sub) and
//! streams what arrives; `GET /fire?count=C&gap_ms=G` PUBLISHes C messages holding their
//! publish time. `redis_subscribe_server REDIS_URL`. Prints `listening on http://IP:PORT`.
//! (No history, no resume, no epoch: only the fan-out is compared.)

#[path = "shared/fanout.rs"]
mod fanout;

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::sse::{Event, Sse};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use futures_util::StreamExt;

use fanout::now_nanos;

#[derive(Clone)]
struct Shared {
    client: redis::Client,
    publisher: redis::aio::MultiplexedConnection,
}

async fn subscribe(State(shared): State<Shared>) -> axum::response::Response {
    let Ok(mut pubsub) = shared.client.get_async_pubsub().await else {
        return (http::StatusCode::SERVICE_UNAVAILABLE, "redis").into_response();
    };
    if pubsub.subscribe("bench").await.is_err() {
        return (http::StatusCode::SERVICE_UNAVAILABLE, "redis").into_response();
    }
    let stream = pubsub.into_on_message().map(|message| {
        let data: String = message.get_payload().unwrap_or_default();
        Ok::<_, Infallible>(Event::default().data(data))
    });
    Sse::new(stream).into_response()
}

#[derive(serde::Deserialize)]
struct Fire {
    count: u64,
    gap_ms: u64,
}

async fn fire(State(shared): State<Shared>, Query(fire): Query<Fire>) -> &'static str {
    let mut publisher = shared.publisher.clone();
    tokio::spawn(async move {
        for _ in 0..fire.count {
            if fire.gap_ms > 0 {
                tokio::time::sleep(Duration::from_millis(fire.gap_ms)).await;
            }
            let _: Result<i64, _> = redis::cmd("PUBLISH")
                .arg("bench")
                .arg(now_nanos().to_string())
                .query_async(&mut publisher)
                .await;
        }
    });
    "firing\n"
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .ok_or("usage: redis_subscribe_server REDIS_URL")?;
    let client = redis::Client::open(url)?;
    let publisher = client.get_multiplexed_async_connection().await?;
    let app = Router::new()
        .route("/fanout", get(subscribe))
        .route("/fire", get(fire))
        .with_state(Shared { client, publisher });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
