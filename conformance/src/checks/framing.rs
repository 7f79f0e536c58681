//! What a client makes of the bytes: decoding, lines, fields, events, and the end.

use super::check::{stream_or_skip, Check, Context, Scope};
use super::verdict::{secs, Outcome, Severity};
use crate::parser::{Item, Notice};
use crate::transcript::{Analysis, End};

/// Bytes that sat unfinished this long before the observation ended count as stuck.
const STUCK_AFTER_MS: f64 = 1000.0;
/// Data lines of one event that waited this long for their blank line were most likely
/// meant as events of their own.
const MERGED_WAIT_MS: f64 = 1000.0;

pub(super) const UTF8: Check = Check {
    id: "utf8",
    spec: "WHATWG HTML §9.2.5: the stream is UTF-8; invalid bytes become U+FFFD",
    severity: Severity::Error,
    title: "the body is valid UTF-8",
    scope: Scope::EachStream,
    probe: None,
    judge: utf8,
};

fn utf8(context: &Context<'_>) -> Outcome {
    if let Err(skip) = stream_or_skip(context) {
        return skip;
    }
    let analysis = context.analysis;
    match analysis.invalid_utf8_at {
        Some(offset) => Outcome::fail(format!(
            "invalid UTF-8 at byte {offset}: clients see U+FFFD instead of the data"
        )),
        None if analysis.bom => {
            Outcome::pass("valid UTF-8 (with a leading BOM, which clients strip)")
        }
        None => Outcome::pass(format!("{} bytes of valid UTF-8", analysis.body_bytes)),
    }
}

pub(super) const FRAMING: Check = Check {
    id: "framing",
    spec: "WHATWG HTML §9.2.6: an event is dispatched only by a blank line; an unfinished event is discarded at the end",
    severity: Severity::Error,
    title: "every event is closed by a blank line",
    scope: Scope::EachStream,
    probe: None,
    judge: framing,
};

fn framing(context: &Context<'_>) -> Outcome {
    if let Err(skip) = stream_or_skip(context) {
        return skip;
    }
    let (transcript, analysis) = (context.transcript, context.analysis);
    if let Some(error) = &analysis.parse_error {
        return Outcome::fail(format!("the stream broke the parser's limits: {error}"));
    }
    let merged = merged_events(analysis);
    if !merged.is_empty() {
        return merged.iter().take(5).fold(
            Outcome::fail(format!(
                "{} event(s) ran together: a missing blank line made clients dispatch several events as one, late",
                merged.len()
            )),
            |outcome, line| outcome.with(line.clone()),
        );
    }
    let leftover = &analysis.leftover;
    if leftover.is_empty() {
        let events = analysis.events;
        return Outcome::pass(format!("{events} events, each closed by a blank line"));
    }
    let last_byte_ms = transcript
        .chunks
        .last()
        .map_or(transcript.headers_at_ms, |c| c.at_ms);
    let idle = transcript.observed_ms - last_byte_ms;
    let evidence = format!(
        "{} field line(s) and {} byte(s) of an unfinished line left, last byte {} before the end",
        leftover.field_lines,
        leftover.partial_line,
        secs(idle)
    );
    match &transcript.end {
        End::Eof | End::Error { .. } => Outcome::fail(if leftover.had_data {
            "the stream ended inside an event: clients discard it"
        } else {
            "the stream ended with unfinished lines: clients discard them"
        })
        .with(evidence),
        End::Timeout if idle >= STUCK_AFTER_MS => Outcome::fail(
            "complete lines never became an event: no blank line closed them (clients never dispatch it)",
        )
        .with(evidence),
        End::Timeout | End::Enough => Outcome::pass("events closed by blank lines (the last one was still arriving)")
            .with(evidence),
    }
}

/// The dispatched events that hold several: an `id` or `event` field set twice before
/// the blank line, or data lines that waited a second or more for it. One line each,
/// naming the event.
fn merged_events(analysis: &Analysis) -> Vec<String> {
    let mut found = Vec::new();
    let mut repeated = Vec::new();
    let mut number = 0;
    for timed in &analysis.items {
        match &timed.item {
            Item::Notice(Notice::RepeatedField {
                name,
                replaced,
                value,
            }) => repeated.push(format!("{name} {replaced:?} then {value:?}")),
            Item::Event(event) => {
                number += 1;
                let waited = timed.at_ms - timed.started_ms;
                let lines = event.data.split('\n').count();
                let mut why = std::mem::take(&mut repeated);
                if lines > 1 && waited >= MERGED_WAIT_MS {
                    why.push(format!(
                        "{lines} data lines, the first of which waited {} for a blank line",
                        secs(waited)
                    ));
                }
                if !why.is_empty() {
                    found.push(format!(
                        "event {number} (dispatched at {}, id {:?}): {}",
                        secs(timed.at_ms),
                        event.last_event_id,
                        why.join("; ")
                    ));
                }
            }
            _ => {}
        }
    }
    found
}

