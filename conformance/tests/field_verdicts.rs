//! Verdicts the checker once got wrong on real frameworks, each reproduced by a server
//! that behaves the way that framework's own documentation shows: a greeting before the
//! resumed events, a heartbeat at exactly the limit, an echo route with a body limit, a
//! compressor that holds every event, an encoder with several faults at once, and a
//! stream that only answers clients asking for `text/event-stream`.

#[path = "support/scripted_server.rs"]
mod scripted_server;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use scripted_server::{assert_status, check_url, resumes_from, spawn_server, ticks, Script};
use sse_conformance::checks::{judge_all, CheckOptions, CheckResult, Probes, Severity, Status};
use sse_conformance::client::Target;
use sse_conformance::echo::{run_echo, EchoEvent, EchoOutcome};
use sse_conformance::Transcript;

#[tokio::test]
async fn a_greeting_before_the_resumed_events_is_not_a_broken_resume() {
    // @fastify/sse's README: `data: Connected` first, then the events after the id.
    let url = spawn_server(Arc::new(|request, _| {
        let first = match resumes_from(request) {
            Some(Ok(last)) => last + 1,
            _ => 1,
        };
        let mut chunks = vec![(Duration::ZERO, Bytes::from("data: Connected\n\n"))];
        chunks.extend(ticks(first, 50, Duration::from_millis(50)));
        Script::sse(chunks)
    }))
    .await;
    let report = check_url(&url, 600, CheckOptions::default()).await;
    assert_status(&report, "resume", Status::Pass);
    let resume = report.get("resume").unwrap();
    assert!(
        resume.evidence.iter().any(|line| line.contains("greeting")),
        "{:?}",
        resume.evidence
    );
}

#[tokio::test]
async fn a_greeting_does_not_hide_a_restart() {
    // The same greeting, but the events start again at 1: still a broken resume.
    let url = spawn_server(Arc::new(|_, _| {
        let mut chunks = vec![(Duration::ZERO, Bytes::from("data: Connected\n\n"))];
        chunks.extend(ticks(1, 50, Duration::from_millis(50)));
        Script::sse(chunks)
    }))
    .await;
    let report = check_url(&url, 600, CheckOptions::default()).await;
    assert_status(&report, "resume", Status::Fail);
    assert!(report.get("resume").unwrap().message.contains("restarted"));
}

#[tokio::test]
async fn a_resumed_stream_that_clears_the_id_is_reported() {
    // An empty `id:` field on the reconnect: the browser's last event ID is gone.
    let url = spawn_server(Arc::new(|request, _| match resumes_from(request) {
        Some(_) => Script::sse(vec![(Duration::ZERO, Bytes::from("id:\ndata: x\n\n"))]),
        None => Script::sse(ticks(1, 50, Duration::from_millis(50))),
    }))
    .await;
    let report = check_url(&url, 600, CheckOptions::default()).await;
    assert_status(&report, "resume", Status::Fail);
    assert!(report.get("resume").unwrap().message.contains("reset"));
}

/// A stream that sent `data: 0` and then one comment at each of `gaps_ms`, observed
/// until `observed_ms`, judged offline with `options`.
fn heartbeat_verdict(gaps_ms: &[f64], observed_ms: f64, options: &CheckOptions) -> CheckResult {
    let mut at = 10.0;
    let mut chunks = vec![serde_json::json!({"at_ms": at, "text": "data: 0\n\n"})];
    for gap in gaps_ms {
        at += gap;
        chunks.push(serde_json::json!({"at_ms": at, "text": ":\n"}));
    }
    let transcript: Transcript = serde_json::from_value(serde_json::json!({
        "request": {"method": "GET", "url": "http://127.0.0.1:8080/events"},
        "version": "HTTP/1.1", "status": 200,
        "headers": [["content-type", "text/event-stream"]], "headers_at_ms": 5.0,
        "chunks": chunks, "end": {"kind": "timeout"}, "observed_ms": observed_ms
    }))
    .unwrap();
    judge_all(&transcript, options, &Probes::offline(), &[])
        .into_iter()
        .find(|result| result.id == "heartbeat")
        .unwrap()
}

