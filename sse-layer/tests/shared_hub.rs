//! `SharedHub` on a real Redis (a private `redis-server` per test): delivery across
//! instances, one order, topics and filters, overflow per subscriber, resume on any
//! instance, the reset signals (trimmed → `expired`, never issued → `unknown`, flushed →
//! `lost`), Redis stopped and restarted with and without its data, and a property test of
//! resume across instances. The faults of `engine_faults.rs` go further.

#![cfg(feature = "redis")]

#[path = "support/redis_server.rs"]
mod redis_server;
#[path = "support/shared_hubs.rs"]
mod shared_hubs;

use std::time::Duration;

use proptest::prelude::*;
use redis_server::{redis_url, unique_name, RedisServer};
use shared_hubs::*;
use sse_conformance::parser::Event as Parsed;
use sse_layer::hub::{Overflow, PublishError, QueueLimits, SharedHub, Subscribe};
use sse_layer::replay::RedisLog;
use sse_layer::Event;

#[tokio::test]
async fn an_event_published_anywhere_reaches_every_instance_in_one_order() {
    let (url, _server) = redis_url();
    let name = unique_name("order");
    let (a, b) = (hub(&url, &name), hub(&url, &name));
    let mut on_a = Reader::new(a.subscribe(Subscribe::new()));
    let mut on_b = Reader::new(b.subscribe(Subscribe::new()));
    let mut only_x = Reader::new(b.subscribe(Subscribe::topic("x")));
    let mut filtered = Reader::new(
        a.subscribe(
            Subscribe::topic("x")
                .and_topic("y")
                .filter(|record| record.key() != Some("secret")),
        ),
    );
    // Give both followers a moment to read the (empty) log before the first publish.
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Publishers on both instances at once: the log decides one order.
    let burst = |hub: SharedHub, label: &'static str| async move {
        for n in 0..50 {
            let topic = if n % 2 == 0 { "x" } else { "y" };
            hub.publish(topic, Event::new().data(format!("{label}{n}")))
                .await
                .unwrap();
        }
    };
    tokio::join!(burst(a.clone(), "a"), burst(b.clone(), "b"));
    a.publish_keyed("x", "secret", Event::new().data("hidden"))
        .await
        .unwrap();
    let from_a = on_a.take(101).await;
    let from_b = on_b.take(101).await;
    assert_eq!(from_a.len(), 101);
    assert_eq!(
        data(&from_a),
        data(&from_b),
        "both instances deliver one order"
    );
    let ids: Vec<u64> = from_a
        .iter()
        .map(|event| seq(&event.last_event_id))
        .collect();
    assert_eq!(
        ids,
        (1..=101).collect::<Vec<_>>(),
        "ids are the log's sequence, no gap"
    );
    let xs = only_x.take(51).await;
    assert_eq!(xs.len(), 51);
    assert!(data(&xs)
        .iter()
        .all(|text| text == "hidden" || text[1..].parse::<u32>().unwrap() % 2 == 0));
    let kept = filtered.take(100).await;
    assert_eq!(kept.len(), 100);
    assert!(!data(&kept).contains(&"hidden".to_owned()));
    assert!(filtered.quiet(Duration::from_millis(300)).await.is_empty());
}

