//! What a hostile server can make the checker hold: bounded by `Limits::max_bytes`, a
//! compressed body included (a gzip bomb in one frame is inflated only up to the limit).

#[path = "support/raw_server.rs"]
mod raw_server;

use std::io::Write;
use std::time::Duration;

use raw_server::server;
use sse_conformance::client::{observe, Limits, Target};
use sse_conformance::transcript::End;
use sse_conformance::Transcript;

/// 64 MiB of event-stream comment bytes, gzipped (about 64 KiB), sent as one frame.
fn gzip_bomb() -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let line = [b':'; 1023];
    for _ in 0..(64 * 1024) {
        encoder.write_all(&line).unwrap();
        encoder.write_all(b"\n").unwrap();
    }
    stream_response("Content-Encoding: gzip\r\n", &encoder.finish().unwrap())
}

/// A `200 text/event-stream` response with `headers` (each ending in CRLF) and `body`.
fn stream_response(headers: &str, body: &[u8]) -> Vec<u8> {
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(body);
    response
}

#[tokio::test]
async fn a_gzip_bomb_is_inflated_only_up_to_the_byte_limit() {
    let bomb = gzip_bomb();
    assert!(bomb.len() < 1 << 20, "the bomb is small on the wire");
    let limits = Limits {
        duration: Duration::from_secs(5),
        max_events: None,
        max_bytes: 256 * 1024,
        only_events_with_id: false,
    };
    let transcript = observe_served(bomb, limits).await;
    let kept: usize = transcript
        .chunks
        .iter()
        .map(|chunk| chunk.bytes.len())
        .sum();
    assert!(
        kept <= limits.max_bytes,
        "kept {kept} bytes, limit {}",
        limits.max_bytes
    );
    assert!(kept >= limits.max_bytes / 2, "kept only {kept} bytes");
    assert_eq!(transcript.end, End::Enough);
}

/// A stream of `lines` copies of `line`, with a Content-Length, then the end.
/// Serves `response` (a whole HTTP response) on loopback and observes it.
async fn observe_served(response: Vec<u8>, limits: Limits) -> Transcript {
    let (base, _) = server(move |_| response.clone()).await;
    let target = Target::get(&format!("{base}/")).unwrap();
    observe(&target, &limits, &mut |_| {}).await.unwrap()
}

/// The default limits, with time enough for a large body on a loaded machine.
fn unhurried() -> Limits {
    Limits {
        duration: Duration::from_secs(20),
        ..Limits::default()
    }
}

fn many_lines(line: &[u8], lines: usize) -> Vec<u8> {
    stream_response("", &line.repeat(lines))
}

#[tokio::test]
async fn a_stream_of_tiny_lines_costs_a_count_not_an_allocation_each() {
    const LINES: usize = 2_000_000;
    for (line, what) in [
        (&b"x\n"[..], "unknown-field lines"),
        (&b":\n"[..], "comment lines"),
    ] {
        let response = many_lines(line, LINES);
        let transcript = observe_served(response, unhurried()).await;
        let analysis = transcript.analyze();
        assert_eq!(analysis.body_bytes, 2 * LINES, "{what}");
        assert!(
            analysis.items.len() <= sse_conformance::transcript::Analysis::SAMPLE,
            "{what}: {} items kept",
            analysis.items.len()
        );
        assert_eq!(
            analysis.comments + analysis.notices,
            LINES,
            "{what}: every line counted"
        );
        // The check that lists ignored fields reports them all, from the counts.
        if line == b"x\n" {
            let results = sse_conformance::checks::judge_all(
                &transcript,
                &sse_conformance::checks::CheckOptions::default(),
                &sse_conformance::checks::Probes::offline(),
                &[],
            );
            let syntax = results
                .iter()
                .find(|result| result.id == "field-syntax")
                .unwrap();
            assert!(
                syntax.message.starts_with(&format!("{LINES} field(s)")),
                "{}",
                syntax.message
            );
        }
    }
}

#[tokio::test]
async fn a_stream_of_tiny_events_is_counted_and_only_a_sample_kept() {
    use sse_conformance::transcript::Analysis;
    const EVENTS: usize = 1_000_000;
    let response = many_lines(b"data:\n\n", EVENTS);
    let transcript = observe_served(response, unhurried()).await;
    let analysis = transcript.analyze();
    assert_eq!(analysis.events, EVENTS, "every event counted");
    assert_eq!(analysis.events().count(), Analysis::EVENT_SAMPLE);
    let results = sse_conformance::checks::judge_all(
        &transcript,
        &sse_conformance::checks::CheckOptions::default(),
        &sse_conformance::checks::Probes::offline(),
        &[],
    );
    let framing = results.iter().find(|r| r.id == "framing").unwrap();
    assert!(
        framing.message.starts_with(&format!("{EVENTS} events")),
        "{}",
        framing.message
    );
}
