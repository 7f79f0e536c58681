//! The same application code on every engine: the handlers below are written once,
//! against `Hub`; each test differs from the others only in the line that builds the hub
//! (and the Cargo feature behind it).

#[path = "support/shared_hubs.rs"]
mod shared_hubs;

use std::time::Duration;

use shared_hubs::{data, Reader};
use sse_layer::hub::{Hub, Subscribe, Subscription};
use sse_layer::{Error, Event};

/// A handler that publishes: both of this crate's errors go through one `?` each.
async fn notify(hub: &Hub, kind: &str, text: &str) -> Result<String, Error> {
    let event = Event::new()
        .try_event(kind.to_owned())?
        .data(text.to_owned());
    Ok(hub.publish_once(text, "notes", event).await?.id)
}

/// A handler that streams, resuming where the request's `Last-Event-ID` says.
fn notes(hub: &Hub, request: &http::Request<()>) -> http::Response<Subscription> {
    hub.subscribe(Subscribe::topic("notes").resume_from(request))
        .into_http_response()
}

async fn run_the_application(hub: Hub) {
    // A shared engine's follower reads the (empty) log first.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut reader = Reader::new(notes(&hub, &http::Request::new(())).into_body());
    let first = notify(&hub, "note", "a").await.unwrap();
    assert_eq!(
        notify(&hub, "note", "a").await.unwrap(),
        first,
        "published once"
    );
    assert!(matches!(
        notify(&hub, "bad\ntype", "b").await,
        Err(Error::Event(_))
    ));
    notify(&hub, "note", "c").await.unwrap();
    let got = reader.take(2).await;
    assert_eq!(data(&got), ["a", "c"]);
    assert_eq!(got[0].last_event_id, first);
    // A client that had the first note resumes after it.
    let mut request = http::Request::get("/notes")
        .header("last-event-id", &first)
        .body(())
        .unwrap();
    // What `SseLayer` does with the header before the handler runs.
    let last = sse_layer::LastEventId::from_request(&request, None).unwrap();
    request.extensions_mut().insert(last);
    let mut resumed = Reader::new(notes(&hub, &request).into_body());
    assert_eq!(data(&resumed.take(1).await), ["c"]);
}

#[tokio::test]
async fn in_memory() {
    run_the_application(Hub::new()).await;
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn on_redis() {
    let server = sse_test_servers::RedisServer::start();
    let engine = sse_layer::replay::RedisLog::builder(server.url())
        .build()
        .unwrap();
    run_the_application(Hub::builder().engine(engine).build()).await;
}

#[cfg(feature = "nats")]
#[tokio::test]
async fn on_nats() {
    let server = sse_test_servers::NatsServer::start();
    let engine = sse_layer::replay::NatsLog::builder(server.url())
        .build()
        .unwrap();
    run_the_application(Hub::builder().engine(engine).build()).await;
}

/// A hub on an engine can be built where there is no tokio runtime yet (in `main`,
/// before the server starts): its tasks start at its first use inside one.
#[cfg(feature = "nats")]
#[test]
fn a_hub_on_an_engine_built_outside_a_runtime_starts_when_used() {
    let server = sse_test_servers::NatsServer::start();
    let engine = sse_layer::replay::NatsLog::builder(server.url())
        .build()
        .unwrap();
    let hub = Hub::builder().engine(engine).build();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(run_the_application(hub));
}
