//! [`Check`]: one entry of the catalogue, and the [`Context`] it judges.

use super::options::CheckOptions;
use super::probe::{Probe, ProbeContext, ProbePlan};
use super::stream::Stream;
use super::verdict::{Outcome, Severity};
use crate::transcript::{Analysis, Transcript};

/// One check: a stable id, the spec behind it, the requests it needs, and its judgment.
///
/// Adding a check is one constant in a group file plus its line in the catalogue; a
/// check with a probe plans its own requests (`probe`), which `run.rs` makes without
/// knowing what they are for.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// Stable id, used by `--allow` and in reports.
    pub id: &'static str,
    /// The spec section (or field knowledge) behind it.
    pub spec: &'static str,
    /// How bad a failure is.
    pub severity: Severity,
    /// What is checked, in one line.
    pub title: &'static str,
    /// Which responses it judges.
    pub scope: Scope,
    /// The extra requests it needs, planned from the main response; `None`: it needs
    /// none.
    pub probe: Option<fn(&ProbeContext<'_>) -> ProbePlan>,
    /// The judgment.
    pub judge: fn(&Context<'_>) -> Outcome,
}

/// Which responses a check judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The main response only: timing wants the long observation.
    Main,
    /// Every stream a client would read: the main one and each probe's answer that is
    /// an event stream (a reconnect's). The worst verdict counts, and says where.
    EachStream,
    /// The run as a whole, once: the main response, the check's own probe, and every
    /// stream read ([`Context::streams`]).
    Run,
}

/// Everything a check may look at.
pub struct Context<'a> {
    /// The response judged: the main one, or (for [`Scope::EachStream`]) a probe's.
    pub transcript: &'a Transcript,
    /// What a client made of its body.
    pub analysis: &'a Analysis,
    /// The settings.
    pub options: &'a CheckOptions,
    /// The check's own probe ([`Probe::NotRun`] when it has none).
    pub probe: &'a Probe,
    /// Every stream the run read, the main one first.
    pub streams: &'a [Stream<'a>],
}

/// The common guard: body checks make no sense when a browser would not even read it.
pub(crate) fn stream_or_skip(context: &Context<'_>) -> Result<(), Outcome> {
    if context.transcript.is_event_stream() {
        Ok(())
    } else {
        Err(Outcome::skip(format!(
            "not an event stream (status {}, content-type {}): a browser would not read it",
            context.transcript.status,
            context.transcript.header("content-type").unwrap_or("none")
        )))
    }
}
