//! Heartbeats, under tokio's paused time: a comment after each idle interval, a timer
//! that restarts on every event, and never a heartbeat inside an event.

mod support;

use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body::Frame;
use sse_layer::hub::{Hub, Subscribe};
use sse_layer::{Event, EventStream, SseLayer, StreamOverrides};
use support::{call, event_channel, frames, raw_channel, times_of};

/// A comment line, with no blank line after it: no client sees it as a message.
const HEARTBEAT: &str = ":\n";

#[tokio::test(start_paused = true)]
async fn idle_stream_gets_a_heartbeat_every_interval() {
    let (_sender, response) = event_channel();
    let response = call(SseLayer::new(), Request::new(()), response).await;
    let frames = frames(response.into_body(), Duration::from_secs(61)).await;
    assert_eq!(
        frames[0],
        (Duration::ZERO, ":\n".to_owned()),
        "the first byte goes out at once"
    );
    assert_eq!(times_of(&frames[1..], HEARTBEAT), vec![15, 30, 45, 60]);
}

#[tokio::test(start_paused = true)]
async fn the_timer_restarts_on_every_event() {
    let (sender, response) = event_channel();
    let layer = SseLayer::new().heartbeat(Duration::from_secs(10));
    let response = call(layer, Request::new(()), response).await;
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(4)).await;
        sender.send(Event::new().data("at 4")).await.unwrap();
        tokio::time::sleep(Duration::from_secs(3)).await;
        sender.send(Event::new().data("at 7")).await.unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
    });
    let frames = frames(response.into_body(), Duration::from_secs(40)).await;
    let events: Vec<u64> = frames
        .iter()
        .filter(|(_, f)| f.starts_with("data"))
        .map(|(at, _)| at.as_secs())
        .collect();
    assert_eq!(events, vec![4, 7]);
    assert_eq!(
        times_of(&frames[1..], HEARTBEAT),
        vec![17, 27, 37],
        "10 s after the last event, then every 10 s"
    );
}

#[tokio::test(start_paused = true)]
async fn no_heartbeat_bytes_while_events_flow() {
    let (sender, response) = event_channel();
    let layer = SseLayer::new().heartbeat(Duration::from_secs(5));
    let response = call(layer, Request::new(()), response).await;
    tokio::spawn(async move {
        for n in 0..60 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if sender.send(Event::new().data(n.to_string())).await.is_err() {
                return;
            }
        }
    });
    let frames = frames(response.into_body(), Duration::from_millis(59_500)).await;
    assert_eq!(
        frames.len(),
        1 + 59,
        "the prelude and 59 events: {frames:?}"
    );
    assert!(times_of(&frames[1..], HEARTBEAT).is_empty());
}

/// Feeds a raw body `first`, then `second` 20 s later, and returns the frames.
async fn raw_frames(first: &'static str, second: &'static str) -> Vec<(Duration, String)> {
    let (sender, response) = raw_channel();
    let layer = SseLayer::new().heartbeat(Duration::from_secs(15));
    let response = call(layer, Request::new(()), response).await;
    tokio::spawn(async move {
        sender
            .send(Ok(Frame::data(Bytes::from(first))))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(20)).await;
        sender
            .send(Ok(Frame::data(Bytes::from(second))))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
    });
    frames(response.into_body(), Duration::from_secs(36)).await
}

#[tokio::test(start_paused = true)]
async fn never_inside_a_line_of_a_raw_body() {
    let frames = raw_frames("data: a", "\n\n").await;
    let texts: Vec<&str> = frames.iter().map(|(_, f)| f.as_str()).collect();
    assert_eq!(
        texts,
        vec![":\n", "data: a", "\n\n", HEARTBEAT],
        "nothing at 15 s: the line was open"
    );
    assert_eq!(
        frames[3].0,
        Duration::from_secs(35),
        "15 s after the line was closed at 20 s"
    );
}

#[tokio::test(start_paused = true)]
async fn never_between_a_cr_and_its_lf() {
    // An LF after a heartbeat would end a blank line and dispatch the event early.
    let frames = raw_frames("data: a\r", "\n\r\n").await;
    let texts: Vec<&str> = frames.iter().map(|(_, f)| f.as_str()).collect();
    assert_eq!(texts, vec![":\n", "data: a\r", "\n\r\n", HEARTBEAT]);
}