pub(super) const FIELD_SYNTAX: Check = Check {
    id: "field-syntax",
    spec: "WHATWG HTML §9.2.6: unknown field names (case-sensitive) and non-digit retry values are ignored",
    severity: Severity::Warning,
    title: "no field a client would silently ignore",
    scope: Scope::EachStream,
    probe: None,
    judge: field_syntax,
};

fn field_syntax(context: &Context<'_>) -> Outcome {
    if let Err(skip) = stream_or_skip(context) {
        return skip;
    }
    let ignored: Vec<String> = context
        .analysis
        .items
        .iter()
        .filter_map(|timed| match &timed.item {
            Item::Notice(Notice::UnknownField { name }) => Some(format!("unknown field {name:?}")),
            Item::Notice(Notice::InvalidRetry { value }) => {
                Some(format!("retry {value:?} is not all ASCII digits"))
            }
            _ => None,
        })
        .collect();
    if ignored.is_empty() {
        return Outcome::pass("every field is one clients understand");
    }
    // The analysis keeps a sample of the notices; the count is of them all, less the
    // kinds other checks report (id-valid, framing, id-unique), as far as the sample says.
    let reported_elsewhere = context
        .analysis
        .items
        .iter()
        .filter(|timed| {
            matches!(
                timed.item,
                Item::Notice(
                    Notice::IdWithNul { .. }
                        | Notice::RepeatedField { .. }
                        | Notice::SharedId { .. }
                )
            )
        })
        .count();
    let total = if context.analysis.notices > crate::transcript::Analysis::SAMPLE {
        context.analysis.notices.saturating_sub(reported_elsewhere)
    } else {
        ignored.len()
    };
    let mut outcome = Outcome::warn(format!("{total} field(s) that clients silently ignore"));
    for line in ignored.iter().take(5) {
        outcome = outcome.with(line.clone());
    }
    outcome
}

pub(super) const ID_VALID: Check = Check {
    id: "id-valid",
    spec: "WHATWG HTML §9.2.6: an id containing NUL is ignored, so the resume point does not move",
    severity: Severity::Error,
    title: "every id is one clients accept",
    scope: Scope::EachStream,
    probe: None,
    judge: id_valid,
};

fn id_valid(context: &Context<'_>) -> Outcome {
    if let Err(skip) = stream_or_skip(context) {
        return skip;
    }
    let bad: Vec<&String> = context
        .analysis
        .items
        .iter()
        .filter_map(|timed| match &timed.item {
            Item::Notice(Notice::IdWithNul { value }) => Some(value),
            _ => None,
        })
        .collect();
    match bad.first() {
        None => Outcome::pass("no id with NUL"),
        Some(first) => Outcome::fail(format!(
            "{} id(s) contain NUL and are ignored: clients resume from the wrong place",
            bad.len()
        ))
        .with(format!("id {first:?}")),
    }
}

pub(super) const END_OF_STREAM: Check = Check {
    id: "end-of-stream",
    spec: "WHATWG HTML §9.2.3: a clean end makes the client reconnect after the retry time; a broken one loses the unfinished event",
    severity: Severity::Error,
    title: "the stream stays open or ends cleanly",
    scope: Scope::EachStream,
    probe: None,
    judge: end_of_stream,
};

fn end_of_stream(context: &Context<'_>) -> Outcome {
    if let Err(skip) = stream_or_skip(context) {
        return skip;
    }
    let transcript = context.transcript;
    let retry = context.analysis.last_retry();
    match &transcript.end {
        End::Timeout | End::Enough => Outcome::pass(format!("still open after {}", secs(transcript.observed_ms))),
        End::Error { message } => {
            Outcome::fail("the connection broke instead of ending cleanly").with(message.clone())
        }
        End::Eof if !context.analysis.leftover.is_empty() => {
            Outcome::fail("the stream ended in the middle of an event")
        }
        End::Eof => Outcome::pass(match retry {
            Some(ms) => format!(
                "ended cleanly after {}; browsers reconnect in {ms} ms (answer 204 then to stop them)",
                secs(transcript.observed_ms)
            ),
            None => format!(
                "ended cleanly after {}; browsers reconnect in about 3 s (answer 204 then to stop them)",
                secs(transcript.observed_ms)
            ),
        }),
    }
}
