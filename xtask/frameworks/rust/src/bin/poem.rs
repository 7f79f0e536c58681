//! poem 3's `web::sse`, as its docs show: `SSE::new(stream)` of `Event::message(..)`
//! with `.id(..)` and `.event_type(..)`, and no keep-alive in the example. The docs show
//! no resume: ids count from 1.

use futures_util::stream::{self, StreamExt};
use poem::http::StatusCode;
use poem::listener::TcpListener;
use poem::web::sse::{Event, SSE};
use poem::web::Json;
use poem::{get, handler, post, IntoResponse, Response, Route, Server};
use sse_frameworks::{invalid, port, EchoRequest, TICK};
use tokio_stream::wrappers::IntervalStream;

#[handler]
fn events() -> SSE {
    SSE::new(
        IntervalStream::new(tokio::time::interval(TICK))
            .enumerate()
            .map(|(n, _)| Event::message(format!("tick {}", n + 1)).id((n + 1).to_string())),
    )
}

#[handler]
fn idle() -> SSE {
    SSE::new(stream::once(async { Event::message("ready") }).chain(stream::pending()))
}

#[handler]
fn echo(Json(request): Json<EchoRequest>) -> Response {
    if invalid(&request.events) {
        return (StatusCode::BAD_REQUEST, "invalid event").into_response();
    }
    // poem's events are a message (with data) or a retry, and it writes no comment: an
    // id without data cannot be expressed (501); a type or comment alone changes nothing
    // a client sees.
    if request
        .events
        .iter()
        .any(|e| e.id.is_some() && e.data.is_none())
    {
        return (
            StatusCode::NOT_IMPLEMENTED,
            "cannot express an id without data",
        )
            .into_response();
    }
    let mut out = Vec::new();
    for e in request.events {
        if let Some(retry) = e.retry {
            out.push(Event::retry(retry));
        }
        if let Some(data) = e.data {
            let mut event = Event::message(data);
            if let Some(id) = e.id {
                event = event.id(id);
            }
            if let Some(kind) = e.event {
                event = event.event_type(kind);
            }
            out.push(event);
        }
    }
    SSE::new(stream::iter(out)).into_response()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = Route::new()
        .at("/events", get(events))
        .at("/idle", get(idle))
        .at("/echo", post(echo));
    Server::new(TcpListener::bind(("127.0.0.1", port())))
        .run(app)
        .await
}
