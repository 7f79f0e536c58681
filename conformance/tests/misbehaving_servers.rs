//! Purpose-built misbehaving servers, one per anti-pattern: the live checker must flag each
//! with the right check id. And echo servers with the encoder bugs of real peers: the echo
//! property test must find each one and shrink it.

#[path = "support/scripted_server.rs"]
mod scripted_server;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method};
use scripted_server::{assert_status, check_url, resumes_from, spawn_server, ticks, Script};
use sse_conformance::checks::{CheckOptions, Status, PROBE_MAX_BYTES};
use sse_conformance::client::Target;
use sse_conformance::echo::{run_echo, EchoEvent, EchoOutcome};

#[tokio::test]
async fn wrong_content_type() {
    let url = spawn_server(Arc::new(|_, _| Script {
        headers: vec![("content-type", "application/json".into())],
        ..Script::sse(ticks(1, 1, Duration::ZERO))
    }))
    .await;
    let report = check_url(&url, 1000, CheckOptions::default()).await;
    assert_status(&report, "content-type", Status::Fail);
    assert_status(&report, "status", Status::Pass);
    assert_eq!(report.exit_code(), 1);
}

#[tokio::test]
async fn non_200() {
    let url = spawn_server(Arc::new(|_, _| Script::status(503))).await;
    let report = check_url(&url, 1000, CheckOptions::default()).await;
    assert_status(&report, "status", Status::Fail);
    assert_status(&report, "framing", Status::Skip);
}

#[tokio::test]
async fn no_blank_line() {
    let url = spawn_server(Arc::new(|_, _| {
        Script::sse(vec![
            (Duration::ZERO, Bytes::from("data: a\n")),
            (Duration::from_millis(100), Bytes::from("data: b\n")),
        ])
    }))
    .await;
    let report = check_url(&url, 1800, CheckOptions::default()).await;
    assert_status(&report, "framing", Status::Fail);
}

#[tokio::test]
async fn ignored_last_event_id() {
    // Always starts again at 1, whatever Last-Event-ID says.
    let url = spawn_server(Arc::new(|_, _| {
        Script::sse(ticks(1, 50, Duration::from_millis(50)))
    }))
    .await;
    let report = check_url(&url, 600, CheckOptions::default()).await;
    assert_status(&report, "resume", Status::Fail);
    assert!(report.get("resume").unwrap().message.contains("restarted"));
    assert_status(&report, "resume-unknown-id", Status::Pass);
    // The ids of the reconnect went back to 1: every stream is read, the probes' too.
    assert_status(&report, "id-unique", Status::Fail);
    assert!(report
        .get("id-unique")
        .unwrap()
        .message
        .contains("went back"));
}

#[tokio::test]
async fn a_reconnect_is_judged_like_the_main_stream() {
    // Fine at first; a reconnect gets its events in Latin-1 (a second code path).
    let url = spawn_server(Arc::new(|request, _| {
        if request.headers.contains_key("last-event-id") {
            Script::sse(vec![(
                Duration::ZERO,
                Bytes::from(&b"id: 9\ndata: caf\xe9\n\n"[..]),
            )])
        } else {
            Script::sse(ticks(1, 50, Duration::from_millis(50)))
        }
    }))
    .await;
    let report = check_url(&url, 600, CheckOptions::default()).await;
    assert_status(&report, "utf8", Status::Fail);
    let utf8 = report.get("utf8").unwrap();
    assert!(
        utf8.message
            .contains("on the reconnect that sent Last-Event-ID"),
        "{}",
        utf8.message
    );
}

#[tokio::test]
async fn a_probe_reads_at_most_a_mebibyte() {
    // A reconnect is answered with 8 MiB of one endless line: the probes stop reading at
    // their own limit, so a hostile server cannot make the run hold its largest body
    // once per probe.
    let url = spawn_server(Arc::new(|request, _| {
        if request.headers.contains_key("last-event-id") {
            let mut line = b"data: ".to_vec();
            line.resize(8 << 20, b'x');
            Script::sse(vec![(Duration::ZERO, Bytes::from(line))])
        } else {
            Script::sse(ticks(1, 50, Duration::from_millis(50)))
        }
    }))
    .await;
    let report = check_url(&url, 600, CheckOptions::default()).await;
    let reconnects: Vec<_> = report
        .observed
        .iter()
        .filter(|seen| seen.label.starts_with("resume"))
        .collect();
    assert_eq!(reconnects.len(), 2, "resume and resume-unknown-id");
    for seen in reconnects {
        let read = seen.bytes.last().map_or(0, |&(_, total)| total);
        assert!(
            read > 0 && read <= PROBE_MAX_BYTES as u64,
            "{}: {read} bytes",
            seen.label
        );
    }
}

