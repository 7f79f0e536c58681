//! The NATS JetStream engine's own faults on a real `nats-server -js` (a private one per
//! test): SIGKILL, a restart from an older copy of the store, the first publish after a
//! restart. What every engine must do is in `engine_suite.rs`.

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
async fn a_restart_from_an_older_copy_of_the_store_never_reuses_an_id() {
    let mut server = NatsServer::start();
    let name = "snapshot";
    let (a, b) = (hub(&server, name), hub(&server, name));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut live = Reader::new(b.subscribe(Subscribe::new()));
    let mut ids = vec![String::new()];
    for n in 1..=5 {
        ids.push(publish(&a, "t", &n.to_string()).await);
    }
    // Let the server write them out, then copy its store as a backup would.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let backup = server.snapshot();
    for n in 6..=8 {
        ids.push(publish(&a, "t", &n.to_string()).await);
    }
    assert_eq!(live.take(8).await.len(), 8);
    // SIGKILL, and back from the copy: events 6 to 8 are gone, the epoch is the same.
    server.kill();
    server.restore(&backup);
    server.restart();
    let next = publish_until_accepted(&a, "9").await;
    assert_eq!(next.seq, 6, "numbering goes on from what survived");
    assert!(!ids.contains(&next.id), "{} was given before", next.id);
    assert_ne!(
        epoch(&next.id),
        epoch(&ids[1]),
        "a new epoch fences the old one"
    );
    let cursor = format!("{}-5", epoch(&next.id));
    // The open stream had 6 to 8: told, then the new event.
    let got = live.take(2).await;
    assert_eq!(got[0].event_type, "reset", "the live stream: {got:?}");
    assert_lost_reset(&got[0], &cursor);
    assert_eq!(got[1].last_event_id, next.id);
    assert!(!live.ended);
    // A client holding a lost id, on an old or a new instance: told, then the new event.
    // (The old instances' followers have seen the fence by then: one that has not yet
    // answers from its window, and its stream gets the reset when it does.)
    delivered(&a, &next.id).await;
    let c = hub(&server, name);
    for instance in [&a, &b, &c] {
        assert_resumes_after_a_partial_loss(instance, &ids, &next, &cursor).await;
    }
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
