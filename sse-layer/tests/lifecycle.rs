//! Lifecycle under tokio's paused time: shutdown with a final event within the grace
//! period, maximum lifetime, the write deadline, the stream cap, disconnect reasons and
//! the metrics that count them.

mod support;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use sse_layer::hub::{Hub, Overflow, QueueLimits, Subscribe};
use sse_layer::lifecycle::{DisconnectReason, Shutdown, WriteDeadline};
use sse_layer::{Event, EventStream, SseLayer};
use tokio::io::AsyncWriteExt;
use tower::{service_fn, Layer, Service, ServiceExt};

use support::{call, event_channel, raw_channel};

/// Collects the reasons the layer reports.
fn reasons(layer: SseLayer) -> (SseLayer, Arc<Mutex<Vec<DisconnectReason>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let layer = layer.on_disconnect(move |disconnect| sink.lock().unwrap().push(disconnect.reason));
    (layer, seen)
}

/// Everything `layer` writes for a stream of `items`.
async fn stream_text<S>(layer: SseLayer, request: Request<()>, items: S) -> String
where
    S: futures_util::Stream + Send + 'static,
    S::Item: sse_layer::StreamItem,
{
    let response = call(layer, request, EventStream::new(items).into_http_response()).await;
    body_text(response.into_body()).await
}

async fn body_text<B>(body: B) -> String
where
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Debug,
{
    String::from_utf8(body.collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

#[tokio::test(start_paused = true)]
async fn shutdown_ends_1000_streams_with_a_final_event_within_the_grace_period() {
    let shutdown = Shutdown::new();
    let grace = Duration::from_secs(5);
    let (layer, seen) = reasons(
        SseLayer::new()
            .retry(Duration::from_secs(2))
            .shutdown(shutdown.clone(), grace),
    );
    let mut senders = Vec::new();
    let mut readers = Vec::new();
    for _ in 0..1000 {
        let (sender, response) = event_channel();
        let response = call(layer.clone(), Request::new(()), response).await;
        senders.push(sender);
        readers.push(tokio::spawn(body_text(response.into_body())));
    }
    // Streams are open and idle (their producers never end by themselves).
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = tokio::time::Instant::now();
    shutdown.trigger();
    for reader in readers {
        let text = tokio::time::timeout(grace, reader)
            .await
            .expect("ended within the grace period")
            .unwrap();
        assert!(
            text.ends_with("event: shutdown\nretry: 2000\ndata: {\"reason\":\"shutdown\"}\n\n"),
            "{text:?}"
        );
    }
    assert!(started.elapsed() < grace);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1000);
    assert!(seen
        .iter()
        .all(|reason| *reason == DisconnectReason::Shutdown));
    drop(senders);
}

#[tokio::test(start_paused = true)]
async fn shutdown_waits_for_the_event_being_written_but_not_past_the_grace_period() {
    let shutdown = Shutdown::new();
    // The final event may be set before the signal: the order does not matter.
    let layer = SseLayer::new()
        .no_heartbeat()
        .shutdown_event(|| Event::new().retry(Duration::from_secs(9)).data("bye"))
        .shutdown(shutdown.clone(), Duration::from_secs(3));
    // Half an event, then the producer stalls.
    let (sender, response) = raw_channel();
    let response = call(layer.clone(), Request::new(()), response).await;
    sender
        .send(Ok(Frame::data(Bytes::from_static(b"data: half"))))
        .await
        .unwrap();
    let reader = tokio::spawn(body_text(response.into_body()));
    tokio::time::sleep(Duration::from_millis(10)).await;
    let started = tokio::time::Instant::now();
    shutdown.trigger();
    let text = reader.await.unwrap();
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(3),
        "ended at the grace period"
    );
    assert_eq!(
        text, ":\ndata: half",
        "no final event glued to half an event"
    );

    // When the event completes in time, the final event follows it.
    let shutdown = Shutdown::new();
    let layer = layer.shutdown(shutdown.clone(), Duration::from_secs(3));
    let (sender, response) = raw_channel();
    let response = call(layer, Request::new(()), response).await;
    sender
        .send(Ok(Frame::data(Bytes::from_static(b"data: a"))))
        .await
        .unwrap();
    let reader = tokio::spawn(body_text(response.into_body()));
    tokio::time::sleep(Duration::from_millis(10)).await;
    shutdown.trigger();
    tokio::time::sleep(Duration::from_millis(10)).await;
    sender
        .send(Ok(Frame::data(Bytes::from_static(b"\n\n"))))
        .await
        .unwrap();
    assert_eq!(
        reader.await.unwrap(),
        ":\ndata: a\n\nretry: 9000\ndata: bye\n\n"
    );
}