#[tokio::test(start_paused = true)]
async fn a_comment_line_inside_an_event_changes_nothing_for_clients() {
    let frames = raw_frames("data: a\n", "data: b\n\n").await;
    let texts: Vec<&str> = frames.iter().map(|(_, f)| f.as_str()).collect();
    assert_eq!(
        texts,
        vec![":\n", "data: a\n", HEARTBEAT, "data: b\n\n", HEARTBEAT]
    );
    let wire: String = texts.concat();
    let items = sse_conformance::parser::parse_all(wire.as_bytes()).unwrap();
    let data: Vec<String> = items
        .into_iter()
        .filter_map(|item| match item {
            sse_conformance::parser::Item::Event(event) => Some(event.data),
            _ => None,
        })
        .collect();
    assert_eq!(data, ["a\nb"], "one event, the heartbeat ignored");
}

#[tokio::test(start_paused = true)]
async fn off_means_off() {
    let (_sender, response) = event_channel();
    let response = call(SseLayer::new().no_heartbeat(), Request::new(()), response).await;
    let frames = frames(response.into_body(), Duration::from_secs(300)).await;
    assert_eq!(frames.len(), 1, "only the prelude: {frames:?}");
}

#[tokio::test(start_paused = true)]
async fn custom_comment() {
    let (_sender, response) = event_channel();
    let layer = SseLayer::new()
        .heartbeat(Duration::from_secs(1))
        .heartbeat_comment("ping");
    let response = call(layer, Request::new(()), response).await;
    let frames = frames(response.into_body(), Duration::from_millis(1500)).await;
    assert_eq!(frames[1], (Duration::from_secs(1), ": ping\n".to_owned()));
}

#[tokio::test(start_paused = true)]
async fn a_response_can_set_its_own_heartbeat_or_none() {
    let layer = || SseLayer::new().heartbeat(Duration::from_secs(15));
    let (_sender, receiver) = tokio::sync::mpsc::channel::<Event>(1);
    let events = tokio_stream::wrappers::ReceiverStream::new(receiver);
    let faster = EventStream::new(events)
        .heartbeat(Duration::from_secs(4))
        .into_http_response();
    let response = call(layer(), Request::new(()), faster).await;
    let seen = frames(response.into_body(), Duration::from_secs(13)).await;
    assert_eq!(times_of(&seen[1..], HEARTBEAT), vec![4, 8, 12]);

    let (_sender, receiver) = tokio::sync::mpsc::channel::<Event>(1);
    let events = tokio_stream::wrappers::ReceiverStream::new(receiver);
    let silent = EventStream::new(events).no_heartbeat().into_http_response();
    let response = call(layer(), Request::new(()), silent).await;
    let seen = frames(response.into_body(), Duration::from_secs(61)).await;
    assert_eq!(seen, vec![(Duration::ZERO, ":\n".to_owned())]);
}

#[tokio::test(start_paused = true)]
async fn a_raw_response_overrides_through_its_extensions() {
    let (_sender, mut response) = raw_channel();
    response
        .extensions_mut()
        .insert(StreamOverrides::new().heartbeat(Duration::from_secs(7)));
    let response = call(SseLayer::new(), Request::new(()), response).await;
    let seen = frames(response.into_body(), Duration::from_secs(22)).await;
    assert_eq!(times_of(&seen[1..], HEARTBEAT), vec![7, 14, 21]);
}

#[tokio::test(start_paused = true)]
async fn a_subscription_can_set_its_own_heartbeat() {
    let hub = Hub::new();
    let subscription = hub
        .subscribe(Subscribe::new())
        .heartbeat(Duration::from_secs(3));
    let response = call(
        SseLayer::new(),
        Request::new(()),
        subscription.into_http_response(),
    )
    .await;
    let seen = frames(response.into_body(), Duration::from_secs(10)).await;
    assert_eq!(times_of(&seen[1..], HEARTBEAT), vec![3, 6, 9]);
}
