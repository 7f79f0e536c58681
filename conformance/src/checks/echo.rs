//! `echo-roundtrip`: the server's encoder, property-tested through the echo contract
//! (the engine is in `crate::echo`).

use super::check::{Check, Context, Scope};
use super::probe::{Plan, Probe, ProbePlan};
use super::verdict::{Outcome, Severity};
use crate::client::Target;
use crate::echo::EchoOutcome;

pub(super) const ECHO_ROUNDTRIP: Check = Check {
    id: "echo-roundtrip",
    spec: "WHATWG HTML §9.2.6 (interpreting an event stream): what the server was asked to send is what a client dispatches",
    severity: Severity::Error,
    title: "hostile events survive encode → wire → parse (needs --echo)",
    scope: Scope::Run,
    probe: Some(plan_echo),
    run: echo_roundtrip,
};

/// The echo property test, at `--echo` (reached like the main URL: h2c, extra CAs).
fn plan_echo(plan: &Plan<'_>) -> ProbePlan {
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
    match outcome {
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
