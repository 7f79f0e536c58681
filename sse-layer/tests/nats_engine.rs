//! The NATS JetStream engine's own faults on a real `nats-server -js` (a private one per
//! test): SIGKILL mid-burst, the first publish after a restart. What every engine must do,
//! a restart from an older copy of the store included, is in `engine_suite.rs`.

#![cfg(feature = "nats")]

#[path = "support/shared_hubs.rs"]
mod shared_hubs;

use std::time::Duration;

use shared_hubs::*;
use sse_conformance::parser::Event as Parsed;
use sse_layer::hub::{Hub, Subscribe};
use sse_layer::replay::NatsLog;
use sse_layer::Event;
use sse_test_servers::NatsServer;

fn hub(server: &NatsServer, name: &str) -> Hub {
    let log = NatsLog::builder(server.url()).name(name).build().unwrap();
    Hub::builder()
        .follow_wait(Duration::from_millis(200))
        .engine(log)
        .build()
}

#[tokio::test]
async fn a_sigkill_mid_burst_never_reuses_an_id_and_every_stream_goes_on() {
    let mut server = NatsServer::start();
    let name = "sigkill";
    let (a, b) = (hub(&server, name), hub(&server, name));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut live = Reader::new(b.subscribe(Subscribe::new()));
    // Publishers racing the kill: whatever was acknowledged has an id.
    let burst = {
        let a = a.clone();
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for n in 1..=400 {
                match a.publish("t", Event::new().data(n.to_string())).await {
                    Ok(published) => acknowledged.push(published.id),
                    Err(_) => break,
                }
            }
            acknowledged
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.kill();
    let acknowledged = burst.await.unwrap();
    assert!(!acknowledged.is_empty());
    server.restart();
    let next = publish_until_accepted(&a, "after").await;
    assert!(
        !acknowledged.contains(&next.id),
        "{} was given before",
        next.id
    );
    // The stream saw every event once, in order, then (if the kill lost any it had) a
    // `lost` reset, then the new event; ids are never given twice.
    let mut seen: Vec<Parsed> = Vec::new();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !seen.iter().any(|event| event.data == "after") && tokio::time::Instant::now() < deadline
    {
        seen.extend(live.next_frame(Duration::from_millis(200)).await);
    }
    assert!(!live.ended);
    assert_eq!(seen.last().map(|event| event.data.as_str()), Some("after"));
    let events: Vec<&Parsed> = seen
        .iter()
        .filter(|event| event.event_type != "reset")
        .collect();
    let mut unique: Vec<&str> = events
        .iter()
        .map(|event| event.last_event_id.as_str())
        .collect();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), events.len(), "an id given twice");
    let before: Vec<u64> = events[..events.len() - 1]
        .iter()
        .map(|event| event.data.parse().unwrap())
        .collect();
    assert_eq!(before, (1..=before.len() as u64).collect::<Vec<_>>());
    let survived = next.seq - 1;
    if (before.len() as u64) > survived {
        let reset = seen
            .iter()
            .find(|event| event.event_type == "reset")
            .expect("told");
        assert_lost_reset(reset, &format!("{}-{survived}", epoch(&next.id)));
    }
}

#[tokio::test]
async fn the_first_publish_after_the_server_restarts_is_accepted() {
    let mut server = NatsServer::start();
    let a = hub(&server, "first");
    publish(&a, "t", "1").await;
    server.stop(true);
    server.restart();
    // The client reconnects by itself; the stream is opened again.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let accepted = loop {
        match a.publish("t", Event::new().data("2")).await {
            Ok(published) => break published,
            Err(error) => {
                assert!(std::time::Instant::now() < deadline, "{error}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    assert_eq!(accepted.seq, 2);
}
