//! Two demo instances: sharing a Redis they pass the checker with `--resume-via` the other
//! instance, and keep the `/publish` + `/subscribe` contract across instances (HTTP/1.1 and
//! h2c); in memory, the checker fails `resume` and names the instance that did not know
//! the id.

use std::time::Duration;

use bytes::Bytes;
use http::Method;
use sse_conformance::checks::{CheckOptions, Status};
use sse_conformance::client::{observe, Limits, Target};
use sse_conformance::run::{run_endpoint, RunOptions};
use sse_conformance::Transcript;
use sse_demo::{app, hubs};
use sse_layer::lifecycle::Shutdown;
use sse_layer::SseLayer;
use sse_test_servers::RedisServer;

async fn instance(hubs: hubs::Hubs) -> String {
    let layer = SseLayer::new()
        .heartbeat(Duration::from_millis(500))
        .retry(Duration::from_millis(1000));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(app::serve_until(
        listener,
        layer,
        hubs,
        Shutdown::new(),
        Duration::ZERO,
    ));
    base
}

async fn check_resume_via(a: &str, b: &str, h2: bool) -> sse_conformance::report::Report {
    let mut target = Target::get(&format!("{a}/events?interval_ms=100")).unwrap();
    target.http2_prior_knowledge = h2;
    let options = RunOptions {
        target,
        duration: Duration::from_millis(1500),
        checks: CheckOptions {
            resume_via: Some(format!("{b}/events?interval_ms=100").parse().unwrap()),
            ..CheckOptions::default()
        },
        allow: Vec::new(),
    };
    run_endpoint(&options, &mut |_| {}).await.unwrap()
}

#[tokio::test]
async fn two_instances_on_one_redis_resume_each_others_streams() {
    let redis = RedisServer::start();
    let a = instance(hubs::Hubs::redis(&redis.url()).unwrap()).await;
    let b = instance(hubs::Hubs::redis(&redis.url()).unwrap()).await;
    for h2 in [false, true] {
        let report = check_resume_via(&a, &b, h2).await;
        for id in ["resume", "resume-unknown-id"] {
            let result = report.get(id).unwrap();
            assert_eq!(result.status, Status::Pass, "h2={h2} {id}: {result:?}");
        }
        let not_passed: Vec<_> = report
            .checks
            .iter()
            .filter(|result| matches!(result.status, Status::Fail | Status::Warn))
            .collect();
        assert!(not_passed.is_empty(), "h2={h2}: {not_passed:#?}");
    }
}

#[tokio::test]
async fn two_in_memory_instances_fail_resume_and_the_report_names_the_other_one() {
    let a = instance(hubs::Hubs::memory()).await;
    let b = instance(hubs::Hubs::memory()).await;
    let report = check_resume_via(&a, &b, false).await;
    let resume = report.get("resume").unwrap();
    assert_eq!(resume.status, Status::Fail, "{resume:?}");
    assert!(resume.message.contains(&b), "{}", resume.message);
}

async fn request(
    base: &str,
    method: Method,
    path: &str,
    body: Option<&str>,
    h2: bool,
) -> Transcript {
    let mut target = Target::get(&format!("{base}{path}")).unwrap();
    target.method = method;
    target.body = body.map(|body| Bytes::from(body.to_owned()));
    target.http2_prior_knowledge = h2;
    let limits = Limits {
        duration: Duration::from_secs(3),
        ..Limits::default()
    };
    observe(&target, &limits, &mut |_| {}).await.unwrap()
}

fn body_json(transcript: &Transcript) -> serde_json::Value {
    let body: Vec<u8> = transcript
        .chunks
        .iter()
        .flat_map(|chunk| chunk.bytes.iter().copied())
        .collect();
    serde_json::from_slice(&body).unwrap()
}

/// Reads `/subscribe?topic=T` on `base` until `count` events came.
async fn subscribe(
    base: &str,
    topic: &str,
    last_event_id: Option<&str>,
    count: usize,
    h2: bool,
) -> Transcript {
    let mut target = Target::get(&format!("{base}/subscribe?topic={topic}")).unwrap();
    target.http2_prior_knowledge = h2;
    if let Some(id) = last_event_id {
        target = target.with_header(
            http::HeaderName::from_static("last-event-id"),
            http::HeaderValue::from_str(id).unwrap(),
        );
    }
    let limits = Limits {
        duration: Duration::from_secs(5),
        max_events: Some(count),
        ..Limits::default()
    };
    observe(&target, &limits, &mut |_| {}).await.unwrap()
}

fn events(transcript: &Transcript) -> Vec<(String, String, String)> {
    transcript
        .analyze()
        .events()
        .map(|(_, event)| {
            (
                event.last_event_id.clone(),
                event.event_type.to_string(),
                event.data.clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn publish_on_one_instance_subscribe_and_resume_on_the_other() {
    let mut redis = RedisServer::start();
    let a = instance(hubs::Hubs::redis(&redis.url()).unwrap()).await;
    let b = instance(hubs::Hubs::redis(&redis.url()).unwrap()).await;
    for h2 in [false, true] {
        let topic = if h2 { "news-h2" } else { "news-h1" };
        let publishing = async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let mut ids = Vec::new();
            for n in 1..=3 {
                let body = format!(r#"{{"topic":"{topic}","event":"headline","data":"item {n}"}}"#);
                let answer = request(&a, Method::POST, "/publish", Some(&body), h2).await;
                assert_eq!(answer.status, 202);
                ids.push(body_json(&answer)["id"].as_str().unwrap().to_owned());
            }
            ids
        };
        let (listened, ids) = tokio::join!(subscribe(&b, topic, None, 3, h2), publishing);
        let live = events(&listened);
        let expected: Vec<_> = (1..=3)
            .map(|n| {
                (
                    ids[n - 1].clone(),
                    "headline".to_owned(),
                    format!("item {n}"),
                )
            })
            .collect();
        assert_eq!(live, expected, "h2={h2}");
        // Resume on the instance that did not publish them, from the first.
        let resumed = events(&subscribe(&b, topic, Some(&ids[0]), 2, h2).await);
        assert_eq!(resumed, expected[1..]);
        // Invalid input: 400 with a JSON message.
        for bad in [
            r#"{"topic":"","data":"x"}"#,
            r#"{"topic":"t","event":"a\nb","data":"x"}"#,
            r#"{"topic":"t"}"#,
            r#"{"topic":"t","data":"x","extra":1}"#,
            "not json",
        ] {
            let answer = request(&a, Method::POST, "/publish", Some(bad), h2).await;
            assert_eq!(answer.status, 400, "{bad}");
            assert!(body_json(&answer)["error"].is_string(), "{bad}");
        }
        let missing = request(&a, Method::GET, "/subscribe", None, h2).await;
        assert_eq!(missing.status, 400);
    }
    // Redis away: 503 with a JSON message; back: publishing works again.
    let publish_one = || {
        request(
            &a,
            Method::POST,
            "/publish",
            Some(r#"{"topic":"t","data":"x"}"#),
            false,
        )
    };
    redis.stop(true);
    let answer = publish_one().await;
    assert_eq!(answer.status, 503);
    assert!(body_json(&answer)["error"]
        .as_str()
        .unwrap()
        .contains("unavailable"));
    redis.restart();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while publish_one().await.status != 202 {
        assert!(
            std::time::Instant::now() < deadline,
            "publishing never recovered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
