//! HTTP: what a client sends, and what it does with the answer's status, type and
//! redirects (WHATWG HTML §9.2.3, the `EventSource` processing model).

use std::time::Duration;

use crate::harness::scenario::{Answer, End, Judged, Level, Observation, Scenario};

/// Long enough for a client that wrongly reconnects after its default reconnection time
/// (browsers wait a few seconds) to do so.
const STOP_WINDOW: Duration = Duration::from_millis(4500);

pub(super) const REQUEST: Scenario = Scenario {
    id: "request-headers",
    group: "http",
    title: "the first request is a GET with Accept: text/event-stream and no Last-Event-ID",
    spec: "WHATWG HTML §9.2.3: Accept text/event-stream; Last-Event-ID only on a reconnection",
    level: Level::Must,
    window: Duration::from_millis(1500),
    answers: || vec![Answer::stream(&[b"data: a\n\n"], End::Hold)],
    judge: |seen| {
        let Some(first) = seen.requests.first() else {
            return Judged::fail("no request");
        };
        let accept = first.header("accept").unwrap_or("");
        let detail = format!(
            "{} with Accept: {accept:?}, Last-Event-ID: {:?}",
            first.method,
            first.header("last-event-id")
        );
        Judged::expect(
            first.method == "GET"
                && accept.contains("text/event-stream")
                && first.header("last-event-id").is_none(),
            detail,
        )
    },
};

pub(super) const NO_CACHE: Scenario = Scenario {
    id: "request-no-cache",
    group: "http",
    title: "the request asks caches not to answer it (Cache-Control: no-cache)",
    spec: "WHATWG HTML §9.2.3 (the request's cache mode is no-store; browsers send Cache-Control: no-cache)",
    level: Level::Should,
    window: Duration::from_millis(1500),
    answers: || vec![Answer::stream(&[b"data: a\n\n"], End::Hold)],
    judge: |seen| match seen.requests.first() {
        None => Judged::fail("no request"),
        Some(first) => match first.header("cache-control") {
            Some(value) if value.contains("no-cache") || value.contains("no-store") => {
                Judged::pass(format!("Cache-Control: {value}"))
            }
            other => Judged::fail(format!("Cache-Control: {other:?}")),
        },
    },
};

/// How many requests a refused stream got: one, for a client that stops.
fn stops(seen: &Observation, answer: &str) -> Judged {
    let events = seen.events().len();
    match seen.requests.len() {
        0 => Judged::fail("no request"),
        1 if events == 0 => Judged::pass(format!("{answer}: stopped, no reconnect")),
        1 => Judged::fail(format!("{answer}: dispatched {events} event(s) from it")),
        n => Judged::fail(format!(
            "{answer}: reconnected ({n} requests in {:.1} s)",
            seen.requests[n - 1].at.as_secs_f64()
        )),
    }
}

pub(super) const STATUS_204: Scenario = Scenario {
    id: "status-204-stops",
    group: "status",
    title: "204 No Content stops the client for good",
    spec: "WHATWG HTML §9.2.3: any status but 200 fails the connection (204 is how a server says stop)",
    level: Level::Must,
    window: STOP_WINDOW,
    answers: || vec![Answer::status(204)],
    judge: |seen| stops(seen, "204"),
};

pub(super) const STATUS_404: Scenario = Scenario {
    id: "status-4xx-stops",
    group: "status",
    title: "a 4xx answer stops the client",
    spec: "WHATWG HTML §9.2.3: any status but 200 fails the connection",
    level: Level::Must,
    window: STOP_WINDOW,
    answers: || vec![Answer::status(404).with_header("content-type", "text/plain")],
    judge: |seen| stops(seen, "404"),
};

pub(super) const STATUS_503: Scenario = Scenario {
    id: "status-5xx",
    group: "status",
    title: "a 5xx answer: the spec stops; many clients retry (reported, not judged)",
    spec: "WHATWG HTML §9.2.3: any status but 200 fails the connection; fetch-based clients commonly retry 5xx",
    level: Level::Info,
    window: STOP_WINDOW,
    answers: || vec![Answer::status(503).with_header("content-type", "text/plain")],
    judge: |seen| match seen.requests.len() {
        1 => Judged::pass("503: stopped, as the spec says"),
        n => Judged::warn(format!("503: retried ({n} requests): common, not the spec")),
    },
};

pub(super) const WRONG_TYPE: Scenario = Scenario {
    id: "wrong-content-type",
    group: "status",
    title: "a 200 that is not text/event-stream fails the connection",
    spec: "WHATWG HTML §9.2.3: a Content-Type other than text/event-stream fails the connection",
    level: Level::Must,
    window: STOP_WINDOW,
    answers: || {
        vec![Answer::stream(&[b"data: a\n\n"], End::Close).with_header("content-type", "text/plain")]
    },
    judge: |seen| stops(seen, "200 text/plain"),
};

pub(super) const TYPE_PARAMS: Scenario = Scenario {
    id: "content-type-parameters",
    group: "status",
    title: "text/event-stream with parameters (charset=utf-8) is a stream",
    spec: "WHATWG HTML §9.2.3: the type's essence is what counts",
    level: Level::Must,
    window: Duration::from_millis(1500),
    answers: || {
        vec![Answer::stream(&[b"data: a\n\n"], End::Hold)
            .with_header("content-type", "text/event-stream; charset=utf-8")]
    },
    judge: |seen| {
        Judged::expect(
            seen.data() == ["a"],
            format!("dispatched {:?}", seen.data()),
        )
    },
};

/// A redirect, then the stream at its target.
fn redirected(status: u16) -> Vec<Answer> {
    vec![
        Answer::status(status).with_header("location", "moved"),
        Answer::stream(&[b"data: a\n\n"], End::Hold),
    ]
}

/// The redirect is followed to its target, asked for as the first request was (an event
/// stream, no `Last-Event-ID`), and the stream there is read.
fn follows(seen: &Observation) -> Judged {
    let Some(target) = seen.requests.get(1) else {
        return Judged::fail(format!(
            "did not follow the redirect ({} request(s)), dispatched {:?}",
            seen.requests.len(),
            seen.data()
        ));
    };
    let accept = target.header("accept").unwrap_or("");
    let detail = format!(
        "requested {} with Accept: {accept:?}, Last-Event-ID: {:?}; dispatched {:?}",
        target.path,
        target.header("last-event-id"),
        seen.data()
    );
    Judged::expect(
        target.path.ends_with("/moved")
            && accept.contains("text/event-stream")
            && target.header("last-event-id").is_none()
            && seen.data() == ["a"],
        detail,
    )
}

pub(super) const REDIRECT_307: Scenario = Scenario {
    id: "redirect-307",
    group: "http",
    title: "a 307 redirect is followed, with the same Accept and no Last-Event-ID",
    spec: "WHATWG HTML §9.2.3 (fetch follows redirects)",
    level: Level::Must,
    window: Duration::from_millis(1500),
    answers: || redirected(307),
    judge: follows,
};

pub(super) const REDIRECT_301: Scenario = Scenario {
    id: "redirect-301",
    group: "http",
    title: "a 301 redirect is followed, with the same Accept and no Last-Event-ID",
    spec: "WHATWG HTML §9.2.3 (fetch follows redirects)",
    level: Level::Must,
    window: Duration::from_millis(1500),
    answers: || redirected(301),
    judge: follows,
};