#[tokio::test(start_paused = true)]
async fn streams_end_at_their_maximum_lifetime_within_the_jitter() {
    let (layer, seen) = reasons(
        SseLayer::new()
            .no_heartbeat()
            .max_lifetime(Duration::from_secs(60), Duration::from_secs(10)),
    );
    let mut lifetimes = Vec::new();
    for _ in 0..20 {
        let (sender, response) = event_channel();
        let response = call(layer.clone(), Request::new(()), response).await;
        let started = tokio::time::Instant::now();
        let text = body_text(response.into_body()).await;
        lifetimes.push(started.elapsed());
        assert_eq!(text, ":\n");
        drop(sender);
    }
    assert!(
        lifetimes
            .iter()
            .all(|life| (Duration::from_secs(60)..=Duration::from_secs(70)).contains(life)),
        "{lifetimes:?}"
    );
    let distinct: std::collections::BTreeSet<_> = lifetimes.iter().collect();
    assert!(distinct.len() > 1, "jittered: {lifetimes:?}");
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .all(|reason| *reason == DisconnectReason::Lifetime));
}

#[tokio::test(start_paused = true)]
async fn the_lifetime_never_cuts_an_event_in_half() {
    let layer = SseLayer::new()
        .no_heartbeat()
        .max_lifetime(Duration::from_secs(10), Duration::ZERO);
    let (sender, response) = raw_channel();
    let response = call(layer, Request::new(()), response).await;
    let reader = tokio::spawn(body_text(response.into_body()));
    sender
        .send(Ok(Frame::data(Bytes::from_static(b"data: long"))))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert!(
        !reader.is_finished(),
        "mid-event at the deadline: wait for the boundary"
    );
    sender
        .send(Ok(Frame::data(Bytes::from_static(b"\n\n"))))
        .await
        .unwrap();
    assert_eq!(reader.await.unwrap(), ":\ndata: long\n\n");

    // A producer stuck mid-event for good: the stream still ends, 10 s past the deadline.
    let layer = SseLayer::new()
        .no_heartbeat()
        .max_lifetime(Duration::from_secs(10), Duration::ZERO);
    let (sender, response) = raw_channel();
    let response = call(layer, Request::new(()), response).await;
    let started = tokio::time::Instant::now();
    let reader = tokio::spawn(body_text(response.into_body()));
    sender
        .send(Ok(Frame::data(Bytes::from_static(b"data: stuck"))))
        .await
        .unwrap();
    assert_eq!(reader.await.unwrap(), ":\ndata: stuck");
    assert_eq!(started.elapsed(), Duration::from_secs(20));
    drop(sender);
}

#[tokio::test(start_paused = true)]
async fn a_client_that_stops_reading_is_dropped_at_the_write_deadline() {
    // The server's side of a connection whose client reads nothing: 1 KiB of buffer.
    let (server, _client) = tokio::io::duplex(1024);
    let mut server = WriteDeadline::new(server, Duration::from_secs(30));
    let stalled = server.stalled();
    let started = tokio::time::Instant::now();
    let chunk = [b'x'; 256];
    let error = loop {
        if let Err(error) = server.write_all(&chunk).await {
            break error;
        }
    };
    assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
    assert_eq!(started.elapsed(), Duration::from_secs(30));
    assert!(stalled.is_set());

    // A reader that keeps up is never cut off, however long it takes in all.
    let (server, mut client) = tokio::io::duplex(1024);
    let mut server = WriteDeadline::new(server, Duration::from_secs(30));
    let reader = tokio::spawn(async move {
        let mut buf = [0; 512];
        let mut total = 0;
        while total < 100 * 256 {
            tokio::time::sleep(Duration::from_secs(10)).await;
            total += tokio::io::AsyncReadExt::read(&mut client, &mut buf)
                .await
                .unwrap();
        }
    });
    for _ in 0..100 {
        server.write_all(&chunk).await.unwrap();
    }
    reader.await.unwrap();
    assert!(!server.stalled().is_set());
}

