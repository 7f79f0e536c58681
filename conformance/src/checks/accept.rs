//! `accept-any`: what a client gets that does not ask for `text/event-stream`.
//!
//! `EventSource` sends `Accept: text/event-stream`, and so does the main request. curl,
//! most HTTP libraries and many SSE clients built on them send `Accept: */*`, which by
//! RFC 9110 accepts any type. A server may stream to them too, or refuse them with `406`;
//! an error page (a `500` from a framework that could not negotiate) is worth knowing
//! about. Informational: it never fails a run.

use std::time::Duration;

use http::{header, HeaderValue};

use super::check::{Check, Context, Scope};
use super::probe::{ProbeContext, ProbePlan, ProbeRequest};
use super::stream::Stream;
use super::verdict::{Outcome, Severity};

/// How long the answer's headers are waited for.
const HEADERS_WAIT: Duration = Duration::from_secs(5);

pub(super) const ACCEPT_ANY: Check = Check {
    id: "accept-any",
    spec: "RFC 9110 §12.5.1 (Accept): */* accepts any type; curl and most HTTP libraries send it, EventSource sends text/event-stream",
    severity: Severity::Info,
    title: "a client sending Accept: */* (curl) gets the stream, or a clear 406",
    scope: Scope::Run,
    probe: Some(plan_accept_any),
    judge: accept_any,
};

/// The main request with `Accept: */*`, read up to its headers.
fn plan_accept_any(plan: &ProbeContext<'_>) -> ProbePlan {
    if !plan.main.is_event_stream() {
        return ProbePlan::Skip("the main response is not an event stream".into());
    }
    let target = plan
        .target
        .clone()
        .with_header(header::ACCEPT, HeaderValue::from_static("*/*"));
    ProbePlan::Requests(vec![ProbeRequest {
        sent: format!("sent Accept: */* to {}", target.url),
        target,
        limits: plan.limits(Some(0), plan.duration_at_most(HEADERS_WAIT)),
        read_as_stream: false,
    }])
}

fn accept_any(context: &Context<'_>) -> Outcome {
    let Stream {
        label: sent,
        transcript: answer,
        ..
    } = match context.probe.single("the request with Accept: */*") {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let content_type = answer.header("content-type").unwrap_or("no content type");
    let seen = format!("{sent} → {} {content_type}", answer.status);
    if answer.is_event_stream() {
        return Outcome::pass("streams to Accept: */* as well").with(seen);
    }
    match answer.status {
        406 => Outcome::pass(
            "refuses clients that do not ask for text/event-stream with 406, which says why",
        )
        .with(seen),
        0 => Outcome::warn("the request with Accept: */* got no response").with(seen),
        status => Outcome::warn(format!(
            "answered {status} {content_type} to Accept: */* (curl's and most HTTP libraries' default): such clients get no stream{}",
            if status >= 500 { ", and a server error instead of a 406" } else { "" }
        ))
        .with(seen),
    }
}
