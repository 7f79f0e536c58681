//! A hub on Redis when Redis fails for real: flushed, restarted empty (a restart from an
//! older snapshot is in `engine_suite.rs`, on every engine), a replica that lagged promoted by Sentinel, a clean Sentinel failover, an
//! instance started during an outage, a publish that timed out, an evicted once-set, a
//! long history resumed by slow clients. Each test starts its own `redis-server` (and
//! replica and `redis-sentinel`), on loopback.
//!
//! The promise under test: every event exactly once and in order, or a `reset` that says
//! what happened, followed by every event published after it; and never one id for two
//! events.

#![cfg(feature = "redis")]

#[path = "support/shared_hubs.rs"]
mod shared_hubs;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use shared_hubs::*;
use sse_layer::hub::{Hub, PublishError, Published, QueueLimits, Subscribe};
use sse_layer::replay::{
    AppendBatch, Appended, Engine, Entry, Head, Known, LogFuture, Read, RedisLog,
};
use sse_layer::Event;
use sse_test_servers::{unique_name, RedisServer, Sentinel};

/// Publishes until Redis (or the primary Sentinel names) takes it, for up to `patience`.
async fn publish_within(hub: &Hub, text: &str, patience: Duration) -> Published {
    let deadline = Instant::now() + patience;
    loop {
        match hub.publish("t", Event::new().data(text.to_owned())).await {
            Ok(done) => return done,
            Err(error) => {
                assert!(Instant::now() < deadline, "{error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[tokio::test]
async fn a_resume_right_after_a_flush_gets_a_reset_at_once_then_the_new_events() {
    let server = RedisServer::start();
    let name = unique_name("flush");
    let (a, b) = (hub(&server.url(), &name), hub(&server.url(), &name));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut last = String::new();
    for n in 1..=5 {
        last = publish(&a, "t", &n.to_string()).await;
    }
    caught_up(&a, &last).await;
    assert_eq!(server.cli(&["FLUSHALL"]).as_deref(), Some("OK"));
    // The client reconnects before anything new is published, to either instance.
    let mut on_a = Reader::new(a.subscribe(Subscribe::new().last_event_id(&last)));
    let mut on_b = Reader::new(b.subscribe(Subscribe::new().last_event_id(&last)));
    let reset_a = on_a.take(1).await;
    let reset_b = on_b.take(1).await;
    let cursor = reset_a[0].last_event_id.clone();
    assert_ne!(epoch(&cursor), epoch(&last), "a new history");
    assert!(
        cursor.ends_with("-0"),
        "{cursor}: the start of the new history"
    );
    assert_lost_reset(&reset_a[0], &cursor);
    assert_lost_reset(&reset_b[0], &cursor);
    // Then every event published after, on any instance.
    for n in 1..=3 {
        publish(&b, "t", &format!("new{n}")).await;
    }
    assert_eq!(data(&on_a.take(3).await), ["new1", "new2", "new3"]);
    assert_eq!(data(&on_b.take(3).await), ["new1", "new2", "new3"]);
}

#[tokio::test]
async fn a_client_without_an_id_around_an_empty_restart_gets_every_later_event() {
    let mut server = RedisServer::start();
    let name = unique_name("noid");
    let (a, b) = (hub(&server.url(), &name), hub(&server.url(), &name));
    tokio::time::sleep(Duration::from_millis(300)).await;
    for n in 1..=3 {
        publish(&a, "t", &n.to_string()).await;
    }
    server.stop(false);
    server.restart();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut client = Reader::new(a.subscribe(Subscribe::new()));
    let mut published = Vec::new();
    for n in 1..=7 {
        published.push(publish_until_accepted(&b, &format!("after{n}")).await.id);
    }
    let got = client.take(7).await;
    assert_eq!(
        data(&got),
        (1..=7).map(|n| format!("after{n}")).collect::<Vec<_>>(),
        "every event published after it connected, and no reset: it had nothing to lose"
    );
    let ids: Vec<_> = got
        .iter()
        .map(|event| event.last_event_id.clone())
        .collect();
    assert_eq!(ids, published);
    assert!(!client.ended);
}

#[tokio::test]
async fn the_first_publish_after_redis_restarts_is_accepted() {
    let mut server = RedisServer::start();
    let name = unique_name("first");
    let a = hub(&server.url(), &name);
    publish(&a, "t", "1").await;
    server.stop(true);
    server.restart();
    // The writer's connection died with the old server: the append is tried again, at
    // once, on a new connection.
    let accepted = a.publish("t", Event::new().data("2")).await;
    assert!(accepted.is_ok(), "{accepted:?}");
}

#[tokio::test]
async fn a_replica_that_lagged_promoted_by_sentinel_never_reuses_an_id() {
    let mut primary = RedisServer::start();
    let replica = RedisServer::replica_of(&primary);
    let sentinel = Sentinel::start(&primary, 1);
    let name = unique_name("lagged");
    let (a, b) = (hub(&sentinel.url(), &name), hub(&sentinel.url(), &name));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut live = Reader::new(b.subscribe(Subscribe::new()));
    let mut ids = vec![String::new()];
    for n in 1..=5 {
        ids.push(publish(&a, "t", &n.to_string()).await);
    }
    assert_eq!(primary.cli(&["WAIT", "1", "2000"]).as_deref(), Some("1"));
    // The replication link goes down and cannot come back (the primary refuses the
    // replica's resync): 6 to 8 reach the primary only.
    assert_eq!(
        primary
            .cli(&["ACL", "SETUSER", "default", "-psync", "-sync"])
            .as_deref(),
        Some("OK")
    );
    assert!(primary
        .cli(&["CLIENT", "KILL", "TYPE", "replica"])
        .is_some());
    for n in 6..=8 {
        ids.push(publish(&a, "t", &n.to_string()).await);
    }
    assert_eq!(live.take(8).await.len(), 8);
    assert!(replica
        .cli(&["INFO", "replication"])
        .is_some_and(|info| info.contains("master_link_status:down")));
    primary.kill();
    // Sentinel promotes the replica; the hubs follow it without a restart.
    let next = publish_within(&a, "9", Duration::from_secs(30)).await;
    assert_eq!(sentinel.primary_port(), Some(replica.port));
    assert_eq!(next.seq, 6);
    assert!(!ids.contains(&next.id), "{} was given before", next.id);
    let cursor = format!("{}-5", epoch(&next.id));
    let got = live.take(2).await;
    assert_lost_reset(&got[0], &cursor);
    assert_eq!(got[1].last_event_id, next.id);
    let mut lost = Reader::new(a.subscribe(Subscribe::new().last_event_id(&ids[7])));
    let got = lost.take(2).await;
    assert_lost_reset(&got[0], &cursor);
    assert_eq!(data(&got[1..]), ["9"]);
}

#[tokio::test]
async fn after_a_clean_sentinel_failover_publishing_and_resuming_go_on() {
    let mut primary = RedisServer::start();
    let replica = RedisServer::replica_of(&primary);
    let sentinel = Sentinel::start(&primary, 1);
    let name = unique_name("failover");
    let (a, b) = (hub(&sentinel.url(), &name), hub(&sentinel.url(), &name));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut live = Reader::new(b.subscribe(Subscribe::new()));
    let mut last = String::new();
    for n in 1..=5 {
        last = publish(&a, "t", &n.to_string()).await;
    }
    assert_eq!(primary.cli(&["WAIT", "1", "2000"]).as_deref(), Some("1"));
    assert_eq!(live.take(5).await.len(), 5);
    primary.kill();
    let next = publish_within(&a, "6", Duration::from_secs(30)).await;
    assert_eq!(sentinel.primary_port(), Some(replica.port));
    assert_eq!(next.seq, 6, "the replica had everything: numbering goes on");
    assert_ne!(
        epoch(&next.id),
        epoch(&last),
        "a new server: the log fences"
    );
    // Nothing was lost: the open stream just goes on, and a resume from 5 gets 6.
    let got = live.take(1).await;
    assert_eq!(data(&got), ["6"]);
    let mut resumed = Reader::new(a.subscribe(Subscribe::new().last_event_id(&last)));
    assert_eq!(data(&resumed.take(1).await), ["6"]);
}

#[tokio::test]
async fn an_id_from_an_instance_started_during_an_outage_resumes_on_an_older_one() {
    let mut server = RedisServer::start();
    let url = server.url();
    let name = unique_name("outage");
    let a = hub(&url, &name);
    tokio::time::sleep(Duration::from_millis(300)).await;
    for n in 1..=3 {
        publish(&a, "t", &n.to_string()).await;
    }
    server.stop(false);
    let c = hub(&url, &name);
    server.restart();
    // `c` hands out ids of the new history; the client moves to `a`, whose follower may
    // not have seen it yet. The log judges the id, not `a`'s window.
    let first = publish_until_accepted(&c, "x1").await;
    let mut moved = Reader::new(a.subscribe(Subscribe::new().last_event_id(&first.id)));
    let second = publish(&c, "t", "x2").await;
    let got = moved.take(1).await;
    assert_eq!(data(&got), ["x2"], "no reset: the id is valid");
    assert_eq!(got[0].last_event_id, second);
}

/// A [`RedisLog`] that counts the resume reads that reach Redis.
struct CountingLog {
    log: RedisLog,
    reads: Arc<AtomicUsize>,
}

impl Engine for CountingLog {
    fn append<'a>(&'a self, batch: &'a AppendBatch) -> LogFuture<'a, Appended> {
        self.log.append(batch)
    }
    fn follow(&self, after: u64, max: usize, wait: Duration) -> LogFuture<'_, Vec<Entry>> {
        self.log.follow(after, max, wait)
    }
    fn read<'a>(&'a self, after: u64, max: usize, known: &'a Known) -> LogFuture<'a, Read> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.log.read(after, max, known)
    }
    fn head<'a>(&'a self, known: &'a Known) -> LogFuture<'a, Head> {
        self.log.head(known)
    }
}

#[tokio::test]
async fn slow_resumes_of_a_long_history_hold_their_queue_and_share_their_reads() {
    let server = RedisServer::start();
    let url = server.url();
    let name = unique_name("storm");
    let retaining = |name: &str| {
        RedisLog::builder(&url)
            .name(name)
            .max_events(10_000)
            .build()
            .unwrap()
    };
    let a = Hub::builder().engine(retaining(&name)).build();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let payload = "x".repeat(1000);
    let mut first = String::new();
    for chunk in 0..40 {
        let publishes = (0..50).map(|_| a.publish("t", Event::new().data(payload.clone())));
        let ids = futures_util::future::join_all(publishes).await;
        if chunk == 0 {
            first = ids[0].as_ref().unwrap().id.clone();
        }
    }
    // A fresh instance: its window holds none of the 2,000 events.
    let reads = Arc::new(AtomicUsize::new(0));
    let log = retaining(&name);
    let limits = QueueLimits {
        events: 64,
        bytes: 64 * 1024,
    };
    let b = Hub::builder()
        .queue_limits(limits)
        .follow_wait(Duration::from_millis(200))
        .engine(CountingLog {
            log,
            reads: reads.clone(),
        })
        .build();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut clients: Vec<Reader> = (0..20)
        .map(|_| Reader::new(b.subscribe(Subscribe::new().last_event_id(&first))))
        .collect();
    // Each client takes one frame and stops reading: what each holds stays within its
    // queue's limits, whatever the history.
    let mut seen = Vec::new();
    for client in &mut clients {
        let got = client.next_frame(PATIENCE).await;
        assert!(!got.is_empty());
        seen.push(got.len());
        tokio::time::sleep(Duration::from_millis(20)).await;
        let queued = client.subscription.queued();
        assert!(queued <= limits.events, "{queued} queued");
    }
    // Then all of it, in order, for every client: the 1,999 events after the first.
    for (client, seen) in clients.iter_mut().zip(&mut seen) {
        while *seen < 1999 {
            let got = client.next_frame(PATIENCE).await;
            assert!(!got.is_empty(), "stalled after {seen}");
            *seen += got.len();
        }
        assert_eq!(*seen, 1999);
        assert_eq!(seq(&client.last_id), 2000);
    }
    // 63 pages of history; 20 clients: about one read of Redis per page, not per client.
    let reads = reads.load(Ordering::Relaxed);
    assert!(reads <= 3 * 63, "{reads} reads of Redis for 20 × 63 pages");
    publish(&a, "t", "live").await;
    for client in &mut clients {
        assert_eq!(data(&client.take(1).await), ["live"]);
    }
}

#[tokio::test]
async fn a_publish_that_timed_out_is_retried_with_its_key_without_a_duplicate() {
    let server = RedisServer::start();
    let name = unique_name("timeout");
    let a = hub(&server.url(), &name);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut reader = Reader::new(a.subscribe(Subscribe::new()));
    publish(&a, "t", "connected").await;
    assert_eq!(data(&reader.take(1).await), ["connected"]);
    // Redis stalls for 5 s: the publish times out (its retry too, on a new connection
    // that cannot even be made meanwhile), but the append that was sent runs once Redis
    // wakes up.
    let port = server.port;
    let sleeper = std::thread::spawn(move || {
        std::process::Command::new("redis-cli")
            .args(["-p", &port.to_string(), "DEBUG", "SLEEP", "5"])
            .output()
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let timed_out = a
        .publish_once("order-1", "t", Event::new().data("shipped"))
        .await;
    assert!(
        matches!(timed_out, Err(PublishError::Unavailable(_))),
        "{timed_out:?}"
    );
    sleeper.join().unwrap().unwrap();
    // The caller retries with its key: the event that did go in is the answer.
    let retried = a
        .publish_once("order-1", "t", Event::new().data("shipped"))
        .await
        .unwrap();
    assert!(!retried.fresh);
    let got = reader.take(1).await;
    assert_eq!(data(&got), ["shipped"]);
    assert_eq!(got[0].last_event_id, retried.id);
    publish(&a, "t", "next").await;
    assert_eq!(data(&reader.take(1).await), ["next"], "nothing in between");
    // The same key for another event is refused.
    let reused = a
        .publish_once("order-1", "t", Event::new().data("cancelled"))
        .await;
    assert_eq!(reused, Err(PublishError::KeyReused));
}

#[tokio::test]
async fn once_keys_survive_the_eviction_of_their_set() {
    let server = RedisServer::start();
    let name = unique_name("evicted");
    let a = hub(&server.url(), &name);
    let first = a
        .publish_once("tick-1", "t", Event::new().data("1"))
        .await
        .unwrap();
    publish(&a, "t", "other").await;
    // What an allkeys eviction policy does to the set, and nothing else.
    let once = format!("{{{name}}}:once");
    assert_eq!(server.cli(&["DEL", &once]).as_deref(), Some("1"));
    let again = a
        .publish_once("tick-1", "t", Event::new().data("1"))
        .await
        .unwrap();
    assert!(!again.fresh, "rebuilt from the stream");
    assert_eq!(again.id, first.id);
}

#[tokio::test]
async fn an_eviction_policy_that_may_drop_the_log_is_reported() {
    let risky = RedisServer::start_with(&["--maxmemory-policy", "allkeys-lru"]);
    let log = RedisLog::builder(risky.url()).build().unwrap();
    let report = log.inspect().await.unwrap();
    assert_eq!(report.maxmemory_policy, "allkeys-lru");
    assert!(report.warnings[0].contains("noeviction"), "{report:?}");
    let safe = RedisServer::start();
    let log = RedisLog::builder(safe.url()).build().unwrap();
    let report = log.inspect().await.unwrap();
    assert_eq!(report.maxmemory_policy, "noeviction");
    assert!(report.warnings.is_empty());
}

#[tokio::test]
async fn with_wait_for_replicas_a_publish_no_replica_took_is_refused() {
    let primary = RedisServer::start();
    let replica = RedisServer::replica_of(&primary);
    let log = RedisLog::builder(primary.url())
        .name(unique_name("wait"))
        .wait_for_replicas(1, Duration::from_millis(300))
        .build()
        .unwrap();
    let a = Hub::builder().engine(log).build();
    let held = a.publish("t", Event::new().data("1")).await;
    assert!(held.is_ok(), "{held:?}");
    replica.freeze(true);
    let refused = a.publish("t", Event::new().data("2")).await;
    assert!(
        matches!(&refused, Err(PublishError::Unavailable(why)) if why.contains("replicas")),
        "{refused:?}"
    );
    replica.freeze(false);
}
