//! A fixed parse workload for `valgrind --tool=callgrind` (repeatable instruction counts):
//! `cargo build --release -p sse-bench --example profile_parse` then
//! `valgrind --tool=callgrind target/release/examples/profile_parse small|large|ticker [borrowed]`.

use sse_conformance::parser::{Item, ItemRef, Parser};

fn main() {
    let kind = std::env::args().nth(1).unwrap_or_else(|| "small".into());
    let input: Vec<u8> = match kind.as_str() {
        "large" => (0..16)
            .flat_map(|_| format!("data: {}\n\n", "x".repeat(64 * 1024)).into_bytes())
            .collect(),
        "ticker" => (1..20_000u64)
            .flat_map(|n| format!("event: tick\nid: {n}\ndata: {{\"n\":{n}}}\n\n").into_bytes())
            .collect(),
        _ => (0..20_000u32)
            .flat_map(|i| format!("data: {{\"token\":\"tok\",\"i\":{i:0>15}}}\n\n").into_bytes())
            .collect(),
    };
    let borrowed = std::env::args()
        .nth(2)
        .is_some_and(|mode| mode == "borrowed");
    let passes: usize = std::env::var("PASSES")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5);
    let started = std::time::Instant::now();
    let mut events = 0usize;
    if std::env::args()
        .nth(2)
        .is_some_and(|mode| mode == "sse-stream")
    {
        // The same workload through the fastest peer, for comparison.
        use futures_util::StreamExt;
        let chunks: Vec<bytes::Bytes> = input
            .chunks(16 * 1024)
            .map(bytes::Bytes::copy_from_slice)
            .collect();
        for _ in 0..passes {
            let stream = futures_util::stream::iter(
                chunks
                    .iter()
                    .cloned()
                    .map(Ok::<_, std::convert::Infallible>),
            );
            let mut events_stream = sse_stream::SseByteStream::new(stream);
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            while let std::task::Poll::Ready(Some(item)) = events_stream.poll_next_unpin(&mut cx) {
                item.unwrap();
                events += 1;
            }
        }
        report(events, input.len(), passes, started);
        return;
    }
    for _ in 0..passes {
        let mut parser = Parser::new();
        for chunk in input.chunks(16 * 1024) {
            if borrowed {
                parser
                    .feed_borrowed(chunk, |item| {
                        events += usize::from(matches!(item, ItemRef::Event(_)))
                    })
                    .unwrap();
            } else {
                parser
                    .feed(chunk, |item| {
                        events += usize::from(matches!(item, Item::Event(_)))
                    })
                    .unwrap();
            }
        }
        parser.finish();
    }
    report(events, input.len(), passes, started);
}

fn report(events: usize, bytes: usize, passes: usize, started: std::time::Instant) {
    let seconds = started.elapsed().as_secs_f64();
    let mib_per_s = (bytes * passes) as f64 / seconds / (1 << 20) as f64;
    println!("{events} events, {bytes} bytes per pass, {mib_per_s:.0} MiB/s");
}
