//! The echo round trip: property tests of a server's encoder through the echo contract.
//!
//! The contract: `POST {"events": [{"id"?, "event"?, "data"?, "retry"?, "comment"?}, ...]}`
//! answers a `200 text/event-stream` of exactly those events, then ends; any invalid event
//! (an id with CR, LF or NUL; an event type with CR or LF) answers `400` and streams nothing.
//!
//! The run: first the known bugs of today's encoders (each a fixed case), then random
//! hostile events from proptest; a failure is shrunk to a minimal case.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Method};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use serde::{Deserialize, Serialize};

use crate::client::{observe, Limits, Target};
use crate::parser::{Event, Item};

/// One event of the echo contract.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EchoEvent {
    /// `id` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `event` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// `data`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// `retry`, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<u64>,
    /// A comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl EchoEvent {
    fn data(data: &str) -> Self {
        Self {
            data: Some(data.to_owned()),
            ..Self::default()
        }
    }

    /// True if the contract requires a 400 for this event.
    pub fn is_invalid(&self) -> bool {
        self.id
            .as_deref()
            .is_some_and(|id| id.contains(['\r', '\n', '\0']))
            || self
                .event
                .as_deref()
                .is_some_and(|event| event.contains(['\r', '\n']))
    }
}

/// The result of the echo run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EchoOutcome {
    /// Not run, and why.
    NotRun(String),
    /// The server could not be used (refused, timed out), and why.
    CouldNotRun(String),
    /// Every case round-tripped.
    Passed {
        /// Cases tried.
        cases: usize,
    },
    /// A case failed; `minimal` is the shrunk input.
    Failed {
        /// What differed.
        reason: String,
        /// The smallest failing input found.
        minimal: Vec<EchoEvent>,
        /// Cases tried before the failure.
        cases: usize,
    },
}

/// What a client must see for valid `events`: retries and dispatched events, in order.
pub fn expected_items(events: &[EchoEvent]) -> Vec<Item> {
    let mut last_event_id = String::new();
    let mut items = Vec::new();
    for event in events {
        if let Some(retry) = event.retry {
            items.push(Item::Retry(retry));
        }
        if let Some(id) = &event.id {
            last_event_id.clone_from(id);
        }
        if let Some(data) = &event.data {
            let event_type = event
                .event
                .clone()
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "message".into());
            items.push(Item::Event(Event {
                event_type: event_type.into(),
                data: data.replace("\r\n", "\n").replace('\r', "\n"),
                last_event_id: last_event_id.clone(),
            }));
        }
    }
    items
}

/// The fixed cases: each is a bug a real encoder has (CRLF written as two line breaks,
/// empty data written as no data line, a leading space or a lone CR lost, a comment or
/// an id that lets a line break through).
pub fn known_bug_cases() -> Vec<(&'static str, Vec<EchoEvent>)> {
    let with = |f: fn(&mut EchoEvent)| {
        let mut event = EchoEvent::data("x");
        f(&mut event);
        vec![event]
    };
    vec![
        (
            "CRLF in data is one line break",
            vec![EchoEvent::data("a\r\nb")],
        ),
        ("empty data is still an event", vec![EchoEvent::data("")]),
        (
            "a leading space in data survives",
            vec![EchoEvent::data(" leading")],
        ),
        ("a lone CR at the end of data", vec![EchoEvent::data("x\r")]),
        ("a lone CR inside data", vec![EchoEvent::data("a\rb")]),
        (
            "trailing LF and blank lines in data",
            vec![EchoEvent::data("a\n\nb\n")],
        ),
        (
            "a leading space in an id survives",
            with(|e| e.id = Some(" 1".into())),
        ),
        (
            "a comment cannot inject a field",
            with(|e| e.comment = Some("c\r\ndata: injected\r\rid: 9".into())),
        ),
        (
            "event type and retry",
            with(|e| {
                e.event = Some("tick".into());
                e.retry = Some(1500);
            }),
        ),
        ("multi-byte text", vec![EchoEvent::data("é日本😀\u{FEFF}")]),
    ]
}

/// Invalid events: the contract requires a 400; a 200 means field injection or lost ids.
pub fn invalid_cases() -> Vec<(&'static str, Vec<EchoEvent>)> {
    let with = |f: fn(&mut EchoEvent)| {
        let mut event = EchoEvent::data("x");
        f(&mut event);
        vec![EchoEvent::data("before"), event]
    };
    vec![
        (
            "an id with CR",
            with(|e| e.id = Some("1\rdata: injected".into())),
        ),
        ("an id with LF", with(|e| e.id = Some("1\nretry: 1".into()))),
        ("an id with NUL", with(|e| e.id = Some("1\u{0}2".into()))),
        (
            "an event type with CR",
            with(|e| e.event = Some("a\rdata: b".into())),
        ),
        (
            "an event type with LF",
            with(|e| e.event = Some("a\nb".into())),
        ),
    ]
}