#[tokio::test]
async fn events_that_run_together() {
    // The blank line after each event is missing: the lines pile up until the heartbeat's
    // blank line dispatches three ticks as one event.
    let url = spawn_server(Arc::new(|_, _| {
        let mut chunks: Vec<(Duration, Bytes)> = (1..=3)
            .map(|n| {
                let wait = if n == 1 { 0 } else { 400 };
                let lines = format!("id: {n}\nevent: tick\ndata: {n}\n");
                (Duration::from_millis(wait), Bytes::from(lines))
            })
            .collect();
        chunks.push((Duration::from_millis(400), Bytes::from(":\n\n")));
        Script::sse(chunks)
    }))
    .await;
    let report = check_url(&url, 1800, CheckOptions::default()).await;
    assert_status(&report, "framing", Status::Fail);
    let framing = report.get("framing").unwrap();
    assert!(
        framing.message.contains("ran together"),
        "{}",
        framing.message
    );
    let evidence = framing.evidence.join("\n");
    assert!(evidence.contains(r#"id "1" then "2""#), "{evidence}");
    assert!(evidence.contains("3 data lines"), "{evidence}");
}

#[tokio::test]
async fn ids_that_cannot_resume_after_an_unknown_one() {
    // Resumes a known id, answers 200 to an unknown one, then sends every event with the
    // id NaN (`Number(garbage) + 1`): no client can resume again.
    let url = spawn_server(Arc::new(|request, _| match resumes_from(request) {
        Some(Err(_)) => Script::sse(
            (0..20)
                .map(|n| {
                    let wait = Duration::from_millis(if n == 0 { 0 } else { 50 });
                    (wait, Bytes::from(format!("id: NaN\ndata: {n}\n\n")))
                })
                .collect(),
        ),
        Some(Ok(last)) => Script::sse(ticks(last + 1, 50, Duration::from_millis(50))),
        None => Script::sse(ticks(1, 50, Duration::from_millis(50))),
    }))
    .await;
    let report = check_url(&url, 600, CheckOptions::default()).await;
    assert_status(&report, "resume", Status::Pass);
    assert_status(&report, "resume-unknown-id", Status::Pass);
    assert_status(&report, "id-unique", Status::Fail);
    let evidence = report.get("id-unique").unwrap().evidence.join("\n");
    assert!(evidence.contains(r#""NaN""#), "{evidence}");
    assert!(evidence.contains("sse-conformance-unknown-"), "{evidence}");
}

#[tokio::test]
async fn streams_that_end_too_soon() {
    // Ends every stream after about 200 ms, as a too-short proxy timeout would.
    let url = spawn_server(Arc::new(|_, _| Script {
        hold: false,
        ..Script::sse(ticks(1, 3, Duration::from_millis(100)))
    }))
    .await;
    let checks = CheckOptions {
        min_lifetime: Duration::from_secs(1),
        ..CheckOptions::default()
    };
    let report = check_url(&url, 1500, checks.clone()).await;
    assert_status(&report, "stream-lifetime", Status::Warn);
    assert_status(&report, "end-of-stream", Status::Pass);
    assert!(report
        .get("stream-lifetime")
        .unwrap()
        .message
        .contains("retry:"));
    // Judged only when the run watched for at least --min-lifetime.
    let short_run = check_url(&url, 500, checks).await;
    assert_status(&short_run, "stream-lifetime", Status::Skip);
}

/// Serves a stream to `Authorization: Bearer good`; without it, or with another value,
/// answers as the path says.
async fn spawn_auth_server() -> String {
    spawn_server(Arc::new(|request, _| {
        let authorised = request
            .headers
            .get("authorization")
            .is_some_and(|value| value == "Bearer good");
        if authorised {
            return Script::sse(ticks(1, 50, Duration::from_millis(50)));
        }
        match request.uri.path() {
            "/refuses" => Script {
                headers: vec![("content-type", "application/json".into())],
                chunks: vec![(Duration::ZERO, Bytes::from(r#"{"error":"sign in"}"#))],
                hold: false,
                ..Script::status(401)
            },
            "/loops" => Script {
                hold: false,
                ..Script::sse(vec![(
                    Duration::ZERO,
                    Bytes::from("event: error\ndata: unauthorized\n\n"),
                )])
            },
            "/crashes" => Script::status(500),
            _ => Script::sse(ticks(1, 50, Duration::from_millis(50))),
        }
    }))
    .await
}

#[tokio::test]
async fn what_a_request_without_credentials_gets() {
    let base = spawn_auth_server().await;
    let checks = CheckOptions {
        auth_headers: vec![(
            http::header::AUTHORIZATION,
            HeaderValue::from_static("Bearer good"),
        )],
        bad_auth: Some((
            http::header::AUTHORIZATION,
            HeaderValue::from_static("Bearer expired"),
        )),
        ..CheckOptions::default()
    };
    let verdict = |path: &'static str| {
        let (base, checks) = (base.clone(), checks.clone());
        async move {
            let report = check_url(&format!("{base}{path}"), 400, checks).await;
            // The main request carried the credentials and got the stream.
            assert_status(&report, "status", Status::Pass);
            report.get("auth-rejection").unwrap().clone()
        }
    };
    let refuses = verdict("/refuses").await;
    assert_eq!(refuses.status, Status::Pass, "{refuses:?}");
    assert_eq!(refuses.evidence.len(), 2, "without, and with --bad-auth");
    let loops = verdict("/loops").await;
    assert_eq!(loops.status, Status::Fail, "{loops:?}");
    assert!(
        loops.message.contains("with an error event first"),
        "{}",
        loops.message
    );
    assert_eq!(verdict("/crashes").await.status, Status::Warn);
    let open = verdict("/open").await;
    assert_eq!(open.status, Status::Warn);
    assert!(open.message.contains("not protected"), "{}", open.message);
    // Without --auth-header there is nothing to leave out.
    let report = check_url(&format!("{base}/refuses"), 400, CheckOptions::default()).await;
    assert_status(&report, "auth-rejection", Status::Skip);
}

#[tokio::test]
async fn resumes_correctly_but_rejects_unknown_ids() {
    let url = spawn_server(Arc::new(|request, _| match resumes_from(request) {
        Some(Err(_)) => Script::status(400),
        Some(Ok(last)) => Script::sse(ticks(last + 1, 50, Duration::from_millis(50))),
        None => Script::sse(ticks(1, 50, Duration::from_millis(50))),
    }))
    .await;
    let report = check_url(&url, 600, CheckOptions::default()).await;
    assert_status(&report, "resume", Status::Pass);
    assert_status(&report, "resume-unknown-id", Status::Fail);
}

#[tokio::test]
async fn missing_cors() {
    let url = spawn_server(Arc::new(|request, _| {
        if request.method == Method::OPTIONS {
            Script::status(405)
        } else {
            Script::sse(ticks(1, 3, Duration::from_millis(50)))
        }
    }))
    .await;
    let checks = CheckOptions {
        origin: Some("https://app.example".into()),
        ..CheckOptions::default()
    };
    let report = check_url(&url, 500, checks).await;
    assert_status(&report, "cors", Status::Fail);
    assert_status(&report, "cors-preflight", Status::Fail);
}

#[tokio::test]
async fn preflight_without_last_event_id() {
    let url = spawn_server(Arc::new(|request, _| {
        let mut script = Script::sse(ticks(1, 3, Duration::from_millis(50)));
        script
            .headers
            .push(("access-control-allow-origin", "*".into()));
        if request.method == Method::OPTIONS {
            script.chunks.clear();
            script.hold = false;
            script
                .headers
                .push(("access-control-allow-headers", "content-type".into()));
        }
        script
    }))
    .await;
    let checks = CheckOptions {
        origin: Some("https://app.example".into()),
        ..CheckOptions::default()
    };
    let report = check_url(&url, 500, checks).await;
    assert_status(&report, "cors", Status::Pass);
    assert_status(&report, "cors-preflight", Status::Fail);
    assert!(report
        .get("cors-preflight")
        .unwrap()
        .message
        .contains("last-event-id"));
}

#[tokio::test]
async fn no_heartbeat() {
    let url = spawn_server(Arc::new(|_, _| Script::sse(ticks(1, 1, Duration::ZERO)))).await;
    let checks = CheckOptions {
        heartbeat_max: Duration::from_millis(500),
        ..CheckOptions::default()
    };
    let report = check_url(&url, 1500, checks).await;
    assert_status(&report, "heartbeat", Status::Fail);
}

#[tokio::test]
async fn buffered_burst() {
    let burst: String = (1..=6).map(|n| format!("id: {n}\ndata: {n}\n\n")).collect();
    let url = spawn_server(Arc::new(move |_, _| {
        Script::sse(vec![(
            Duration::from_millis(1200),
            Bytes::from(burst.clone()),
        )])
    }))
    .await;
    let report = check_url(&url, 1800, CheckOptions::default()).await;
    assert_status(&report, "buffering", Status::Fail);
    assert_status(&report, "first-byte", Status::Warn);
}

#[tokio::test]
async fn gzip_that_buffers() {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for n in 1..=6 {
        write!(encoder, "data: {n}\n\n").unwrap();
    }
    let compressed = Bytes::from(encoder.finish().unwrap());
    let url = spawn_server(Arc::new(move |_, _| {
        let mut script = Script::sse(vec![(Duration::from_millis(1200), compressed.clone())]);
        script.headers.push(("content-encoding", "gzip".into()));
        script
    }))
    .await;
    let report = check_url(&url, 1800, CheckOptions::default()).await;
    assert_status(&report, "content-encoding", Status::Fail);
    assert_status(&report, "buffering", Status::Fail);
    // Decoded like a browser would: the events themselves are fine.
    assert_status(&report, "framing", Status::Pass);
    assert_status(&report, "utf8", Status::Pass);
}

#[tokio::test]
async fn holds_the_response_back() {
    // Accepts, reads the request, and answers nothing: what a buffering proxy looks like.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(socket);
    });
    let report = check_url(&url, 800, CheckOptions::default()).await;
    assert_status(&report, "status", Status::Fail);
    assert_status(&report, "buffering", Status::Fail);
    assert!(report
        .get("status")
        .unwrap()
        .message
        .contains("no response headers"));
    assert_eq!(report.exit_code(), 1, "a finding, not a failure to run");
}

#[tokio::test]
async fn content_length() {
    let url = spawn_server(Arc::new(|_, _| {
        let body = "data: a\n\n";
        let mut script = Script::sse(vec![(Duration::ZERO, Bytes::from(body))]);
        script
            .headers
            .push(("content-length", body.len().to_string()));
        script.hold = false;
        script
    }))
    .await;
    let report = check_url(&url, 1000, CheckOptions::default()).await;
    assert_status(&report, "no-content-length", Status::Fail);
    assert_status(&report, "end-of-stream", Status::Pass);
}

/// Encoders with bugs that real peers' encoders have, one per variant.
#[derive(Clone, Copy, Debug)]
enum Bug {
    /// axum: CRLF becomes two line breaks.
    CrlfTwice,
    /// axum: `data("")` writes no data line.
    DropsEmptyData,
    /// warp: `data:` without the space, so a leading space is lost.
    NoSpace,
    /// warp and poem: ids (and everything else) written raw; invalid ids accepted.
    RawValues,
    /// A correct encoder.
    None,
}

fn buggy_encode(bug: Bug, event: &EchoEvent) -> String {
    let mut out = String::new();
    let sep = if matches!(bug, Bug::NoSpace) {
        ":"
    } else {
        ": "
    };
    if let Some(id) = &event.id {
        out.push_str(&format!("id{sep}{id}\n"));
    }
    if let Some(kind) = &event.event {
        out.push_str(&format!("event{sep}{kind}\n"));
    }
    if let Some(retry) = event.retry {
        out.push_str(&format!("retry{sep}{retry}\n"));
    }
    if let Some(data) = &event.data {
        let lines: Vec<String> = match bug {
            Bug::CrlfTwice => data.split(['\r', '\n']).map(str::to_owned).collect(),
            Bug::RawValues => vec![data.clone()],
            _ => data
                .replace("\r\n", "\n")
                .replace('\r', "\n")
                .split('\n')
                .map(str::to_owned)
                .collect(),
        };
        if !(data.is_empty() && matches!(bug, Bug::DropsEmptyData)) {
            for line in lines {
                out.push_str(&format!("data{sep}{line}\n"));
            }
        }
    }
    out.push('\n');
    out
}

async fn spawn_buggy_echo(bug: Bug) -> String {
    let base = spawn_server(Arc::new(move |_, body| {
        let request: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let events: Vec<EchoEvent> = serde_json::from_value(request["events"].clone()).unwrap();
        let rejects_invalid = !matches!(bug, Bug::RawValues);
        if rejects_invalid && events.iter().any(EchoEvent::is_invalid) {
            return Script::status(400);
        }
        let wire: String = events
            .iter()
            .map(|event| buggy_encode(bug, event))
            .collect();
        Script {
            hold: false,
            ..Script::sse(vec![(Duration::ZERO, Bytes::from(wire))])
        }
    }))
    .await;
    format!("{base}/echo")
}

#[tokio::test]
async fn echo_finds_each_known_encoder_bug() {
    for (bug, symptom) in [
        (Bug::CrlfTwice, "CRLF in data"),
        (Bug::DropsEmptyData, "empty data"),
        (Bug::NoSpace, "leading space"),
        (Bug::RawValues, "CRLF in data"),
    ] {
        let url = spawn_buggy_echo(bug).await;
        let outcome = run_echo(Target::get(&url).unwrap(), 32).await;
        let EchoOutcome::Ran(report) = &outcome else {
            panic!("{bug:?}: the echo test did not run: {outcome:?}");
        };
        assert!(
            report
                .faults
                .iter()
                .any(|fault| fault.case.contains(symptom)),
            "{bug:?} was not caught: {report:?}"
        );
        for fault in report
            .faults
            .iter()
            .filter(|fault| fault.case != "a random script")
        {
            assert!(
                fault.minimal.len() <= 2,
                "{bug:?}: a fixed case is already minimal: {fault:?}"
            );
        }
    }
}

#[tokio::test]
async fn echo_shrinks_a_bug_only_random_cases_find() {
    // Correct, except that a comment containing a tab is written as data. None of the
    // fixed cases has such a comment: proptest has to find it, then shrink it.
    let base = spawn_server(Arc::new(move |_, body| {
        let request: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let events: Vec<EchoEvent> = serde_json::from_value(request["events"].clone()).unwrap();
        if events.iter().any(EchoEvent::is_invalid) {
            return Script::status(400);
        }
        let wire: String = events
            .iter()
            .map(|event| {
                let mut text = String::new();
                if let Some(comment) = &event.comment {
                    let field = if comment.contains('\t') { "data" } else { "" };
                    for line in comment
                        .replace("\r\n", "\n")
                        .replace('\r', "\n")
                        .split('\n')
                    {
                        text.push_str(&format!("{field}: {line}\n"));
                    }
                }
                let rest = EchoEvent {
                    comment: None,
                    ..event.clone()
                };
                text + &buggy_encode(Bug::None, &rest)
            })
            .collect();
        Script {
            hold: false,
            ..Script::sse(vec![(Duration::ZERO, Bytes::from(wire))])
        }
    }))
    .await;
    let outcome = run_echo(Target::get(&format!("{base}/echo")).unwrap(), 400).await;
    let EchoOutcome::Ran(report) = outcome else {
        panic!("the echo test did not run: {outcome:?}");
    };
    let tab_only = EchoEvent {
        comment: Some("\t".into()),
        ..EchoEvent::default()
    };
    let minimals: Vec<_> = report.faults.iter().map(|fault| &fault.minimal).collect();
    assert_eq!(minimals, [&vec![tab_only]], "{report:?}");
}
