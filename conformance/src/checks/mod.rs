//! The catalogue of checks, h2spec style: each check is one unit with a stable id, the
//! spec section behind it, its severity, the extra requests it needs (none, or a probe
//! it plans itself) and its judgment. Adding a check touches its own file and one line
//! of [`CATALOGUE`].
//!
//! | file | checks |
//! |---|---|
//! | `headers.rs` | `status`, `content-type`, `cache-control`, `no-content-length`, `content-encoding`, `x-accel-buffering`, `h2-connection-headers` |
//! | `cors.rs` | `cors`, `cors-preflight` (probe: an `OPTIONS` preflight) |
//! | `framing.rs` | `utf8`, `framing`, `field-syntax`, `id-valid`, `end-of-stream` |
//! | `id_unique.rs` | `id-unique` |
//! | `timing.rs` | `first-byte`, `buffering`, `heartbeat` |
//! | `lifetime.rs` | `stream-lifetime` |
//! | `resume.rs` | `resume`, `resume-unknown-id` (probes: reconnects with `Last-Event-ID`) |
//! | `auth.rs` | `auth-rejection` (probe: the request without its credentials) |
//! | `echo.rs` | `echo-roundtrip` (probe: the echo property test) |
//! | `accept.rs` | `accept-any` (probe: the request with curl's `Accept: */*`) |
//!
//! Below them, shared by all: `check.rs` (what a check is, what it sees), `probe.rs`
//! (how a check describes its requests and gets their answers), `options.rs` and
//! `verdict.rs`.

mod accept;
mod auth;
mod check;
mod cors;
mod echo;
mod framing;
mod headers;
mod id_unique;
mod lifetime;
mod options;
mod probe;
pub mod resume;
mod stream;
mod timing;
mod verdict;

use serde::Serialize;

use crate::transcript::{Analysis, Transcript};

pub use check::{Check, Context, Scope};
pub use options::{CheckOptions, HEARTBEAT_JITTER};
pub use probe::{
    Probe, ProbeAnswer, ProbeContext, ProbePlan, ProbeRequest, Probes, PROBE_MAX_BYTES,
};
pub use stream::Stream;
pub use timing::{timing_marks, Burst, Silence, TimingMarks};
pub use verdict::{Outcome, Severity, Status};

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
    id_unique::ID_UNIQUE,
    timing::FIRST_BYTE,
    timing::BUFFERING,
    timing::HEARTBEAT,
    resume::RESUME,
    resume::RESUME_UNKNOWN_ID,
    auth::AUTH_REJECTION,
    framing::END_OF_STREAM,
    lifetime::STREAM_LIFETIME,
    echo::ECHO_ROUNDTRIP,
    accept::ACCEPT_ANY,
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
/// use sse_conformance::checks::{judge_all, CheckOptions, Probes, Status};
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
/// let results = judge_all(&transcript, &CheckOptions::default(), &Probes::offline(), &[]);
/// let length = results.iter().find(|r| r.id == "no-content-length").unwrap();
/// assert_eq!(length.status, Status::Fail);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn judge_all(
    transcript: &Transcript,
    options: &CheckOptions,
    probes: &Probes,
    allow: &[String],
) -> Vec<CheckResult> {
    judge_all_analyzed(transcript, &transcript.analyze(), options, probes, allow)
}

/// [`judge_all`], for a caller that already holds the main response's analysis (a live
/// run analyses it once, to plan the probes): a large body is not parsed again.
pub fn judge_all_analyzed(
    transcript: &Transcript,
    analysis: &Analysis,
    options: &CheckOptions,
    probes: &Probes,
    allow: &[String],
) -> Vec<CheckResult> {
    let mut streams = vec![Stream {
        label: "the main request",
        transcript,
        analysis,
    }];
    streams.extend(probes.streams());
    CATALOGUE
        .iter()
        .map(|check| {
            let outcome = judge_check(check, &streams, options, probes.get(check.id));
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

/// One check's verdict: on the main stream, or on each stream read (the worst counts).
fn judge_check(
    check: &Check,
    streams: &[Stream<'_>],
    options: &CheckOptions,
    probe: &Probe,
) -> Outcome {
    let context = |stream: &Stream<'_>| {
        (check.judge)(&Context {
            transcript: stream.transcript,
            analysis: stream.analysis,
            options,
            probe,
            streams,
        })
    };
    let main = context(&streams[0]);
    if check.scope != Scope::EachStream {
        return main;
    }
    let mut worst = main;
    for stream in &streams[1..] {
        let outcome = context(stream);
        if outcome.status.rank() > worst.status.rank() {
            worst = Outcome {
                message: format!(
                    "{} (on the reconnect that {})",
                    outcome.message, stream.label
                ),
                ..outcome
            };
        }
    }
    worst
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