#[test]
fn a_heartbeat_at_the_limit_passes_despite_timer_jitter() {
    // fastify's default: a comment every 30 s, one of them 5 ms late.
    let thirty = CheckOptions {
        heartbeat_max: Duration::from_secs(30),
        ..CheckOptions::default()
    };
    let gaps = [30_000.0, 30_005.0, 30_001.0];
    let verdict = heartbeat_verdict(&gaps, 95_000.0, &thirty);
    assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
    // The default limit leaves room for it too...
    let verdict = heartbeat_verdict(&gaps, 95_000.0, &CheckOptions::default());
    assert_eq!(verdict.status, Status::Pass, "{verdict:?}");
    // ...but not for a minute of silence, which the shortest common proxy timeout cuts.
    let verdict = heartbeat_verdict(&[30_000.0, 60_000.0], 95_000.0, &CheckOptions::default());
    assert_eq!(verdict.status, Status::Fail, "{verdict:?}");
    // A silence past the slack fails even a 30 s limit.
    let verdict = heartbeat_verdict(&[32_000.0], 40_000.0, &thirty);
    assert_eq!(verdict.status, Status::Fail, "{verdict:?}");
}

#[tokio::test]
async fn a_compressor_that_holds_every_event_fails() {
    // Express with `compression` and a handler that never flushes: ten events written,
    // and on the wire only the 10-byte gzip header.
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for n in 1..=10 {
        write!(encoder, "id: {n}\ndata: {n}\n\n").unwrap();
    }
    let header = Bytes::copy_from_slice(&encoder.get_ref()[..10]);
    assert_eq!(&header[..3], b"\x1f\x8b\x08", "a gzip member starts");
    let url = spawn_server(Arc::new(move |_, _| {
        let mut script = Script::sse(vec![(Duration::ZERO, header.clone())]);
        script.headers.push(("content-encoding", "gzip".into()));
        script
    }))
    .await;
    let report = check_url(&url, 1500, CheckOptions::default()).await;
    assert_status(&report, "content-encoding", Status::Fail);
    assert!(report
        .get("content-encoding")
        .unwrap()
        .message
        .contains("not one event"));
    assert_eq!(report.exit_code(), 1);
}

#[tokio::test]
async fn what_a_client_without_accept_event_stream_gets_is_reported() {
    // @fastify/sse's quick start: a 500 for curl's `Accept: */*`.
    let url = spawn_server(Arc::new(|request, _| {
        let asks_for_sse = request
            .headers
            .get("accept")
            .is_some_and(|accept| accept.as_bytes().starts_with(b"text/event-stream"));
        if asks_for_sse {
            let first = match resumes_from(request) {
                Some(Ok(last)) => last + 1,
                _ => 1,
            };
            Script::sse(ticks(first, 50, Duration::from_millis(50)))
        } else {
            Script {
                headers: vec![("content-type", "application/json".into())],
                ..Script::status(500)
            }
        }
    }))
    .await;
    let report = check_url(&url, 400, CheckOptions::default()).await;
    let accept_any = report.get("accept-any").unwrap();
    assert_eq!(accept_any.status, Status::Warn, "{accept_any:?}");
    assert_eq!(accept_any.severity, Severity::Info);
    assert!(accept_any.message.contains("500"), "{}", accept_any.message);
    let failed: Vec<_> = report
        .checks
        .iter()
        .filter(|check| check.status == Status::Fail)
        .map(|check| (check.id, &check.message))
        .collect();
    assert_eq!(
        report.exit_code(),
        0,
        "informational: the run still passes: {failed:?}"
    );
    // A server that streams to anyone passes.
    let url = spawn_server(Arc::new(|_, _| {
        Script::sse(ticks(1, 50, Duration::from_millis(50)))
    }))
    .await;
    let report = check_url(&url, 400, CheckOptions::default()).await;
    assert_status(&report, "accept-any", Status::Pass);
}

