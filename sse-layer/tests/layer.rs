//! The layer in process: which responses it touches, what it does to them, the error
//! event, the retry hint, and the Last-Event-ID extension.

mod support;

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream;
use http::{Request, Response, StatusCode};
use http_body::Frame;
use http_body_util::{BodyExt, Full};
use sse_layer::{Event, EventStream, LastEventId, SseLayer};
use support::{call, frames, raw_channel};
use tower::{service_fn, Layer, ServiceExt};

#[tokio::test]
async fn other_responses_pass_through_untouched() {
    for status in [
        StatusCode::UNAUTHORIZED,
        StatusCode::NO_CONTENT,
        StatusCode::NOT_FOUND,
        StatusCode::FORBIDDEN,
    ] {
        let response = Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .header("content-length", "14")
            .body(Full::new(Bytes::from(r#"{"error":"no"}"#)))
            .unwrap();
        let response = call(SseLayer::new(), Request::new(()), response).await;
        assert_eq!(response.status(), status);
        assert_eq!(response.headers().len(), 2, "{:?}", response.headers());
        assert_eq!(response.headers()["content-length"], "14");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, r#"{"error":"no"}"#);
    }
    // A 200 that is not an event stream is left alone too.
    let response = call(
        SseLayer::new(),
        Request::new(()),
        Response::new(Full::new(Bytes::from("hi"))),
    )
    .await;
    assert!(response.headers().get("x-accel-buffering").is_none());
    assert_eq!(
        response.into_body().collect().await.unwrap().to_bytes(),
        "hi"
    );
}

#[tokio::test]
async fn stream_headers_are_fixed_and_handler_headers_kept() {
    let (_sender, mut response) = raw_channel();
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        "text/event-stream; charset=utf-8".parse().unwrap(),
    );
    headers.insert("set-cookie", "session=abc; HttpOnly".parse().unwrap());
    headers.insert("content-length", "100".parse().unwrap());
    headers.insert("connection", "keep-alive".parse().unwrap());
    headers.insert("keep-alive", "timeout=5".parse().unwrap());
    headers.insert("cache-control", "no-cache".parse().unwrap());
    let response = call(SseLayer::new(), Request::new(()), response).await;
    let headers = response.headers();
    assert_eq!(headers["content-type"], "text/event-stream; charset=utf-8");
    assert_eq!(headers["set-cookie"], "session=abc; HttpOnly");
    assert_eq!(headers["cache-control"], "no-cache, no-transform");
    assert_eq!(headers["x-accel-buffering"], "no");
    for gone in ["content-length", "connection", "keep-alive"] {
        assert!(headers.get(gone).is_none(), "{gone} must go");
    }
}

#[tokio::test]
async fn a_stream_error_becomes_one_complete_error_event() {
    let events = stream::iter(vec![
        Ok(Event::new().data("one")),
        Ok(Event::new().data("two")),
        Err(std::io::Error::other("database gone")),
        Ok(Event::new().data("never")),
    ]);
    let response = call(
        SseLayer::new().no_heartbeat(),
        Request::new(()),
        EventStream::new(events).into_http_response(),
    )
    .await;
    let sent = wire(response.into_body()).await;
    assert_eq!(
        sent,
        ":\ndata: one\n\ndata: two\n\nevent: error\ndata: stream error\n\n"
    );
}

#[tokio::test]
async fn the_error_event_is_configurable_and_sees_the_error() {
    let events = stream::iter(vec![Err::<Event, _>(std::io::Error::other("quota"))]);
    let layer = SseLayer::new().no_heartbeat().on_error(|error| {
        Event::new()
            .event(sse_layer::event_name!("failed"))
            .data(format!("{{\"reason\":\"{error}\"}}"))
    });
    let response = call(
        layer,
        Request::new(()),
        EventStream::new(events).into_http_response(),
    )
    .await;
    let sent = wire(response.into_body()).await;
    assert_eq!(sent, ":\nevent: failed\ndata: {\"reason\":\"quota\"}\n\n");
}

#[tokio::test]
async fn an_error_mid_event_ends_the_stream_without_half_an_event() {
    let (sender, response) = raw_channel();
    sender
        .send(Ok(Frame::data(Bytes::from("data: complete\n\ndata: half"))))
        .await
        .unwrap();
    drop(sender); // the raw body ends mid-event; a body error behaves the same way below
    let response = call(SseLayer::new().no_heartbeat(), Request::new(()), response).await;
    let sent = wire(response.into_body()).await;
    assert_eq!(sent, ":\ndata: complete\n\ndata: half");

    // A body that fails mid-event: no error event is appended to the half event.
    let failing = http_body_util::StreamBody::new(stream::iter(vec![
        Ok(Frame::data(Bytes::from("data: half"))),
        Err(std::io::Error::other("boom")),
    ]));
    let response = Response::builder()
        .header("content-type", "text/event-stream")
        .body(failing)
        .unwrap();
    let response = call(SseLayer::new().no_heartbeat(), Request::new(()), response).await;
    let sent = wire(response.into_body()).await;
    assert_eq!(
        sent, ":\ndata: half",
        "the client discards the unfinished event"
    );
}

#[tokio::test]
async fn retry_hint_first_with_bounded_jitter() {
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let layer = SseLayer::new()
            .retry(Duration::from_millis(2000))
            .retry_jitter(Duration::from_millis(1000));
        let response = call(
            layer,
            Request::new(()),
            EventStream::new(stream::empty::<Event>()).into_http_response(),
        )
        .await;
        let first = frames(response.into_body(), Duration::from_secs(1))
            .await
            .remove(0)
            .1;
        let ms: u64 = first
            .strip_prefix("retry: ")
            .unwrap()
            .strip_suffix('\n')
            .unwrap()
            .parse()
            .unwrap();
        assert!((2000..=3000).contains(&ms), "{ms}");
        seen.insert(ms);
    }
    assert!(seen.len() > 5, "jitter should spread the hints: {seen:?}");
}

#[tokio::test]
async fn a_response_can_drop_or_change_the_retry_hint() {
    let layer = || SseLayer::new().retry(Duration::from_millis(2000));
    let first_frame = |response: Response<EventStream<_>>| async move {
        let response = call(layer(), Request::new(()), response).await;
        frames(response.into_body(), Duration::from_secs(1))
            .await
            .remove(0)
            .1
    };
    let events = || stream::iter([Event::new().data("x")]);
    assert_eq!(
        first_frame(EventStream::new(events()).into_http_response()).await,
        "retry: 2000\n",
        "the layer's hint by default"
    );
    assert_eq!(
        first_frame(EventStream::new(events()).no_retry().into_http_response()).await,
        ":\n",
        "no hint: the stream still opens at once, with a comment"
    );
    assert_eq!(
        first_frame(
            EventStream::new(events())
                .retry(Duration::from_secs(30))
                .into_http_response()
        )
        .await,
        "retry: 30000\n"
    );
}

/// Everything the body sends within 5 s, as one string.
async fn wire<B>(body: B) -> String
where
    B: http_body::Body<Data = Bytes>,
    B::Error: std::fmt::Debug,
{
    frames(body, Duration::from_secs(5))
        .await
        .into_iter()
        .map(|(_, frame)| frame)
        .collect()
}

async fn seen_last_event_id(layer: SseLayer, request: Request<()>) -> Option<String> {
    let handler = service_fn(|request: Request<()>| async move {
        let id = request
            .extensions()
            .get::<LastEventId>()
            .map(|id| id.as_str().to_owned());
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(
            id.unwrap_or_else(|| "(none)".into()),
        ))))
    });
    let response = layer.layer(handler).oneshot(request).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Some(String::from_utf8(body.to_vec()).unwrap()).filter(|id| id != "(none)")
}

