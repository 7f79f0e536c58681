//! A whole live check: observe the main stream, make the probes the checks plan, judge.
//!
//! Nothing here knows what a probe is for: each check of the catalogue that has one
//! describes its requests ([`ProbePlan`]) from the main response, and this file makes
//! them and hands the answers back.

use std::time::Duration;

use http::HeaderValue;

use crate::checks::{
    judge_all_analyzed, CheckOptions, Probe, ProbeAnswer, ProbeContext, ProbePlan, ProbeRequest,
    Probes, CATALOGUE,
};
use crate::client::{observe, ClientError, Limits, Progress, Target};
use crate::echo::run_echo;
use crate::record::{millis, unanswered};
use crate::report::{Observed, Report};
use crate::transcript::{Analysis, End, Header, RequestInfo, Transcript};

/// Everything `sse-conformance check` was asked to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The stream to check.
    pub target: Target,
    /// How long to observe the main stream.
    pub duration: Duration,
    /// What the checks expect, and the probes' settings (`--echo`, `--resume-via`,
    /// `--auth-header`…). Its `duration` is set from [`duration`](Self::duration).
    pub checks: CheckOptions,
    /// Check ids whose failure does not fail the run (`--allow`).
    pub allow: Vec<String>,
}

/// What a run reports as it goes.
#[derive(Debug, Clone)]
pub enum Step {
    /// The main stream is being observed.
    Observing(Progress),
    /// The probe of this check started.
    Probe(&'static str),
}

/// Observes, probes and judges. Only a main request that gets no response at all is an
/// error (exit 2); everything else ends up in the report.
///
/// # Errors
/// The main request could not be made (bad address, refused, no headers in time).
pub async fn run_endpoint(
    options: &RunOptions,
    on_step: &mut dyn FnMut(Step),
) -> Result<Report, ClientError> {
    let checks = CheckOptions {
        duration: Some(options.duration),
        ..options.checks.clone()
    };
    let mut main_target = options.target.clone();
    if let Some(origin) = &checks.origin {
        let origin = HeaderValue::from_str(origin).map_err(|_| {
            ClientError::InvalidUrl(format!("--origin {origin:?} is not a header value"))
        })?;
        main_target = main_target.with_header(http::header::ORIGIN, origin);
    }
    for (name, value) in &checks.auth_headers {
        main_target = main_target.with_header(name.clone(), value.clone());
    }
    let limits = Limits {
        duration: options.duration,
        ..Limits::default()
    };
    let main = match observe(&main_target, &limits, &mut |progress| {
        on_step(Step::Observing(progress))
    })
    .await
    {
        Ok(transcript) => transcript,
        // An HTTP/2 stream reset at the headers (a malformed response) is a finding.
        Err(ClientError::Request(message))
            if main_target.http2_prior_knowledge
                || main_target.url.scheme_str() == Some("https") =>
        {
            unanswered(
                request_info(&main_target),
                "HTTP/2",
                End::Error { message },
                0.0,
            )
        }
        // Connected, but nothing came back: a buffering proxy's signature, not a reason
        // to give up.
        Err(ClientError::NoResponse(after)) => unanswered(
            request_info(&main_target),
            "HTTP/1.1",
            End::Timeout,
            millis(after),
        ),
        Err(error) => return Err(error),
    };
    // Parsed once: the probes are planned from it, the checks judge it, the report draws it.
    let analysis = main.analyze();
    let made = make_probes(&main_target, &main, &analysis, &checks, on_step).await;
    let probes = Probes::live(made);
    let name = options.target.url.to_string();
    Ok(judge_and_draw(
        name,
        &main,
        &analysis,
        &probes,
        &checks,
        &options.allow,
    ))
}

/// Judges a recorded transcript offline, with no probes: what `sse-conformance replay`
/// reports. The checks that need a live server are skipped and say so.
///
/// ```
/// use sse_conformance::checks::{CheckOptions, Status};
/// use sse_conformance::Transcript;
///
/// let transcript: Transcript = serde_json::from_str(r#"{
///     "request": {"method": "GET", "url": "http://127.0.0.1:8080/events"},
///     "version": "HTTP/1.1", "status": 200,
///     "headers": [["content-type", "text/event-stream"], ["cache-control", "no-store"]],
///     "headers_at_ms": 2.0,
///     "chunks": [{"at_ms": 3.0, "text": "id: 1\ndata: a\n\n"}],
///     "end": {"kind": "timeout"}, "observed_ms": 4.0
/// }"#)?;
/// let report = sse_conformance::run::replay(&transcript, "a replay", &CheckOptions::default(), &[]);
/// let resume = report.get("resume").unwrap();
/// assert_eq!(resume.status, Status::Skip);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn replay(
    transcript: &Transcript,
    name: impl Into<String>,
    checks: &CheckOptions,
    allow: &[String],
) -> Report {
    let analysis = transcript.analyze();
    let probes = Probes::offline();
    judge_and_draw(name.into(), transcript, &analysis, &probes, checks, allow)
}

/// The end of every run, live or replayed: the verdicts, and what the report draws.
fn judge_and_draw(
    name: String,
    main: &Transcript,
    analysis: &Analysis,
    probes: &Probes,
    checks: &CheckOptions,
    allow: &[String],
) -> Report {
    let results = judge_all_analyzed(main, analysis, checks, probes, allow);
    let observed = Observed::all(main, analysis, probes, checks);
    Report::new(name, results).with_observed(observed)
}

/// Plans every check's probe from the main response, and makes them.
async fn make_probes(
    main_target: &Target,
    main: &Transcript,
    analysis: &Analysis,
    checks: &CheckOptions,
    on_step: &mut dyn FnMut(Step),
) -> Vec<(&'static str, Probe)> {
    let plan = ProbeContext {
        target: main_target,
        main,
        analysis,
        options: checks,
    };
    let mut made = Vec::new();
    for check in CATALOGUE {
        let Some(plan_probe) = check.probe else {
            continue;
        };
        let probe = match plan_probe(&plan) {
            ProbePlan::Skip(why) => Probe::NotRun(why),
            ProbePlan::Requests(requests) => {
                on_step(Step::Probe(check.id));
                Probe::Answered(make(requests).await)
            }
            ProbePlan::Echo { endpoint, cases } => {
                on_step(Step::Probe(check.id));
                Probe::Echo(run_echo(endpoint, cases).await)
            }
        };
        made.push((check.id, probe));
    }
    made
}

/// Makes a probe's requests, one after the other.
async fn make(requests: Vec<ProbeRequest>) -> Vec<ProbeAnswer> {
    let mut answers = Vec::with_capacity(requests.len());
    for request in requests {
        let answer = observe(&request.target, &request.limits, &mut |_| {})
            .await
            .map_err(|error| error.to_string());
        answers.push(ProbeAnswer::new(
            request.sent,
            request.read_as_stream,
            answer,
        ));
    }
    answers
}

/// The request as a transcript records it, for a main request that got no response.
fn request_info(target: &Target) -> RequestInfo {
    RequestInfo {
        method: target.method.to_string(),
        url: target.url.to_string(),
        headers: Vec::<Header>::new(),
    }
}
