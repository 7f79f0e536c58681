//! warp 0.4's `sse` filters, as its docs show: `warp::sse::reply(warp::sse::keep_alive()
//! .stream(events))`, and resume with the documented `warp::sse::last_event_id::<u32>()`.

use std::convert::Infallible;

use futures_util::stream::{self, StreamExt};
use sse_frameworks::{invalid, port, EchoRequest, TICK};
use tokio_stream::wrappers::IntervalStream;
use warp::http::StatusCode;
use warp::sse::Event;
use warp::Filter;

#[tokio::main]
async fn main() {
    let events = warp::path("events")
        .and(warp::get())
        .and(warp::sse::last_event_id::<u32>())
        .map(|last: Option<u32>| {
            let first = last.unwrap_or(0) as usize + 1;
            let ticks = IntervalStream::new(tokio::time::interval(TICK))
                .enumerate()
                .map(move |(n, _)| {
                    let id = first + n;
                    Ok::<_, Infallible>(
                        Event::default()
                            .id(id.to_string())
                            .data(format!("tick {id}")),
                    )
                });
            warp::sse::reply(warp::sse::keep_alive().stream(ticks))
        });
    let idle = warp::path("idle").and(warp::get()).map(|| {
        let ready = stream::once(async { Ok::<_, Infallible>(Event::default().data("ready")) })
            .chain(stream::pending());
        warp::sse::reply(warp::sse::keep_alive().stream(ready))
    });
    let echo = warp::path("echo")
        .and(warp::post())
        .and(warp::body::json())
        .map(|request: EchoRequest| -> Box<dyn warp::Reply> {
            if invalid(&request.events) {
                return Box::new(warp::reply::with_status(
                    "invalid event",
                    StatusCode::BAD_REQUEST,
                ));
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
            Box::new(warp::sse::reply(events))
        });
    warp::serve(events.or(idle).or(echo))
        .run(([127, 0, 0, 1], port()))
        .await;
}
