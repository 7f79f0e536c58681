//! The runner: sends scripts to an echo endpoint, judges each answer against the
//! oracle, and shrinks a failure with proptest.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Method};
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};

use super::contract::{EchoEvent, EchoOutcome};
use super::generate::echo_events;
use super::oracle::{expected_items, invalid_cases, known_bug_cases};
use crate::client::{observe, Limits, Target};
use crate::parser::Item;

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
}
