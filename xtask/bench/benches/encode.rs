//! Encode: events in, response-body frames out. sse-layer's `EventStream` (ready events
//! batched into one frame) and its per-event `Event::encode`, against axum's `Sse` body
//! and actix-web-lab's encoder (`russe`), on the same events. Run with `cargo xtask bench`.
//!
//! Every event is built inside the timed loop from owned `String`s, as a handler builds
//! them from what it produced; the bodies are polled with a no-op waker (their streams are
//! always ready), and the bytes they yield are counted so nothing is optimised away.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use futures_util::stream;
use http_body::Body;

/// One kind of event, as strings the handler owns.
struct Shape {
    name: &'static str,
    data: String,
    id_and_event: bool,
}

fn shapes() -> Vec<Shape> {
    let token = r#"{"token":"hello "}"#.to_owned(); // ~20 bytes, an LLM token
    let notification = format!(
        r#"{{"type":"notification","user":42,"text":"{}"}}"#,
        "x".repeat(150)
    );
    let large: String = (0..820).map(|i| format!("{:079}\n", i)).collect(); // ~64 KiB, line breaks
    vec![
        Shape {
            name: "token",
            data: token.clone(),
            id_and_event: false,
        },
        Shape {
            name: "token+id+event",
            data: token,
            id_and_event: true,
        },
        Shape {
            name: "notification 200B",
            data: notification,
            id_and_event: true,
        },
        Shape {
            name: "large 64KiB",
            data: large,
            id_and_event: false,
        },
    ]
}

/// Polls a body to the end, returning the bytes it yielded.
fn drain_body<B: Body + Unpin>(mut body: B) -> usize
where
    B::Error: std::fmt::Debug,
{
    use bytes::Buf;
    let mut cx = Context::from_waker(Waker::noop());
    let mut bytes = 0;
    loop {
        match Pin::new(&mut body).poll_frame(&mut cx) {
            Poll::Ready(Some(frame)) => {
                if let Ok(data) = frame.unwrap().into_data() {
                    bytes += data.remaining();
                }
            }
            Poll::Ready(None) => return bytes,
            Poll::Pending => unreachable!("always-ready streams"),
        }
    }
}

fn sse_layer_stream(shape: &Shape, n: usize) -> usize {
    let events = (0..n).map(|i| {
        let event = sse_layer::Event::new().data(shape.data.clone());
        if shape.id_and_event {
            event.id(i).event(sse_layer::event_name!("token"))
        } else {
            event
        }
    });
    drain_body(sse_layer::EventStream::new(stream::iter(events)))
}

fn sse_layer_per_event(shape: &Shape, n: usize) -> usize {
    (0..n)
        .map(|i| {
            let event = sse_layer::Event::new().data(shape.data.clone());
            let event = if shape.id_and_event {
                event.id(i).event(sse_layer::event_name!("token"))
            } else {
                event
            };
            event.encode().len()
        })
        .sum()
}

fn axum_sse(shape: &Shape, n: usize) -> usize {
    use axum::response::IntoResponse;
    // axum's response needs a 'static stream: the closure owns its copy of the shape.
    let (data, id_and_event) = (shape.data.clone(), shape.id_and_event);
    let events = (0..n).map(move |i| {
        let event = axum::response::sse::Event::default().data(data.clone());
        let event = if id_and_event {
            event.id(i.to_string()).event("token")
        } else {
            event
        };
        Ok::<_, Infallible>(event)
    });
    let body = axum::response::sse::Sse::new(stream::iter(events))
        .into_response()
        .into_body();
    drain_body(body)
}

fn russe_encoder(shape: &Shape, n: usize) -> usize {
    use tokio_util::codec::Encoder;
    let mut encoder = russe::Encoder::default();
    let mut buf = BytesMut::new();
    (0..n)
        .map(|i| {
            let message = russe::Message {
                data: shape.data.clone().into(),
                event: shape.id_and_event.then(|| "token".into()),
                retry: None,
                id: shape.id_and_event.then(|| i.to_string().into()),
            };
            encoder
                .encode(russe::Event::Message(message), &mut buf)
                .unwrap();
            buf.split().freeze().len()
        })
        .sum()
}

type EncodeFn = fn(&Shape, usize) -> usize;

fn encode(c: &mut Criterion) {
    let encoders: [(&str, EncodeFn); 4] = [
        ("sse-layer EventStream", sse_layer_stream),
        ("sse-layer Event::encode", sse_layer_per_event),
        ("axum 0.8.9 Sse", axum_sse),
        ("russe 0.3.1 (actix-web-lab)", russe_encoder),
    ];
    for shape in shapes() {
        let n = if shape.data.len() > 10_000 {
            100
        } else {
            10_000
        };
        // The same events must come out the same size everywhere, or the comparison means
        // nothing. One byte per event is allowed: for an empty last line (data ending in a
        // line break) axum writes `data: `, sse-layer `data:`; both parse the same.
        let expected = sse_layer_per_event(&shape, n);
        for (name, run) in &encoders[2..] {
            let got = run(&shape, n);
            assert!(
                got.abs_diff(expected) <= n,
                "{name} encoded {got} bytes for {}, sse-layer {expected}",
                shape.name
            );
        }
        let mut group = c.benchmark_group(format!("encode/{}", shape.name));
        group.throughput(Throughput::Elements(n as u64));
        for (name, run) in &encoders {
            group.bench_with_input(BenchmarkId::from_parameter(name), &shape, |b, shape| {
                b.iter(|| run(shape, n))
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(3));
    targets = encode
}
criterion_main!(benches);
