//! The runner: sends scripts to an echo endpoint, judges each answer against the
//! oracle, and shrinks every distinct failure with proptest's value trees.
//!
//! Every fixed case runs, and each that fails is a fault of its own. Random scripts then
//! run, except those a fault already found would spoil (they could only report it
//! again), and each new failure is shrunk to its own minimal input (failures whose
//! minimal inputs differ only in their text count as one). A valid script the
//! route refuses (a `400` or `413` from a body limit) is not an encoding: it is shrunk
//! to the smallest refused size and reported as a limit, unless the route answered larger
//! scripts, which makes the refusal a fault.

use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Method};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};

use super::contract::{EchoEvent, EchoFault, EchoOutcome, EchoReport, SizeLimit, Unsupported};
use super::generate::echo_events;
use super::oracle::{expected_items, invalid_cases, known_bug_cases, KnownBug};
use crate::client::{observe, Limits, Target};
use crate::parser::Item;

/// Random failures shrunk and reported at most: each shrink costs up to
/// [`MAX_SHRINK_STEPS`] round trips.
const MAX_RANDOM_FAILURES: usize = 3;
/// Round trips one shrink may take.
const MAX_SHRINK_STEPS: usize = 300;
/// Random scripts drawn at most, per script asked for: the ones a found fault would
/// spoil are drawn but not sent.
const DRAWS_PER_CASE: u32 = 8;

/// The judgment of one script's round trip.
enum RoundTrip {
    /// Exactly the events asked for.
    Ok,
    /// The server's answer is wrong.
    Wrong(String),
    /// The route said `501`: its encoder cannot express this valid script (an id
    /// without data, say). Not judged.
    Unsupported,
    /// A valid script was answered with an error status, not a stream.
    Refused {
        status: u16,
        content_type: String,
        excerpt: String,
    },
    /// The server could not be used.
    Transport(String),
}

impl RoundTrip {
    /// No answer from a route that has answered before is a fault of this script (a
    /// handler that panics on it closes the connection), not a server that cannot be used.
    fn once_answered(self, answered_before: bool) -> Self {
        match self {
            RoundTrip::Transport(reason) if answered_before => RoundTrip::Wrong(format!(
                "no answer (the connection closed: does the handler panic on this input?): {reason}"
            )),
            other => other,
        }
    }
}

/// The request body of a script, as it is sent.
fn request_body(events: &[EchoEvent]) -> String {
    serde_json::json!({ "events": events }).to_string()
}

