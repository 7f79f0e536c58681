//! `id-unique`: an id is how a reconnecting client names the last event it has, so each
//! id must name one event, and after a resume the ids must move on from it.
//!
//! Seen on a real server: after an unknown `Last-Event-ID` it answered 200 (so
//! `resume-unknown-id` passed), then sent every event with the id `NaN` (from
//! `Number(garbage) + 1`): no client could ever resume again. So this check reads every
//! stream of the run, the reconnects' included.

use super::check::{Check, Context, Scope};
use super::stream::Stream;
use super::verdict::{Outcome, Severity};
use crate::parser::{Item, Notice};

pub(super) const ID_UNIQUE: Check = Check {
    id: "id-unique",
    spec: "WHATWG HTML §9.2.4 (the Last-Event-ID header): a reconnecting client names the last event it has by its id; an id several events share, or ids going back after a resume, name no single event",
    severity: Severity::Error,
    title: "each id names one event, and ids move on after a resume",
    scope: Scope::Run,
    probe: None,
    judge: id_unique,
};

fn id_unique(context: &Context<'_>) -> Outcome {
    let streams: Vec<&Stream<'_>> = context
        .streams
        .iter()
        .filter(|stream| stream.transcript.is_event_stream())
        .collect();
    let with_ids = streams.iter().any(|stream| {
        stream
            .analysis
            .events()
            .any(|(_, event)| !event.last_event_id.is_empty())
    });
    if !with_ids {
        return Outcome::skip("no event carried an id");
    }
    let shared: Vec<String> = streams
        .iter()
        .filter_map(|stream| shared_ids(stream))
        .collect();
    let back: Vec<String> = streams
        .iter()
        .filter_map(|stream| back_after_resume(stream))
        .collect();
    let message = match (shared.is_empty(), back.is_empty()) {
        (true, true) => {
            return Outcome::pass(format!(
                "every id names one event ({} stream(s) read)",
                streams.len()
            ))
        }
        (false, true) => "several events share one id: a client that reconnects with it cannot say which one it had",
        (true, false) => "ids went back after a resume: a client that reconnects is sent events it had, or skips some",
        (false, false) => "several events share one id, and ids went back after a resume: clients cannot resume reliably",
    };
    shared
        .iter()
        .chain(&back)
        .take(5)
        .fold(Outcome::fail(message), |outcome, line| {
            outcome.with(line.clone())
        })
}

/// Events that repeat the id an earlier event already carries.
fn shared_ids(stream: &Stream<'_>) -> Option<String> {
    let ids: Vec<&str> = stream
        .analysis
        .items
        .iter()
        .filter_map(|timed| match &timed.item {
            Item::Notice(Notice::SharedId { id }) => Some(id.as_str()),
            _ => None,
        })
        .collect();
    let first = ids.first()?;
    Some(format!(
        "{} event(s) repeat an id already sent, first {first:?} ({})",
        ids.len(),
        stream.label
    ))
}

/// A numeric id at or below the numeric `Last-Event-ID` the request resumed from.
fn back_after_resume(stream: &Stream<'_>) -> Option<String> {
    let sent = stream
        .transcript
        .request
        .headers
        .iter()
        .find(|header| header.name.eq_ignore_ascii_case("last-event-id"))?;
    let from: u128 = sent.value.trim().parse().ok()?;
    let back = stream.analysis.events().find_map(|(_, event)| {
        let id: u128 = event.last_event_id.parse().ok()?;
        (id <= from).then_some(id)
    })?;
    Some(format!(
        "after resuming from {from}, the id {back} came ({})",
        stream.label
    ))
}