/// Text built from the pieces that break encoders.
fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[a-z]{1,4}",
        2 => Just("\r\n".to_owned()),
        2 => Just("\n".to_owned()),
        2 => Just("\r".to_owned()),
        2 => Just(" ".to_owned()),
        1 => Just(":".to_owned()),
        1 => Just("\t".to_owned()),
        1 => Just("data: x".to_owned()),
        1 => Just("\u{FEFF}".to_owned()),
        1 => Just("é日😀".to_owned()),
        1 => Just("\u{0}".to_owned()),
        2 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

fn data_text() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => hostile_text(),
        1 => (hostile_text(), 200usize..4000).prop_map(|(text, times)| format!("{text}x\r\n").repeat(times)),
    ]
}

fn echo_event() -> impl Strategy<Value = EchoEvent> {
    let no_breaks = |text: String| text.replace(['\r', '\n'], "");
    (
        prop::option::weighted(
            0.4,
            hostile_text().prop_map(|t| t.replace(['\r', '\n', '\0'], "")),
        ),
        prop::option::weighted(0.3, hostile_text().prop_map(no_breaks)),
        prop::option::weighted(0.85, data_text()),
        prop::option::weighted(0.15, 0u64..100_000),
        prop::option::weighted(0.2, hostile_text()),
    )
        .prop_map(|(id, event, data, retry, comment)| EchoEvent {
            id,
            event,
            data,
            retry,
            comment,
        })
}

/// Random valid scripts of one to five events.
pub fn echo_events() -> impl Strategy<Value = Vec<EchoEvent>> {
    prop::collection::vec(echo_event(), 1..6)
}

enum RoundTrip {
    Ok,
    /// The server's answer is wrong.
    Wrong(String),
    /// The server could not be used.
    Transport(String),
}

