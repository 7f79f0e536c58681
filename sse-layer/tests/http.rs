//! The layer over real TCP sockets with hyper, HTTP/1.1 and h2c: headers, the first byte,
//! CORS, Last-Event-ID, and a producer dropped as soon as the client goes away.

mod support;

use std::convert::Infallible;
use std::time::Duration;

use futures_util::{stream, StreamExt};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};
use sse_conformance::client::Limits;
use sse_layer::{BoxError, Event, EventStream, LastEventId, SseCors, SseLayer};
use support::{observe, serve, DropSignal};
use tower::{service_fn, Layer};

type Body = UnsyncBoxBody<bytes::Bytes, BoxError>;

/// `/events` counts from the Last-Event-ID; `/denied` is a 401; anything else a 404.
async fn handler(request: Request<hyper::body::Incoming>) -> Result<Response<Body>, Infallible> {
    let response = match request.uri().path() {
        "/events" => {
            let first = request
                .extensions()
                .get::<LastEventId>()
                .and_then(|id| id.parse::<u64>())
                .map_or(1, |n| n + 1);
            let events = stream::iter(first..).then(|n| async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Event::new().id(n).data(format!("event {n}"))
            });
            let mut response = EventStream::new(events)
                .into_http_response()
                .map(BodyExt::boxed_unsync);
            response
                .headers_mut()
                .insert("set-cookie", "seen=1".parse().unwrap());
            response
        }
        // A stream with no event yet: only the layer's first byte can arrive.
        "/quiet" => EventStream::new(stream::pending::<Event>())
            .into_http_response()
            .map(BodyExt::boxed_unsync),
        "/denied" => Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .body(
                Full::from("sign in first")
                    .map_err(|e| match e {})
                    .boxed_unsync(),
            )
            .unwrap(),
        _ => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Full::from("").map_err(|e| match e {}).boxed_unsync())
            .unwrap(),
    };
    Ok(response)
}

async fn start(layer: SseLayer) -> String {
    serve(layer.layer(service_fn(handler))).await
}

fn limits(events: usize) -> Limits {
    Limits {
        duration: Duration::from_secs(5),
        max_events: Some(events),
        ..Limits::default()
    }
}

#[tokio::test]
async fn headers_and_first_byte_over_http1_and_h2c() {
    let base = start(SseLayer::new().retry(Duration::from_millis(1500))).await;
    for h2 in [false, true] {
        let transcript = observe(&format!("{base}/events"), h2, &[], limits(3)).await;
        assert_eq!(transcript.version, if h2 { "HTTP/2" } else { "HTTP/1.1" });
        assert_eq!(transcript.status, 200);
        assert_eq!(transcript.header("content-type"), Some("text/event-stream"));
        assert_eq!(
            transcript.header("cache-control"),
            Some("no-cache, no-transform")
        );
        assert_eq!(transcript.header("x-accel-buffering"), Some("no"));
        assert_eq!(
            transcript.header("set-cookie"),
            Some("seen=1"),
            "the handler's headers stay"
        );
        assert_eq!(transcript.header("content-length"), None);
        if h2 {
            for forbidden in ["connection", "keep-alive", "transfer-encoding"] {
                assert_eq!(
                    transcript.header(forbidden),
                    None,
                    "{forbidden} over HTTP/2"
                );
            }
        }
        assert!(
            transcript.body().starts_with(b"retry: 1500\n"),
            "the retry hint comes first"
        );
        let ids: Vec<String> = transcript
            .analyze()
            .events()
            .map(|(_, e)| e.last_event_id.clone())
            .collect();
        assert_eq!(ids, ["1", "2", "3"]);
    }
}

#[tokio::test]
async fn the_first_byte_goes_out_before_any_event() {
    let base = start(SseLayer::new().retry(Duration::from_millis(1500))).await;
    for h2 in [false, true] {
        let quiet = Limits {
            duration: Duration::from_millis(500),
            ..Limits::default()
        };
        let transcript = observe(&format!("{base}/quiet"), h2, &[], quiet).await;
        assert_eq!(transcript.status, 200);
        let chunks: Vec<&[u8]> = transcript
            .chunks
            .iter()
            .map(|c| c.bytes.as_slice())
            .collect();
        assert_eq!(
            chunks,
            [&b"retry: 1500\n"[..]],
            "headers and the hint, with no event to wait for"
        );
    }
}

#[tokio::test]
async fn last_event_id_resumes_and_garbage_starts_fresh() {
    let base = start(SseLayer::new()).await;
    let resumed = observe(
        &format!("{base}/events"),
        false,
        &[("last-event-id", "41")],
        limits(1),
    )
    .await;
    assert_eq!(
        resumed.analyze().events().next().unwrap().1.last_event_id,
        "42"
    );
    let garbage = observe(
        &format!("{base}/events"),
        false,
        &[("last-event-id", "x-unknown")],
        limits(1),
    )
    .await;
    assert_eq!(garbage.status, 200, "never a 4xx for an unknown id");
    assert_eq!(
        garbage.analyze().events().next().unwrap().1.last_event_id,
        "1"
    );
}

#[tokio::test]
async fn non_stream_responses_pass_through() {
    let base = start(SseLayer::new()).await;
    let denied = observe(&format!("{base}/denied"), false, &[], limits(0)).await;
    assert_eq!(denied.status, 401);
    assert_eq!(denied.header("x-accel-buffering"), None);
}