#[tokio::test]
async fn last_event_id_extension() {
    let with_header = |value: &str| {
        Request::builder()
            .uri("/events")
            .header("last-event-id", value)
            .body(())
            .unwrap()
    };
    assert_eq!(
        seen_last_event_id(SseLayer::new(), with_header("41"))
            .await
            .as_deref(),
        Some("41")
    );
    assert_eq!(
        seen_last_event_id(SseLayer::new(), with_header("not-a-number: é"))
            .await
            .as_deref(),
        Some("not-a-number: é"),
        "opaque: passed on as is"
    );
    assert_eq!(
        seen_last_event_id(SseLayer::new(), with_header("")).await,
        None
    );
    assert_eq!(
        seen_last_event_id(SseLayer::new(), Request::new(())).await,
        None
    );

    let query = Request::builder()
        .uri("/events?x=1&lastEventId=a%20b%2Bc")
        .body(())
        .unwrap();
    assert_eq!(
        seen_last_event_id(SseLayer::new(), query).await,
        None,
        "the query is opt-in"
    );
    let layer = || SseLayer::new().last_event_id_query("lastEventId");
    let query = Request::builder()
        .uri("/events?x=1&lastEventId=a%20b%2Bc")
        .body(())
        .unwrap();
    assert_eq!(
        seen_last_event_id(layer(), query).await.as_deref(),
        Some("a b+c")
    );
    let both = Request::builder()
        .uri("/events?lastEventId=7")
        .header("last-event-id", "9")
        .body(())
        .unwrap();
    assert_eq!(
        seen_last_event_id(layer(), both).await.as_deref(),
        Some("9"),
        "the header wins"
    );
}

#[tokio::test]
async fn a_cloned_layer_is_configured_on_its_own() {
    let base = SseLayer::new().retry(Duration::from_millis(100));
    let other = base.clone().retry(Duration::from_millis(200));
    for (layer, want) in [(base, "retry: 100\n"), (other, "retry: 200\n")] {
        let response = call(
            layer,
            Request::new(()),
            EventStream::new(stream::empty::<Event>()).into_http_response(),
        )
        .await;
        assert_eq!(
            frames(response.into_body(), Duration::from_secs(1)).await[0].1,
            want
        );
    }
}
