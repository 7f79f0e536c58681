//! Stacked with the neighbours a real service has: tower-http's compression, tracing and
//! timeout layers, and axum (as `route_service`, from a handler, and around axum's `Sse`).

mod support;

use std::convert::Infallible;
use std::time::Duration;

use axum::response::IntoResponse;
use futures_util::{stream, StreamExt};
use http::Request;
use sse_conformance::checks::{CheckOptions, Status};
use sse_conformance::client::{Limits, Target};
use sse_conformance::run::{run_endpoint, RunOptions};
use sse_layer::{Event, EventStream, LastEventId, SseLayer};
use support::{observe, serve};
use tower::{service_fn, Layer, ServiceBuilder};
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Ticks every 100 ms, resuming after a numeric Last-Event-ID.
fn ticks(last: Option<&LastEventId>) -> impl futures_util::Stream<Item = Event> + Send + 'static {
    let first = last.and_then(|id| id.parse::<u64>()).map_or(1, |n| n + 1);
    stream::iter(first..).then(|n| async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Event::new()
            .event(sse_layer::event_name!("tick"))
            .id(n)
            .data(format!("{{\"n\":{n}}}"))
    })
}

/// `/events` streams; `/json` is an ordinary compressible JSON answer.
async fn plain_handler(
    request: Request<hyper::body::Incoming>,
) -> Result<http::Response<axum::body::Body>, Infallible> {
    Ok(match request.uri().path() {
        "/events" => EventStream::new(ticks(request.extensions().get::<LastEventId>()))
            .into_http_response()
            .into_response(),
        _ => axum::Json(serde_json::json!({ "padding": "x".repeat(200) })).into_response(),
    })
}

fn limits(duration_ms: u64) -> Limits {
    Limits {
        duration: Duration::from_millis(duration_ms),
        ..Limits::default()
    }
}

/// The checker's verdict on `url`: every check, no failure.
async fn assert_conformant(url: &str) {
    let options = RunOptions {
        target: Target::get(url).unwrap(),
        duration: Duration::from_millis(800),
        checks: CheckOptions::default(),
        allow: Vec::new(),
    };
    let report = run_endpoint(&options, &mut |_| {}).await.unwrap();
    let failed: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .collect();
    assert!(failed.is_empty(), "{url}: {failed:#?}");
    assert_eq!(report.get("resume").unwrap().status, Status::Pass, "{url}");
}

#[tokio::test]
async fn compression_skips_the_stream_in_either_order() {
    let outside = ServiceBuilder::new()
        .layer(CompressionLayer::new())
        .layer(SseLayer::new())
        .service(service_fn(plain_handler));
    let inside = ServiceBuilder::new()
        .layer(SseLayer::new())
        .layer(CompressionLayer::new())
        .service(service_fn(plain_handler));
    for base in [serve(outside).await, serve(inside).await] {
        // The client sends Accept-Encoding: gzip, deflate, like a browser.
        let stream = observe(&format!("{base}/events"), false, &[], limits(450)).await;
        assert_eq!(
            stream.header("content-encoding"),
            None,
            "{base}: the stream must not be compressed"
        );
        let arrivals: Vec<f64> = stream.analyze().events().map(|(at, _)| at).collect();
        assert!(arrivals.len() >= 3, "{arrivals:?}");
        // Sent every 100 ms: delivered over time, not held back and released together.
        // (Two may share a frame if the client is late; that is batching, not buffering.)
        let distinct_arrivals = arrivals
            .windows(2)
            .filter(|pair| pair[1] - pair[0] > 50.0)
            .count()
            + 1;
        assert!(
            distinct_arrivals >= 3,
            "delivered as sent, not buffered: {arrivals:?}"
        );
        // ...while the same stack does compress ordinary responses.
        let json = observe(&format!("{base}/json"), false, &[], limits(1000)).await;
        assert_eq!(json.header("content-encoding"), Some("gzip"), "{base}");
        assert_conformant(&format!("{base}/events")).await;
    }
}

#[tokio::test]
async fn trace_and_timeout_layers_leave_the_stream_alone() {
    // The timeout bounds the time to the response head, not the life of the stream.
    #[allow(deprecated)]
    let timeout = TimeoutLayer::new(Duration::from_millis(150));
    let service = ServiceBuilder::new()
        .layer(TraceLayer::new_for_http())
        .layer(timeout)
        .layer(SseLayer::new())
        .service(service_fn(plain_handler));
    let base = serve(service).await;
    let stream = observe(&format!("{base}/events"), false, &[], limits(700)).await;
    assert_eq!(stream.status, 200);
    assert!(
        stream.analyze().events().count() >= 5,
        "the stream outlived the 150 ms timeout"
    );
    assert_conformant(&format!("{base}/events")).await;
}

