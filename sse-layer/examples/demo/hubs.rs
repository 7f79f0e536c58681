//! The demo's hubs: the `/events` tickers and the `/publish` + `/subscribe` topics. The
//! same code runs on every engine: in memory (one instance), or shared by every
//! instance through Redis (`--redis`) or NATS JetStream (`--nats`); only the line that
//! builds each hub differs.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sse_layer::hub::{Hub, PublishError, Published, Subscribe, Subscription};
use sse_layer::Event;

/// At most this many distinct `interval_ms` tickers run at once.
pub const MAX_TICKERS: usize = 64;
/// A ticker with no subscriber keeps ticking this long, so that clients that reconnect
/// (after `close_after`, a network blip) resume from its replay log.
const TICKER_LINGER: Duration = Duration::from_secs(60);

/// Where the demo's events live: one hub for the tickers (topic `ticks/N`), one for the
/// topics of `/publish`.
#[derive(Clone)]
pub struct Hubs {
    ticks: Hub,
    topics: Hub,
    /// The intervals this instance ticks for.
    tickers: Arc<Mutex<HashSet<u64>>>,
}

/// Why a subscription or a publish was refused.
pub enum HubError {
    /// Too many distinct tickers.
    TooManyTickers,
    /// The hub refused the event.
    Publish(PublishError),
}

impl Hubs {
    /// The demo's hubs on these two.
    pub fn new(ticks: Hub, topics: Hub) -> Self {
        Self {
            ticks,
            topics,
            tickers: Arc::default(),
        }
    }

    /// Everything in this process.
    pub fn memory() -> Self {
        Self::new(Hub::new(), Hub::new())
    }

    /// Everything in the Redis at `url` (`redis://…`, or `redis+sentinel://…` to follow
    /// the primary the Sentinels name): keys `{sse-demo-ticks}:…` and
    /// `{sse-demo-topics}:…`. Connects lazily (and again after failures), so it starts
    /// even while Redis is down.
    #[cfg(feature = "redis")]
    pub fn redis(url: &str) -> Result<Self, sse_layer::replay::LogError> {
        use sse_layer::replay::RedisLog;
        Self::on_engine(|name| RedisLog::builder(url).name(name).max_events(10_000).build())
    }

    /// Everything in the NATS JetStream at `url` (`nats://HOST:PORT`): streams
    /// `SSE_sse-demo-ticks` and `SSE_sse-demo-topics`. Connects lazily (and again after
    /// failures), so it starts even while NATS is down.
    #[cfg(feature = "nats")]
    pub fn nats(url: &str) -> Result<Self, sse_layer::replay::LogError> {
        use sse_layer::replay::NatsLog;
        Self::on_engine(|name| NatsLog::builder(url).name(name).max_events(10_000).build())
    }

    /// The two hubs on the engine `log` makes for a name: the one line that differs from
    /// [`memory`](Self::memory).
    #[cfg(any(feature = "redis", feature = "nats"))]
    fn on_engine<E: sse_layer::replay::Engine>(
        log: impl Fn(&str) -> Result<E, sse_layer::replay::LogError>,
    ) -> Result<Self, sse_layer::replay::LogError> {
        let hub = |name: &str| Ok(Hub::builder().engine(log(name)?).build());
        Ok(Self::new(hub("sse-demo-ticks")?, hub("sse-demo-topics")?))
    }

    /// Says on stderr which Redis settings put the hubs at risk (an eviction policy that
    /// may drop their keys), if Redis answers within a second; quiet otherwise.
    #[cfg(feature = "redis")]
    pub async fn warn_about_redis(url: &str) {
        let Ok(log) = sse_layer::replay::RedisLog::builder(url).build() else {
            return;
        };
        let inspected = tokio::time::timeout(Duration::from_secs(1), log.inspect()).await;
        if let Ok(Ok(report)) = inspected {
            for warning in report.warnings {
                eprintln!("demo: warning: {warning}");
            }
        }
    }

    /// Subscribes to the ticker of `interval_ms`, starting it on this instance if needed.
    pub fn subscribe_ticks(
        &self,
        interval_ms: u64,
        options: Subscribe,
    ) -> Result<Subscription, HubError> {
        let mut running = self.tickers.lock().unwrap_or_else(PoisonError::into_inner);
        if !running.contains(&interval_ms) {
            if running.len() >= MAX_TICKERS {
                return Err(HubError::TooManyTickers);
            }
            running.insert(interval_ms);
            tokio::spawn(tick(self.tickers.clone(), interval_ms, self.ticks.clone()));
        }
        Ok(self
            .ticks
            .subscribe(options.and_topic(ticks_topic(interval_ms))))
    }

    /// Subscribes to a topic of `/publish`.
    pub fn subscribe_topic(&self, topic: &str, options: Subscribe) -> Subscription {
        self.topics.subscribe(options.and_topic(topic))
    }

    /// Publishes to a topic of `/publish`, at most once per `once` key when there is one.
    pub async fn publish(
        &self,
        topic: &str,
        event: Event,
        once: Option<&str>,
    ) -> Result<Published, HubError> {
        match once {
            Some(once) => self.topics.publish_once(once, topic, event).await,
            None => self.topics.publish(topic, event).await,
        }
        .map_err(HubError::Publish)
    }
}

fn tick_event(n: u64) -> Event {
    Event::new()
        .event(sse_layer::event_name!("tick"))
        .data(serde_json::json!({ "n": n }).to_string())
}

fn ticks_topic(interval_ms: u64) -> String {
    format!("ticks/{interval_ms}")
}

/// One ticker for the whole cluster: every instance with listeners of `interval_ms` wakes
/// at the same wall-clock instants (multiples of the interval) and publishes tick `n`
/// (milliseconds since the Unix epoch / interval) with `publish_once`, so each tick is
/// appended once however many instances run, and ticking goes on while any of them
/// does. It stops once nobody on this instance has listened for [`TICKER_LINGER`].
async fn tick(tickers: Arc<Mutex<HashSet<u64>>>, interval_ms: u64, hub: Hub) {
    let topic = ticks_topic(interval_ms);
    let mut last_listened = tokio::time::Instant::now();
    // Said once when ticks start failing (the engine away) and once when they work again.
    let mut failing = false;
    loop {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as u64);
        let n = now_ms / interval_ms + 1;
        tokio::time::sleep(Duration::from_millis(n * interval_ms - now_ms)).await;
        {
            let mut running = tickers.lock().unwrap_or_else(PoisonError::into_inner);
            if hub.topic_subscribers(&topic) > 0 {
                last_listened = tokio::time::Instant::now();
            } else if last_listened.elapsed() >= TICKER_LINGER {
                running.remove(&interval_ms);
                return;
            }
        }
        let once = format!("{topic}/{n}");
        match hub.publish_once(&once, &topic, tick_event(n)).await {
            Err(error) if !failing => {
                failing = true;
                eprintln!("demo: ticks of {topic} not published from tick {n} on: {error}");
            }
            Ok(_) if failing => {
                failing = false;
                eprintln!("demo: ticks of {topic} published again from tick {n}");
            }
            _ => {}
        }
    }
}
