//! Resume: reconnecting with `Last-Event-ID` must continue after it, and an id the server
//! does not know must still get a stream.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use http::{HeaderName, HeaderValue};

use super::check::{Check, Context, Scope};
use super::probe::{ProbeContext, ProbePlan, ProbeRequest};
use super::stream::Stream;
use super::verdict::{Outcome, Severity, Status};
use crate::client::Limits;
use crate::parser::{Item, Parser, ParserOptions};
use crate::transcript::{Analysis, Transcript};

/// The longest a reconnect is read for: long enough for a slow ticker's next events.
const RECONNECT_READ: Duration = Duration::from_secs(10);

/// Where to cut the main stream for the resume probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumePoint {
    /// The id sent as `Last-Event-ID` (seen mid-stream).
    pub last_event_id: String,
    /// The id of the event that followed it in the main stream.
    pub expected_next: String,
    /// Every id the client had seen: `last_event_id`'s (the events before it had none).
    pub seen_before: Vec<String>,
}

/// The first event with an id that a later event with another id followed.
pub fn resume_point(analysis: &Analysis) -> Option<ResumePoint> {
    let ids: Vec<&str> = analysis
        .events()
        .map(|(_, event)| event.last_event_id.as_str())
        .collect();
    let pivot = ids.iter().position(|id| !id.is_empty())?;
    let next = ids[pivot + 1..].iter().find(|id| **id != ids[pivot])?;
    Some(ResumePoint {
        last_event_id: ids[pivot].to_owned(),
        expected_next: (*next).to_owned(),
        // Events before the pivot had no id (a greeting): nothing a client could repeat.
        seen_before: vec![ids[pivot].to_owned()],
    })
}

pub(super) const RESUME: Check = Check {
    id: "resume",
    spec: "WHATWG HTML §9.2.3 (reestablish the connection) and §9.2.4 (the Last-Event-ID header): the server continues after the id",
    severity: Severity::Error,
    title: "reconnecting with a mid-stream Last-Event-ID continues after it",
    scope: Scope::Run,
    probe: Some(plan_resume),
    judge: resume,
};

/// Reconnect with an id seen mid-stream, and read the first event that follows.
fn plan_resume(plan: &ProbeContext<'_>) -> ProbePlan {
    if !plan.main.is_event_stream() {
        return ProbePlan::Skip("the main response is not an event stream".into());
    }
    let Some(point) = resume_point(plan.analysis) else {
        return ProbePlan::Skip(
            "the stream sent no two distinct ids, so there is no point to resume from".into(),
        );
    };
    let limits = Limits {
        // Read up to the event that continues the stream, past any greeting.
        only_events_with_id: true,
        ..plan.limits(Some(1), plan.options.duration.unwrap_or(RECONNECT_READ))
    };
    reconnect(plan, &point.last_event_id, limits)
}

/// The main request again (or to `--resume-via`), with `Last-Event-ID: id`.
fn reconnect(plan: &ProbeContext<'_>, id: &str, limits: Limits) -> ProbePlan {
    let Ok(value) = HeaderValue::from_str(id) else {
        return ProbePlan::Skip(format!("the id {id:?} cannot be sent as a header"));
    };
    let target = plan
        .reconnect_target()
        .with_header(HeaderName::from_static("last-event-id"), value);
    ProbePlan::Requests(vec![ProbeRequest {
        sent: format!("sent Last-Event-ID: {id} to {}", target.url),
        target,
        limits,
        read_as_stream: true,
    }])
}

