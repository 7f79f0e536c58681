//! Shared hubs on a test Redis, and a subscription read as a client reads it.

#![allow(dead_code)]

use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use sse_conformance::parser::{Event as Parsed, Item, Parser};
use sse_layer::hub::{SharedHub, SharedHubBuilder, SharedPublished, Subscription};
use sse_layer::replay::RedisLog;
use sse_layer::Event;

/// How long a test waits for an event that should come.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub fn hub(url: &str, name: &str) -> SharedHub {
    hub_with(url, name, |builder| builder)
}

pub fn hub_with(
    url: &str,
    name: &str,
    configure: impl FnOnce(SharedHubBuilder) -> SharedHubBuilder,
) -> SharedHub {
    let log = RedisLog::builder(url)
        .name(name)
        .max_events(1000)
        .build()
        .unwrap();
    configure(SharedHub::builder().follow_wait(Duration::from_millis(200))).start(log)
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

pub async fn publish(hub: &SharedHub, topic: &str, text: &str) -> String {
    hub.publish(topic, Event::new().data(text.to_owned()))
        .await
        .unwrap()
        .id
}

/// Publishes `text`, again and again while Redis refuses (it is coming back, or the
/// connection was just killed), for up to `PATIENCE`.
pub async fn publish_until_accepted(hub: &SharedHub, text: &str) -> SharedPublished {
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
pub async fn caught_up(hub: &SharedHub, id: &str) {
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
