//! The hub and the replay log: resume without gap or duplicate, reset signals, topics and
//! filters, each overflow policy, and a stalled subscriber among 1,000.
//!
//! Bodies are polled by hand (`now_or_never`): delivery here involves no timer at all, so
//! every test is deterministic.

use bytes::Bytes;
use futures_util::FutureExt;
use http_body::Body;
use http_body_util::BodyExt;
use proptest::prelude::*;
use sse_conformance::parser::{Event as Parsed, Item, Parser};
use sse_layer::hub::{Hub, Overflow, QueueLimits, Subscribe, Subscription};
use sse_layer::lifecycle::{DisconnectReason, EndReason};
use sse_layer::replay::MemoryLog;
use sse_layer::Event;

/// A hub in memory publishes at once: the future is ready when first polled.
trait Now: std::future::Future + Sized {
    fn now(self) -> Self::Output {
        self.now_or_never()
            .expect("a hub in memory publishes at once")
    }
}

impl<F: std::future::Future> Now for F {}

/// The next frame if one is ready: `Some(None)` when the body has ended.
fn poll_frame(subscription: &mut Subscription) -> Option<Option<Bytes>> {
    subscription
        .frame()
        .now_or_never()
        .map(|frame| frame.map(|frame| frame.unwrap().into_data().unwrap()))
}

/// Everything ready now, parsed, and whether the stream ended.
fn drain(subscription: &mut Subscription, parser: &mut Parser) -> (Vec<Parsed>, bool) {
    let mut events = Vec::new();
    loop {
        match poll_frame(subscription) {
            None => return (events, false),
            Some(None) => return (events, true),
            Some(Some(bytes)) => {
                for item in parser.feed_to_vec(&bytes).unwrap() {
                    if let Item::Event(event) = item {
                        events.push(event);
                    }
                }
            }
        }
    }
}

fn read_all(subscription: &mut Subscription) -> Vec<Parsed> {
    drain(subscription, &mut Parser::new()).0
}

fn publish_numbers(hub: &Hub, topic: &str, range: std::ops::RangeInclusive<u64>) {
    for n in range {
        hub.publish(topic, Event::new().data(n.to_string()))
            .now()
            .unwrap();
    }
}

fn data(events: &[Parsed]) -> Vec<String> {
    events.iter().map(|event| event.data.clone()).collect()
}

/// The id `hub` gives (or gave) event `seq`: `<epoch>-<seq>`, the epoch read off the
/// newest event.
fn id_of(hub: &Hub, seq: u64) -> String {
    let newest = hub.newest().expect("an event was published");
    let text = std::str::from_utf8(newest.bytes()).unwrap();
    let id = text
        .lines()
        .find_map(|line| line.strip_prefix("id: "))
        .unwrap();
    format!("{}-{seq}", id.rsplit_once('-').unwrap().0)
}

fn seq_of(id: &str) -> u64 {
    id.rsplit_once('-').unwrap().1.parse().unwrap()
}

#[test]
fn resume_replays_what_was_missed_then_goes_live() {
    let hub = Hub::new();
    publish_numbers(&hub, "t", 1..=5);
    let mut resumed = hub.subscribe(Subscribe::new().last_event_id(id_of(&hub, 2)));
    publish_numbers(&hub, "t", 6..=7);
    let events = read_all(&mut resumed);
    assert_eq!(data(&events), ["3", "4", "5", "6", "7"]);
    let ids: Vec<_> = events.iter().map(|e| e.last_event_id.clone()).collect();
    let expected: Vec<_> = (3..=7).map(|seq| id_of(&hub, seq)).collect();
    assert_eq!(ids, expected, "the id is <epoch>-<sequence number>");
}

