//! `auth-rejection`: when credentials are missing, expired or wrong, the answer must
//! make clients stop, not reconnect forever.
//!
//! The probe repeats the main request without its `--auth-header`s, and, with
//! `--bad-auth`, once more with that expired or wrong value instead. What clients do with
//! each answer:
//!
//! | answer | browsers' `EventSource` | fetch-based clients (`@microsoft/fetch-event-source`, `eventsource` 3, httpx-sse) | verdict |
//! |---|---|---|---|
//! | `401` / `403` | fail the connection and stop for good | see a non-OK response the app can act on: stop, refresh the token, sign in again | pass |
//! | `200` stream, then the end (with or without an `error` event first) | reconnect after the retry time, forever | reconnect when the body ends (fetch-event-source retries by default), forever | fail |
//! | `200` stream that stays open | served without credentials | served without credentials | warn: not protected |
//! | `5xx` | stop for good | retry it as a server error (fetch-event-source's default), forever | warn |
//! | another `4xx`, or a `200` page that is not a stream (a login page) | stop for good | stop, but cannot tell an expired login from other errors | warn |

use std::time::Duration;

use super::check::{Check, Context, Scope};
use super::probe::{ProbeAnswer, ProbeContext, ProbePlan, ProbeRequest};
use super::stream::Stream;
use super::verdict::{secs, Outcome, Severity, Status};
use crate::client::Target;
use crate::transcript::End;

/// How long an answer without credentials is read: a stream that ends within this is
/// the reconnect loop; one still open then is served without credentials.
const WINDOW: Duration = Duration::from_secs(5);

pub(super) const AUTH_REJECTION: Check = Check {
    id: "auth-rejection",
    spec: "WHATWG HTML §9.2.3: only a non-200 answer stops EventSource for good, and a stream that ends makes it reconnect; fetch-based clients stop on 401/403 (their documented pattern) and retry a stream that ends",
    severity: Severity::Error,
    title: "a request without valid credentials gets 401 or 403, not a stream that ends (needs --auth-header)",
    scope: Scope::Run,
    probe: Some(plan_auth),
    judge: auth_rejection,
};

/// The main request without its credentials, and with `--bad-auth` instead of them.
fn plan_auth(plan: &ProbeContext<'_>) -> ProbePlan {
    let credentials = &plan.options.auth_headers;
    if credentials.is_empty() {
        return ProbePlan::Skip("no --auth-header given".into());
    }
    let mut bare = plan.target.clone();
    bare.headers
        .retain(|(name, _)| !credentials.iter().any(|(auth, _)| auth == name));
    let names: Vec<&str> = credentials.iter().map(|(name, _)| name.as_str()).collect();
    let limits = plan.limits(None, plan.duration_at_most(WINDOW));
    let request = |sent: String, target: Target| ProbeRequest {
        sent,
        target,
        limits,
        read_as_stream: false,
    };
    let wrong = plan.options.bad_auth.as_ref().map(|(name, value)| {
        let shown = String::from_utf8_lossy(value.as_bytes()).into_owned();
        let target = bare.clone().with_header(name.clone(), value.clone());
        request(format!("sent {name}: {shown} (--bad-auth)"), target)
    });
    let without = request(
        format!("sent the request without {}", names.join(", ")),
        bare,
    );
    ProbePlan::Requests(std::iter::once(without).chain(wrong).collect())
}

fn auth_rejection(context: &Context<'_>) -> Outcome {
    let answers = match context.probe.answers() {
        Ok(answers) => answers,
        Err(outcome) => return outcome,
    };
    let judged: Vec<Outcome> = answers.iter().map(judge_answer).collect();
    let worst = judged
        .iter()
        .max_by_key(|outcome| outcome.status.rank())
        .cloned()
        .unwrap_or_else(|| Outcome::skip("no request was made"));
    let mut outcome = Outcome {
        evidence: Vec::new(),
        ..worst
    };
    if outcome.status == Status::Pass && judged.len() > 1 {
        outcome.message =
            "every request without valid credentials was refused with 401 or 403".into();
    }
    judged
        .iter()
        .flat_map(|outcome| outcome.evidence.iter())
        .fold(outcome, |outcome, line| outcome.with(line.clone()))
}

fn judge_answer(probe: &ProbeAnswer) -> Outcome {
    let answer = match probe.response() {
        Ok(answer) => answer,
        Err(why) => {
            return Outcome::fail(format!(
                "the request without credentials got no answer: {why}"
            ))
            .with(probe.sent.clone())
        }
    };
    let seen = format!(
        "{} → {} {}",
        answer.label,
        answer.transcript.status,
        answer.transcript.header("content-type").unwrap_or("")
    );
    judge_status(answer).with(seen)
}

fn judge_status(
    Stream {
        transcript: answer,
        analysis,
        ..
    }: Stream<'_>,
) -> Outcome {
    let status = answer.status;
    match status {
        401 | 403 => Outcome::pass(format!(
            "answered {status}: clients stop, and can ask for new credentials"
        )),
        200 if answer.is_event_stream() => {
            let error_event = analysis
                .events()
                .any(|(_, event)| event.event_type == "error");
            match answer.end {
                End::Eof | End::Error { .. } => Outcome::fail(format!(
                    "answered 200 and ended the stream after {}{}: EventSource and fetch-based clients reconnect, forever (answer 401 or 403)",
                    secs(answer.observed_ms),
                    if error_event { ", with an error event first" } else { "" }
                )),
                End::Timeout | End::Enough => Outcome::warn(
                    "served the stream without valid credentials: if it is private, it is not protected",
                ),
            }
        }
        0 => Outcome::fail("the request without credentials got no response"),
        500..=599 => Outcome::warn(format!(
            "answered {status}: EventSource stops, but fetch-based clients retry a server error, forever (answer 401 or 403)"
        )),
        _ => Outcome::warn(format!(
            "answered {status} {}: clients stop, but cannot tell a missing or expired login from other errors (answer 401 or 403)",
            answer.header("content-type").unwrap_or("")
        )),
    }
}