/// Sends one script to the echo endpoint and judges the answer.
async fn round_trip(endpoint: &Target, events: &[EchoEvent]) -> RoundTrip {
    let target = Target {
        method: Method::POST,
        headers: vec![(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body: Some(Bytes::from(request_body(events))),
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
    if transcript.status == 501 {
        return RoundTrip::Unsupported;
    }
    if !transcript.is_event_stream() {
        let body = String::from_utf8_lossy(&transcript.body())
            .chars()
            .take(200)
            .collect::<String>();
        let content_type = transcript.header("content-type").unwrap_or("").to_owned();
        if transcript.status >= 400 {
            return RoundTrip::Refused {
                status: transcript.status,
                content_type,
                excerpt: body,
            };
        }
        return RoundTrip::Wrong(format!(
            "answered {} {content_type} to valid events: {body}",
            transcript.status,
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

/// Runs the fixed cases, the invalid cases, then `cases` random scripts, and reports
/// every distinct fault with its own minimal input.
///
/// `endpoint` names the echo URL and how to reach it (h2c, extra CAs); its method,
/// headers and body are replaced by the script's `POST`.
pub async fn run_echo(endpoint: Target, cases: u32) -> EchoOutcome {
    let mut report = EchoReport::default();
    let mut spoiled_by = Vec::new();
    let mut largest_answered = 0;
    let mut answered = false;
    for (bug, name, events) in fixed_cases() {
        let round_trip = round_trip(&endpoint, &events).await.once_answered(answered);
        answered = true;
        match round_trip {
            RoundTrip::Transport(reason) => return EchoOutcome::CouldNotRun(reason),
            RoundTrip::Ok => largest_answered = largest_answered.max(request_body(&events).len()),
            RoundTrip::Unsupported => {
                report.unsupported.note(&events, Some(name));
                continue;
            }
            RoundTrip::Wrong(reason) => {
                spoiled_by.extend(bug);
                report.faults.push(fault(name, reason, events));
            }
            refused @ RoundTrip::Refused { .. } => {
                spoiled_by.extend(bug);
                report
                    .faults
                    .push(fault(name, refusal_reason(&refused, &events), events));
            }
        }
        report.judged += 1;
    }
    let handle = tokio::runtime::Handle::current();
    let random = tokio::task::spawn_blocking(move || {
        let mut random = RandomPhase {
            endpoint,
            handle,
            spoiled_by,
            largest_answered,
            found: Vec::new(),
            unsupported: Unsupported::default(),
            refusal: None,
            judged: 0,
            transport: None,
        };
        random.run(cases);
        random
    })
    .await;
    let random = match random {
        Ok(random) => random,
        Err(join_error) => {
            return EchoOutcome::CouldNotRun(format!("the property test crashed: {join_error}"))
        }
    };
    if let Some(reason) = random.transport {
        return EchoOutcome::CouldNotRun(reason);
    }
    report.judged += random.judged;
    report.unsupported.scripts += random.unsupported.scripts;
    if report.unsupported.example.is_none() {
        report.unsupported.example = random.unsupported.example;
    }
    let fixed_faults = report.faults.len();
    for found in random.found {
        if !report.faults[fixed_faults..]
            .iter()
            .any(|known| shape(&known.minimal) == shape(&found.minimal))
        {
            report.faults.push(found);
        }
    }
    if let Some(refusal) = random.refusal {
        let size_limit = refusal.status == 413 || refusal.bytes > random.largest_answered;
        if size_limit {
            report.size_limit = Some(SizeLimit {
                refused: refusal.count,
                status: refusal.status,
                content_type: refusal.content_type,
                smallest_refused: refusal.bytes,
                largest_answered: random.largest_answered,
            });
        } else {
            report.faults.push(fault(
                "a valid script was refused",
                format!(
                    "{} (its request is {} bytes; the route answered requests of up to {} bytes)",
                    refusal.reason, refusal.bytes, random.largest_answered
                ),
                refusal.minimal,
            ));
        }
    }
    EchoOutcome::Ran(report)
}

/// What a script looks like without its text: per event, each field present and whether
/// it is empty. Random failures are shrunk from random text, so one fault shrinks to
/// minimal inputs that differ only there (an id of `"a"` or `" "` that is never reset):
/// those of one shape count as one fault.
fn shape(events: &[EchoEvent]) -> Vec<[Option<bool>; 5]> {
    let empty = |text: &Option<String>| text.as_ref().map(String::is_empty);
    events
        .iter()
        .map(|event| {
            [
                empty(&event.id),
                empty(&event.event),
                empty(&event.data),
                event.retry.map(|_| false),
                empty(&event.comment),
            ]
        })
        .collect()
}

/// The fixed cases in order (known bugs, then invalid events), each with the known bug
/// it stands for.
fn fixed_cases() -> Vec<(Option<KnownBug>, &'static str, Vec<EchoEvent>)> {
    known_bug_cases()
        .into_iter()
        .map(|bug| (bug.name, bug.events.clone(), Some(bug)))
        .chain(
            invalid_cases()
                .into_iter()
                .map(|(name, events)| (name, events, None)),
        )
        .map(|(name, events, bug)| (bug, name, events))
        .collect()
}

fn fault(case: &str, reason: String, minimal: Vec<EchoEvent>) -> EchoFault {
    EchoFault {
        case: case.to_owned(),
        reason,
        minimal,
    }
}

fn refusal_reason(refused: &RoundTrip, events: &[EchoEvent]) -> String {
    match refused {
        RoundTrip::Refused {
            status,
            content_type,
            excerpt,
        } => format!(
            "answered {status} {content_type} to valid events ({} bytes of request): {excerpt}",
            request_body(events).len()
        ),
        _ => String::new(),
    }
}

/// The first refusal of a valid random script, shrunk.
struct Refusal {
    status: u16,
    content_type: String,
    reason: String,
    /// The smallest refused request body, in bytes.
    bytes: usize,
    minimal: Vec<EchoEvent>,
    /// Random scripts refused in all.
    count: usize,
}

/// The random scripts: drawn, sent, and each failure shrunk, on a blocking thread
/// (proptest's value trees are not `Send`; each round trip is run on the runtime).
struct RandomPhase {
    endpoint: Target,
    handle: tokio::runtime::Handle,
    /// The fixed cases that failed: scripts they would spoil are not sent.
    spoiled_by: Vec<KnownBug>,
    largest_answered: usize,
    found: Vec<EchoFault>,
    unsupported: Unsupported,
    refusal: Option<Refusal>,
    judged: usize,
    /// Why the server could not be used, if it could not.
    transport: Option<String>,
}

impl RandomPhase {
    fn run(&mut self, cases: u32) {
        let mut runner = TestRunner::new(Config {
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = echo_events();
        let mut failures = 0;
        for _ in 0..cases.saturating_mul(DRAWS_PER_CASE) {
            if self.judged >= cases as usize || failures >= MAX_RANDOM_FAILURES {
                break;
            }
            let Ok(mut tree) = strategy.new_tree(&mut runner) else {
                break;
            };
            let events = tree.current();
            if self.spoiled(&events) {
                continue;
            }
            match self.send(&events) {
                RoundTrip::Ok => {
                    self.judged += 1;
                    self.largest_answered = self.largest_answered.max(request_body(&events).len());
                }
                RoundTrip::Unsupported => self.unsupported.note(&events, None),
                RoundTrip::Transport(reason) => {
                    self.transport = Some(reason);
                    return;
                }
                RoundTrip::Wrong(reason) => {
                    self.judged += 1;
                    failures += 1;
                    let (minimal, reason) =
                        self.shrink(&mut tree, reason, |this, events| match this.send(events) {
                            RoundTrip::Wrong(reason) if !this.spoiled(events) => Some(reason),
                            _ => None,
                        });
                    let case = "a random script".to_owned();
                    self.found.push(EchoFault {
                        case,
                        reason,
                        minimal,
                    });
                }
                refused @ RoundTrip::Refused { .. } => {
                    if let Some(refusal) = &mut self.refusal {
                        refusal.count += 1;
                        continue;
                    }
                    let first = refusal_reason(&refused, &events);
                    let RoundTrip::Refused {
                        status,
                        content_type,
                        ..
                    } = refused
                    else {
                        continue;
                    };
                    let (minimal, reason) =
                        self.shrink(&mut tree, first, |this, events| match this.send(events) {
                            refused @ RoundTrip::Refused { .. } => {
                                Some(refusal_reason(&refused, events))
                            }
                            _ => None,
                        });
                    self.refusal = Some(Refusal {
                        status,
                        content_type,
                        reason,
                        bytes: request_body(&minimal).len(),
                        minimal,
                        count: 1,
                    });
                }
            }
        }
    }

    fn spoiled(&self, events: &[EchoEvent]) -> bool {
        self.spoiled_by.iter().any(|bug| bug.spoils(events))
    }

    fn send(&mut self, events: &[EchoEvent]) -> RoundTrip {
        // The fixed cases ran, so the route has answered before.
        self.handle
            .block_on(round_trip(&self.endpoint, events))
            .once_answered(true)
    }

    /// proptest's shrinking, driven by hand: simplify while `still_fails` says the
    /// failure is still there (returning its reason), complicate when it is gone.
    fn shrink(
        &mut self,
        tree: &mut dyn ValueTree<Value = Vec<EchoEvent>>,
        reason: String,
        mut still_fails: impl FnMut(&mut Self, &[EchoEvent]) -> Option<String>,
    ) -> (Vec<EchoEvent>, String) {
        let mut best = (tree.current(), reason);
        if !tree.simplify() {
            return best;
        }
        for _ in 0..MAX_SHRINK_STEPS {
            let candidate = tree.current();
            let stepped = match still_fails(self, &candidate) {
                Some(reason) => {
                    best = (candidate, reason);
                    tree.simplify()
                }
                None => tree.complicate(),
            };
            if !stepped {
                break;
            }
        }
        best
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