/// An echo route: `encode` writes each event, `refuse` may refuse a request body first
/// (a framework's body limit), and invalid events get a 400 as the contract says.
async fn spawn_echo(
    encode: fn(&EchoEvent) -> String,
    refuse: fn(&Bytes) -> Option<Script>,
) -> String {
    let base = spawn_server(Arc::new(move |_, body| {
        if let Some(refusal) = refuse(&body) {
            return refusal;
        }
        let request: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let events: Vec<EchoEvent> = serde_json::from_value(request["events"].clone()).unwrap();
        if events.iter().any(EchoEvent::is_invalid) {
            return Script::status(400);
        }
        let wire: String = events.iter().map(encode).collect();
        Script {
            hold: false,
            ..Script::sse(vec![(Duration::ZERO, Bytes::from(wire))])
        }
    }))
    .await;
    format!("{base}/echo")
}

/// An encoder: `sep` after each field name, `data_lines` and `comment_lines` to split
/// values into lines.
fn encode(
    event: &EchoEvent,
    sep: &str,
    data_lines: fn(&str) -> Vec<String>,
    comment_lines: fn(&str) -> Vec<String>,
) -> String {
    let mut out = String::new();
    for line in event
        .comment
        .as_deref()
        .map(comment_lines)
        .unwrap_or_default()
    {
        out.push_str(&format!(":{sep}{line}\n"));
    }
    let fields = [
        ("id", event.id.clone()),
        ("event", event.event.clone()),
        ("retry", event.retry.map(|ms| ms.to_string())),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            out.push_str(&format!("{name}:{sep}{value}\n"));
        }
    }
    for line in event.data.as_deref().map(data_lines).unwrap_or_default() {
        out.push_str(&format!("data:{sep}{line}\n"));
    }
    out + "\n"
}

/// Every line break, CR included.
fn spec_lines(text: &str) -> Vec<String> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    text.split('\n').map(str::to_owned).collect()
}

/// What the spec asks of an encoder: every line break of data, CR included, starts a
/// new `data:` line, and a comment is a comment line per line.
fn sound_encoding(event: &EchoEvent) -> String {
    encode(event, " ", spec_lines, spec_lines)
}

/// Three faults at once, as the field test found them in one framework: `data:` with
/// no space (a leading space is lost), data split at LF only (a lone CR breaks the line),
/// and a comment written raw (its line breaks let fields through).
fn three_faults(event: &EchoEvent) -> String {
    let at_lf = |text: &str| text.split('\n').map(str::to_owned).collect();
    let raw = |text: &str| vec![text.to_owned()];
    encode(event, "", at_lf, raw)
}

#[tokio::test]
async fn echo_reports_every_distinct_fault_each_with_its_own_input() {
    let url = spawn_echo(three_faults, |_| None).await;
    let outcome = run_echo(Target::get(&url).unwrap(), 48).await;
    let EchoOutcome::Ran(report) = outcome else {
        panic!("the echo test did not run: {outcome:?}");
    };
    let cases: Vec<&str> = report
        .faults
        .iter()
        .map(|fault| fault.case.as_str())
        .collect();
    for fault in [
        "a leading space in data survives",
        "a lone CR inside data",
        "a comment cannot inject a field",
    ] {
        assert!(cases.contains(&fault), "{fault} is missing from {cases:?}");
    }
    for fault in &report.faults {
        assert!(fault.minimal.len() <= 2, "{fault:?}");
    }
    // The sound encoder has none of them.
    let url = spawn_echo(sound_encoding, |_| None).await;
    let outcome = run_echo(Target::get(&url).unwrap(), 48).await;
    assert!(
        matches!(&outcome, EchoOutcome::Ran(report) if report.passed() && report.size_limit.is_none()),
        "{outcome:?}"
    );
}

/// A body limit as frameworks have it: larger requests get a `400` page, not events.
const BODY_LIMIT: usize = 8 * 1024;

