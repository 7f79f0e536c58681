//! `GET /subscribe?topic=T` and `POST /publish`: topics published by anyone, to anyone
//! subscribed on any instance (with `--redis`).

use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde::Deserialize;
use sse_layer::hub::Subscribe;
use sse_layer::Event;

use super::answer::{bad_request, full, json_body, query_text, Answer, Refusal};
use crate::hubs::{HubError, Hubs};
use sse_layer::hub::PublishError;

/// The longest topic name `/publish` and `/subscribe` accept.
const MAX_TOPIC: usize = 256;

/// `GET /subscribe?topic=T`: the events published to `T` (by `POST /publish`, on any
/// instance with `--redis`), with `Last-Event-ID` resume and the `reset` event.
pub(crate) fn subscribe(hubs: &Hubs, request: &Request<hyper::body::Incoming>) -> Answer {
    let topic = query_text(request, "topic").ok_or_else(|| bad_request("topic is required"))?;
    check_topic(&topic)?;
    let subscription = hubs.subscribe_topic(&topic, Subscribe::new().resume_from(request));
    Ok(subscription.into_http_response().map(BodyExt::boxed_unsync))
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
///
/// With `Idempotency-Key: K` (1 to 255 visible ASCII characters), the event is published
/// at most once per key: a retry (after a timeout, a 503) answers `202` with the first
/// event's id and `Idempotent-Replayed: true` instead of publishing it again, and the
/// same key with another topic or event gets `422`.
pub(crate) async fn publish(hubs: &Hubs, request: Request<hyper::body::Incoming>) -> Answer {
    let once = idempotency_key(&request)?;
    let PublishRequest { topic, event, data } = json_body(request).await?;
    check_topic(&topic)?;
    let mut built = Event::new();
    if let Some(name) = event {
        built = built
            .try_event(name)
            .map_err(|error| bad_request(&format!("invalid event: {error}")))?;
    }
    let published = hubs
        .publish(&topic, built.data(data), once.as_deref())
        .await
        .map_err(Refusal::from)?;
    let mut answer = full(
        StatusCode::ACCEPTED,
        "application/json",
        serde_json::json!({ "id": published.id }).to_string(),
    );
    if !published.fresh {
        answer.headers_mut().insert(
            "idempotent-replayed",
            http::HeaderValue::from_static("true"),
        );
    }
    Ok(answer)
}

/// The `Idempotency-Key` header, if there is one and it is usable.
fn idempotency_key(request: &Request<hyper::body::Incoming>) -> Result<Option<String>, Refusal> {
    let Some(value) = request.headers().get("idempotency-key") else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key) if (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(key.to_owned()))
        }
        _ => Err(bad_request(
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
        )),
    }
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
            HubError::Engine(why) => (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the shared event log is unavailable: {why}"),
            ),
            HubError::Publish(PublishError::KeyReused) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "this Idempotency-Key was already used for another event".to_owned(),
            ),
            HubError::Publish(PublishError::Unavailable(why)) => (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the shared event log is unavailable: {why}"),
            ),
            HubError::Publish(other) => (StatusCode::BAD_REQUEST, other.to_string()),
        };
        Refusal {
            status,
            body: serde_json::json!({ "error": message }),
        }
    }
}
