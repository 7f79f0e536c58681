//! The Redis engine's own faults on a real Redis (a private `redis-server` per test):
//! connections killed by the server, a corrupted epoch. What every engine must do is in
//! `engine_suite.rs`; Sentinel, replicas, snapshots and eviction in `engine_faults.rs`.

#![cfg(feature = "redis")]

#[path = "support/shared_hubs.rs"]
mod shared_hubs;

use std::time::Duration;

use shared_hubs::*;
use sse_layer::hub::{PublishError, Subscribe};
use sse_layer::Event;
use sse_test_servers::{unique_name, RedisServer};

#[tokio::test]
async fn connections_killed_by_redis_lose_nothing_and_repeat_nothing() {
    let server = RedisServer::start();
    let url = server.url();
    let name = unique_name("killed");
    let (a, b) = (hub(&url, &name), hub(&url, &name));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut reader = Reader::new(b.subscribe(Subscribe::new()));
    let mut acknowledged = Vec::new();
    for n in 1..=60u32 {
        if n % 15 == 0 {
            // Every client connection, the followers' blocked XREADs included (there is
            // no pub/sub connection to kill: the design has none).
            assert!(server.cli(&["CLIENT", "KILL", "TYPE", "normal"]).is_some());
        }
        // A publish whose connection was just killed is refused; the next one reconnects.
        acknowledged.push(publish_until_accepted(&a, &n.to_string()).await.id);
    }
    // Read until the last acknowledged event has arrived.
    let last = acknowledged.last().unwrap().clone();
    let mut ids: Vec<String> = Vec::new();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !ids.contains(&last) && tokio::time::Instant::now() < deadline && !reader.ended {
        let events = reader.next_frame(Duration::from_millis(200)).await;
        ids.extend(events.into_iter().map(|event| event.last_event_id));
    }
    // Every acknowledged event, once, in order; an unacknowledged attempt may or may not
    // have been appended (that is what Unavailable says), and then it arrives too.
    let seqs: Vec<u64> = ids.iter().map(|id| seq(id)).collect();
    assert!(
        seqs.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "{seqs:?}"
    );
    for id in &acknowledged {
        assert!(ids.contains(id), "{id} missing from {ids:?}");
    }
}

#[tokio::test]
async fn a_corrupted_epoch_in_redis_is_refused_not_written_or_panicked_on() {
    let server = RedisServer::start();
    let url = server.url();
    let name = unique_name("corrupt");
    let a = hub(&url, &name);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let first = publish(&a, "t", "1").await;
    // Subscribed once event 1 is delivered: whatever reaches it after is new.
    caught_up(&a, &first).await;
    let mut reader = Reader::new(a.subscribe(Subscribe::new()));
    // Someone (or something) writes an epoch that would break the id line.
    let meta = format!("{{{name}}}:meta");
    assert!(server.cli(&["HSET", &meta, "e", "bad\nepoch"]).is_some());
    let refused = a.publish("t", Event::new().data("2")).await;
    assert!(
        matches!(&refused, Err(PublishError::Unavailable(why)) if why.contains("epoch")),
        "{refused:?}"
    );
    // Nothing with that epoch reaches a client, and nothing panicked: the stream is open.
    assert!(reader.quiet(Duration::from_millis(600)).await.is_empty());
    assert!(!reader.ended);
}