fn over_the_body_limit(body: &Bytes) -> Option<Script> {
    (body.len() > BODY_LIMIT).then(|| Script {
        headers: vec![("content-type", "text/html".into())],
        chunks: vec![(Duration::ZERO, Bytes::from("<h1>400 Bad Request</h1>"))],
        ..Script::status(400)
    })
}

#[tokio::test]
async fn a_body_limit_on_the_echo_route_is_a_limit_not_an_encoder_fault() {
    let url = spawn_echo(sound_encoding, over_the_body_limit).await;
    let checks = CheckOptions {
        echo: Some(url.parse().unwrap()),
        echo_cases: 64,
        ..CheckOptions::default()
    };
    let stream = spawn_server(Arc::new(|request, _| {
        let first = match resumes_from(request) {
            Some(Ok(last)) => last + 1,
            _ => 1,
        };
        Script::sse(ticks(first, 50, Duration::from_millis(50)))
    }))
    .await;
    let report = check_url(&stream, 400, checks).await;
    let echo = report.get("echo-roundtrip").unwrap();
    assert_eq!(echo.status, Status::Warn, "{echo:?}");
    assert!(echo.message.contains("size limit"), "{}", echo.message);
    // Shrunk: the smallest refused request is found near the limit, not at 60 KB.
    let EchoOutcome::Ran(run) = run_echo(Target::get(&url).unwrap(), 64).await else {
        panic!("the echo test did not run");
    };
    let limit = run.size_limit.expect("the large scripts were refused");
    assert!(
        limit.smallest_refused > BODY_LIMIT && limit.smallest_refused < 2 * BODY_LIMIT,
        "{limit:?}"
    );
    assert_eq!(
        (limit.status, limit.content_type.as_str()),
        (400, "text/html")
    );
}

/// The sound encoding, except that the handler panics on a lone CR in data, as an
/// encoder that documents such a panic does: the connection closes unanswered.
fn panics_on_lone_cr(event: &EchoEvent) -> String {
    let lone_cr = event
        .data
        .as_deref()
        .is_some_and(|data| data.replace("\r\n", "").contains('\r'));
    assert!(!lone_cr, "data with a lone carriage return");
    sound_encoding(event)
}

#[tokio::test]
async fn a_handler_that_panics_on_one_input_is_a_fault_of_that_input() {
    let url = spawn_echo(panics_on_lone_cr, |_| None).await;
    let outcome = run_echo(Target::get(&url).unwrap(), 48).await;
    let EchoOutcome::Ran(report) = outcome else {
        panic!("one panicking input stopped the whole echo test: {outcome:?}");
    };
    let lone_cr = report
        .faults
        .iter()
        .find(|fault| fault.case == "a lone CR inside data")
        .expect("the panic on a CR is reported");
    assert!(lone_cr.reason.contains("no answer"), "{lone_cr:?}");
    // The other fixed cases still ran, and passed.
    assert!(report
        .faults
        .iter()
        .all(|fault| fault.reason.contains("no answer")));
}

/// An API with no way to write an id without data (hono's `writeSSE`, aiohttp-sse's
/// `send`): its echo route says so with a 501.
fn no_bare_ids(body: &Bytes) -> Option<Script> {
    let request: serde_json::Value = serde_json::from_slice(body).ok()?;
    let events: Vec<EchoEvent> = serde_json::from_value(request["events"].clone()).ok()?;
    let bare_id = |event: &EchoEvent| event.id.is_some() && event.data.is_none();
    events.iter().any(bare_id).then(|| Script::status(501))
}

#[tokio::test]
async fn what_an_encoder_cannot_express_is_not_judged() {
    let url = spawn_echo(sound_encoding, no_bare_ids).await;
    let outcome = run_echo(Target::get(&url).unwrap(), 64).await;
    let EchoOutcome::Ran(report) = outcome else {
        panic!("the echo test did not run: {outcome:?}");
    };
    assert!(report.passed(), "{report:?}");
    assert!(report.unsupported.scripts > 0, "{report:?}");
    let example = report.unsupported.example.as_ref().unwrap();
    assert!(example
        .iter()
        .any(|event| event.id.is_some() && event.data.is_none()));
}
