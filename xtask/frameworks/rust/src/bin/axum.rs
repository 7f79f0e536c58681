//! axum 0.8's `Sse`, as its docs and `examples/sse` show: a stream of `Event`s with
//! `.keep_alive(KeepAlive::default())`. The docs show no resume: ids count from 1.

use std::convert::Infallible;

use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::stream::{self, Stream, StreamExt};
use sse_frameworks::{invalid, port, EchoRequest, TICK};
use tokio_stream::wrappers::IntervalStream;

async fn events() -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let ticks = IntervalStream::new(tokio::time::interval(TICK))
        .enumerate()
        .map(|(n, _)| {
            Ok(Event::default()
                .id((n + 1).to_string())
                .data(format!("tick {}", n + 1)))
        });
    Sse::new(ticks).keep_alive(KeepAlive::default())
}

async fn idle() -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let ready = stream::once(async { Ok(Event::default().data("ready")) }).chain(stream::pending());
    Sse::new(ready).keep_alive(KeepAlive::default())
}

async fn echo(Json(request): Json<EchoRequest>) -> Response {
    if invalid(&request.events) {
        return (StatusCode::BAD_REQUEST, "invalid event").into_response();
    }
    let events = stream::iter(request.events).map(|e| {
        let mut event = Event::default();
        if let Some(comment) = e.comment {
            event = event.comment(comment);
        }
        if let Some(id) = e.id {
            event = event.id(id);
        }
        if let Some(kind) = e.event {
            event = event.event(kind);
        }
        if let Some(retry) = e.retry {
            event = event.retry(std::time::Duration::from_millis(retry));
        }
        if let Some(data) = e.data {
            event = event.data(data);
        }
        Ok::<_, Infallible>(event)
    });
    Sse::new(events).into_response()
}

#[tokio::main]
async fn main() {
    let app = Router::new()
        .route("/events", get(events))
        .route("/idle", get(idle))
        .route("/echo", post(echo));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port()))
        .await
        .expect("the port is free");
    axum::serve(listener, app).await.expect("the server runs");
}
