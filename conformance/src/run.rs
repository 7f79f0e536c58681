//! A whole live check: observe the main stream, make the probes the checks need, judge.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use http::{HeaderName, HeaderValue, Method, Uri};

use crate::checks::{resume::resume_point, run_all, CheckOptions, Probe, ProbeResult, Probes};
use crate::client::{observe, ClientError, Limits, Progress, Target};
use crate::echo::{run_echo, EchoOutcome};
use crate::report::Report;
use crate::transcript::{End, RequestInfo, Transcript, FIXTURE_VERSION};

/// Everything `sse-conformance check` was asked to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The stream to check.
    pub target: Target,
    /// How long to observe the main stream.
    pub duration: Duration,
    /// What the checks expect.
    pub checks: CheckOptions,
    /// An echo-contract endpoint to property-test (`--echo`).
    pub echo: Option<Uri>,
    /// Random scripts for the echo test.
    pub echo_cases: u32,
    /// Check ids whose failure does not fail the run (`--allow`).
    pub allow: Vec<String>,
    /// Where the `resume` and `resume-unknown-id` probes reconnect (`--resume-via`):
    /// another instance of a cluster, or its balancer; the main URL when `None`.
    pub resume_via: Option<Uri>,
}

/// What a run reports as it goes.
#[derive(Debug, Clone)]
pub enum Step {
    /// The main stream is being observed.
    Observing(Progress),
    /// A probe started.
    Probe(&'static str),
}

/// Observes, probes and judges. Only a main request that gets no response at all is an
/// error (exit 2); everything else ends up in the report.
///
/// # Errors
/// The main request could not be made (bad address, refused, no headers in time).
pub async fn check(
    options: &RunOptions,
    on_step: &mut dyn FnMut(Step),
) -> Result<Report, ClientError> {
    let mut main_target = options.target.clone();
    if let Some(origin) = &options.checks.origin {
        let origin = HeaderValue::from_str(origin).map_err(|_| {
            ClientError::InvalidUrl(format!("--origin {origin:?} is not a header value"))
        })?;
        main_target = main_target.with_header(http::header::ORIGIN, origin);
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
            if options.target.http2_prior_knowledge
                || options.target.url.scheme_str() == Some("https") =>
        {
            failed_transcript(&main_target, "HTTP/2", End::Error { message }, 0.0)
        }
        // Connected, but nothing came back: a buffering proxy's signature, not a reason
        // to give up.
        Err(ClientError::NoResponse(after)) => failed_transcript(
            &main_target,
            "HTTP/1.1",
            End::Timeout,
            crate::client::millis(after),
        ),
        Err(error) => return Err(error),
    };
    let probes = probe(options, &main_target, &main, on_step).await;
    let results = run_all(&main, &options.checks, &probes, &options.allow);
    Ok(Report::new(options.target.url.to_string(), results))
}

/// A main response that never properly arrived (status 0), for the checks to judge.
fn failed_transcript(target: &Target, version: &str, end: End, observed_ms: f64) -> Transcript {
    Transcript {
        sse_conformance_fixture: FIXTURE_VERSION,
        request: RequestInfo {
            method: target.method.to_string(),
            url: target.url.to_string(),
            headers: Vec::new(),
        },
        version: version.into(),
        status: 0,
        headers: Vec::new(),
        headers_at_ms: observed_ms,
        chunks: Vec::new(),
        end,
        observed_ms,
    }
}

async fn probe(
    options: &RunOptions,
    main_target: &Target,
    main: &Transcript,
    on_step: &mut dyn FnMut(Step),
) -> Probes {
    let not_stream = || Probe::NotRun("the main response is not an event stream".into());
    // A client reconnects with the main request as it was; with --resume-via, to
    // another address (the case of a load balancer sending it elsewhere).
    let reconnect_target = match &options.resume_via {
        None => main_target.clone(),
        Some(url) => Target {
            url: url.clone(),
            ..main_target.clone()
        },
    };
    let main_target = &reconnect_target;
    let (resume, unknown_id) = if main.is_event_stream() {
        on_step(Step::Probe("resume"));
        let resume = match resume_point(&main.analyze()) {
            None => Probe::NotRun(
                "the stream sent no two distinct ids, so there is no point to resume from".into(),
            ),
            Some(point) => {
                let limits = Limits {
                    duration: options.duration,
                    max_events: Some(1),
                    ..Limits::default()
                };
                reconnect(main_target, &point.last_event_id, limits).await
            }
        };
        on_step(Step::Probe("resume-unknown-id"));
        let unknown = format!(
            "sse-conformance-unknown-{:016x}",
            RandomState::new().build_hasher().finish()
        );
        let limits = Limits {
            duration: Duration::from_secs(10),
            max_events: Some(0),
            ..Limits::default()
        };
        (resume, reconnect(main_target, &unknown, limits).await)
    } else {
        (not_stream(), not_stream())
    };

    let preflight = match &options.checks.origin {
        None => Probe::NotRun("no --origin given".into()),
        Some(origin) => {
            on_step(Step::Probe("cors-preflight"));
            preflight(&options.target, origin).await
        }
    };

    let echo = match &options.echo {
        None => EchoOutcome::NotRun("no --echo URL given".into()),
        Some(url) => {
            on_step(Step::Probe("echo-roundtrip"));
            let endpoint = Target {
                url: url.clone(),
                ..options.target.clone()
            };
            run_echo(endpoint, options.echo_cases).await
        }
    };
    Probes {
        resume,
        unknown_id,
        preflight,
        echo,
    }
}

async fn reconnect(main_target: &Target, last_event_id: &str, limits: Limits) -> Probe {
    let Ok(value) = HeaderValue::from_str(last_event_id) else {
        return Probe::NotRun(format!(
            "the id {last_event_id:?} cannot be sent as a header"
        ));
    };
    let target = main_target
        .clone()
        .with_header(HeaderName::from_static("last-event-id"), value);
    match observe(&target, &limits, &mut |_| {}).await {
        Ok(transcript) => Probe::Done(Box::new(ProbeResult {
            sent: format!("sent Last-Event-ID: {last_event_id} to {}", target.url),
            transcript,
        })),
        Err(error) => Probe::Failed(error.to_string()),
    }
}

/// Header names a fetch-based client would add, which are not CORS-safelisted.
fn preflight_headers(target: &Target) -> String {
    let mut names = vec!["last-event-id".to_owned(), "authorization".to_owned()];
    for (name, _) in &target.headers {
        let name = name.as_str().to_owned();
        let safelisted =
            ["accept", "accept-language", "content-language", "origin"].contains(&name.as_str());
        if !safelisted && !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(", ")
}

async fn preflight(target: &Target, origin: &str) -> Probe {
    let method = target.method.to_string();
    let request_headers = preflight_headers(target);
    let (Ok(origin_value), Ok(method_value), Ok(headers_value)) = (
        HeaderValue::from_str(origin),
        HeaderValue::from_str(&method),
        HeaderValue::from_str(&request_headers),
    ) else {
        return Probe::NotRun("the preflight headers are not valid header values".into());
    };
    let preflight = Target {
        method: Method::OPTIONS,
        url: target.url.clone(),
        headers: vec![
            (http::header::ORIGIN, origin_value),
            (http::header::ACCESS_CONTROL_REQUEST_METHOD, method_value),
            (http::header::ACCESS_CONTROL_REQUEST_HEADERS, headers_value),
        ],
        body: None,
        http2_prior_knowledge: target.http2_prior_knowledge,
        ca_pem: target.ca_pem.clone(),
    };
    let limits = Limits {
        duration: Duration::from_secs(10),
        max_events: Some(0),
        ..Limits::default()
    };
    match observe(&preflight, &limits, &mut |_| {}).await {
        Ok(transcript) => Probe::Done(Box::new(ProbeResult {
            sent: format!("sent OPTIONS with Origin: {origin}, Access-Control-Request-Method: {method}, Access-Control-Request-Headers: {request_headers}"),
            transcript,
        })),
        Err(error) => Probe::Failed(error.to_string()),
    }
}