#[tokio::test]
async fn the_stream_cap_answers_503_with_retry_after() {
    let (layer, _) = reasons(SseLayer::new().max_streams(2, Duration::from_millis(1500)));
    let handler = service_fn(|_request: Request<()>| async {
        let events = futures_util::stream::pending::<Event>();
        Ok::<_, Infallible>(EventStream::new(events).into_http_response())
    });
    let service = layer.layer(handler);
    let first = service.clone().oneshot(Request::new(())).await.unwrap();
    let second = service.clone().oneshot(Request::new(())).await.unwrap();
    assert_eq!(
        (first.status(), second.status()),
        (StatusCode::OK, StatusCode::OK)
    );
    let third = service.clone().oneshot(Request::new(())).await.unwrap();
    assert_eq!(third.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        third.headers()["retry-after"],
        "2",
        "rounded up to whole seconds"
    );
    assert!(body_text(third.into_body()).await.contains("too many"));
    // A place frees up when a stream ends.
    drop(first);
    let fourth = service.clone().oneshot(Request::new(())).await.unwrap();
    assert_eq!(fourth.status(), StatusCode::OK);
    drop(second);
}

#[tokio::test]
async fn every_end_is_reported_with_its_reason() {
    let (layer, seen) = reasons(SseLayer::new().no_heartbeat());
    // Completed: the events ran out.
    let events = futures_util::stream::iter([Event::new().data("a")]);
    stream_text(layer.clone(), Request::new(()), events).await;
    // Error: the stream failed.
    let events = futures_util::stream::iter([Err::<Event, _>(std::io::Error::other("boom"))]);
    stream_text(layer.clone(), Request::new(()), events).await;
    // Client gone: the body was dropped while open.
    let (_sender, response) = event_channel();
    let response = call(layer.clone(), Request::new(()), response).await;
    drop(response);
    // Slow: the hub cut the subscriber off.
    let hub = Hub::builder()
        .queue_limits(QueueLimits {
            events: 1,
            bytes: 1024,
        })
        .overflow(Overflow::Disconnect)
        .build();
    let subscription = hub.subscribe(Subscribe::new());
    let response = call(
        layer.clone(),
        Request::new(()),
        subscription.into_http_response(),
    )
    .await;
    let first = hub.publish("t", Event::new().data("1")).await.unwrap();
    hub.publish("t", Event::new().data("2")).await.unwrap();
    assert_eq!(
        body_text(response.into_body()).await,
        format!(":\nid: {}\ndata: 1\n\n", first.id)
    );
    assert_eq!(
        *seen.lock().unwrap(),
        [
            DisconnectReason::Completed,
            DisconnectReason::Error,
            DisconnectReason::ClientGone,
            DisconnectReason::Slow
        ]
    );
}

#[tokio::test]
async fn an_error_event_never_moves_the_resume_cursor() {
    let layer = SseLayer::new().no_heartbeat().on_error(|_| {
        Event::new()
            .try_id("999")
            .unwrap()
            .event(sse_layer::event_name!("error"))
            .data("x")
    });
    let events = futures_util::stream::iter([
        Ok(Event::new().try_id("1").unwrap().data("a")),
        Err(std::io::Error::other("upstream failed")),
    ]);
    let text = stream_text(layer, Request::new(()), events).await;
    let items = sse_conformance::parser::parse_all(text.as_bytes()).unwrap();
    let last = items
        .iter()
        .rev()
        .filter_map(|item| match item {
            sse_conformance::parser::Item::Event(event) => Some(event),
            _ => None,
        })
        .next()
        .unwrap();
    assert_eq!(
        (last.event_type.as_ref(), last.last_event_id.as_str()),
        ("error", "1")
    );
}