#[tokio::test]
async fn axum_route_service() {
    let sse = SseLayer::new().layer(service_fn(
        |request: Request<axum::body::Body>| async move {
            Ok::<_, Infallible>(
                EventStream::new(ticks(request.extensions().get::<LastEventId>()))
                    .into_http_response(),
            )
        },
    ));
    let app = axum::Router::new().route_service("/events", sse);
    let base = serve(app).await;
    assert_conformant(&format!("{base}/events")).await;
}

async fn axum_ticks(last: Option<axum::Extension<LastEventId>>) -> impl IntoResponse {
    EventStream::new(ticks(last.as_ref().map(|axum::Extension(id)| id))).into_http_response()
}

async fn axum_own_sse() -> impl IntoResponse {
    let events = stream::iter(1u64..).then(|n| async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok::<_, Infallible>(
            axum::response::sse::Event::default()
                .id(n.to_string())
                .data("from axum"),
        )
    });
    axum::response::Sse::new(events)
}

async fn axum_unauthorized() -> impl IntoResponse {
    (http::StatusCode::UNAUTHORIZED, "sign in")
}

#[tokio::test]
async fn axum_handlers_behind_the_layer() {
    let app = axum::Router::new()
        .route("/events", axum::routing::get(axum_ticks))
        .route("/axum-sse", axum::routing::get(axum_own_sse))
        .route("/private", axum::routing::get(axum_unauthorized))
        .layer(SseLayer::new().heartbeat(Duration::from_millis(300)));
    let base = serve(app).await;

    // Our event stream, boxed by axum into its own Body: whole-event frames survive.
    assert_conformant(&format!("{base}/events")).await;

    // axum's own Sse gets the layer's headers and first byte too.
    let own = observe(&format!("{base}/axum-sse"), false, &[], limits(500)).await;
    assert_eq!(own.header("x-accel-buffering"), Some("no"));
    assert_eq!(own.header("cache-control"), Some("no-cache, no-transform"));
    assert_eq!(own.chunks[0].bytes, b":\n");
    assert!(own.analyze().events().count() >= 3);

    let private = observe(&format!("{base}/private"), false, &[], limits(500)).await;
    assert_eq!(private.status, 401);
    assert_eq!(private.body(), b"sign in");
    assert_eq!(private.header("x-accel-buffering"), None);
}

#[tokio::test]
async fn snapshot_of_an_axum_handler_in_process() {
    // What the README shows users: snapshot-test a handler without a socket.
    async fn greet() -> impl IntoResponse {
        let events = [
            Event::new()
                .event(sse_layer::event_name!("greeting"))
                .try_id("1")
                .unwrap()
                .data("hello\nworld"),
            Event::new().data("[DONE]"),
        ];
        EventStream::new(stream::iter(events)).into_http_response()
    }
    let app = axum::Router::new()
        .route("/greet", axum::routing::get(greet))
        .layer(SseLayer::new().retry(Duration::from_secs(2)));
    let request = Request::get("/greet")
        .body(axum::body::Body::empty())
        .unwrap();
    let snapshot =
        sse_conformance::testing::snapshot_service(app, request, Limits::default()).await;
    insta::assert_snapshot!(snapshot, @r###"
    status: 200
    cache-control: no-cache, no-transform
    content-type: text/event-stream
    x-accel-buffering: no
    ---
    retry: 2000
    event: greeting
      id: "1"
      data: hello
      data: world
    event: message
      id: "1"
      data: [DONE]
    --- end of stream
    "###);
}

/// axum's graceful shutdown waits for every open response; endless streams used to make it
/// hang. With the layer's shutdown signal each stream sends its final event and ends, and
/// `with_graceful_shutdown` completes.
#[tokio::test]
async fn axum_graceful_shutdown_completes_with_open_streams() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let shutdown = sse_layer::lifecycle::Shutdown::new();
    let app = axum::Router::new()
        .route(
            "/events",
            axum::routing::get(|| async {
                EventStream::new(stream::pending::<Event>()).into_http_response()
            }),
        )
        .layer(SseLayer::new().shutdown(shutdown.clone(), Duration::from_secs(2)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let signal = shutdown.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { signal.triggered().await })
            .await
    });
    let mut clients = Vec::new();
    for _ in 0..20 {
        let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
        socket
            .write_all(b"GET /events HTTP/1.1\r\nhost: test\r\n\r\n")
            .await
            .unwrap();
        // The headers and the first byte: the stream is open.
        let mut first = [0; 512];
        let n = socket.read(&mut first).await.unwrap();
        assert!(n > 0);
        clients.push((socket, first[..n].to_vec()));
    }
    shutdown.trigger();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("axum's graceful shutdown completed")
        .unwrap()
        .unwrap();
    for (mut socket, mut received) in clients {
        socket.read_to_end(&mut received).await.unwrap();
        let text = String::from_utf8(received).unwrap();
        assert!(text.contains("event: shutdown\n"), "{text}");
    }
}