#[tokio::test]
async fn each_subscriber_has_its_own_queue_and_overflow_policy() {
    let (url, _server) = redis_url();
    let name = unique_name("overflow");
    let a = hub(&url, &name);
    let small = QueueLimits {
        events: 4,
        bytes: 1 << 20,
    };
    let b = hub_with(&url, &name, |builder| {
        builder.queue_limits(small).overflow(Overflow::Disconnect)
    });
    let c = hub_with(&url, &name, |builder| {
        builder.queue_limits(small).overflow(Overflow::DropOldest)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut stalled = Reader::new(b.subscribe(Subscribe::new()));
    let mut reading = Reader::new(b.subscribe(Subscribe::new()));
    let mut dropping = Reader::new(c.subscribe(Subscribe::new()));
    let mut got = Vec::new();
    for n in 1..=20 {
        publish(&a, "t", &n.to_string()).await;
        got.extend(reading.take(1).await);
    }
    assert_eq!(
        data(&got),
        (1..=20).map(|n| n.to_string()).collect::<Vec<_>>()
    );
    // The stalled one was cut off after its 4 queued events, on its own.
    let cut = stalled.quiet(Duration::from_millis(300)).await;
    assert_eq!(data(&cut), ["1", "2", "3", "4"]);
    assert!(stalled.ended, "Disconnect ends the stream");
    // DropOldest kept the newest 4.
    let newest = dropping.quiet(Duration::from_millis(300)).await;
    assert_eq!(data(&newest), ["17", "18", "19", "20"]);
}

#[tokio::test]
async fn a_client_resumes_on_another_instance_or_a_restarted_one() {
    let (url, _server) = redis_url();
    let name = unique_name("resume");
    let a = hub(&url, &name);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut client = Reader::new(a.subscribe(Subscribe::topic("t")));
    for n in 1..=10 {
        publish(&a, "t", &n.to_string()).await;
    }
    let first = client.take(3).await;
    assert_eq!(data(&first[..3]), ["1", "2", "3"]);
    let last_id = first[2].last_event_id.clone();
    drop(client);
    // A brand-new instance (a restart, or another one behind the balancer) has none of
    // this in memory: the replay comes from Redis, then the live events.
    let b = hub(&url, &name);
    let mut resumed = Reader::new(b.subscribe(Subscribe::topic("t").last_event_id(&last_id)));
    let replay = resumed.take(7).await;
    assert_eq!(data(&replay), ["4", "5", "6", "7", "8", "9", "10"]);
    publish(&a, "t", "11").await;
    assert_eq!(data(&resumed.take(1).await), ["11"]);
    // And the old instance, whose window holds it all, answers the same from memory.
    let mut again = Reader::new(a.subscribe(Subscribe::topic("t").last_event_id(&last_id)));
    assert_eq!(
        data(&again.take(8).await),
        ["4", "5", "6", "7", "8", "9", "10", "11"]
    );
}

#[tokio::test]
async fn a_resume_that_races_live_events_has_no_gap_and_no_duplicate() {
    let (url, _server) = redis_url();
    let name = unique_name("race");
    let publisher = hub(&url, &name);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let first = publish(&publisher, "t", "0").await;
    // Events keep coming while fresh instances resume from the first one: the replay
    // (from Redis) and the live events (from each follower) must meet exactly.
    let feed = {
        let publisher = publisher.clone();
        tokio::spawn(async move {
            for n in 1..=300 {
                publisher
                    .publish("t", Event::new().data(n.to_string()))
                    .await
                    .unwrap();
                if n % 10 == 0 {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
        })
    };
    let mut readers = Vec::new();
    for _ in 0..6 {
        let instance = hub(&url, &name);
        tokio::time::sleep(Duration::from_millis(20)).await;
        readers.push((
            Reader::new(instance.subscribe(Subscribe::topic("t").last_event_id(&first))),
            instance,
        ));
    }
    feed.await.unwrap();
    for (reader, _instance) in &mut readers {
        let got = reader.take(300).await;
        assert_eq!(
            data(&got),
            (1..=300).map(|n| n.to_string()).collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn trimmed_past_the_client_is_expired_and_after_a_flush_old_ids_are_lost() {
    let server = RedisServer::start();
    let url = server.url();
    let name = unique_name("reset");
    let log = RedisLog::builder(&url)
        .name(&name)
        .max_events(5)
        .build()
        .unwrap();
    let a = SharedHub::builder()
        .window(2, 1 << 20)
        .follow_wait(Duration::from_millis(100))
        .start(log);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let early = publish(&a, "t", "1").await;
    let mut newest = String::new();
    for n in 2..=20 {
        newest = publish(&a, "t", &n.to_string()).await;
    }
    caught_up(&a, &newest).await;
    // Redis keeps 5, the window 2: the id of event 1 can be resumed from neither.
    let mut expired = Reader::new(a.subscribe(Subscribe::new().last_event_id(&early)));
    let reset = expired.take(1).await;
    assert_eq!(reset[0].event_type, "reset");
    assert_eq!(reset[0].data, r#"{"reason":"expired"}"#);
    assert_eq!(reset[0].last_event_id, newest, "the cursor moves to now");
    // Event 16 is still in Redis (not in the window): a plain resume.
    let sixteen = format!("{}-15", newest.rsplit_once('-').unwrap().0);
    let mut fine = Reader::new(a.subscribe(Subscribe::new().last_event_id(&sixteen)));
    assert_eq!(data(&fine.take(5).await), ["16", "17", "18", "19", "20"]);
    // Never issued: unknown.
    let future = format!("{}-999", newest.rsplit_once('-').unwrap().0);
    let mut unknown = Reader::new(a.subscribe(Subscribe::new().last_event_id(&future)));
    assert_eq!(unknown.take(1).await[0].data, r#"{"reason":"unknown"}"#);

    // FLUSHALL: the counter would start again at 1, but the epoch changes, so the old id
    // can never resume into new events, however its number compares. A stream that had
    // events gets a `lost` reset in place (its id: the start of the new history), then
    // the new events; a stream that had none just gets the new events. None ends.
    let mut fresh = Reader::new(a.subscribe(Subscribe::new()));
    let mut had = Reader::new(a.subscribe(Subscribe::new()));
    publish(&a, "t", "21").await;
    assert_eq!(data(&had.take(1).await), ["21"]);
    assert_eq!(server.cli(&["FLUSHALL"]).as_deref(), Some("OK"));
    // (Redis retains 5 here: 3 new events all stay.)
    let mut ids = Vec::new();
    for n in 1..=3 {
        ids.push(publish_until_accepted(&a, &format!("new{n}")).await.id);
    }
    let new_epoch = ids[0].rsplit_once('-').unwrap().0.to_owned();
    assert_ne!(new_epoch, newest.rsplit_once('-').unwrap().0);
    let news: Vec<String> = (1..=3).map(|n| format!("new{n}")).collect();
    // It had not read 21 yet: that event no longer exists, so it is dropped from its
    // queue, and since the stream had given out nothing that was lost, no reset.
    let got = fresh.take(3).await;
    assert_eq!(
        data(&got),
        news,
        "the fresh stream: every new event, nothing else"
    );
    let got = had.take(4).await;
    assert_eq!(got[0].event_type, "reset");
    assert_eq!(got[0].data, r#"{"reason":"lost"}"#);
    assert_eq!(got[0].last_event_id, format!("{new_epoch}-0"));
    assert_eq!(data(&got[1..]), news);
    assert!(!fresh.ended && !had.ended, "no stream ends");
    // Old ids, on the instance that saw the flush and on a new one: `lost`, then the
    // events the new history holds (none of them is skipped by the reset's cursor).
    let b = hub(&url, &name);
    for instance in [&a, &b] {
        let mut old = Reader::new(instance.subscribe(Subscribe::new().last_event_id(&early)));
        let got = old.take(4).await;
        assert_eq!(got[0].data, r#"{"reason":"lost"}"#, "{instance:?}");
        assert_eq!(got[0].last_event_id, format!("{new_epoch}-0"));
        assert_eq!(data(&got[1..]), news);
    }
}

#[tokio::test]
async fn redis_down_then_back_with_its_data_loses_nothing_and_repeats_nothing() {
    let mut server = RedisServer::start();
    let url = server.url();
    let name = unique_name("restart");
    let a = hub(&url, &name);
    let b = hub(&url, &name);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut reader = Reader::new(b.subscribe(Subscribe::new()));
    for n in 1..=5 {
        publish(&a, "t", &n.to_string()).await;
    }
    assert_eq!(data(&reader.take(5).await), ["1", "2", "3", "4", "5"]);
    server.stop(true);
    // Down: publishing is a typed error, quickly; the stream stays open.
    let started = std::time::Instant::now();
    let refused = a.publish("t", Event::new().data("lost")).await;
    assert!(
        matches!(refused, Err(PublishError::Unavailable(_))),
        "{refused:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(reader.quiet(Duration::from_millis(500)).await.is_empty());
    assert!(!reader.ended, "streams stay open while Redis is away");
    server.restart();
    // Back with its data: numbering goes on (under a new epoch: a restarted server may
    // have lost writes, so the log fences, which costs a stream that lost nothing
    // nothing), nothing repeated.
    let mut published = Vec::new();
    for n in 6..=8 {
        published.push(publish_until_accepted(&a, &n.to_string()).await.id);
    }
    let after = reader.take(3).await;
    assert_eq!(data(&after), ["6", "7", "8"]);
    assert!(!reader.ended);
    assert_eq!(seq(&after[0].last_event_id), 6);
}

#[tokio::test]
async fn redis_back_without_its_data_resets_the_streams_that_lost_events() {
    let mut server = RedisServer::start();
    let url = server.url();
    let name = unique_name("amnesia");
    let a = hub(&url, &name);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut reader = Reader::new(a.subscribe(Subscribe::new()));
    let mut last = String::new();
    for n in 1..=5 {
        last = publish(&a, "t", &n.to_string()).await;
    }
    assert_eq!(reader.take(5).await.len(), 5);
    server.stop(false);
    server.restart();
    // Numbering restarts at 1 in Redis, with a new epoch.
    let fresh = publish_until_accepted(&a, "after").await;
    assert_eq!(fresh.seq, 1);
    let new_epoch = fresh.id.rsplit_once('-').unwrap().0.to_owned();
    assert_ne!(new_epoch, last.rsplit_once('-').unwrap().0);
    // The open stream had events 1 to 5, now lost: a reset in the stream, then the new
    // event; it does not end.
    let got = reader.take(2).await;
    assert_eq!(got[0].data, r#"{"reason":"lost"}"#);
    assert_eq!(got[0].last_event_id, format!("{new_epoch}-0"));
    assert_eq!(data(&got[1..]), ["after"]);
    assert!(!reader.ended);
    let mut old = Reader::new(a.subscribe(Subscribe::new().last_event_id(&last)));
    let got = old.take(2).await;
    assert_eq!(got[0].data, r#"{"reason":"lost"}"#);
    assert_eq!(got[0].last_event_id, format!("{new_epoch}-0"));
    assert_eq!(got[1].last_event_id, fresh.id);
}

#[tokio::test]
async fn a_resume_waits_for_redis_with_the_stream_open() {
    let mut server = RedisServer::start();
    let url = server.url();
    let name = unique_name("wait");
    let a = hub(&url, &name);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let first = publish(&a, "t", "1").await;
    publish(&a, "t", "2").await;
    server.stop(true);
    // A fresh instance while Redis is away: nothing to resume from yet, no error either.
    let b = hub(&url, &name);
    let mut resumed = Reader::new(b.subscribe(Subscribe::new().last_event_id(&first)));
    assert!(resumed.quiet(Duration::from_millis(500)).await.is_empty());
    assert!(!resumed.ended);
    server.restart();
    assert_eq!(data(&resumed.take(1).await), ["2"]);
}

#[tokio::test]
async fn publish_once_appends_one_event_per_key_across_instances() {
    let (url, _server) = redis_url();
    let name = unique_name("once");
    let (a, b) = (hub(&url, &name), hub(&url, &name));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut reader = Reader::new(b.subscribe(Subscribe::new()));
    let first = a
        .publish_once("tick-7", "t", Event::new().data("7"))
        .await
        .unwrap();
    let second = b
        .publish_once("tick-7", "t", Event::new().data("7"))
        .await
        .unwrap();
    assert!(first.fresh && !second.fresh);
    assert_eq!(first.id, second.id);
    publish(&a, "t", "8").await;
    assert_eq!(data(&reader.take(2).await), ["7", "8"]);
    assert!(reader.quiet(Duration::from_millis(300)).await.is_empty());
}

#[tokio::test]
async fn dropping_the_last_hub_ends_its_streams_instead_of_leaving_them_silent() {
    let (url, _server) = redis_url();
    let name = unique_name("drop");
    let (a, b) = (hub(&url, &name), hub(&url, &name));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut orphan = Reader::new(b.subscribe(Subscribe::new()));
    publish(&a, "t", "1").await;
    assert_eq!(data(&orphan.take(1).await), ["1"]);
    drop(b);
    // Nothing follows the log for it any more: its stream ends, its client reconnects.
    assert!(orphan.quiet(Duration::from_millis(500)).await.is_empty());
    assert!(orphan.ended);
}

#[tokio::test]
async fn an_event_with_its_own_id_is_refused() {
    let (url, _server) = redis_url();
    let a = hub(&url, &unique_name("idset"));
    let refused = a
        .publish("t", Event::new().try_id("mine").unwrap().data("x"))
        .await;
    assert_eq!(refused, Err(PublishError::IdSet));
}

#[derive(Debug, Clone)]
enum Step {
    /// This many events published on instance 0 or 1.
    Publish(usize, u8),
    /// The client reads up to this many frames, then its connection breaks and it
    /// reconnects, with its last id, to instance 0, 1 or a brand-new one (2).
    Reconnect(u8, usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..2usize, 1..15u8).prop_map(|(instance, count)| Step::Publish(instance, count)),
        (0..3u8, 0..3usize).prop_map(|(frames, instance)| Step::Reconnect(frames, instance)),
    ]
}

/// Random publishes on either instance; a client cut off at random points reconnects to
/// a random instance (a fresh one included): it sees every event exactly once, in order.
#[test]
fn resume_across_instances_sees_every_event_exactly_once() {
    let (url, _server) = redis_url();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 32,
        ..ProptestConfig::default()
    });
    let steps = prop::collection::vec(step(), 1..25);
    runner
        .run(&steps, |steps| {
            runtime.block_on(resume_case(&url, steps));
            Ok(())
        })
        .unwrap();
}

async fn resume_case(url: &str, steps: Vec<Step>) {
    let name = unique_name("prop");
    let instances = [hub(url, &name), hub(url, &name)];
    tokio::time::sleep(Duration::from_millis(150)).await;
    let mut fresh = Vec::new();
    let mut published = 0u64;
    let mut seen: Vec<u64> = Vec::new();
    let mut client = Reader::new(instances[0].subscribe(Subscribe::new()));
    let numbers = |events: Vec<Parsed>| -> Vec<u64> {
        events
            .iter()
            .map(|event| event.data.parse().unwrap())
            .collect()
    };
    for step in steps {
        match step {
            Step::Publish(instance, count) => {
                for _ in 0..count {
                    published += 1;
                    publish(&instances[instance], "t", &published.to_string()).await;
                }
            }
            Step::Reconnect(frames, instance) => {
                for _ in 0..frames {
                    seen.extend(numbers(client.next_frame(Duration::from_millis(30)).await));
                }
                let options = if client.last_id.is_empty() {
                    Subscribe::new()
                } else {
                    Subscribe::new().last_event_id(client.last_id.clone())
                };
                let target = if instance == 2 {
                    fresh.push(hub(url, &name));
                    fresh.last().unwrap()
                } else {
                    &instances[instance]
                };
                let last_id = std::mem::take(&mut client.last_id);
                client = Reader::new(target.subscribe(options));
                client.last_id = last_id;
            }
        }
    }
    // Read until the newest event arrives: what came before a client's first id may be
    // missed (that is SSE), so a count would wait for events that never come.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while published > 0
        && seen.last() != Some(&published)
        && tokio::time::Instant::now() < deadline
        && !client.ended
    {
        seen.extend(numbers(client.next_frame(Duration::from_millis(200)).await));
    }
    seen.extend(numbers(client.quiet(Duration::from_millis(50)).await));
    if let Some(&first) = seen.first() {
        let expected: Vec<u64> = (first..=published).collect();
        assert_eq!(seen, expected);
    }
}

#[tokio::test]
async fn resumes_abandoned_while_redis_is_down_leave_nothing_behind() {
    let mut server = RedisServer::start();
    let url = server.url();
    let name = unique_name("abandoned");
    let a = hub(&url, &name);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let first = publish(&a, "t", "1").await;
    server.stop(true);
    let b = hub(&url, &name);
    // A client retrying every few hundred ms while Redis is away: each attempt is dropped.
    for _ in 0..20 {
        drop(b.subscribe(Subscribe::new().last_event_id(&first)));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let tasks = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    // The hubs' own tasks (a writer and a follower each), and nothing per attempt.
    assert!(tasks <= 4, "{tasks} tasks alive");
}

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
