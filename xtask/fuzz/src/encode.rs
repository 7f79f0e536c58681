//! `encode_roundtrip` and `echo_json`: whatever the builder accepts, a client reads back
//! exactly; whatever it refuses is an event the wire format cannot carry.

use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use serde::{Deserialize, Serialize};
use sse_conformance::echo::{expected_items, EchoEvent};
use sse_conformance::parser::parse_all;
use sse_layer::{Event, EventError};

/// An event as the fuzzer builds it (field by field, any strings).
#[derive(Debug, Arbitrary)]
struct FuzzEvent {
    id: Option<String>,
    event: Option<String>,
    data: Option<String>,
    retry: Option<u64>,
    comment: Option<String>,
}

impl From<FuzzEvent> for EchoEvent {
    fn from(event: FuzzEvent) -> Self {
        EchoEvent {
            id: event.id,
            event: event.event,
            data: event.data,
            retry: event.retry,
            comment: event.comment,
        }
    }
}

/// The body of `POST /echo`, as the contract defines it (unknown fields refused).
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EchoRequest {
    events: Vec<EchoEvent>,
}

/// Events built from the fuzzer's bytes.
pub fn encode_roundtrip(input: &[u8]) {
    let Ok(events) = Unstructured::new(input).arbitrary::<Vec<FuzzEvent>>() else {
        return;
    };
    let events: Vec<EchoEvent> = events.into_iter().map(EchoEvent::from).collect();
    assert_round_trip(&events);
}

/// The fuzzer's bytes as the JSON body of the echo contract.
pub fn echo_json(input: &[u8]) {
    let Ok(request) = serde_json::from_slice::<EchoRequest>(input) else {
        return;
    };
    let again: EchoRequest =
        serde_json::from_str(&serde_json::to_string(&request).expect("serialises"))
            .expect("what was written reads back");
    assert_eq!(again, request, "the contract JSON does not round-trip");
    assert_round_trip(&request.events);
}

/// Builds each event as a server would (the echo contract's mapping onto [`Event`]).
///
/// # Errors
/// The builder's refusal: an id with CR, LF or NUL, an event type with CR or LF.
pub fn build(spec: &EchoEvent) -> Result<Event, EventError> {
    let mut event = Event::new();
    if let Some(id) = &spec.id {
        event = event.try_id(id.clone())?;
    }
    if let Some(event_type) = &spec.event {
        event = event.try_event(event_type.clone())?;
    }
    if let Some(data) = &spec.data {
        event = event.data(data.clone());
    }
    if let Some(retry) = spec.retry {
        event = event.retry(Duration::from_millis(retry));
    }
    if let Some(comment) = &spec.comment {
        event = event.comment(comment.clone());
    }
    Ok(event)
}

/// Refused exactly when the contract says invalid; the accepted ones, encoded one after
/// the other, parse to exactly what the contract expects.
///
/// ```
/// use sse_conformance::echo::EchoEvent;
/// let event = EchoEvent { data: Some("a\r\nb".into()), ..EchoEvent::default() };
/// sse_fuzz::encode::assert_round_trip(&[event]);
/// ```
pub fn assert_round_trip(events: &[EchoEvent]) {
    let mut wire = Vec::new();
    let mut accepted = Vec::new();
    for spec in events {
        match build(spec) {
            Ok(event) => {
                assert!(!spec.is_invalid(), "the builder accepted {spec:?}");
                let encoded = event.encode();
                assert_eq!(encoded.is_empty(), event.is_empty(), "{spec:?}");
                wire.extend_from_slice(&encoded);
                accepted.push(spec.clone());
            }
            Err(error) => assert!(
                spec.is_invalid(),
                "the builder refused a valid event {spec:?}: {error}"
            ),
        }
    }
    let items = parse_all(&wire).expect("fuzz inputs are far below the parser's limits");
    assert_eq!(
        items,
        expected_items(&accepted),
        "wire {:?}",
        String::from_utf8_lossy(&wire)
    );
}