#[tokio::test]
async fn cors_allow_deny_and_preflight() {
    let cors = SseCors::allow_origins(["https://app.example"])
        .unwrap()
        .allow_credentials();
    let base = start(SseLayer::new().cors(cors)).await;
    let url = format!("{base}/events");

    let allowed = observe(&url, false, &[("origin", "https://app.example")], limits(1)).await;
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(
        allowed.header("access-control-allow-credentials"),
        Some("true")
    );
    assert!(allowed
        .header_all("vary")
        .any(|v| v.to_ascii_lowercase().contains("origin")));

    let denied = observe(
        &url,
        false,
        &[("origin", "https://evil.example")],
        limits(1),
    )
    .await;
    assert_eq!(
        denied.status, 200,
        "the stream is served; the browser blocks reading it"
    );
    assert_eq!(denied.header("access-control-allow-origin"), None);

    // CORS headers on a 401 too, so the page can see why.
    let unauthorized = observe(
        &format!("{base}/denied"),
        false,
        &[("origin", "https://app.example")],
        limits(0),
    )
    .await;
    assert_eq!(unauthorized.status, 401);
    assert_eq!(
        unauthorized.header("access-control-allow-origin"),
        Some("https://app.example")
    );

    let mut target = sse_conformance::client::Target::get(&url).unwrap();
    target.method = Method::OPTIONS;
    for (name, value) in [
        ("origin", "https://app.example"),
        ("access-control-request-method", "POST"),
        (
            "access-control-request-headers",
            "last-event-id, authorization, content-type",
        ),
    ] {
        target
            .headers
            .push((name.parse().unwrap(), value.parse().unwrap()));
    }
    let preflight = sse_conformance::client::observe(&target, &limits(0), &mut |_| {})
        .await
        .unwrap();
    assert!(
        preflight.status == 200 || preflight.status == 204,
        "{}",
        preflight.status
    );
    let allowed_headers = preflight
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    for name in ["last-event-id", "authorization", "content-type"] {
        assert!(allowed_headers.contains(name), "{allowed_headers}");
    }
    let methods = preflight.header("access-control-allow-methods").unwrap();
    assert!(
        methods.contains("GET") && methods.contains("POST"),
        "{methods}"
    );
    assert_eq!(
        preflight.header("access-control-allow-credentials"),
        Some("true")
    );
}

#[tokio::test]
async fn any_origin_without_credentials_is_a_wildcard() {
    let base = start(SseLayer::new().cors(SseCors::any_origin())).await;
    let any = observe(
        &format!("{base}/events"),
        false,
        &[("origin", "https://a.example")],
        limits(1),
    )
    .await;
    assert_eq!(any.header("access-control-allow-origin"), Some("*"));
    let base = start(SseLayer::new().cors(SseCors::any_origin().allow_credentials())).await;
    let mirrored = observe(
        &format!("{base}/events"),
        false,
        &[("origin", "https://a.example")],
        limits(1),
    )
    .await;
    assert_eq!(
        mirrored.header("access-control-allow-origin"),
        Some("https://a.example")
    );
    assert_eq!(
        mirrored.header("access-control-allow-credentials"),
        Some("true")
    );
}

/// A server whose stream reports, through `dropped`, when hyper lets go of it.
async fn stream_with_drop_signal(
    layer: SseLayer,
    every: Option<Duration>,
) -> (String, tokio::sync::oneshot::Receiver<()>) {
    let (signal, dropped) = tokio::sync::oneshot::channel();
    let signal = std::sync::Arc::new(std::sync::Mutex::new(Some(signal)));
    let handler = service_fn(move |_request: Request<hyper::body::Incoming>| {
        let guard = DropSignal(signal.lock().unwrap().take());
        async move {
            let events = stream::unfold((guard, 0u64), move |(guard, n)| async move {
                match every {
                    Some(every) => tokio::time::sleep(every).await,
                    None if n > 0 => std::future::pending::<()>().await,
                    None => {}
                }
                Some((Event::new().data(n.to_string()), (guard, n + 1)))
            });
            Ok::<_, Infallible>(EventStream::new(events).into_http_response())
        }
    });
    (serve(layer.layer(handler)).await, dropped)
}

#[tokio::test]
async fn the_producer_is_dropped_within_a_second_of_a_disconnect() {
    let cases = [
        (
            "events flowing",
            SseLayer::new().no_heartbeat(),
            Some(Duration::from_millis(50)),
        ),
        (
            "idle, with heartbeats",
            SseLayer::new().heartbeat(Duration::from_millis(200)),
            None,
        ),
        // hyper sees the closed socket even when nothing is written.
        ("idle, no heartbeat", SseLayer::new().no_heartbeat(), None),
    ];
    for (name, layer, every) in cases {
        for h2 in [false, true] {
            let (base, dropped) = stream_with_drop_signal(layer.clone(), every).await;
            let transcript = observe(&base, h2, &[], limits(1)).await;
            assert_eq!(transcript.status, 200);
            // observe() has closed the connection; the server must notice and let go.
            tokio::time::timeout(Duration::from_secs(1), dropped)
                .await
                .unwrap_or_else(|_| {
                    panic!("{name} (h2: {h2}): the producer outlived the client by a second")
                })
                .unwrap();
        }
    }
}
