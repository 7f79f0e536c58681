//! `echo-roundtrip`: the server's encoder, property-tested through the echo contract
//! (the engine is in `crate::echo`).

use super::{Check, Context, Outcome, Severity};
use crate::echo::EchoOutcome;

pub(super) const ECHO_ROUNDTRIP: Check = Check {
    id: "echo-roundtrip",
    spec: "WHATWG HTML §9.2.6 (interpreting an event stream): what the server was asked to send is what a client dispatches",
    severity: Severity::Error,
    title: "hostile events survive encode → wire → parse (needs --echo)",
    run: echo_roundtrip,
};

fn echo_roundtrip(context: &Context<'_>) -> Outcome {
    match &context.probes.echo {
        EchoOutcome::NotRun(why) => Outcome::skip(why.clone()),
        EchoOutcome::CouldNotRun(why) => {
            Outcome::fail(format!("the echo endpoint could not be used: {why}"))
        }
        EchoOutcome::Passed { cases } => Outcome::pass(format!(
            "{cases} scripts of hostile events round-tripped exactly"
        )),
        EchoOutcome::Failed {
            reason,
            minimal,
            cases,
        } => {
            let minimal = serde_json::json!({ "events": minimal }).to_string();
            Outcome::fail(format!(
                "the encoder is wrong (after {cases} cases): {reason}"
            ))
            .with(format!("minimal input: {minimal}"))
        }
    }
}
