//! CORS: can a page on another origin read the stream, with and without credentials?

use std::time::Duration;

use http::{HeaderValue, Method};

use super::check::{Check, Context, Scope};
use super::probe::{ProbeContext, ProbePlan, ProbeRequest};
use super::stream::Stream;
use super::verdict::{Outcome, Severity};
use crate::client::Target;
use crate::transcript::Transcript;

pub(super) const CORS: Check = Check {
    id: "cors",
    spec: "Fetch §3.2.5 (CORS check): Access-Control-Allow-Origin must match; with credentials the exact origin, Allow-Credentials: true, and Vary: Origin",
    severity: Severity::Error,
    title: "a page on --origin may read the stream",
    scope: Scope::Main,
    probe: None,
    judge: cors,
};

fn cors(context: &Context<'_>) -> Outcome {
    let Some(origin) = &context.options.origin else {
        return Outcome::skip("no --origin given");
    };
    let transcript = context.transcript;
    let Some(allowed) = transcript.header("access-control-allow-origin") else {
        return Outcome::fail(format!(
            "no Access-Control-Allow-Origin: a page on {origin} cannot read the stream"
        ));
    };
    let credentials = transcript
        .header("access-control-allow-credentials")
        .is_some_and(|value| value.trim() == "true");
    let varies_on_origin = transcript
        .header_all("vary")
        .flat_map(|value| value.split(','))
        .any(|name| matches!(name.trim(), "*") || name.trim().eq_ignore_ascii_case("origin"));
    let seen = format!("Access-Control-Allow-Origin: {allowed}");
    if allowed.trim() == "*" {
        return Outcome::pass(format!(
            "any origin may read it; EventSource with withCredentials: true would fail (needs the exact origin {origin})"
        ))
        .with(seen);
    }
    if allowed.trim() != origin {
        return Outcome::fail(format!(
            "allows {allowed:?}, not {origin:?}: the browser blocks the stream"
        ))
        .with(seen);
    }
    if !varies_on_origin {
        return Outcome::warn("the exact origin is echoed without Vary: Origin: a cache may serve it to another origin")
            .with(seen);
    }
    if credentials {
        Outcome::pass(format!("{origin} may read it, with credentials")).with(seen)
    } else {
        Outcome::pass(format!(
            "{origin} may read it; withCredentials: true needs Access-Control-Allow-Credentials: true"
        ))
        .with(seen)
    }
}

pub(super) const CORS_PREFLIGHT: Check = Check {
    id: "cors-preflight",
    spec: "Fetch §4.8 (CORS-preflight fetch): Last-Event-ID and Authorization are not safelisted; fetch-based clients preflight them",
    severity: Severity::Error,
    title: "OPTIONS preflight allows the method, last-event-id and authorization",
    scope: Scope::Run,
    probe: Some(plan_preflight),
    judge: cors_preflight,
};

/// The `OPTIONS` a fetch-based client's browser sends before its request.
fn plan_preflight(plan: &ProbeContext<'_>) -> ProbePlan {
    let Some(origin) = &plan.options.origin else {
        return ProbePlan::Skip("no --origin given".into());
    };
    let target = plan.target;
    let method = target.method.to_string();
    let request_headers = preflight_headers(target);
    let (Ok(origin_value), Ok(method_value), Ok(headers_value)) = (
        HeaderValue::from_str(origin),
        HeaderValue::from_str(&method),
        HeaderValue::from_str(&request_headers),
    ) else {
        return ProbePlan::Skip("the preflight headers are not valid header values".into());
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
    ProbePlan::Requests(vec![ProbeRequest {
        sent: format!("sent OPTIONS with Origin: {origin}, Access-Control-Request-Method: {method}, Access-Control-Request-Headers: {request_headers}"),
        target: preflight,
        limits: plan.limits(Some(0), Duration::from_secs(10)),
        read_as_stream: false,
    }])
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

fn cors_preflight(context: &Context<'_>) -> Outcome {
    let Some(origin) = &context.options.origin else {
        return Outcome::skip("no --origin given");
    };
    let Stream {
        label: sent,
        transcript: answer,
        ..
    } = match context.probe.single("the preflight") {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    judge_preflight(answer, origin, &context.transcript.request.method).with(sent)
}

/// Header names listed in a preflight answer (lower-cased), `*` included as is.
fn listed(transcript: &Transcript, name: &str) -> Vec<String> {
    transcript
        .header_all(name)
        .flat_map(|value| value.split(','))
        .map(|item| item.trim().to_ascii_lowercase())
        .filter(|item| !item.is_empty())
        .collect()
}

pub(crate) fn judge_preflight(answer: &Transcript, origin: &str, method: &str) -> Outcome {
    if !(200..300).contains(&answer.status) {
        return Outcome::fail(format!(
            "OPTIONS answered {}: fetch-based clients (Last-Event-ID, Authorization) are blocked",
            answer.status
        ));
    }
    let allowed_origin = answer.header("access-control-allow-origin").unwrap_or("");
    if allowed_origin != "*" && allowed_origin != origin {
        return Outcome::fail(format!(
            "preflight allows origin {allowed_origin:?}, not {origin:?}"
        ));
    }
    let methods = listed(answer, "access-control-allow-methods");
    let method_ok = ["GET", "HEAD", "POST"].contains(&method)
        || methods
            .iter()
            .any(|m| m == "*" || m.eq_ignore_ascii_case(method));
    if !method_ok {
        return Outcome::fail(format!(
            "preflight does not allow {method} (allows {methods:?})"
        ));
    }
    let headers = listed(answer, "access-control-allow-headers");
    let wildcard = headers.iter().any(|h| h == "*");
    let credentials = answer
        .header("access-control-allow-credentials")
        .is_some_and(|value| value.trim() == "true");
    // `*` does not cover Authorization, and means nothing at all with credentials.
    let allows = |name: &str| {
        headers.iter().any(|h| h == name) || (wildcard && !credentials && name != "authorization")
    };
    let seen = format!("Access-Control-Allow-Headers: {}", headers.join(", "));
    if !allows("last-event-id") {
        return Outcome::fail(
            "preflight does not allow last-event-id: fetch-based clients cannot resume",
        )
        .with(seen);
    }
    if !allows("authorization") {
        return Outcome::warn(
            "preflight does not allow authorization: fetch-based clients cannot send a token",
        )
        .with(seen);
    }
    Outcome::pass("allows the method, last-event-id and authorization").with(seen)
}
