//! What a client makes of the bytes: decoding, lines, fields, events, and the end.

use super::{secs, stream_or_skip, Check, Context, Outcome, Severity};
use crate::parser::{Item, Notice};
use crate::transcript::End;

/// Bytes that sat unfinished this long before the observation ended count as stuck.
const STUCK_AFTER_MS: f64 = 1000.0;

pub(super) const UTF8: Check = Check {
    id: "utf8",
    spec: "WHATWG HTML §9.2.5: the stream is UTF-8; invalid bytes become U+FFFD",
    severity: Severity::Error,
    title: "the body is valid UTF-8",
    run: utf8,
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
    run: framing,
};

fn framing(context: &Context<'_>) -> Outcome {
    if let Err(skip) = stream_or_skip(context) {
        return skip;
    }
    let (transcript, analysis) = (context.transcript, context.analysis);
    if let Some(error) = &analysis.parse_error {
        return Outcome::fail(format!("the stream broke the parser's limits: {error}"));
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

pub(super) const FIELD_SYNTAX: Check = Check {
    id: "field-syntax",
    spec: "WHATWG HTML §9.2.6: unknown field names (case-sensitive) and non-digit retry values are ignored",
    severity: Severity::Warning,
    title: "no field a client would silently ignore",
    run: field_syntax,
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
    // The analysis keeps a sample of the notices; the count is of them all (field-syntax
    // notices are the stream's only kind besides ids with NUL, which id-valid reports).
    let nul_ids = context
        .analysis
        .items
        .iter()
        .filter(|timed| matches!(timed.item, Item::Notice(Notice::IdWithNul { .. })))
        .count();
    let total = if context.analysis.notices > crate::transcript::Analysis::SAMPLE {
        context.analysis.notices.saturating_sub(nul_ids)
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
    run: id_valid,
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
    run: end_of_stream,
};

fn end_of_stream(context: &Context<'_>) -> Outcome {
    if let Err(skip) = stream_or_skip(context) {
        return skip;
    }
    let transcript = context.transcript;
    let retry = context
        .analysis
        .items
        .iter()
        .rev()
        .find_map(|timed| match timed.item {
            Item::Retry(ms) => Some(ms),
            _ => None,
        });
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