#[test]
fn metrics_count_streams_heartbeats_disconnects_and_replays() {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(async {
            let layer = SseLayer::new().heartbeat(Duration::from_secs(1));
            let hub = Hub::new();
            let first = hub.publish("t", Event::new().data("1")).await.unwrap();
            let subscription = hub.subscribe(Subscribe::new().last_event_id(first.id));
            let expired = hub.subscribe(Subscribe::new().last_event_id("nope"));
            drop(expired);
            let response = call(layer, Request::new(()), subscription.into_http_response()).await;
            let mut body = response.into_body();
            // The first byte, then two heartbeats.
            for _ in 0..3 {
                body.frame().await.unwrap().unwrap();
            }
            drop(body);
            // Events are counted where they are made: here, an EventStream of two.
            let events =
                futures_util::stream::iter([Event::new().data("a"), Event::new().data("b")]);
            stream_text(SseLayer::new(), Request::new(()), events).await;
        });
    });
    let counters: std::collections::HashMap<String, u64> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter_map(|(key, _, _, value)| match value {
            DebugValue::Counter(count) => {
                let key = key.key();
                let labels: Vec<String> = key
                    .labels()
                    .map(|label| format!("{}={}", label.key(), label.value()))
                    .collect();
                Some((format!("{}{{{}}}", key.name(), labels.join(",")), count))
            }
            _ => None,
        })
        .collect();
    let count = |name: &str| counters.get(name).copied().unwrap_or(0);
    assert_eq!(count("sse_heartbeats_total{}"), 2);
    assert_eq!(count("sse_disconnects_total{reason=client_gone}"), 1);
    assert_eq!(count("sse_hub_published_total{}"), 1);
    assert_eq!(count("sse_events_sent_total{}"), 2);
    assert_eq!(count("sse_streams_opened_total{}"), 2);
    assert_eq!(count("sse_disconnects_total{reason=completed}"), 1);
    assert_eq!(count("sse_replay_total{outcome=hit}"), 1);
    assert_eq!(count("sse_replay_total{outcome=unknown}"), 1);
    assert_eq!(
        count("sse_stream_bytes_total{}"),
        6 + 2 + 18,
        "the subscription's first byte and two heartbeats (`:` + LF each), then the \
         EventStream's first byte and `data: a` / `data: b` (9 bytes each)"
    );
}

#[tokio::test]
async fn a_hub_subscription_behind_the_layer_resumes_from_the_header() {
    let hub = Hub::new();
    let handler = {
        let hub = hub.clone();
        service_fn(move |request: Request<()>| {
            let subscription = hub.subscribe(Subscribe::new().resume_from(&request));
            async move { Ok::<_, Infallible>(subscription.into_http_response()) }
        })
    };
    let mut service = SseLayer::new().layer(handler);
    let first = hub.publish("t", Event::new().data("a")).await.unwrap();
    let second = hub.publish("t", Event::new().data("b")).await.unwrap();
    let request = Request::builder()
        .header("last-event-id", &first.id)
        .body(())
        .unwrap();
    let response: Response<_> = service.ready().await.unwrap().call(request).await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body();
    body.frame().await.unwrap().unwrap();
    let frame = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(frame, format!("id: {}\ndata: b\n\n", second.id));
}

#[tokio::test]
async fn the_disconnect_report_names_the_path_and_counts_the_bytes() {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = reports.clone();
    let layer = SseLayer::new()
        .no_heartbeat()
        .on_disconnect(move |disconnect| sink.lock().unwrap().push(disconnect.clone()));
    let events = futures_util::stream::iter([Event::new().data("hello")]);
    let request = Request::get("/feed?x=1").body(()).unwrap();
    let text = stream_text(layer, request, events).await;
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].path, "/feed");
    assert_eq!(reports[0].bytes, text.len() as u64);
    assert_eq!(reports[0].reason, DisconnectReason::Completed);
}
