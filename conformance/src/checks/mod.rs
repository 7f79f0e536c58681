//! The catalogue of checks: a stable id, the spec section behind it, and a pure function
//! of what was observed. Adding a check touches one group file and one line here.
//!
//! | group | checks |
//! |---|---|
//! | `headers.rs` | `status`, `content-type`, `cache-control`, `no-content-length`, `content-encoding`, `x-accel-buffering`, `h2-connection-headers` |
//! | `cors.rs` | `cors`, `cors-preflight` |
//! | `framing.rs` | `utf8`, `framing`, `field-syntax`, `id-valid`, `end-of-stream` |
//! | `timing.rs` | `first-byte`, `buffering`, `heartbeat` |
//! | `resume.rs` | `resume`, `resume-unknown-id` |
//! | `echo.rs` | `echo-roundtrip` |

mod cors;
mod echo;
mod framing;
mod headers;
pub mod resume;
mod timing;

use std::time::Duration;

use serde::Serialize;

use crate::transcript::{Analysis, Transcript};

/// How bad a failure of the check is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Clients break: events lost, the connection refused or never resumed.
    Error,
    /// Clients work, but proxies, caches or timing will hurt in production.
    Warning,
}

/// The verdict of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Fine.
    Pass,
    /// Works, with a risk worth fixing.
    Warn,
    /// Broken.
    Fail,
    /// Does not apply here (the reason says why).
    Skip,
}

/// One entry of the catalogue.
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
    /// The check itself.
    pub run: fn(&Context<'_>) -> Outcome,
}

/// What a check concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The verdict.
    pub status: Status,
    /// One line for humans.
    pub message: String,
    /// What was seen, line by line.
    pub evidence: Vec<String>,
}

impl Outcome {
    fn new(status: Status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            evidence: Vec::new(),
        }
    }
    /// A pass.
    pub fn pass(message: impl Into<String>) -> Self {
        Self::new(Status::Pass, message)
    }
    /// A warning.
    pub fn warn(message: impl Into<String>) -> Self {
        Self::new(Status::Warn, message)
    }
    /// A failure.
    pub fn fail(message: impl Into<String>) -> Self {
        Self::new(Status::Fail, message)
    }
    /// Not applicable, with the reason.
    pub fn skip(message: impl Into<String>) -> Self {
        Self::new(Status::Skip, message)
    }
    /// Adds a line of evidence.
    pub fn with(mut self, evidence: impl Into<String>) -> Self {
        self.evidence.push(evidence.into());
        self
    }
}

/// Settings that change what the checks expect.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The longest silence a stream may keep before proxies cut it (`--heartbeat-max`).
    pub heartbeat_max: Duration,
    /// The origin a browser page would have (`--origin`).
    pub origin: Option<String>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            heartbeat_max: Duration::from_secs(30),
            origin: None,
        }
    }
}

/// The result of an extra request a check needs.
#[derive(Debug, Clone)]
pub enum Probe {
    /// It was not made, and why.
    NotRun(String),
    /// It could not get a response.
    Failed(String),
    /// What came back.
    Done(Box<ProbeResult>),
}

impl Probe {
    /// What came back, or the verdict when nothing did: `skip` if the probe was not
    /// made, `fail` ("`what` got no answer: …") if it got no response.
    pub(crate) fn result(&self, what: &str) -> Result<&ProbeResult, Outcome> {
        match self {
            Probe::NotRun(why) => Err(Outcome::skip(why.clone())),
            Probe::Failed(why) => Err(Outcome::fail(format!("{what} got no answer: {why}"))),
            Probe::Done(result) => Ok(result),
        }
    }
}

/// A probe's request detail and what came back.
#[derive(Debug, Clone)]
pub struct ProbeResult {
    /// What was sent that differs from the main request (e.g. `Last-Event-ID: 3`).
    pub sent: String,
    /// The response.
    pub transcript: Transcript,
}

/// The extra requests of a live run; all [`Probe::NotRun`] for a replayed fixture.
#[derive(Debug, Clone)]
pub struct Probes {
    /// Reconnect with a `Last-Event-ID` seen mid-stream.
    pub resume: Probe,
    /// Reconnect with a `Last-Event-ID` the server cannot know.
    pub unknown_id: Probe,
    /// `OPTIONS` as a fetch-based client would send before its request.
    pub preflight: Probe,
    /// The echo property test.
    pub echo: crate::echo::EchoOutcome,
}