fn resume(context: &Context<'_>) -> Outcome {
    let Stream {
        label: sent,
        transcript: answer,
        analysis,
    } = match context.probe.single("reconnecting with Last-Event-ID") {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let Some(point) = resume_point(context.analysis) else {
        return Outcome::skip("no resume point in the main stream");
    };
    let outcome = judge_resume(answer, &point).with(sent);
    name_the_other_instance(outcome, context, answer, analysis)
}

/// With `--resume-via`, the reconnect went to another URL (another instance, or the
/// balancer): a verdict that is not a pass says which one answered. A stream that went on
/// there, but not after the id, is a failure rather than a warning: that URL was named to
/// continue it, and a client sent there skips events (an instance that does not share
/// the first one's log answers with its own events, or with a reset).
fn name_the_other_instance(
    mut outcome: Outcome,
    context: &Context<'_>,
    answer: &Transcript,
    analysis: &Analysis,
) -> Outcome {
    let via = &answer.request.url;
    if outcome.status != Status::Pass && *via != context.transcript.request.url {
        outcome.message = format!(
            "{} (the reconnect went to {via}, which did not continue the stream)",
            outcome.message
        );
        if outcome.status == Status::Warn && analysis.events().next().is_some() {
            outcome.status = Status::Fail;
        }
    }
    outcome
}

pub(crate) fn judge_resume(answer: &Transcript, point: &ResumePoint) -> Outcome {
    if !answer.is_event_stream() {
        return Outcome::fail(format!(
            "the reconnect was answered with status {}: the browser stops for good",
            answer.status
        ));
    }
    let seen = as_the_browser_sees_it(answer, &point.last_event_id);
    let Some(first) = seen.iter().position(|event| event.has_id) else {
        if let Some(event) = seen.last().filter(|event| event.id != point.last_event_id) {
            return Outcome::fail(
                "the resumed stream reset the last event ID: a later reconnect starts over",
            )
            .with(format!("last event ID after reconnecting: {:?}", event.id));
        }
        return Outcome::warn(match seen.len() {
            0 => "no event arrived after reconnecting, so resume could not be judged".to_owned(),
            n => format!(
                "{n} events arrived after reconnecting, none with an id, so resume could not be judged"
            ),
        });
    };
    let got = &seen[first].id;
    let judged = |outcome: Outcome| {
        let outcome = outcome.with(format!(
            "first event with an id after reconnecting has id {got:?}; expected {:?}",
            point.expected_next
        ));
        match first {
            0 => outcome,
            n => outcome.with(format!(
                "{n} event(s) without an id came first (a greeting): a browser keeps Last-Event-ID {:?} through them",
                point.last_event_id
            )),
        }
    };
    if *got == point.expected_next {
        return judged(Outcome::pass(format!(
            "continued with {got:?}, right after {:?}",
            point.last_event_id
        )));
    }
    if point.seen_before.first() == Some(got) {
        return judged(Outcome::fail(
            "restarted from the beginning: Last-Event-ID was ignored, clients get repeats",
        ));
    }
    if point.seen_before.contains(got) {
        return judged(Outcome::fail("replayed events the client already had"));
    }
    judged(Outcome::warn(
        "continued, but not with the event that followed: events may have been skipped",
    ))
}

/// One event of a resumed stream, as an `EventSource` that reconnected with
/// `Last-Event-ID` sees it.
struct SeenEvent {
    /// The stream had set an id by this event (a fresh parse sees one): before that,
    /// events carry the id the client reconnected with.
    has_id: bool,
    /// The event's last event ID, the reconnect's id until an `id` field moves it.
    id: String,
}

/// The events of `answer` with the last event ID a browser gives them: the one it
/// reconnected with, until the stream's first `id` field.
fn as_the_browser_sees_it(answer: &Transcript, reconnected_with: &str) -> Vec<SeenEvent> {
    let mut parser = Parser::resuming(ParserOptions::default(), reconnected_with);
    let mut fresh = Parser::new();
    let mut ids = Vec::new();
    let mut browser = Vec::new();
    for chunk in &answer.chunks {
        let _ = fresh.feed(&chunk.bytes, |item| {
            if let Item::Event(event) = item {
                ids.push(!event.last_event_id.is_empty());
            }
        });
        let _ = parser.feed(&chunk.bytes, |item| {
            if let Item::Event(event) = item {
                browser.push(event.last_event_id);
            }
        });
    }
    browser
        .into_iter()
        .zip(ids)
        .map(|(id, has_id)| SeenEvent { has_id, id })
        .collect()
}

pub(super) const RESUME_UNKNOWN_ID: Check = Check {
    id: "resume-unknown-id",
    spec: "WHATWG HTML §9.2.3: a non-200 answer to a reconnect stops the browser for good",
    severity: Severity::Error,
    title: "an unknown Last-Event-ID still gets a 200 stream",
    scope: Scope::Run,
    probe: Some(plan_unknown_id),
    judge: resume_unknown_id,
};

/// Reconnect with an id no server can know; read a couple of events, so the checks of
/// each stream see the ids a server sends after it (`id-unique`).
fn plan_unknown_id(plan: &ProbeContext<'_>) -> ProbePlan {
    if !plan.main.is_event_stream() {
        return ProbePlan::Skip("the main response is not an event stream".into());
    }
    let unknown = format!(
        "sse-conformance-unknown-{:016x}",
        RandomState::new().build_hasher().finish()
    );
    let limits = plan.limits(Some(2), plan.duration_at_most(RECONNECT_READ));
    reconnect(plan, &unknown, limits)
}

fn resume_unknown_id(context: &Context<'_>) -> Outcome {
    let Stream {
        label: sent,
        transcript: answer,
        analysis,
    } = match context.probe.single("reconnecting with an unknown id") {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let outcome = if answer.is_event_stream() {
        Outcome::pass("200 text/event-stream").with(sent)
    } else {
        Outcome::fail(format!(
            "answered {} {}: a browser holding an id the server forgot stops reconnecting for good",
            answer.status,
            answer.header("content-type").unwrap_or("")
        ))
        .with(sent)
    };
    name_the_other_instance(outcome, context, answer, analysis)
}
