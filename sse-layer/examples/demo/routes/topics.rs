//! `GET /subscribe?topic=T` and `POST /publish`: topics published by anyone, to anyone
//! subscribed on any instance (with `--redis`).

use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde::Deserialize;
use sse_layer::hub::Subscribe;
use sse_layer::Event;

use super::answer::{bad_request, full, json_body, query_text, Answer, Refusal};
use crate::hubs::{HubError, Hubs};

/// The longest topic name `/publish` and `/subscribe` accept.
const MAX_TOPIC: usize = 256;

/// `GET /subscribe?topic=T`: the events published to `T` (by `POST /publish`, on any
/// instance with `--redis`), with `Last-Event-ID` resume and the `reset` event.
pub(crate) fn subscribe(hubs: &Hubs, request: &Request<hyper::body::Incoming>) -> Answer {
    let topic = query_text(request, "topic").ok_or_else(|| bad_request("topic is required"))?;
    check_topic(&topic)?;
    let subscription = hubs.subscribe_topic(&topic, Subscribe::new().resume_from(request));
    Ok(subscription.into_response().map(BodyExt::boxed_unsync))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishRequest {
    topic: String,
    event: Option<String>,
    data: String,
}

/// `POST /publish {"topic": "...", "event"?: "...", "data": "..."}`: `202` with
/// `{"id": "<the event's SSE id>"}`; `400` for invalid input, `503` when the shared log
/// (Redis) cannot be reached.
pub(crate) async fn publish(hubs: &Hubs, request: Request<hyper::body::Incoming>) -> Answer {
    let PublishRequest { topic, event, data } = json_body(request).await?;
    check_topic(&topic)?;
    let mut built = Event::new();
    if let Some(name) = event {
        built = built
            .try_event(name)
            .map_err(|error| bad_request(&format!("invalid event: {error}")))?;
    }
    let id = hubs
        .publish(&topic, built.data(data))
        .await
        .map_err(Refusal::from)?;
    Ok(full(
        StatusCode::ACCEPTED,
        "application/json",
        serde_json::json!({ "id": id }).to_string(),
    ))
}

fn check_topic(topic: &str) -> Result<(), Refusal> {
    if topic.is_empty() || topic.len() > MAX_TOPIC {
        return Err(bad_request(&format!(
            "topic must be 1 to {MAX_TOPIC} bytes long"
        )));
    }
    Ok(())
}

impl From<HubError> for Refusal {
    fn from(error: HubError) -> Self {
        let (status, message) = match error {
            HubError::TooManyTickers => (
                StatusCode::SERVICE_UNAVAILABLE,
                "too many distinct interval_ms values in use; try a common one".to_owned(),
            ),
            HubError::Invalid(why) => (StatusCode::BAD_REQUEST, why),
            HubError::Unavailable(why) => (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the shared event log is unavailable: {why}"),
            ),
        };
        Refusal {
            status,
            body: serde_json::json!({ "error": message }),
        }
    }
}
