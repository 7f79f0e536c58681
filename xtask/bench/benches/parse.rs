//! Parse throughput: sse-conformance's parser against eventsource-stream and sse-stream,
//! on the same bytes in the same 16 KiB chunks. Run with `cargo xtask bench`.
//!
//! The peers are `Stream` adapters, so they are driven by polling with a no-op waker (the
//! input stream is always ready): what is measured is their parsing plus the thin stream
//! plumbing their API requires. Ours is fed chunk by chunk, as a client would.

use std::convert::Infallible;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use futures_util::{stream, Stream, StreamExt};
use sse_conformance::parser::{Item, ItemRef, Parser};

const CHUNK: usize = 16 * 1024;

/// Parses all chunks, returning the number of events.
type ParseFn = fn(&[Bytes]) -> usize;

/// LLM-token-like events of exactly 45 bytes each, ~1 MiB in all.
fn small_events() -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0u32;
    while out.len() < 1 << 20 {
        // `data: {"token":"tok","i":NNNNNNNNNNNNNNN}\n\n` padded to 45 bytes.
        let event = format!("data: {{\"token\":\"tok\",\"i\":{i:0>15}}}\n\n");
        debug_assert_eq!(event.len(), 45);
        out.extend_from_slice(event.as_bytes());
        i += 1;
    }
    out
}

/// 16 events of one 64 KiB data line each.
fn large_lines() -> Vec<u8> {
    let line = "x".repeat(64 * 1024);
    (0..16)
        .flat_map(|_| format!("data: {line}\n\n").into_bytes())
        .collect()
}

/// A ticker like the demo's: event name, id and JSON data, ~1 MiB.
fn ticker() -> Vec<u8> {
    let mut out = Vec::new();
    let mut n = 1u64;
    while out.len() < 1 << 20 {
        out.extend_from_slice(format!("event: tick\nid: {n}\ndata: {{\"n\":{n}}}\n\n").as_bytes());
        n += 1;
    }
    out
}

fn chunks(input: &[u8]) -> Vec<Bytes> {
    input.chunks(CHUNK).map(Bytes::copy_from_slice).collect()
}

fn ours(chunks: &[Bytes]) -> usize {
    let mut parser = Parser::new();
    let mut events = 0;
    for chunk in chunks {
        parser
            .feed(chunk, |item| {
                events += usize::from(matches!(item, Item::Event(_)))
            })
            .unwrap();
    }
    parser.finish();
    events
}

/// The zero-copy API: events borrowed from the parser's buffers.
fn ours_borrowed(chunks: &[Bytes]) -> usize {
    let mut parser = Parser::new();
    let mut events = 0;
    for chunk in chunks {
        parser
            .feed_borrowed(chunk, |item| {
                events += usize::from(matches!(item, ItemRef::Event(_)))
            })
            .unwrap();
    }
    parser.finish();
    events
}

/// Drains an always-ready stream, counting successful items.
fn drain<S, T, E>(stream: S) -> usize
where
    S: Stream<Item = Result<T, E>> + Unpin,
    E: std::fmt::Debug,
{
    let mut stream = stream;
    let mut cx = Context::from_waker(Waker::noop());
    let mut events = 0;
    loop {
        match stream.poll_next_unpin(&mut cx) {
            Poll::Ready(Some(item)) => {
                item.unwrap();
                events += 1;
            }
            Poll::Ready(None) => return events,
            Poll::Pending => unreachable!("the input stream is always ready"),
        }
    }
}

fn byte_stream(chunks: &[Bytes]) -> impl Stream<Item = Result<Bytes, Infallible>> + Unpin + '_ {
    stream::iter(chunks.iter().cloned().map(Ok))
}

fn eventsource_stream(chunks: &[Bytes]) -> usize {
    use eventsource_stream::Eventsource;
    drain(byte_stream(chunks).eventsource())
}

fn sse_stream(chunks: &[Bytes]) -> usize {
    drain(sse_stream::SseByteStream::new(byte_stream(chunks)))
}

fn parse(c: &mut Criterion) {
    let inputs = [
        ("45-byte events", small_events()),
        ("64KiB data lines", large_lines()),
        ("ticker with ids", ticker()),
    ];
    let parsers: [(&str, ParseFn); 4] = [
        ("sse-conformance (owned)", ours),
        ("sse-conformance (borrowed)", ours_borrowed),
        ("sse-stream 0.3.0", sse_stream),
        ("eventsource-stream 0.2.3", eventsource_stream),
    ];
    for (name, input) in &inputs {
        let chunks = chunks(input);
        // Same input, same answer, or the comparison means nothing.
        let expected = ours(&chunks);
        for (parser, run) in &parsers {
            assert_eq!(run(&chunks), expected, "{parser} disagrees on {name}");
        }
        let mut group = c.benchmark_group(format!("parse/{name}"));
        group.throughput(Throughput::Bytes(input.len() as u64));
        for (parser, run) in &parsers {
            group.bench_with_input(BenchmarkId::from_parameter(parser), &chunks, |b, chunks| {
                b.iter(|| run(chunks))
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(3));
    targets = parse
}
criterion_main!(benches);
