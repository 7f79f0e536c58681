//! A subscription read as a client reads it, publishing helpers, and hubs on a test
//! Redis for the Redis-only tests.

#![allow(dead_code)]

use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use sse_conformance::parser::{Event as Parsed, Item, Parser};
use sse_layer::hub::{Hub, Published, Subscribe, Subscription};
use sse_layer::Event;

/// How long a test waits for an event that should come.
pub const PATIENCE: Duration = Duration::from_secs(10);

#[cfg(feature = "redis")]
pub fn hub(url: &str, name: &str) -> Hub {
    hub_with(url, name, |builder| builder)
}

#[cfg(feature = "redis")]
pub fn hub_with(
    url: &str,
    name: &str,
    configure: impl FnOnce(sse_layer::hub::HubBuilder) -> sse_layer::hub::HubBuilder,
) -> Hub {
    let log = sse_layer::replay::RedisLog::builder(url)
        .name(name)
        .max_events(1000)
        .build()
        .unwrap();
    configure(Hub::builder().follow_wait(Duration::from_millis(200)))
        .engine(log)
        .build()
}

/// A subscription read as a client would: parsed events, the last id.
pub struct Reader {
    pub subscription: Subscription,
    pub parser: Parser,
    pub last_id: String,
    pub ended: bool,
}

impl Reader {
    pub fn new(subscription: Subscription) -> Self {
        Self {
            subscription,
            parser: Parser::new(),
            last_id: String::new(),
            ended: false,
        }
    }

    /// The next frame within `wait`, parsed; empty when none came or the stream ended.
    pub async fn next_frame(&mut self, wait: Duration) -> Vec<Parsed> {
        if self.ended {
            return Vec::new();
        }
        let frame = match tokio::time::timeout(wait, self.subscription.frame()).await {
            Err(_) => return Vec::new(),
            Ok(None) => {
                self.ended = true;
                return Vec::new();
            }
            Ok(Some(frame)) => frame.unwrap().into_data().unwrap(),
        };
        self.parse(&frame)
    }

    pub fn parse(&mut self, bytes: &Bytes) -> Vec<Parsed> {
        let mut events = Vec::new();
        for item in self.parser.feed_to_vec(bytes).unwrap() {
            if let Item::Event(event) = item {
                self.last_id.clone_from(&event.last_event_id);
                events.push(event);
            }
        }
        events
    }

    /// Reads until `count` events came (or `PATIENCE` passed).
    pub async fn take(&mut self, count: usize) -> Vec<Parsed> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let mut events = Vec::new();
        while events.len() < count && !self.ended {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                break;
            }
            events.extend(self.next_frame(left).await);
        }
        events
    }

    /// Whatever arrives within `wait`.
    pub async fn quiet(&mut self, wait: Duration) -> Vec<Parsed> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut events = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() || self.ended {
                return events;
            }
            events.extend(self.next_frame(left).await);
        }
    }
}

pub fn data(events: &[Parsed]) -> Vec<String> {
    events.iter().map(|event| event.data.clone()).collect()
}

pub fn seq(id: &str) -> u64 {
    id.rsplit_once('-').unwrap().1.parse().unwrap()
}

pub async fn publish(hub: &Hub, topic: &str, text: &str) -> String {
    hub.publish(topic, Event::new().data(text.to_owned()))
        .await
        .unwrap()
        .id
}

/// Publishes `text`, again and again while Redis refuses (it is coming back, or the
/// connection was just killed), for up to `PATIENCE`.
pub async fn publish_until_accepted(hub: &Hub, text: &str) -> Published {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        match hub.publish("t", Event::new().data(text.to_owned())).await {
            Ok(done) => return done,
            Err(error) => {
                assert!(std::time::Instant::now() < deadline, "{error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Waits until `hub`'s follower has delivered up to `id` (so a subscription made now
/// takes live events after it).
pub async fn caught_up(hub: &Hub, id: &str) {
    let want = seq(id);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while hub.newest().map_or(0, |record| record.seq()) < want {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the follower never reached {id}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits until `hub`'s follower has delivered the event whose id is `id` (the very one:
/// an id of another history with the same number does not count).
pub async fn delivered(hub: &Hub, id: &str) {
    let line = format!("id: {id}\n");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !hub
        .newest()
        .is_some_and(|record| record.bytes().starts_with(line.as_bytes()))
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the follower never delivered {id}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The epoch of an id `<epoch>-<seq>`.
pub fn epoch(id: &str) -> &str {
    id.rsplit_once('-').unwrap().0
}

pub fn assert_lost_reset(event: &Parsed, cursor: &str) {
    assert_eq!(event.event_type, "reset", "{event:?}");
    assert_eq!(event.data, r#"{"reason":"lost"}"#);
    assert_eq!(event.last_event_id, cursor);
}

/// After the engine came back from an older copy that kept events 1 to 5 of `ids` (whose
/// index is the event's number) and lost 6 to 8, and `next` ("9") was published: a
/// client on `instance` holding a lost id is told, then gets `next`; one holding an id
/// that survived gets what followed it, with no reset.
pub async fn assert_resumes_after_a_partial_loss(
    instance: &Hub,
    ids: &[String],
    next: &Published,
    cursor: &str,
) {
    let mut lost = Reader::new(instance.subscribe(Subscribe::new().last_event_id(&ids[7])));
    let got = lost.take(2).await;
    assert_lost_reset(&got[0], cursor);
    assert_eq!(data(&got[1..]), ["9"], "{instance:?}");
    let mut kept = Reader::new(instance.subscribe(Subscribe::new().last_event_id(&ids[3])));
    let got = kept.take(3).await;
    assert_eq!(data(&got), ["4", "5", "9"]);
    let got_ids: Vec<_> = got
        .iter()
        .map(|event| event.last_event_id.clone())
        .collect();
    assert_eq!(got_ids, [ids[4].clone(), ids[5].clone(), next.id.clone()]);
}
