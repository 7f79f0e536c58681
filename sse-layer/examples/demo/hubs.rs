//! The demo's hubs: the `/events` tickers and the `/publish` + `/subscribe` topics, in
//! memory (one instance) or, with `--redis`, shared through Redis by every instance.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sse_layer::hub::{Hub, PublishError, Subscribe, Subscription};
use sse_layer::Event;

/// At most this many distinct `interval_ms` tickers run at once.
pub const MAX_TICKERS: usize = 64;
/// A ticker with no subscriber keeps ticking this long, so that clients that reconnect
/// (after `close_after`, a network blip) resume from its replay log.
const TICKER_LINGER: Duration = Duration::from_secs(60);

/// Where the demo's events live.
#[derive(Clone)]
pub enum Hubs {
    /// One process: a hub per ticker interval and one for topics.
    Memory {
        tickers: Arc<Mutex<HashMap<u64, Hub>>>,
        topics: Hub,
    },
    /// Every instance on one Redis: one shared hub for the tickers (topic `ticks/N`), one
    /// for the topics.
    #[cfg(feature = "redis")]
    Shared {
        ticks: sse_layer::hub::SharedHub,
        topics: sse_layer::hub::SharedHub,
        /// The intervals this instance ticks for.
        tickers: Arc<Mutex<std::collections::HashSet<u64>>>,
    },
}

/// Why a subscription or a publish was refused.
pub enum HubError {
    /// Too many distinct tickers.
    TooManyTickers,
    /// The event is not acceptable (the message says why).
    Invalid(String),
    /// The idempotency key was already used for another event.
    KeyReused,
    /// The shared log cannot be reached.
    Unavailable(String),
}

/// What a publish did: the event's id, and whether it was appended now (`false`: its
/// idempotency key had been published before, and `id` is that event's).
pub struct Published {
    pub id: String,
    pub fresh: bool,
}

impl Hubs {
    /// Everything in this process.
    pub fn memory() -> Self {
        Self::Memory {
            tickers: Arc::default(),
            topics: Hub::new(),
        }
    }

    /// Everything in the Redis at `url` (`redis://…`, or `redis+sentinel://…` to follow
    /// the primary the Sentinels name): keys `{sse-demo-ticks}:…` and
    /// `{sse-demo-topics}:…`. Connects lazily (and again after failures), so it starts
    /// even while Redis is down.
    #[cfg(feature = "redis")]
    pub fn redis(url: &str) -> Result<Self, sse_layer::replay::LogError> {
        use sse_layer::hub::SharedHub;
        use sse_layer::replay::RedisLog;
        let log = |name: &str| RedisLog::builder(url).name(name).max_events(10_000).build();
        Ok(Self::Shared {
            ticks: SharedHub::builder().start(log("sse-demo-ticks")?),
            topics: SharedHub::builder().start(log("sse-demo-topics")?),
            tickers: Arc::default(),
        })
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
        match self {
            Self::Memory { tickers, .. } => {
                let mut hubs = tickers.lock().unwrap_or_else(PoisonError::into_inner);
                if !hubs.contains_key(&interval_ms) && hubs.len() >= MAX_TICKERS {
                    return Err(HubError::TooManyTickers);
                }
                let hub = hubs.entry(interval_ms).or_insert_with(|| {
                    let hub = Hub::new();
                    tokio::spawn(tick_in_memory(tickers.clone(), interval_ms, hub.clone()));
                    hub
                });
                // Subscribed under the map's lock, so the ticker cannot retire the hub
                // between the lookup and the subscription.
                Ok(hub.subscribe(options))
            }
            #[cfg(feature = "redis")]
            Self::Shared { ticks, tickers, .. } => {
                let mut running = tickers.lock().unwrap_or_else(PoisonError::into_inner);
                if !running.contains(&interval_ms) {
                    if running.len() >= MAX_TICKERS {
                        return Err(HubError::TooManyTickers);
                    }
                    running.insert(interval_ms);
                    tokio::spawn(tick_shared(tickers.clone(), interval_ms, ticks.clone()));
                }
                let topic = ticks_topic(interval_ms);
                Ok(ticks.subscribe(options.and_topic(topic)))
            }
        }
    }