#[test]
fn an_unknown_or_expired_id_gets_a_reset_event_with_the_newest_id() {
    let hub = Hub::builder().replay(MemoryLog::new(3, 1 << 20)).build();
    let mut unknown_on_empty = hub.subscribe(Subscribe::new().last_event_id("banana"));
    publish_numbers(&hub, "t", 1..=6);
    let events = read_all(&mut unknown_on_empty);
    assert_eq!(events[0].event_type, "reset");
    assert_eq!(events[0].data, r#"{"reason":"unknown"}"#);
    assert_eq!(
        events[0].last_event_id,
        id_of(&hub, 0),
        "no event yet: the cursor is the start of this log"
    );
    assert_eq!(data(&events[1..]), ["1", "2", "3", "4", "5", "6"]);

    // Events 4..=6 are retained: a client that has 2 lost event 3 for good.
    let mut expired = hub.subscribe(Subscribe::new().last_event_id(id_of(&hub, 2)));
    publish_numbers(&hub, "t", 7..=7);
    let events = read_all(&mut expired);
    assert_eq!(events[0].event_type, "reset");
    assert_eq!(events[0].data, r#"{"reason":"expired"}"#);
    assert_eq!(
        events[0].last_event_id,
        id_of(&hub, 6),
        "the cursor moves to now"
    );
    assert_eq!(
        data(&events[1..]),
        ["7"],
        "then live, without the stale replay"
    );

    // Events 5..=7 are retained now: a client that has 4 misses nothing.
    let mut just_in_time = hub.subscribe(Subscribe::new().last_event_id(id_of(&hub, 4)));
    assert_eq!(data(&read_all(&mut just_in_time)), ["5", "6", "7"]);

    // An id from the future (another instance) is unknown too, and so is a bare number.
    for id in [id_of(&hub, 99), "5".to_owned()] {
        let mut future = hub.subscribe(Subscribe::new().last_event_id(id));
        assert_eq!(read_all(&mut future)[0].data, r#"{"reason":"unknown"}"#);
    }
}

#[test]
fn after_a_restart_an_id_of_the_previous_run_gets_a_reset_not_other_events() {
    // The previous run: the client saw events 1 to 3.
    let before = Hub::new();
    publish_numbers(&before, "t", 1..=3);
    let kept_by_the_client = id_of(&before, 3);
    drop(before);
    // The process restarted: a new hub numbers from 1 again.
    let after = Hub::new();
    publish_numbers(&after, "t", 1..=6);
    let mut resumed = after.subscribe(Subscribe::new().last_event_id(&kept_by_the_client));
    let events = read_all(&mut resumed);
    assert_eq!(
        events.len(),
        1,
        "a reset only, not this run's 4, 5, 6: {events:?}"
    );
    assert_eq!(events[0].data, r#"{"reason":"unknown"}"#);
    assert_eq!(events[0].last_event_id, id_of(&after, 6));
    assert_ne!(kept_by_the_client, id_of(&after, 3), "a new epoch");
}

#[test]
fn publish_once_appends_one_event_per_key_and_refuses_a_reused_key() {
    let hub = Hub::builder().replay(MemoryLog::new(3, 1 << 20)).build();
    let mut reader = hub.subscribe(Subscribe::new());
    let first = hub
        .publish_once("k1", "t", Event::new().data("a"))
        .now()
        .unwrap();
    let again = hub
        .publish_once("k1", "t", Event::new().data("a"))
        .now()
        .unwrap();
    assert!(first.fresh && !again.fresh);
    assert_eq!(
        (again.seq, again.id.clone(), again.delivered),
        (1, first.id.clone(), 0)
    );
    assert_eq!(data(&read_all(&mut reader)), ["a"], "delivered once");
    for reused in [
        hub.publish_once("k1", "t", Event::new().data("b")).now(),
        hub.publish_once("k1", "other", Event::new().data("a"))
            .now(),
    ] {
        assert_eq!(reused, Err(sse_layer::hub::PublishError::KeyReused));
    }
    // Keys are remembered as long as their event is retained (3 here).
    publish_numbers(&hub, "t", 2..=4);
    let later = hub
        .publish_once("k1", "t", Event::new().data("a"))
        .now()
        .unwrap();
    assert!(later.fresh, "event 1 is no longer retained, nor its key");
}

#[test]
fn the_reset_event_is_configurable() {
    let hub = Hub::builder()
        .reset_event(|reason| {
            Event::new()
                .event(sse_layer::event_name!("resync"))
                .data(reason.as_str())
        })
        .build();
    publish_numbers(&hub, "t", 1..=1);
    let mut subscription = hub.subscribe(Subscribe::new().last_event_id("x"));
    let events = read_all(&mut subscription);
    assert_eq!(
        (
            events[0].event_type.as_ref(),
            events[0].data.as_str(),
            events[0].last_event_id.clone()
        ),
        ("resync", "unknown", id_of(&hub, 1))
    );
}

#[test]
fn events_with_their_own_id_are_refused() {
    let hub = Hub::new();
    let error = hub
        .publish("t", Event::new().try_id("7").unwrap().data("x"))
        .now()
        .unwrap_err();
    assert!(error.to_string().contains("assigns ids"), "{error}");
    assert!(hub.newest().is_none(), "nothing was published");
}

#[test]
fn topics_and_filters_choose_what_a_subscriber_gets_live_and_in_replay() {
    let hub = Hub::new();
    let mut news = hub.subscribe(Subscribe::topic("news"));
    let mut both = hub.subscribe(Subscribe::topic("news").and_topic("sport"));
    let mut everything = hub.subscribe(Subscribe::new());
    let mut no_internal =
        hub.subscribe(Subscribe::new().filter(|record| record.key() != Some("internal")));
    hub.publish("news", Event::new().data("n1")).now().unwrap();
    hub.publish("sport", Event::new().data("s1")).now().unwrap();
    hub.publish_keyed("news", "internal", Event::new().data("secret"))
        .now()
        .unwrap();
    hub.publish("weather", Event::new().data("w1"))
        .now()
        .unwrap();
    assert_eq!(data(&read_all(&mut news)), ["n1", "secret"]);
    assert_eq!(data(&read_all(&mut both)), ["n1", "s1", "secret"]);
    assert_eq!(
        data(&read_all(&mut everything)),
        ["n1", "s1", "secret", "w1"]
    );
    assert_eq!(data(&read_all(&mut no_internal)), ["n1", "s1", "w1"]);

    // The replay applies the same topics and filter.
    let mut resumed = hub.subscribe(
        Subscribe::topic("news")
            .filter(|record| record.key().is_none())
            .last_event_id(id_of(&hub, 1)),
    );
    assert_eq!(
        read_all(&mut resumed).len(),
        0,
        "only n1 matches, and it is not after 1"
    );
    let mut resumed = hub.subscribe(
        Subscribe::topic("sport")
            .and_topic("weather")
            .last_event_id(id_of(&hub, 1)),
    );
    assert_eq!(data(&read_all(&mut resumed)), ["s1", "w1"]);
}

#[test]
fn a_subscriber_that_went_away_is_forgotten() {
    let hub = Hub::new();
    let first = hub.subscribe(Subscribe::topic("a"));
    let second = hub.subscribe(Subscribe::topic("a").and_topic("b"));
    assert_eq!(
        hub.publish("a", Event::new().data("x"))
            .now()
            .unwrap()
            .delivered,
        2
    );
    drop(first);
    assert_eq!(
        hub.publish("a", Event::new().data("x"))
            .now()
            .unwrap()
            .delivered,
        1
    );
    drop(second);
    assert_eq!(
        hub.publish("b", Event::new().data("x"))
            .now()
            .unwrap()
            .delivered,
        0
    );
    assert_eq!(hub.subscribers(), 0);
}

#[test]
fn a_subscriber_that_is_behind_gets_its_events_in_one_frame() {
    let hub = Hub::new();
    let mut subscription = hub.subscribe(Subscribe::new());
    publish_numbers(&hub, "t", 1..=50);
    let frame = poll_frame(&mut subscription).unwrap().unwrap();
    let mut parser = Parser::new();
    assert_eq!(
        parser.feed_to_vec(&frame).unwrap().len(),
        50,
        "one write for 50 queued events"
    );
    // A lone event goes out as the hub's own shared bytes.
    hub.publish("t", Event::new().data("solo")).now().unwrap();
    let frame = poll_frame(&mut subscription).unwrap().unwrap();
    assert_eq!(
        frame.as_ptr(),
        hub.newest().unwrap().bytes().as_ptr(),
        "no copy"
    );
}

fn small_queue(overflow: Overflow) -> Hub {
    Hub::builder()
        .queue_limits(QueueLimits {
            events: 4,
            bytes: 1 << 20,
        })
        .overflow(overflow)
        .build()
}

#[test]
fn overflow_disconnect_sends_what_is_queued_then_ends_as_slow() {
    let hub = small_queue(Overflow::Disconnect);
    let subscription = hub.subscribe(Subscribe::new());
    let end = subscription.into_http_response();
    let reason = end.extensions().get::<EndReason>().unwrap().clone();
    let mut subscription = end.into_body();
    publish_numbers(&hub, "t", 1..=6);
    assert_eq!(
        hub.subscribers(),
        0,
        "cut off at once: publishing no longer visits it"
    );
    let (events, ended) = drain(&mut subscription, &mut Parser::new());
    assert_eq!(
        data(&events),
        ["1", "2", "3", "4"],
        "nothing skipped silently"
    );
    assert!(ended && subscription.is_end_stream());
    assert_eq!(reason.get(), Some(DisconnectReason::Slow));
    // The client comes back with its last id and catches up from the log.
    let mut resumed = hub.subscribe(Subscribe::new().last_event_id(id_of(&hub, 4)));
    assert_eq!(data(&read_all(&mut resumed)), ["5", "6"]);
}

#[test]
fn overflow_drop_oldest_keeps_the_newest_within_bounds() {
    let hub = small_queue(Overflow::DropOldest);
    let mut subscription = hub.subscribe(Subscribe::new());
    publish_numbers(&hub, "t", 1..=10);
    assert_eq!(subscription.queued(), 4);
    let (events, ended) = drain(&mut subscription, &mut Parser::new());
    assert_eq!(data(&events), ["7", "8", "9", "10"]);
    assert!(!ended, "still subscribed");
    publish_numbers(&hub, "t", 11..=11);
    assert_eq!(data(&read_all(&mut subscription)), ["11"]);
}

#[test]
fn overflow_by_bytes_counts_encoded_bytes() {
    let hub = Hub::builder()
        .queue_limits(QueueLimits {
            events: 1000,
            bytes: 130,
        })
        .overflow(Overflow::DropOldest)
        .build();
    let mut subscription = hub.subscribe(Subscribe::new());
    for _ in 0..10 {
        // `id: <12-character epoch>-N\ndata: ` + 30 bytes + `\n\n`: 57 bytes (58 for
        // event 10).
        hub.publish("t", Event::new().data("x".repeat(30)))
            .now()
            .unwrap();
    }
    assert_eq!(hub.newest().unwrap().bytes().len(), 58);
    assert_eq!(
        subscription.queued(),
        2,
        "two fit in 130 bytes, three do not"
    );
    assert_eq!(read_all(&mut subscription).len(), 2);
}

#[test]
fn overflow_coalesce_by_key_keeps_the_latest_value_in_id_order() {
    let hub = small_queue(Overflow::CoalesceByKey);
    let mut subscription = hub.subscribe(Subscribe::new());
    hub.publish_keyed("jobs", "a", Event::new().data("a 10%"))
        .now()
        .unwrap();
    hub.publish_keyed("jobs", "b", Event::new().data("b 10%"))
        .now()
        .unwrap();
    hub.publish_keyed("jobs", "c", Event::new().data("c 10%"))
        .now()
        .unwrap();
    hub.publish_keyed("jobs", "d", Event::new().data("d 10%"))
        .now()
        .unwrap();
    // Full: each new value replaces its key's queued one.
    hub.publish_keyed("jobs", "a", Event::new().data("a 50%"))
        .now()
        .unwrap();
    hub.publish_keyed("jobs", "c", Event::new().data("c 90%"))
        .now()
        .unwrap();
    hub.publish_keyed("jobs", "a", Event::new().data("a 100%"))
        .now()
        .unwrap();
    assert_eq!(subscription.queued(), 4);
    let events = read_all(&mut subscription);
    assert_eq!(data(&events), ["b 10%", "d 10%", "c 90%", "a 100%"]);
    let ids: Vec<u64> = events.iter().map(|e| seq_of(&e.last_event_id)).collect();
    assert!(
        ids.windows(2).all(|pair| pair[0] < pair[1]),
        "ids stay in order: {ids:?}"
    );

    // Nothing with the same key queued: the safe default, disconnect.
    publish_numbers(&hub, "jobs", 1..=4);
    hub.publish_keyed("jobs", "new", Event::new().data("x"))
        .now()
        .unwrap();
    let (_, ended) = drain(&mut subscription, &mut Parser::new());
    assert!(ended);
}

#[test]
fn a_stalled_subscriber_among_1000_neither_delays_the_others_nor_grows() {
    let limits = QueueLimits {
        events: 64,
        bytes: 16 * 1024,
    };
    let hub = Hub::builder().queue_limits(limits).build();
    let mut readers: Vec<(Subscription, Parser, u64)> = (0..999)
        .map(|_| (hub.subscribe(Subscribe::topic("feed")), Parser::new(), 0))
        .collect();
    let stalled = hub.subscribe(Subscribe::topic("feed"));
    let mut stalled_peak = 0;
    for round in 0..20u64 {
        // A burst bigger than a queue, then every reader but one reads.
        for n in 1..=50 {
            let published = hub
                .publish("feed", Event::new().data((round * 50 + n).to_string()))
                .now()
                .unwrap();
            assert!(published.delivered >= 999);
        }
        stalled_peak = stalled_peak.max(stalled.queued());
        for (subscription, parser, seen) in &mut readers {
            let (events, ended) = drain(subscription, parser);
            assert!(!ended);
            for event in events {
                *seen += 1;
                assert_eq!(event.data, seen.to_string(), "every event, in order");
            }
            assert_eq!(
                *seen,
                (round + 1) * 50,
                "nothing held back by the stalled one"
            );
        }
    }
    assert!(stalled_peak <= limits.events, "bounded: {stalled_peak}");
    assert_eq!(hub.subscribers(), 999, "the stalled one was cut off");
}

/// What a client does next, in the resume property.
#[derive(Debug, Clone)]
enum Step {
    /// The server publishes this many events.
    Publish(u8),
    /// The client reads what is ready.
    Read,
    /// The connection breaks after reading up to this many more frames; the client
    /// reconnects with its last event id.
    Disconnect(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1..20u8).prop_map(Step::Publish),
        Just(Step::Read),
        (0..3u8).prop_map(Step::Disconnect),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A client that reads, is cut off at arbitrary points (mid-burst, between frames,
    /// before reading anything) and resumes with `Last-Event-ID`, sees every event exactly
    /// once, in order.
    #[test]
    fn resume_across_random_disconnects_sees_every_event_exactly_once(steps in prop::collection::vec(step(), 1..60)) {
        let hub = Hub::new();
        let mut published = 0u64;
        let mut seen: Vec<u64> = Vec::new();
        let mut last_id = String::new();
        let mut parser = Parser::new();
        let mut subscription = hub.subscribe(Subscribe::new());
        let take = |subscription: &mut Subscription, parser: &mut Parser, frames: usize, seen: &mut Vec<u64>, last_id: &mut String| {
            for _ in 0..frames {
                let Some(Some(bytes)) = poll_frame(subscription) else { break };
                for item in parser.feed_to_vec(&bytes).unwrap() {
                    if let Item::Event(event) = item {
                        seen.push(event.data.parse().unwrap());
                        last_id.clone_from(&event.last_event_id);
                    }
                }
            }
        };
        for step in steps {
            match step {
                Step::Publish(count) => {
                    for _ in 0..count {
                        published += 1;
                        hub.publish("t", Event::new().data(published.to_string())).now().unwrap();
                    }
                }
                Step::Read => take(&mut subscription, &mut parser, usize::MAX, &mut seen, &mut last_id),
                Step::Disconnect(frames) => {
                    take(&mut subscription, &mut parser, usize::from(frames), &mut seen, &mut last_id);
                    let options = if last_id.is_empty() { Subscribe::new() } else { Subscribe::new().last_event_id(last_id.clone()) };
                    // The old connection is gone, and with it anything it had not delivered.
                    subscription = hub.subscribe(options);
                    parser = Parser::new();
                }
            }
        }
        take(&mut subscription, &mut parser, usize::MAX, &mut seen, &mut last_id);
        // Until a client has an id it cannot resume (that is SSE): what it missed before
        // its first event is gone. From its first event on, nothing is missed or repeated.
        if let Some(&first) = seen.first() {
            let expected: Vec<u64> = (first..=published).collect();
            prop_assert_eq!(&seen, &expected);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Whatever topic list a subscriber names (repeats included, as a query string can
    /// produce), it gets each event of those topics exactly once, live and in replay.
    #[test]
    fn a_topic_list_with_repeats_delivers_each_event_once(
        topics in prop::collection::vec(0..4u8, 1..8),
        published in prop::collection::vec(0..5u8, 1..30),
    ) {
        let name = |topic: u8| format!("t{topic}");
        let hub = Hub::new();
        let options = |first: Subscribe| topics.iter().skip(1).fold(first, |options, topic| options.and_topic(name(*topic)));
        let mut live = hub.subscribe(options(Subscribe::topic(name(topics[0]))));
        hub.publish("other", Event::new().data("0")).now().unwrap();
        for (index, topic) in published.iter().enumerate() {
            hub.publish(&name(*topic), Event::new().data((index + 1).to_string())).now().unwrap();
        }
        let expected: Vec<String> = published
            .iter()
            .enumerate()
            .filter(|(_, topic)| topics.contains(topic))
            .map(|(index, _)| (index + 1).to_string())
            .collect();
        prop_assert_eq!(data(&read_all(&mut live)), expected.clone());
        let mut replayed = hub.subscribe(options(Subscribe::topic(name(topics[0]))).last_event_id(id_of(&hub, 1)));
        prop_assert_eq!(data(&read_all(&mut replayed)), expected);
    }
}
