//! The engine-level suite: one source, run on every engine (in memory, a private
//! `redis-server`, a private `nats-server -js`). Each test is a function of the engine;
//! `on_engines!` runs it on those it applies to: everything that involves one instance
//! or several on one engine on all three (in memory "several instances" are clones of one
//! hub), and what involves a server going away, coming back or losing its data on the
//! shared engines. Redis's own faults (Sentinel, replicas, eviction, killed
//! connections) are in `engine_faults.rs` and `redis_engine.rs`, NATS's in
//! `nats_engine.rs`.

// Without a shared engine only the tests that run in memory are used.
#![cfg_attr(not(any(feature = "redis", feature = "nats")), allow(dead_code))]

#[path = "support/engines.rs"]
mod engines;
#[path = "support/shared_hubs.rs"]
mod shared_hubs;

use std::time::Duration;

use engines::{SharedEngine, TestEngine};
use proptest::prelude::*;
use shared_hubs::*;
use sse_conformance::parser::Event as Parsed;
use sse_layer::hub::{Hub, Overflow, PublishError, QueueLimits, Subscribe};
use sse_layer::Event;

/// A log name no other test uses.
fn unique_name(test: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{test}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs each named test on each named engine: `name::memory`, `name::redis`,
/// `name::nats` (the last two with their features).
macro_rules! on_engines {
    ($($test:ident: $($engine:ident)+;)+) => {
        $(mod $test {
            #[allow(unused_imports)]
            use crate::engines::TestEngine as _;
            $(on_engines!(@one $test $engine);)+
        })+
    };
    (@one $test:ident memory) => {
        #[tokio::test]
        async fn memory() {
            super::$test(crate::engines::Memory::start()).await
        }
    };
    (@one $test:ident redis) => {
        #[cfg(feature = "redis")]
        #[tokio::test]
        async fn redis() {
            super::$test(crate::engines::Redis::start()).await
        }
    };
    (@one $test:ident nats) => {
        #[cfg(feature = "nats")]
        #[tokio::test]
        async fn nats() {
            super::$test(crate::engines::Nats::start()).await
        }
    };
}

on_engines! {
    an_event_published_anywhere_reaches_every_instance_in_one_order: memory redis nats;
    a_resume_that_races_live_events_has_no_gap_and_no_duplicate: memory redis nats;
    publish_once_appends_one_event_per_key_across_instances: memory redis nats;
    an_event_with_its_own_id_is_refused: memory redis nats;
    the_wire_is_the_same_whichever_engine_numbered_the_event: memory redis nats;
    each_subscriber_has_its_own_queue_and_overflow_policy: redis nats;
    a_client_resumes_on_another_instance_or_a_restarted_one: redis nats;
    trimmed_past_the_client_is_expired_and_after_a_loss_old_ids_are_lost: redis nats;
    the_engine_down_then_back_with_its_data_loses_nothing_and_repeats_nothing: redis nats;
    the_engine_back_without_its_data_resets_the_streams_that_lost_events: redis nats;
    a_restart_from_an_older_copy_never_reuses_an_id: redis nats;
    a_resume_waits_for_the_engine_with_the_stream_open: redis nats;
    dropping_the_last_hub_ends_its_streams_instead_of_leaving_them_silent: redis nats;
    resumes_abandoned_while_the_engine_is_down_leave_nothing_behind: redis nats;
}

/// Give the followers a moment to read the (empty) log before the first publish.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

async fn an_event_published_anywhere_reaches_every_instance_in_one_order(engine: impl TestEngine) {
    let name = unique_name("order");
    let (a, b) = (engine.hub(&name), engine.hub(&name));
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
    settle().await;
    // Publishers on both instances at once: the log decides one order.
    let burst = |hub: Hub, label: &'static str| async move {
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

async fn each_subscriber_has_its_own_queue_and_overflow_policy(engine: impl TestEngine) {
    let name = unique_name("overflow");
    let a = engine.hub(&name);
    let small = QueueLimits {
        events: 4,
        bytes: 1 << 20,
    };
    let b = engine.hub_with(&name, 1000, |builder| {
        builder.queue_limits(small).overflow(Overflow::Disconnect)
    });
    let c = engine.hub_with(&name, 1000, |builder| {
        builder.queue_limits(small).overflow(Overflow::DropOldest)
    });
    settle().await;
    let mut stalled = Reader::new(b.subscribe(Subscribe::new()));
    let mut reading = Reader::new(b.subscribe(Subscribe::new()));
    let mut dropping = Reader::new(c.subscribe(Subscribe::new()));
    let mut got = Vec::new();
    let mut last = String::new();
    for n in 1..=20 {
        last = publish(&a, "t", &n.to_string()).await;
        got.extend(reading.take(1).await);
    }
    // Each instance's follower delivers on its own time: `c`'s too, before it is read.
    caught_up(&c, &last).await;
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

async fn a_client_resumes_on_another_instance_or_a_restarted_one(engine: impl TestEngine) {
    let name = unique_name("resume");
    let a = engine.hub(&name);
    settle().await;
    let mut client = Reader::new(a.subscribe(Subscribe::topic("t")));
    for n in 1..=10 {
        publish(&a, "t", &n.to_string()).await;
    }
    let first = client.take(3).await;
    assert_eq!(data(&first[..3]), ["1", "2", "3"]);
    let last_id = first[2].last_event_id.clone();
    drop(client);
    // A brand-new instance (a restart, or another one behind the balancer) has none of
    // this in memory: the replay comes from the engine, then the live events.
    let b = engine.hub(&name);
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

async fn a_resume_that_races_live_events_has_no_gap_and_no_duplicate(engine: impl TestEngine) {
    let name = unique_name("race");
    let publisher = engine.hub(&name);
    settle().await;
    let first = publish(&publisher, "t", "0").await;
    // Events keep coming while fresh instances resume from the first one: the replay
    // (from the engine) and the live events (from each follower) must meet exactly.
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
        let instance = engine.hub(&name);
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

async fn trimmed_past_the_client_is_expired_and_after_a_loss_old_ids_are_lost(
    mut engine: impl SharedEngine,
) {
    let name = unique_name("reset");
    let a = engine.hub_with(&name, 5, |builder| {
        builder
            .window(2, 1 << 20)
            .follow_wait(Duration::from_millis(100))
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let early = publish(&a, "t", "1").await;
    let mut newest = String::new();
    for n in 2..=20 {
        newest = publish(&a, "t", &n.to_string()).await;
    }
    caught_up(&a, &newest).await;
    // The engine keeps 5, the window 2: the id of event 1 can be resumed from neither.
    let mut expired = Reader::new(a.subscribe(Subscribe::new().last_event_id(&early)));
    let reset = expired.take(1).await;
    assert_eq!(reset[0].event_type, "reset");
    assert_eq!(reset[0].data, r#"{"reason":"expired"}"#);
    assert_eq!(reset[0].last_event_id, newest, "the cursor moves to now");
    // Event 16 is still in the engine (not in the window): a plain resume.
    let sixteen = format!("{}-15", newest.rsplit_once('-').unwrap().0);
    let mut fine = Reader::new(a.subscribe(Subscribe::new().last_event_id(&sixteen)));
    assert_eq!(data(&fine.take(5).await), ["16", "17", "18", "19", "20"]);
    // Never issued: unknown.
    let future = format!("{}-999", newest.rsplit_once('-').unwrap().0);
    let mut unknown = Reader::new(a.subscribe(Subscribe::new().last_event_id(&future)));
    assert_eq!(unknown.take(1).await[0].data, r#"{"reason":"unknown"}"#);

    // The engine loses everything: the counter would start again at 1, but the epoch
    // changes, so the old id can never resume into new events, however its number
    // compares. A stream that had events gets a `lost` reset in place (its id: the start
    // of the new history), then the new events; a stream that had none just gets the new
    // events. None ends.
    let mut fresh = Reader::new(a.subscribe(Subscribe::new()));
    let mut had = Reader::new(a.subscribe(Subscribe::new()));
    publish(&a, "t", "21").await;
    assert_eq!(data(&had.take(1).await), ["21"]);
    engine.lose_everything();
    // (The engine retains 5 here: 3 new events all stay.)
    let mut ids = Vec::new();
    for n in 1..=3 {
        ids.push(publish_until_accepted(&a, &format!("new{n}")).await.id);
    }
    let new_epoch = ids[0].rsplit_once('-').unwrap().0.to_owned();
    assert_ne!(new_epoch, newest.rsplit_once('-').unwrap().0);
    let news: Vec<String> = (1..=3).map(|n| format!("new{n}")).collect();
    // It had not read 21 yet when the follower noticed the loss (an engine that was away
    // meanwhile is noticed once it answers again): that event no longer exists, so it is
    // dropped from its queue, and since the stream had given out nothing that was lost,
    // no reset.
    delivered(&a, &ids[2]).await;
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
    // Old ids, on the instance that saw the loss and on a new one: `lost`, then the
    // events the new history holds (none of them is skipped by the reset's cursor).
    let b = engine.hub_with(&name, 5, |builder| builder);
    for instance in [&a, &b] {
        let mut old = Reader::new(instance.subscribe(Subscribe::new().last_event_id(&early)));
        let got = old.take(4).await;
        assert_eq!(got[0].data, r#"{"reason":"lost"}"#, "{instance:?}");
        assert_eq!(got[0].last_event_id, format!("{new_epoch}-0"));
        assert_eq!(data(&got[1..]), news);
    }
}

async fn the_engine_down_then_back_with_its_data_loses_nothing_and_repeats_nothing(
    mut engine: impl SharedEngine,
) {
    let name = unique_name("restart");
    let a = engine.hub(&name);
    let b = engine.hub(&name);
    settle().await;
    let mut reader = Reader::new(b.subscribe(Subscribe::new()));
    for n in 1..=5 {
        publish(&a, "t", &n.to_string()).await;
    }
    assert_eq!(data(&reader.take(5).await), ["1", "2", "3", "4", "5"]);
    engine.stop(true);
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
    assert!(!reader.ended, "streams stay open while the engine is away");
    engine.restart();
    // Back with its data: numbering goes on (under a new epoch: a restarted server may
    // have lost writes, so the log fences, which costs a stream that lost nothing
    // nothing), nothing repeated.
    for n in 6..=8 {
        publish_until_accepted(&a, &n.to_string()).await;
    }
    let after = reader.take(3).await;
    assert_eq!(data(&after), ["6", "7", "8"]);
    assert!(!reader.ended);
    assert_eq!(seq(&after[0].last_event_id), 6);
}

/// SIGKILL, and back from a copy older than the last events (Redis: an RDB snapshot;
/// NATS: a copy of the store): those events are gone under the same epoch.
async fn a_restart_from_an_older_copy_never_reuses_an_id(mut engine: impl SharedEngine) {
    let name = unique_name("snapshot");
    let (a, b) = (engine.hub(&name), engine.hub(&name));
    settle().await;
    let mut live = Reader::new(b.subscribe(Subscribe::new()));
    let mut ids = vec![String::new()];
    for n in 1..=5 {
        ids.push(publish(&a, "t", &n.to_string()).await);
    }
    engine.checkpoint();
    for n in 6..=8 {
        ids.push(publish(&a, "t", &n.to_string()).await);
    }
    assert_eq!(live.take(8).await.len(), 8);
    // SIGKILL, and back from the copy: events 6 to 8 are gone, the epoch is the same.
    engine.kill_back_to_checkpoint();
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
    let c = engine.hub(&name);
    for instance in [&a, &b, &c] {
        assert_resumes_after_a_partial_loss(instance, &ids, &next, &cursor).await;
    }
}

async fn the_engine_back_without_its_data_resets_the_streams_that_lost_events(
    mut engine: impl SharedEngine,
) {
    let name = unique_name("amnesia");
    let a = engine.hub(&name);
    settle().await;
    let mut reader = Reader::new(a.subscribe(Subscribe::new()));
    let mut last = String::new();
    for n in 1..=5 {
        last = publish(&a, "t", &n.to_string()).await;
    }
    assert_eq!(reader.take(5).await.len(), 5);
    engine.stop(false);
    engine.restart();
    // Numbering restarts at 1, with a new epoch.
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

async fn a_resume_waits_for_the_engine_with_the_stream_open(mut engine: impl SharedEngine) {
    let name = unique_name("wait");
    let a = engine.hub(&name);
    settle().await;
    let first = publish(&a, "t", "1").await;
    publish(&a, "t", "2").await;
    engine.stop(true);
    // A fresh instance while the engine is away: nothing to resume from yet, no error
    // either.
    let b = engine.hub(&name);
    let mut resumed = Reader::new(b.subscribe(Subscribe::new().last_event_id(&first)));
    assert!(resumed.quiet(Duration::from_millis(500)).await.is_empty());
    assert!(!resumed.ended);
    engine.restart();
    assert_eq!(data(&resumed.take(1).await), ["2"]);
}

async fn publish_once_appends_one_event_per_key_across_instances(engine: impl TestEngine) {
    let name = unique_name("once");
    let (a, b) = (engine.hub(&name), engine.hub(&name));
    settle().await;
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
    let other = b
        .publish_once("tick-7", "t", Event::new().data("not 7"))
        .await;
    assert_eq!(other, Err(PublishError::KeyReused));
    publish(&a, "t", "8").await;
    assert_eq!(data(&reader.take(2).await), ["7", "8"]);
    assert!(reader.quiet(Duration::from_millis(300)).await.is_empty());
}

async fn dropping_the_last_hub_ends_its_streams_instead_of_leaving_them_silent(
    engine: impl TestEngine,
) {
    let name = unique_name("drop");
    let (a, b) = (engine.hub(&name), engine.hub(&name));
    settle().await;
    let mut orphan = Reader::new(b.subscribe(Subscribe::new()));
    publish(&a, "t", "1").await;
    assert_eq!(data(&orphan.take(1).await), ["1"]);
    drop(b);
    // Nothing follows the log for it any more: its stream ends, its client reconnects.
    assert!(orphan.quiet(Duration::from_millis(500)).await.is_empty());
    assert!(orphan.ended);
}

async fn the_wire_is_the_same_whichever_engine_numbered_the_event(engine: impl TestEngine) {
    use http_body_util::BodyExt;
    let a = engine.hub(&unique_name("wire"));
    settle().await;
    let mut subscription = a.subscribe(Subscribe::new());
    let event = Event::new()
        .comment("note")
        .event(sse_layer::event_name!("kind"))
        .retry(Duration::from_millis(1500))
        .data("a\nb");
    let published = a.publish("t", event).await.unwrap();
    let frame = tokio::time::timeout(PATIENCE, subscription.frame())
        .await
        .unwrap()
        .unwrap()
        .unwrap()
        .into_data()
        .unwrap();
    assert_eq!(
        frame,
        format!(
            "id: {}\n: note\nevent: kind\nretry: 1500\ndata: a\ndata: b\n\n",
            published.id
        )
    );
}

async fn an_event_with_its_own_id_is_refused(engine: impl TestEngine) {
    let a = engine.hub(&unique_name("idset"));
    let refused = a
        .publish("t", Event::new().try_id("mine").unwrap().data("x"))
        .await;
    assert_eq!(refused, Err(PublishError::IdSet));
}

async fn resumes_abandoned_while_the_engine_is_down_leave_nothing_behind(
    mut engine: impl SharedEngine,
) {
    let name = unique_name("abandoned");
    let a = engine.hub(&name);
    settle().await;
    let first = publish(&a, "t", "1").await;
    engine.stop(true);
    let b = engine.hub(&name);
    let alive = || {
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
    };
    drop(b.subscribe(Subscribe::new().last_event_id(&first)));
    tokio::time::sleep(Duration::from_secs(1)).await;
    // The hubs' own tasks (a writer and a follower each, and their engine clients').
    let before = alive();
    // A client retrying every few hundred ms while the engine is away: each attempt is
    // dropped.
    for _ in 0..20 {
        drop(b.subscribe(Subscribe::new().last_event_id(&first)));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Nothing per attempt.
    assert!(
        alive() <= before,
        "{} tasks alive, {before} before",
        alive()
    );
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
fn resume_across_instances_sees_every_event_exactly_once(engine: impl TestEngine) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 32,
        ..ProptestConfig::default()
    });
    let steps = prop::collection::vec(step(), 1..25);
    runner
        .run(&steps, |steps| {
            runtime.block_on(resume_case(&engine, steps));
            Ok(())
        })
        .unwrap();
}

mod resume_across_instances_sees_every_event_exactly_once {
    use crate::engines::TestEngine as _;

    #[test]
    fn memory() {
        super::resume_across_instances_sees_every_event_exactly_once(
            crate::engines::Memory::start(),
        );
    }

    #[cfg(feature = "redis")]
    #[test]
    fn redis() {
        super::resume_across_instances_sees_every_event_exactly_once(crate::engines::Redis::start());
    }

    #[cfg(feature = "nats")]
    #[test]
    fn nats() {
        super::resume_across_instances_sees_every_event_exactly_once(crate::engines::Nats::start());
    }
}

async fn resume_case(engine: &impl TestEngine, steps: Vec<Step>) {
    let name = unique_name("prop");
    let instances = [engine.hub(&name), engine.hub(&name)];
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
                    fresh.push(engine.hub(&name));
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
