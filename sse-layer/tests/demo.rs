//! The demo server's contract (other checks drive it), and the checker's verdict on it:
//! every check, CORS and echo included, over HTTP/1.1 and h2c, with no failure.

#[path = "../examples/demo/app.rs"]
#[allow(dead_code)]
mod app;
mod support;

use std::time::Duration;

use bytes::Bytes;
use http::Method;
use sse_conformance::checks::{CheckOptions, Status};
use sse_conformance::client::{observe, Limits, Target};
use sse_conformance::parser::Item;
use sse_conformance::run::{check, RunOptions};
use sse_layer::{SseCors, SseLayer};

const ORIGIN: &str = "http://localhost:5173";

async fn start() -> String {
    let layer = SseLayer::new()
        .heartbeat(Duration::from_millis(500))
        .retry(Duration::from_millis(1000))
        .cors(
            SseCors::allow_origins([ORIGIN])
                .unwrap()
                .allow_credentials(),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(app::serve(listener, layer));
    base
}

async fn request(
    base: &str,
    method: Method,
    path: &str,
    body: Option<&str>,
    limits: Limits,
) -> sse_conformance::Transcript {
    let mut target = Target::get(&format!("{base}{path}")).unwrap();
    target.method = method;
    target.body = body.map(|b| Bytes::from(b.to_owned()));
    observe(&target, &limits, &mut |_| {}).await.unwrap()
}

fn quick() -> Limits {
    Limits {
        duration: Duration::from_secs(5),
        ..Limits::default()
    }
}

#[tokio::test]
async fn the_checker_passes_the_demo_over_http1_and_h2c() {
    let base = start().await;
    for h2 in [false, true] {
        let mut target = Target::get(&format!("{base}/events?interval_ms=100")).unwrap();
        target.http2_prior_knowledge = h2;
        let options = RunOptions {
            target,
            duration: Duration::from_millis(1200),
            checks: CheckOptions {
                origin: Some(ORIGIN.into()),
                ..CheckOptions::default()
            },
            echo: Some(format!("{base}/echo").parse().unwrap()),
            echo_cases: 32,
            allow: Vec::new(),
        };
        let report = check(&options, &mut |_| {}).await.unwrap();
        let not_passed: Vec<_> = report
            .checks
            .iter()
            .filter(|c| c.status != Status::Pass)
            .collect();
        // Everything applies here, except the HTTP/2-only check over HTTP/1.1.
        let expected_skips = if h2 { 0 } else { 1 };
        assert_eq!(
            not_passed.len(),
            expected_skips,
            "h2: {h2}: {not_passed:#?}"
        );
        assert_eq!(report.exit_code(), 0);
    }
}

#[tokio::test]
async fn events_resume_after_a_numeric_id_and_start_fresh_otherwise() {
    let base = start().await;
    let limits = Limits {
        max_events: Some(2),
        ..quick()
    };
    let mut target = Target::get(&format!("{base}/events?interval_ms=10")).unwrap();
    let ids = |t: &sse_conformance::Transcript| -> Vec<String> {
        t.analyze()
            .events()
            .map(|(_, e)| format!("{}:{}", e.event_type, e.last_event_id))
            .collect()
    };
    let fresh = observe(&target, &limits, &mut |_| {}).await.unwrap();
    assert_eq!(ids(&fresh), ["tick:1", "tick:2"]);
    target
        .headers
        .push(("last-event-id".parse().unwrap(), "41".parse().unwrap()));
    assert_eq!(
        ids(&observe(&target, &limits, &mut |_| {}).await.unwrap()),
        ["tick:42", "tick:43"]
    );
    target.headers[0].1 = "abc".parse().unwrap();
    let garbage = observe(&target, &limits, &mut |_| {}).await.unwrap();
    assert_eq!(garbage.status, 200);
    assert_eq!(ids(&garbage), ["tick:1", "tick:2"]);

    let bad = request(&base, Method::GET, "/events?interval_ms=0", None, quick()).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn close_after_ends_the_connection_and_stop_after_answers_204() {
    let base = start().await;
    let mut target = Target::get(&format!(
        "{base}/events?interval_ms=10&close_after=3&stop_after=5"
    ))
    .unwrap();
    let first = observe(&target, &quick(), &mut |_| {}).await.unwrap();
    assert_eq!(first.end, sse_conformance::transcript::End::Eof);
    let ids: Vec<String> = first
        .analyze()
        .events()
        .map(|(_, e)| e.last_event_id.clone())
        .collect();
    assert_eq!(ids, ["1", "2", "3"]);
    target
        .headers
        .push(("last-event-id".parse().unwrap(), "3".parse().unwrap()));
    let second = observe(&target, &quick(), &mut |_| {}).await.unwrap();
    let ids: Vec<String> = second
        .analyze()
        .events()
        .map(|(_, e)| e.last_event_id.clone())
        .collect();
    assert_eq!(ids, ["4", "5", "6"], "resumes, then closes again");
    target.headers[0].1 = "5".parse().unwrap();
    let stopped = observe(&target, &quick(), &mut |_| {}).await.unwrap();
    assert_eq!(
        stopped.status, 204,
        "the client has event 5: stop reconnecting"
    );
}

#[tokio::test]
async fn chat_streams_json_tokens_then_done() {
    let base = start().await;
    let chat = request(
        &base,
        Method::POST,
        "/chat",
        Some(r#"{"prompt":"hello there"}"#),
        quick(),
    )
    .await;
    assert!(chat.is_event_stream());
    let data: Vec<String> = chat
        .analyze()
        .events()
        .map(|(_, e)| e.data.clone())
        .collect();
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let text: String = data[..data.len() - 1]
        .iter()
        .map(|d| {
            serde_json::from_str::<serde_json::Value>(d).unwrap()["token"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(text.starts_with("You said: hello there\n"), "{text}");
    assert!(data.len() > 5, "one token per event");

    let malformed = request(&base, Method::POST, "/chat", Some("{nope"), quick()).await;
    assert_eq!(malformed.status, 400);
}

#[tokio::test]
async fn echo_streams_exactly_the_script_or_400s_before_anything() {
    let base = start().await;
    let script = r#"{"events":[{"id":"7","event":"a","data":"x\r\ny","retry":250,"comment":"c"},{"data":""}]}"#;
    let echo = request(&base, Method::POST, "/echo", Some(script), quick()).await;
    assert_eq!(
        echo.end,
        sse_conformance::transcript::End::Eof,
        "the stream ends after the script"
    );
    let items: Vec<Item> = echo
        .analyze()
        .items
        .into_iter()
        .map(|t| t.item)
        .filter(|i| !matches!(i, Item::Comment(_)))
        .collect();
    let json: Vec<String> = items
        .iter()
        .filter_map(|i| i.to_json())
        .map(|v| v.to_string())
        .collect();
    assert_eq!(
        json,
        [
            r#"{"kind":"retry","ms":1000}"#,
            r#"{"kind":"retry","ms":250}"#,
            r#"{"data":"x\ny","kind":"event","last_event_id":"7","type":"a"}"#,
            r#"{"data":"","kind":"event","last_event_id":"7","type":"message"}"#,
        ]
    );

    let invalid = request(
        &base,
        Method::POST,
        "/echo",
        Some(r#"{"events":[{"data":"ok"},{"id":"1\n2"}]}"#),
        quick(),
    )
    .await;
    assert_eq!(invalid.status, 400);
    let error: serde_json::Value = serde_json::from_slice(&invalid.body()).unwrap();
    assert_eq!(error["index"], 1);
    assert!(error["error"].as_str().unwrap().contains("id"), "{error}");

    for bad in [
        "not json",
        r#"{"events":[{"data":1}]}"#,
        r#"{"events":[{"dta":"x"}]}"#,
        r#"{"events":[{"retry":-1}]}"#,
    ] {
        let answer = request(&base, Method::POST, "/echo", Some(bad), quick()).await;
        assert_eq!(answer.status, 400, "{bad}");
        assert!(
            serde_json::from_slice::<serde_json::Value>(&answer.body()).unwrap()["error"]
                .is_string()
        );
    }
}

#[tokio::test]
async fn bench_sends_n_events_of_size_s() {
    let base = start().await;
    let bench = request(&base, Method::GET, "/bench?n=500&size=64", None, quick()).await;
    let events: Vec<_> = bench.analyze().events().map(|(_, e)| e.clone()).collect();
    assert_eq!(events.len(), 500);
    assert!(events
        .iter()
        .all(|e| e.data.len() == 64 && e.event_type == "bench"));
    assert_eq!(events[499].last_event_id, "499");
    assert_eq!(
        request(&base, Method::GET, "/bench?n=x", None, quick())
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn the_page_and_the_rest() {
    let base = start().await;
    let page = request(&base, Method::GET, "/", None, quick()).await;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(String::from_utf8(page.body())
        .unwrap()
        .contains("new EventSource('/events')"));
    assert_eq!(
        request(&base, Method::GET, "/nope", None, quick())
            .await
            .status,
        404
    );
    assert_eq!(
        request(&base, Method::DELETE, "/events", None, quick())
            .await
            .status,
        405
    );
}
