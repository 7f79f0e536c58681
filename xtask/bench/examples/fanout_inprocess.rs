//! Fan-out without sockets: `fanout_inprocess hub|shared|axum N EVENTS GAP_MS`. N tasks
//! each poll the response body a server would write (the hub's subscription behind
//! `SseLayer`; `shared`: two hub instances on the engine at `SSE_BENCH_ENGINE_URL` (Redis or NATS),
//! N/2 subscribers each, publishing on the first; or axum's `Sse` over a
//! `tokio::sync::broadcast` receiver); EVENTS events are published GAP_MS apart. Measures publish-to-handoff latency: from publish to the moment the
//! body hands the event's bytes to the server, which is the fan-out's own cost, without
//! the kernel and the clients. Prints
//! `result P50_US P99_US DELIVERED EXPECTED LONGEST_PUBLISH_US`.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::response::IntoResponse;
use bytes::Bytes;
use http_body_util::BodyExt;
use sse_layer::hub::{Hub, Subscribe};
use sse_layer::{Event, SseLayer};
use tokio::time::Instant;
use tower::{service_fn, Layer, ServiceExt};

#[path = "shared/engines.rs"]
mod engines;
#[path = "shared/fanout.rs"]
mod fanout;

use fanout::print_result;

static EPOCH: OnceLock<Instant> = OnceLock::new();

fn since_epoch() -> u64 {
    EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// Reads frames until `events` publish times were seen; returns their latencies in ns.
async fn read<B>(mut body: B, events: usize) -> Vec<u64>
where
    B: http_body::Body<Data = Bytes> + Unpin,
{
    let mut latencies = Vec::with_capacity(events);
    while latencies.len() < events {
        let Some(Ok(frame)) = body.frame().await else {
            break;
        };
        let now = since_epoch();
        let Ok(data) = frame.into_data() else {
            continue;
        };
        for line in data.split(|&b| b == b'\n') {
            if let Some(published) = line.strip_prefix(b"data: ") {
                let published: u64 = std::str::from_utf8(published).unwrap().parse().unwrap();
                latencies.push(now - published);
            }
        }
    }
    latencies
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: fanout_inprocess hub|axum N EVENTS GAP_MS";
    let mut args = std::env::args().skip(1);
    let kind = args.next().ok_or(usage)?;
    let count: usize = args.next().ok_or(usage)?.parse()?;
    let events: usize = args.next().ok_or(usage)?.parse()?;
    let gap = Duration::from_millis(args.next().ok_or(usage)?.parse()?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        since_epoch();
        let mut readers = Vec::with_capacity(count);
        let mut keep_alive = Vec::new();
        let publish: Box<dyn Fn() + Send> = match kind.as_str() {
            "hub" => {
                let hub = Hub::new();
                let service = SseLayer::new().layer(service_fn({
                    let hub = hub.clone();
                    move |_request: http::Request<()>| {
                        let subscription = hub.subscribe(Subscribe::topic("bench"));
                        async move { Ok::<_, Infallible>(subscription.into_http_response()) }
                    }
                }));
                for _ in 0..count {
                    let response = service
                        .clone()
                        .oneshot(http::Request::new(()))
                        .await
                        .unwrap();
                    readers.push(tokio::spawn(read(response.into_body(), events)));
                }
                Box::new(move || {
                    let event = Event::new().data(since_epoch().to_string());
                    // In memory a publish completes at once.
                    futures_util::FutureExt::now_or_never(hub.publish("bench", event))
                        .expect("a hub in memory publishes at once")
                        .unwrap();
                })
            }
            "shared" => {
                let url = std::env::var("SSE_BENCH_ENGINE_URL")
                    .expect("SSE_BENCH_ENGINE_URL names the engine for `shared`");
                let name = format!("fanout-inprocess-{}", std::process::id());
                let instances: Vec<Hub> = (0..2)
                    .map(|_| engines::hub(&url, &name, 0).unwrap())
                    .collect();
                for index in 0..count {
                    let hub = instances[index % 2].clone();
                    let service =
                        SseLayer::new().layer(service_fn(move |_request: http::Request<()>| {
                            let subscription = hub.subscribe(Subscribe::topic("bench"));
                            async move { Ok::<_, Infallible>(subscription.into_http_response()) }
                        }));
                    let response = service.oneshot(http::Request::new(())).await.unwrap();
                    readers.push(tokio::spawn(read(response.into_body(), events)));
                }
                // Both followers must have read the log before the first publish.
                instances[0]
                    .publish("warm-up", Event::new().data("0"))
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(300)).await;
                let publisher = instances[0].clone();
                // The instances live as long as the run: dropping one ends its streams.
                keep_alive.extend(instances);
                Box::new(move || {
                    let publisher = publisher.clone();
                    let event = Event::new().data(since_epoch().to_string());
                    tokio::spawn(async move { publisher.publish("bench", event).await.unwrap() });
                })
            }
            "axum" => {
                let (sender, _) = tokio::sync::broadcast::channel::<Arc<String>>(1024);
                for _ in 0..count {
                    let receiver = sender.subscribe();
                    let stream =
                        futures_util::stream::unfold(receiver, |mut receiver| async move {
                            let data = receiver.recv().await.ok()?;
                            Some((
                                Ok::<_, Infallible>(
                                    axum::response::sse::Event::default().data(data.as_str()),
                                ),
                                receiver,
                            ))
                        });
                    let body = axum::response::sse::Sse::new(stream)
                        .into_response()
                        .into_body();
                    readers.push(tokio::spawn(read(body, events)));
                }
                Box::new(move || {
                    let _ = sender.send(Arc::new(since_epoch().to_string()));
                })
            }
            other => panic!("{usage}: unknown kind {other}"),
        };
        // Let every reader reach its first poll, then publish from a worker, as a server
        // does (the block_on thread would be a third thread on two cores).
        tokio::time::sleep(Duration::from_millis(200)).await;
        let longest = tokio::spawn(async move {
            let mut longest = Duration::ZERO;
            for _ in 0..events {
                tokio::time::sleep(gap).await;
                let started = Instant::now();
                publish();
                longest = longest.max(started.elapsed());
            }
            longest
        })
        .await
        .unwrap();
        let mut all = Vec::with_capacity(count * events);
        for reader in readers {
            all.extend(reader.await.unwrap());
        }
        print_result(all, count * events, longest.as_secs_f64() * 1e6);
        drop(keep_alive);
    });
    Ok(())
}
