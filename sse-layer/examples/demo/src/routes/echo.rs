//! `POST /echo`: the echo contract the checker's round trip drives.

use std::time::Duration;

use futures_util::{stream, StreamExt};
use http::{Request, StatusCode};
use serde::Deserialize;
use sse_layer::Event;

use super::answer::{json_body, sse, Answer, Refusal};

/// One event of the echo contract; every field optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EchoEvent {
    id: Option<String>,
    event: Option<String>,
    data: Option<String>,
    retry: Option<u64>,
    comment: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EchoRequest {
    events: Vec<EchoEvent>,
}

/// `POST /echo {"events": [...]}`: exactly those events, then the end of the stream.
/// Every event is validated before anything is sent: a bad one is a 400 naming it.
pub(crate) async fn echo(request: Request<hyper::body::Incoming>) -> Answer {
    let EchoRequest { events } = json_body(request).await?;
    let events = events
        .into_iter()
        .enumerate()
        .map(|(index, spec)| {
            build_echo_event(spec).map_err(|error| Refusal {
                status: StatusCode::BAD_REQUEST,
                body: serde_json::json!({ "error": error.to_string(), "index": index }),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(sse(stream::iter(events).boxed()))
}

fn build_echo_event(spec: EchoEvent) -> Result<Event, sse_layer::EventError> {
    let mut event = Event::new();
    if let Some(id) = spec.id {
        event = event.try_id(id)?;
    }
    if let Some(event_type) = spec.event {
        event = event.try_event(event_type)?;
    }
    if let Some(data) = spec.data {
        event = event.data(data);
    }
    if let Some(retry) = spec.retry {
        event = event.retry(Duration::from_millis(retry));
    }
    if let Some(comment) = spec.comment {
        event = event.comment(comment);
    }
    Ok(event)
}
