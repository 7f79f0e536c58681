//! The demo's hubs: the `/events` tickers and the `/publish` + `/subscribe` topics. The
//! same code runs on every engine: in memory (one instance), or shared by every
//! instance through Redis (`--redis`) or NATS JetStream (`--nats`); only the line that
//! builds each hub differs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sse_layer::hub::{Hub, PublishError, Published, Subscribe, Subscription};
use sse_layer::replay::LogError;
use sse_layer::Event;

/// At most this many distinct `interval_ms` tickers run at once.
pub const MAX_TICKERS: usize = 64;
/// A ticker with no subscriber keeps ticking this long, so that clients that reconnect
/// (after `close_after`, a network blip) resume from its replay log.
const TICKER_LINGER: Duration = Duration::from_secs(60);

/// Makes the hub of a log name: in memory, or on the engine the demo was given.
type MakeHub = dyn Fn(&str) -> Result<Hub, LogError> + Send + Sync;

/// Where the demo's events live: a hub per ticker interval (log `sse-demo-ticks-<ms>`,
/// so each ticker's ids run 1, 2, 3…), made when a client first asks for it, and one hub
/// for the topics of `/publish` (log `sse-demo-topics`).
#[derive(Clone)]
pub struct Hubs {
    make: Arc<MakeHub>,
    topics: Hub,
    /// The tickers this instance runs, by interval.
    tickers: Arc<Mutex<HashMap<u64, Hub>>>,
}

/// Why a subscription or a publish was refused.
pub enum HubError {
    /// Too many distinct tickers.
    TooManyTickers,
    /// A ticker's hub could not be made (the message says why).
    Engine(LogError),
    /// The hub refused the event.
    Publish(PublishError),
}

impl Hubs {
    /// The demo's hubs, each made by `make` from its log's name.
    pub fn new(
        make: impl Fn(&str) -> Result<Hub, LogError> + Send + Sync + 'static,
    ) -> Result<Self, LogError> {
        Ok(Self {
            topics: make("sse-demo-topics")?,
            make: Arc::new(make),
            tickers: Arc::default(),
        })
    }

    /// Everything in this process.
    pub fn memory() -> Self {
        Self::new(|_| Ok(Hub::new())).expect("a hub in memory is always made")
    }

    /// Everything in the Redis at `url` (`redis://…`, or `redis+sentinel://…` to follow
    /// the primary the Sentinels name): keys `{sse-demo-ticks-<ms>}:…` and
    /// `{sse-demo-topics}:…`. Connects lazily (and again after failures), so it starts
    /// even while Redis is down.
    #[cfg(feature = "redis")]
    pub fn redis(url: &str) -> Result<Self, LogError> {
        use sse_layer::replay::RedisLog;
        let url = url.to_owned();
        Self::new(move |name| {
            let log = RedisLog::builder(url.as_str())
                .name(name)
                .max_events(10_000)
                .build()?;
            Ok(Hub::builder().engine(log).build())
        })
    }

    /// Everything in the NATS JetStream at `url` (`nats://HOST:PORT`): streams
    /// `SSE_sse-demo-ticks-<ms>` and `SSE_sse-demo-topics`. Connects lazily (and again
    /// after failures), so it starts even while NATS is down.
    #[cfg(feature = "nats")]
    pub fn nats(url: &str) -> Result<Self, LogError> {
        use sse_layer::replay::NatsLog;
        let url = url.to_owned();
        Self::new(move |name| {
            let log = NatsLog::builder(url.as_str())
                .name(name)
                .max_events(10_000)
                .build()?;
            Ok(Hub::builder().engine(log).build())
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
        let mut running = self.tickers.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(hub) = running.get(&interval_ms) {
            // Subscribed under the map's lock, so the ticker cannot retire the hub between
            // the lookup and the subscription.
            return Ok(hub.subscribe(options));
        }
        if running.len() >= MAX_TICKERS {
            return Err(HubError::TooManyTickers);
        }
        let hub =
            (self.make)(&format!("sse-demo-ticks-{interval_ms}")).map_err(HubError::Engine)?;
        running.insert(interval_ms, hub.clone());
        let subscription = hub.subscribe(options);
        tokio::spawn(tick(self.tickers.clone(), interval_ms, hub));
        Ok(subscription)
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

/// One ticker for the whole cluster: every instance with listeners of `interval_ms` wakes
/// at the same wall-clock instants (multiples of the interval) and publishes tick `n`
/// (milliseconds since the Unix epoch / interval) with `publish_once`, so each tick is
/// appended once however many instances run, and ticking goes on while any of them
/// does. It stops once nobody on this instance has listened for [`TICKER_LINGER`].
async fn tick(tickers: Arc<Mutex<HashMap<u64, Hub>>>, interval_ms: u64, hub: Hub) {
    let topic = "ticks";
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
            if hub.subscribers() > 0 {
                last_listened = tokio::time::Instant::now();
            } else if last_listened.elapsed() >= TICKER_LINGER {
                running.remove(&interval_ms);
                return;
            }
        }
        let once = format!("tick-{n}");
        match hub.publish_once(&once, topic, tick_event(n)).await {
            Err(error) if !failing => {
                failing = true;
                eprintln!(
                    "demo: ticks every {interval_ms} ms not published from tick {n} on: {error}"
                );
            }
            Ok(_) if failing => {
                failing = false;
                eprintln!("demo: ticks every {interval_ms} ms published again from tick {n}");
            }
            _ => {}
        }
    }
}
