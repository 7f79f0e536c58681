//! `sse-conformance serve`: recorded fixtures played back as a server, with their status,
//! headers, bytes and timing; and `testing::snapshot_url` against it.

use std::path::Path;
use std::time::Duration;

use sse_conformance::client::{observe, Limits, Target};
use sse_conformance::transcript::End;
use sse_conformance::Transcript;

async fn serve_fixtures() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/servers");
    let fixtures = sse_conformance::serve::load(&dir).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(sse_conformance::serve::serve(listener, fixtures));
    base
}

fn fixture(name: &str) -> Transcript {
    Transcript::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../fixtures/servers/{name}.json")),
    )
    .unwrap()
}

fn limits(seconds: u64) -> Limits {
    Limits {
        duration: Duration::from_secs(seconds),
        ..Limits::default()
    }
}

fn events(transcript: &Transcript) -> Vec<(String, String, String)> {
    transcript
        .analyze()
        .events()
        .map(|(_, e)| {
            (
                e.event_type.to_string(),
                e.data.clone(),
                e.last_event_id.clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_recorded_stream_plays_back_with_its_bytes_and_timing() {
    let base = serve_fixtures().await;
    let recorded = fixture("good-chat");
    for h2 in [false, true] {
        let mut target = Target::get(&format!("{base}/good-chat")).unwrap();
        target.http2_prior_knowledge = h2;
        let played = observe(&target, &limits(10), &mut |_| {}).await.unwrap();
        assert_eq!(played.status, recorded.status);
        assert_eq!(
            played.header("content-type"),
            recorded.header("content-type")
        );
        assert_eq!(played.body(), recorded.body(), "the same bytes");
        assert_eq!(events(&played), events(&recorded));
        assert_eq!(
            played.end,
            End::Eof,
            "the recording ended, so does the playback"
        );
        // Each chunk no earlier than recorded (relative to the headers), give or take the
        // scheduling noise of a loaded machine in when the headers are seen.
        let last_recorded = recorded.chunks.last().unwrap().at_ms - recorded.headers_at_ms;
        let last_played = played.chunks.last().unwrap().at_ms - played.headers_at_ms;
        assert!(
            last_played >= last_recorded - 25.0,
            "played {last_played} ms, recorded {last_recorded} ms"
        );
    }
}

#[tokio::test]
async fn anti_patterns_play_back_as_recorded() {
    let base = serve_fixtures().await;
    let wrong = observe(
        &Target::get(&format!("{base}/wrong-content-type")).unwrap(),
        &limits(2),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(wrong.header("content-type"), Some("application/json"));
    let length = observe(
        &Target::get(&format!("{base}/content-length")).unwrap(),
        &limits(2),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(
        length.header("content-length"),
        Some("9"),
        "a true recorded length is kept"
    );
    let broken = observe(
        &Target::get(&format!("{base}/broken-connection")).unwrap(),
        &limits(2),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert!(matches!(broken.end, End::Error { .. }), "{:?}", broken.end);
    let status = observe(
        &Target::get(&format!("{base}/status-500")).unwrap(),
        &limits(2),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(status.status, 500);
    let missing = observe(
        &Target::get(&format!("{base}/nope")).unwrap(),
        &limits(2),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(missing.status, 404);
    assert!(
        String::from_utf8_lossy(&missing.body()).contains("/good-ticker"),
        "it lists what it serves"
    );
}

#[tokio::test]
async fn snapshot_url_renders_a_stream() {
    let base = serve_fixtures().await;
    let snapshot = sse_conformance::testing::snapshot_url(
        &format!("{base}/unknown-fields"),
        sse_conformance::testing::stop_after(1, 5),
    )
    .await
    .unwrap();
    insta::assert_snapshot!(snapshot, @r###"
    status: 200
    cache-control: no-cache, no-transform
    content-type: text/event-stream
    x-accel-buffering: no
    ---
    ignored field: "Data"
    ignored retry: "5s"
    ignored field: "message"
    event: message
      data: kept
    --- still open
    "###);
}