impl Probes {
    /// No probes: what an offline replay has.
    pub fn offline() -> Self {
        let not_live = || Probe::NotRun("needs a live server (this is a replay)".into());
        Self {
            resume: not_live(),
            unknown_id: not_live(),
            preflight: not_live(),
            echo: crate::echo::EchoOutcome::NotRun("needs a live server (this is a replay)".into()),
        }
    }
}

/// Everything a check may look at.
pub struct Context<'a> {
    /// The main response.
    pub transcript: &'a Transcript,
    /// What a client made of its body.
    pub analysis: &'a Analysis,
    /// The settings.
    pub options: &'a CheckOptions,
    /// The extra requests.
    pub probes: &'a Probes,
}

/// Every check, in report order.
pub static CATALOGUE: &[Check] = &[
    headers::STATUS,
    headers::CONTENT_TYPE,
    headers::CACHE_CONTROL,
    headers::NO_CONTENT_LENGTH,
    headers::CONTENT_ENCODING,
    headers::X_ACCEL_BUFFERING,
    headers::H2_CONNECTION_HEADERS,
    cors::CORS,
    cors::CORS_PREFLIGHT,
    framing::UTF8,
    framing::FRAMING,
    framing::FIELD_SYNTAX,
    framing::ID_VALID,
    timing::FIRST_BYTE,
    timing::BUFFERING,
    timing::HEARTBEAT,
    resume::RESUME,
    resume::RESUME_UNKNOWN_ID,
    framing::END_OF_STREAM,
    echo::ECHO_ROUNDTRIP,
];

/// Looks a check up by id.
pub fn find(id: &str) -> Option<&'static Check> {
    CATALOGUE.iter().find(|check| check.id == id)
}

/// One check's verdict, as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// The check id.
    pub id: &'static str,
    /// The verdict.
    pub status: Status,
    /// The check's severity.
    pub severity: Severity,
    /// The spec section.
    pub spec: &'static str,
    /// One line for humans.
    pub message: String,
    /// What was seen.
    pub evidence: Vec<String>,
    /// A failure the user accepted with `--allow`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allowed: bool,
}

/// Runs every check of the catalogue. Checks whose main response is not an event stream
/// at all are skipped with that reason, except the header checks that explain why.
///
/// ```
/// use sse_conformance::checks::{run_all, CheckOptions, Probes, Status};
/// use sse_conformance::Transcript;
///
/// // A transcript, as `sse-conformance record` writes it: a stream sent with a length.
/// let transcript: Transcript = serde_json::from_str(r#"{
///     "request": {"method": "GET", "url": "http://127.0.0.1:8080/events"},
///     "version": "HTTP/1.1", "status": 200,
///     "headers": [["content-type", "text/event-stream"], ["content-length", "9"]],
///     "headers_at_ms": 2.0,
///     "chunks": [{"at_ms": 3.0, "text": "data: a\n\n"}],
///     "end": {"kind": "eof"}, "observed_ms": 4.0
/// }"#)?;
/// let results = run_all(&transcript, &CheckOptions::default(), &Probes::offline(), &[]);
/// let length = results.iter().find(|r| r.id == "no-content-length").unwrap();
/// assert_eq!(length.status, Status::Fail);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn run_all(
    transcript: &Transcript,
    options: &CheckOptions,
    probes: &Probes,
    allow: &[String],
) -> Vec<CheckResult> {
    let analysis = transcript.analyze();
    let context = Context {
        transcript,
        analysis: &analysis,
        options,
        probes,
    };
    CATALOGUE
        .iter()
        .map(|check| {
            let outcome = (check.run)(&context);
            CheckResult {
                id: check.id,
                allowed: outcome.status == Status::Fail && allow.iter().any(|id| id == check.id),
                status: outcome.status,
                severity: check.severity,
                spec: check.spec,
                message: outcome.message,
                evidence: outcome.evidence,
            }
        })
        .collect()
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

/// Formats milliseconds for messages.
pub(crate) fn secs(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::CATALOGUE;

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut ids: Vec<_> = CATALOGUE.iter().map(|check| check.id).collect();
        assert!(ids.iter().all(|id| id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')));
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CATALOGUE.len());
    }
}