    /// Subscribes to a topic of `/publish`.
    pub fn subscribe_topic(&self, topic: &str, options: Subscribe) -> Subscription {
        let options = options.and_topic(topic);
        match self {
            Self::Memory { topics, .. } => topics.subscribe(options),
            #[cfg(feature = "redis")]
            Self::Shared { topics, .. } => topics.subscribe(options),
        }
    }

    /// Publishes to a topic of `/publish`, at most once per `once` key when there is one.
    pub async fn publish(
        &self,
        topic: &str,
        event: Event,
        once: Option<&str>,
    ) -> Result<Published, HubError> {
        let refused = |error: PublishError| match error {
            PublishError::Unavailable(why) => HubError::Unavailable(why),
            PublishError::KeyReused => HubError::KeyReused,
            other => HubError::Invalid(other.to_string()),
        };
        match self {
            Self::Memory { topics, .. } => match once {
                Some(once) => topics.publish_once(once, topic, event),
                None => topics.publish(topic, event),
            }
            .map(|published| Published {
                fresh: published.fresh,
                id: published.id,
            })
            .map_err(refused),
            #[cfg(feature = "redis")]
            Self::Shared { topics, .. } => match once {
                Some(once) => topics.publish_once(once, topic, event).await,
                None => topics.publish(topic, event).await,
            }
            .map(|published| Published {
                fresh: published.fresh,
                id: published.id,
            })
            .map_err(refused),
        }
    }
}

fn tick_event(n: u64) -> Event {
    Event::new()
        .event(sse_layer::event_name!("tick"))
        .data(serde_json::json!({ "n": n }).to_string())
}

/// Publishes `tick` events with ids `<epoch>-1`, `<epoch>-2`… (the hub's sequence, the
/// epoch this process's) every `interval_ms`, until nobody has listened for
/// [`TICKER_LINGER`].
async fn tick_in_memory(tickers: Arc<Mutex<HashMap<u64, Hub>>>, interval_ms: u64, hub: Hub) {
    let period = Duration::from_millis(interval_ms);
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_listened = tokio::time::Instant::now();
    // The hub numbers events 1, 2, 3…; this ticker is its only publisher, so `n` matches.
    let mut n: u64 = 0;
    loop {
        interval.tick().await;
        {
            let mut hubs = tickers.lock().unwrap_or_else(PoisonError::into_inner);
            if hub.subscribers() > 0 {
                last_listened = tokio::time::Instant::now();
            } else if last_listened.elapsed() >= TICKER_LINGER {
                hubs.remove(&interval_ms);
                return;
            }
        }
        n += 1;
        let published = hub
            .publish("ticks", tick_event(n))
            .expect("the hub gives the id");
        debug_assert_eq!(published.seq, n);
    }
}

#[cfg(feature = "redis")]
fn ticks_topic(interval_ms: u64) -> String {
    format!("ticks/{interval_ms}")
}

/// One ticker for the whole cluster: every instance with listeners of `interval_ms` wakes
/// at the same wall-clock instants (multiples of the interval) and publishes tick `n`
/// (milliseconds since the Unix epoch / interval) with `publish_once`, so each tick is
/// appended once however many instances run, and ticking goes on while any of them does.
/// (The once-keys live in Redis beside the ticks, and are rebuilt from the ticks if an
/// eviction policy drops them on their own.)
#[cfg(feature = "redis")]
async fn tick_shared(
    tickers: Arc<Mutex<std::collections::HashSet<u64>>>,
    interval_ms: u64,
    hub: sse_layer::hub::SharedHub,
) {
    let topic = ticks_topic(interval_ms);
    let mut last_listened = tokio::time::Instant::now();
    // Said once when ticks start failing (Redis away) and once when they work again.
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
