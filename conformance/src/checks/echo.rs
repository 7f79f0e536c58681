//! `echo-roundtrip`: the server's encoder, property-tested through the echo contract
//! (the engine is in `crate::echo`).

use super::check::{Check, Context, Scope};
use super::probe::{Probe, ProbeContext, ProbePlan};
use super::verdict::{Outcome, Severity};
use crate::client::Target;
use crate::echo::{EchoEvent, EchoOutcome};

pub(super) const ECHO_ROUNDTRIP: Check = Check {
    id: "echo-roundtrip",
    spec: "WHATWG HTML §9.2.6 (interpreting an event stream): what the server was asked to send is what a client dispatches",
    severity: Severity::Error,
    title: "hostile events survive encode → wire → parse (needs --echo)",
    scope: Scope::Run,
    probe: Some(plan_echo),
    judge: echo_roundtrip,
};

/// The echo property test, at `--echo` (reached like the main URL: h2c, extra CAs).
fn plan_echo(plan: &ProbeContext<'_>) -> ProbePlan {
    match &plan.options.echo {
        None => ProbePlan::Skip("no --echo URL given".into()),
        Some(url) => ProbePlan::Echo {
            endpoint: Target {
                url: url.clone(),
                ..plan.target.clone()
            },
            cases: plan.options.echo_cases,
        },
    }
}

fn echo_roundtrip(context: &Context<'_>) -> Outcome {
    let outcome = match context.probe {
        Probe::Echo(outcome) => outcome,
        Probe::NotRun(why) => return Outcome::skip(why.clone()),
        Probe::Answered(_) => return Outcome::skip("the echo test did not run"),
    };
    let report = match outcome {
        EchoOutcome::NotRun(why) => return Outcome::skip(why.clone()),
        EchoOutcome::CouldNotRun(why) => {
            return Outcome::fail(format!("the echo endpoint could not be used: {why}"))
        }
        EchoOutcome::Ran(report) => report,
    };
    let limit = report.size_limit.as_ref().map(|limit| {
        format!(
            "the echo route refused {} larger script(s) with {} {} from {} bytes of request (it answered up to {} bytes): a request size limit of the route, not an encoder fault; events that large were not judged",
            limit.refused,
            limit.status,
            limit.content_type,
            limit.smallest_refused,
            limit.largest_answered
        )
    });
    let unsupported = &report.unsupported;
    let not_expressed = (unsupported.scripts > 0).then(|| {
        let fixed = match unsupported.fixed_cases.as_slice() {
            [] => String::new(),
            names => format!(", among them the fixed cases {}", names.join("; ")),
        };
        format!(
            "the route answered 501 to {} valid script(s) its encoder cannot express{fixed} (not judged), e.g. {}",
            unsupported.scripts,
            unsupported.example.as_deref().map_or_else(String::new, shown)
        )
    });
    if report.faults.is_empty() {
        let judged = format!(
            "{} scripts of hostile events round-tripped exactly",
            report.judged
        );
        let outcome = match (&limit, unsupported.scripts > report.judged) {
            (Some(limit), _) => Outcome::warn(limit.clone()).with(judged),
            (None, true) => Outcome::warn(format!(
                "the route could not express most scripts: only {} judged",
                report.judged
            )),
            (None, false) => Outcome::pass(judged),
        };
        return match not_expressed {
            Some(line) => outcome.with(line),
            None => outcome,
        };
    }
    let names: Vec<&str> = report
        .faults
        .iter()
        .map(|fault| fault.case.as_str())
        .collect();
    let mut outcome = Outcome::fail(format!(
        "the encoder is wrong, {} distinct fault(s) in {} scripts: {}",
        report.faults.len(),
        report.judged,
        names.join("; ")
    ));
    for fault in &report.faults {
        outcome = outcome.with(format!(
            "{}: {} (minimal input: {})",
            fault.case,
            cut(&fault.reason, MAX_REASON_CHARS),
            shown(&fault.minimal)
        ));
    }
    for line in limit.into_iter().chain(not_expressed) {
        outcome = outcome.with(line);
    }
    outcome
}

/// The longest reason shown per fault: a wrong answer to a large event is described in
/// full by the oracle, but the minimal input already says what was sent.
const MAX_REASON_CHARS: usize = 600;
/// Strings longer than this are shown by their repeating unit, or cut.
const LONG_TEXT: usize = 80;

fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((at, _)) => format!("{}… ({} more bytes)", &text[..at], text.len() - at),
    }
}

/// A script as the echo request sends it, with every long string shortened: `"x\r\n"
/// × 20000` for a repetition, its start and length otherwise.
fn shown(events: &[EchoEvent]) -> String {
    let short = |text: &Option<String>| {
        text.as_ref().map(|text| {
            if text.len() <= LONG_TEXT {
                return serde_json::Value::String(text.clone());
            }
            let summary = match repeating_unit(text) {
                Some(unit) => format!(
                    "{} × {} ({} bytes)",
                    serde_json::Value::String(unit.to_owned()),
                    text.len() / unit.len(),
                    text.len()
                ),
                None => format!("{}… ({} bytes)", cut(text, 40), text.len()),
            };
            serde_json::Value::String(summary)
        })
    };
    let events: Vec<serde_json::Value> = events
        .iter()
        .map(|event| {
            let mut object = serde_json::Map::new();
            let fields = [
                ("id", short(&event.id)),
                ("event", short(&event.event)),
                ("data", short(&event.data)),
                ("retry", event.retry.map(serde_json::Value::from)),
                ("comment", short(&event.comment)),
            ];
            for (name, value) in fields {
                if let Some(value) = value {
                    object.insert(name.to_owned(), value);
                }
            }
            serde_json::Value::Object(object)
        })
        .collect();
    serde_json::json!({ "events": events }).to_string()
}

/// The shortest unit (at most 64 bytes) that `text` is whole copies of.
fn repeating_unit(text: &str) -> Option<&str> {
    (1..=64.min(text.len() / 2))
        .filter(|&len| text.len().is_multiple_of(len) && text.is_char_boundary(len))
        .map(|len| &text[..len])
        .find(|unit| {
            text.as_bytes()
                .chunks(unit.len())
                .all(|chunk| chunk == unit.as_bytes())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_script_is_shown_by_its_repeating_unit() {
        let large = EchoEvent {
            data: Some("ab\r\n".repeat(15_000)),
            ..EchoEvent::default()
        };
        let text = shown(&[large]);
        assert!(text.contains("× 15000 (60000 bytes)"), "{text}");
        assert!(text.len() < 200, "{text}");
        let random = EchoEvent {
            data: Some(
                (0..200)
                    .map(|n| char::from(b'a' + (n * 7 % 26) as u8))
                    .collect(),
            ),
            ..EchoEvent::default()
        };
        assert!(shown(&[random]).contains("(200 bytes)"));
        assert_eq!(
            shown(&[EchoEvent {
                id: Some("1".into()),
                ..EchoEvent::default()
            }]),
            r#"{"events":[{"id":"1"}]}"#
        );
    }
}