/// Sends one script to the echo endpoint and judges the answer.
async fn round_trip(endpoint: &Target, events: &[EchoEvent]) -> RoundTrip {
    let body = serde_json::json!({ "events": events }).to_string();
    let target = Target {
        method: Method::POST,
        headers: vec![(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body: Some(Bytes::from(body)),
        ..endpoint.clone()
    };
    let limits = Limits {
        duration: Duration::from_secs(10),
        ..Limits::default()
    };
    let transcript = match observe(&target, &limits, &mut |_| {}).await {
        Ok(transcript) => transcript,
        Err(error) => return RoundTrip::Transport(error.to_string()),
    };
    let invalid = events.iter().any(EchoEvent::is_invalid);
    let items: Vec<Item> = transcript
        .analyze()
        .items
        .into_iter()
        .map(|timed| timed.item)
        .filter(|item| matches!(item, Item::Event(_) | Item::Retry(_)))
        .collect();
    if invalid {
        return match transcript.status {
            400..=499 => RoundTrip::Ok,
            status => RoundTrip::Wrong(format!(
                "answered {status} to an invalid event instead of 400; a client saw {}",
                describe(&items)
            )),
        };
    }
    if !transcript.is_event_stream() {
        let body = String::from_utf8_lossy(&transcript.body())
            .chars()
            .take(200)
            .collect::<String>();
        return RoundTrip::Wrong(format!(
            "answered {} {} to valid events: {body}",
            transcript.status,
            transcript.header("content-type").unwrap_or("")
        ));
    }
    let expected = expected_items(events);
    let items = without_transport_retries(items, &expected);
    if items != expected {
        return RoundTrip::Wrong(format!(
            "expected {}, a client saw {}",
            describe(&expected),
            describe(&items)
        ));
    }
    if let crate::transcript::End::Error { message } = &transcript.end {
        return RoundTrip::Wrong(format!("the stream broke: {message}"));
    }
    RoundTrip::Ok
}

/// A server may open every stream with its own `retry:` hint (a transport setting, not
/// part of the script): extra retries before anything the script asked for are dropped.
fn without_transport_retries(mut items: Vec<Item>, expected: &[Item]) -> Vec<Item> {
    let leading = |items: &[Item]| {
        items
            .iter()
            .take_while(|item| matches!(item, Item::Retry(_)))
            .count()
    };
    let extra = leading(&items).saturating_sub(leading(expected));
    items.drain(..extra);
    items
}

fn describe(items: &[Item]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|item| match item {
            Item::Event(event) => format!(
                "event(type={:?}, data={:?}, id={:?})",
                event.event_type, event.data, event.last_event_id
            ),
            Item::Retry(ms) => format!("retry({ms})"),
            other => format!("{other:?}"),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// Runs the fixed cases, the invalid cases, then `cases` random scripts.
///
/// `endpoint` names the echo URL and how to reach it (h2c, extra CAs); its method,
/// headers and body are replaced by the script's `POST`.
pub async fn run_echo(endpoint: Target, cases: u32) -> EchoOutcome {
    let mut tried = 0;
    for (name, events) in known_bug_cases().into_iter().chain(invalid_cases()) {
        tried += 1;
        match round_trip(&endpoint, &events).await {
            RoundTrip::Ok => {}
            RoundTrip::Wrong(reason) => {
                return EchoOutcome::Failed {
                    reason: format!("{name}: {reason}"),
                    minimal: events,
                    cases: tried,
                }
            }
            RoundTrip::Transport(reason) => return EchoOutcome::CouldNotRun(reason),
        }
    }

    let handle = tokio::runtime::Handle::current();
    let transport_error = Arc::new(Mutex::new(None::<String>));
    let seen_transport = transport_error.clone();
    let result = tokio::task::spawn_blocking(move || {
        let config = Config {
            cases,
            failure_persistence: None,
            max_shrink_iters: 300,
            ..Config::default()
        };
        let mut runner = TestRunner::new(config);
        runner.run(&echo_events(), |events| {
            match handle.block_on(round_trip(&endpoint, &events)) {
                RoundTrip::Ok => Ok(()),
                RoundTrip::Wrong(reason) => Err(TestCaseError::fail(reason)),
                RoundTrip::Transport(reason) => {
                    seen_transport
                        .lock()
                        .expect("not poisoned")
                        .get_or_insert(reason.clone());
                    Err(TestCaseError::fail(reason))
                }
            }
        })
    })
    .await;
    if let Some(reason) = transport_error.lock().expect("not poisoned").take() {
        return EchoOutcome::CouldNotRun(reason);
    }
    match result {
        Ok(Ok(())) => EchoOutcome::Passed {
            cases: tried + cases as usize,
        },
        Ok(Err(TestError::Fail(reason, minimal))) => EchoOutcome::Failed {
            reason: reason.message().to_owned(),
            minimal,
            cases: tried,
        },
        Ok(Err(TestError::Abort(reason))) => EchoOutcome::CouldNotRun(reason.message().to_owned()),
        Err(join_error) => {
            EchoOutcome::CouldNotRun(format!("the property test crashed: {join_error}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;

    #[test]
    fn ids_persist_and_data_is_normalised() {
        let events = vec![
            EchoEvent {
                id: Some("1".into()),
                ..EchoEvent::data("a\r\nb\rc")
            },
            EchoEvent {
                event: Some(String::new()),
                retry: Some(5),
                ..EchoEvent::default()
            },
            EchoEvent::data(""),
        ];
        let items = expected_items(&events);
        assert_eq!(items.len(), 3);
        let Item::Event(last) = &items[2] else {
            panic!()
        };
        assert_eq!((last.data.as_str(), last.last_event_id.as_str()), ("", "1"));
        let Item::Event(first) = &items[0] else {
            panic!()
        };
        assert_eq!(first.data, "a\nb\nc");
    }

    #[test]
    fn a_servers_own_leading_retry_is_not_a_mismatch() {
        let expected = expected_items(&[EchoEvent::data("x")]);
        let mut seen = vec![Item::Retry(1000)];
        seen.extend(expected.clone());
        assert_eq!(without_transport_retries(seen, &expected), expected);
        // ...but a retry the script did not ask for, after the start, still is.
        let mut seen = expected.clone();
        seen.push(Item::Retry(1));
        assert_ne!(without_transport_retries(seen, &expected), expected);
    }

    #[test]
    fn generated_scripts_are_valid() {
        let mut runner = TestRunner::default();
        for _ in 0..200 {
            let events = echo_events().new_tree(&mut runner).unwrap().current();
            assert!(events.iter().all(|event| !event.is_invalid()), "{events:?}");
        }
        assert!(invalid_cases()
            .iter()
            .all(|(_, events)| events.iter().any(EchoEvent::is_invalid)));
    }
}
