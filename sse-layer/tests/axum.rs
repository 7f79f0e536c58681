//! The `axum` feature: handlers return streams and this crate's errors as they are, and
//! take `Option<LastEventId>` as an argument.

use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use futures_util::stream;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use sse_layer::hub::{Hub, PublishError, Subscribe, Subscription};
use sse_layer::{
    event_name, Error, Event, EventError, EventStream, LastEventId, SseCors, SseLayer,
};
use tower::ServiceExt;

/// The body a response sends within a second (streams are cut there).
async fn body_text(response: axum::response::Response) -> String {
    let mut body = response.into_body();
    let mut text = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(deadline, body.frame()).await {
        if let Ok(data) = frame.into_data() {
            text.extend_from_slice(&data);
        }
    }
    String::from_utf8(text).unwrap()
}

async fn get_path(
    app: Router,
    path: &str,
    last_event_id: Option<&str>,
) -> axum::response::Response {
    let mut request = Request::get(path);
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    app.oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

async fn ticks(last: Option<LastEventId>) -> EventStream<impl futures_util::Stream<Item = Event>> {
    let next = last.and_then(|id| id.parse::<u64>()).map_or(1, |n| n + 1);
    let events = (next..next + 2).map(|n| Event::new().event(event_name!("tick")).id(n).data("x"));
    EventStream::new(stream::iter(events))
}

#[tokio::test]
async fn a_handler_returns_an_event_stream_as_it_is() {
    let app = || {
        Router::new()
            .route("/ticks", get(ticks))
            .layer(SseLayer::new())
    };
    let response = get_path(app(), "/ticks", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(
        body_text(response).await,
        ":\nevent: tick\nid: 1\ndata: x\n\nevent: tick\nid: 2\ndata: x\n\n"
    );
    let resumed = body_text(get_path(app(), "/ticks", Some("41")).await).await;
    assert!(
        resumed.contains("id: 42\n") && !resumed.contains("id: 1\n"),
        "{resumed}"
    );
}

#[tokio::test]
async fn last_event_id_is_an_optional_extractor_with_or_without_the_layer() {
    async fn echo(last: Option<LastEventId>) -> String {
        last.map_or_else(|| "(none)".to_owned(), LastEventId::into_string)
    }
    let bare = || Router::new().route("/", get(echo));
    assert_eq!(body_text(get_path(bare(), "/", None).await).await, "(none)");
    assert_eq!(body_text(get_path(bare(), "/", Some("7")).await).await, "7");
    assert_eq!(
        body_text(get_path(bare(), "/", Some("")).await).await,
        "(none)"
    );
    // Under the layer, its query-parameter setting counts too (for polyfills).
    let layered = Router::new()
        .route("/", get(echo))
        .layer(SseLayer::new().last_event_id_query("lastEventId"));
    let text = body_text(get_path(layered, "/?lastEventId=9", None).await).await;
    assert_eq!(text, "9");
}

#[tokio::test]
async fn a_subscription_is_returned_as_it_is_and_resumes() {
    async fn subscribe(State(hub): State<Hub>, last: Option<LastEventId>) -> Subscription {
        hub.subscribe(Subscribe::topic("news").resume(last))
    }
    let hub = Hub::new();
    let mut ids = Vec::new();
    for text in ["a", "b", "c"] {
        ids.push(
            hub.publish("news", Event::new().data(text))
                .await
                .unwrap()
                .id,
        );
    }
    let app = Router::new()
        .route("/news", get(subscribe))
        .with_state(hub)
        .layer(SseLayer::new());
    let text = body_text(get_path(app, "/news", Some(&ids[0])).await).await;
    assert_eq!(
        text,
        format!(":\nid: {}\ndata: b\n\nid: {}\ndata: c\n\n", ids[1], ids[2])
    );
}

#[tokio::test]
async fn errors_answer_with_a_status_and_a_json_message() {
    async fn from_query(
        uri: http::Uri,
    ) -> Result<EventStream<stream::Iter<std::vec::IntoIter<Event>>>, EventError> {
        // An id straight from the request: `?` turns a bad one into a 400.
        let untrusted = uri.query().unwrap_or_default().replace("%0A", "\n");
        let event = Event::new().try_id(untrusted)?.data("x");
        Ok(EventStream::new(stream::iter(vec![event])))
    }
    // One handler, two kinds of error, one `?` each: both become `sse_layer::Error`.
    async fn publish(State(hub): State<Hub>, uri: http::Uri) -> Result<String, Error> {
        let kind = uri.query().unwrap_or_default().replace("%0A", "\n");
        let event = Event::new().try_event(kind)?.data("x");
        let event = if uri.path().ends_with("with-id") {
            event.id(5u8)
        } else {
            event
        };
        Ok(hub.publish("t", event).await?.id)
    }
    let app = || {
        Router::new()
            .route("/from-query", get(from_query))
            .route("/publish", get(publish))
            .route("/publish-with-id", get(publish))
            .with_state(Hub::new())
            .layer(SseLayer::new())
    };
    let good = get_path(app(), "/from-query?ok", None).await;
    assert_eq!(good.status(), StatusCode::OK);
    assert!(body_text(good).await.contains("id: ok\n"));

    let bad = get_path(app(), "/from-query?1%0Adata:%20injected", None).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(bad.headers()["content-type"], "application/json");
    let body: serde_json::Value = serde_json::from_str(&body_text(bad).await).unwrap();
    assert_eq!(body["error"], "an event id must not contain CR, LF or NUL");

    let published = get_path(app(), "/publish?note", None).await;
    assert_eq!(published.status(), StatusCode::OK);
    assert!(body_text(published).await.ends_with("-1"));
    let bad_type = get_path(app(), "/publish?a%0Ab", None).await;
    assert_eq!(bad_type.status(), StatusCode::BAD_REQUEST);

    let refused = get_path(app(), "/publish-with-id?note", None).await;
    assert_eq!(refused.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body: serde_json::Value = serde_json::from_str(&body_text(refused).await).unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("the hub assigns ids"),
        "{body}"
    );
}

/// With axum's `IntoResponse` imported, `.into_response()` on a stream or a subscription
/// is axum's: a handler that returns `axum::response::Response` needs nothing more.
#[tokio::test]
async fn into_response_is_axums_when_its_trait_is_in_scope() {
    use axum::response::{IntoResponse, Response};
    async fn either(State(hub): State<Hub>, uri: http::Uri) -> Response {
        if uri.query() == Some("hub") {
            hub.subscribe(Subscribe::new()).into_response()
        } else {
            EventStream::new(stream::iter(vec![Event::new().data("x")])).into_response()
        }
    }
    let app = Router::new()
        .route("/either", get(either))
        .with_state(Hub::new())
        .layer(SseLayer::new());
    for query in ["/either?hub", "/either?stream"] {
        let response = get_path(app.clone(), query, None).await;
        assert_eq!(response.headers()["content-type"], "text/event-stream");
    }
}

#[test]
fn an_unavailable_engine_is_a_503_to_retry() {
    use axum::response::IntoResponse;
    let response = PublishError::Unavailable("connection refused".into()).into_response();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1");
    let origin = SseCors::allow_origins(["not an origin"]).unwrap_err();
    assert_eq!(
        origin.into_response().status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
}
