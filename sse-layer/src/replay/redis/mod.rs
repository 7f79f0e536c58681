//! [`RedisLog`]: an [`Engine`] in Redis (7.x), through redis-rs.
//!
//! Per log, three keys that share one hash tag (so Redis Cluster keeps them on one slot),
//! and one short-lived key per writer:
//! - `{name}:meta`, a hash: the current epoch, the newest sequence number, the run id of
//!   the server that last checked them, and the earlier epochs of this history (see
//!   `lineage.lua`, the preamble of every script, for how and when the log fences);
//! - `{name}:stream`, a stream whose entry ids ARE the sequence numbers (`<seq>-0`), with
//!   the fields `e` (epoch), `t` (topic), `k` (key, when there is one), `d` (the event
//!   without its id), `o` (the once-key, when there is one) and `m` (append time in ms,
//!   when a maximum age is set);
//! - `{name}:once`, a sorted set of `publish_once` keys scored by their sequence number,
//!   as long as the stream (rebuilt from the stream if it is evicted on its own);
//! - `{name}:w:<writer>`, the last answer to each writer, for a minute, so that a batch
//!   retried after its answer was lost is not appended twice.
//!
//! An append is one Lua script (the batch is atomic and numbered with no gap); trimming by
//! count (`MAXLEN`) and by age (`MINID`, and an expiry of the whole stream) is done by
//! Redis inside it. Reads are `XREAD` for the follower (on a connection of its own, with
//! no response timeout shorter than the wait) and Lua scripts for the head and for
//! resumes, which read where the log stands and the entries in one step.

mod connect;
mod reply;

use std::sync::Arc;
use std::time::Duration;

use redis::{Script, Value};
use tokio::sync::OnceCell;

use self::connect::{redis_error, Link, Target};
use self::reply::{as_array, as_string, as_u64, malformed, parse_entry, parse_head};
use super::engine::{
    AppendBatch, Appended, Engine, Entry, Known, LogError, LogFuture, Outcome, Read,
};
use super::id::{new_epoch, random_u64};
use super::lineage::Head;

const APPEND: &str = concat!(include_str!("lineage.lua"), include_str!("append.lua"));
const READ: &str = concat!(include_str!("lineage.lua"), include_str!("read.lua"));
const HEAD: &str = concat!(include_str!("lineage.lua"), include_str!("head.lua"));
/// How long a command may take before it counts as a failure (the engine is away).
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long the follower's blocked read may wait at most (its response timeout is this
/// plus [`RESPONSE_TIMEOUT`]).
const MAX_FOLLOW_WAIT: Duration = Duration::from_secs(30);

/// A [`Engine`] in Redis. Three connections per log whatever the number of clients:
/// one for appends, one for resumes and head checks, one for the follower's blocking
/// reads; each is made again after a failure (asking the Sentinels again, with a
/// `redis+sentinel://` URL, so a failover is followed without a restart).
///
/// ```no_run
/// use sse_layer::hub::Hub;
/// use sse_layer::replay::RedisLog;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let log = RedisLog::builder("redis://127.0.0.1:6379/")
///     .name("chat")                                   // keys {chat}:meta, {chat}:stream, {chat}:once
///     .max_events(10_000)                             // the resume window, trimmed by Redis
///     .max_age(std::time::Duration::from_secs(3600))  // and by age
///     .build()?;
/// let hub = Hub::builder().engine(log).build();
/// # let _ = hub;
/// # Ok(())
/// # }
/// ```
pub struct RedisLog {
    target: Target,
    keys: Keys,
    max_events: u64,
    max_age: Option<Duration>,
    replicas: Option<(usize, Duration)>,
    writer: Link,
    reader: Link,
    follower: Link,
    append: Script,
    read: Script,
    head: Script,
    /// Warned once: the eviction policy and the persistence settings, read at first use.
    inspected: OnceCell<()>,
}

struct Keys {
    stream: String,
    meta: String,
    once: String,
    /// This writer's last answer.
    answers: String,
}

impl std::fmt::Debug for RedisLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLog")
            .field("target", &self.target)
            .field("stream", &self.keys.stream)
            .field("max_events", &self.max_events)
            .field("max_age", &self.max_age)
            .field("replicas", &self.replicas)
            .finish_non_exhaustive()
    }
}

/// Configures a [`RedisLog`]; see [`RedisLog::builder`].
#[derive(Debug, Clone)]
pub struct RedisLogBuilder {
    url: String,
    name: String,
    max_events: u64,
    max_age: Option<Duration>,
    replicas: Option<(usize, Duration)>,
}

impl RedisLogBuilder {
    /// The keys' common name (default `sse`): logs with different names are independent
    /// hubs on one Redis.
    ///
    /// ```
    /// let builder = sse_layer::replay::RedisLog::builder("redis://127.0.0.1/").name("orders");
    /// # let _ = builder;
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// How many events Redis retains for resume (default 10,000; at least 1).
    ///
    /// ```
    /// let builder = sse_layer::replay::RedisLog::builder("redis://127.0.0.1/").max_events(500);
    /// # let _ = builder;
    /// ```
    pub fn max_events(mut self, max_events: u64) -> Self {
        self.max_events = max_events.max(1);
        self
    }

    /// Also drop events older than `age` (default: none), and the whole stream after
    /// `age` without an append. At least a millisecond.
    ///
    /// ```
    /// use std::time::Duration;
    /// let builder = sse_layer::replay::RedisLog::builder("redis://127.0.0.1/")
    ///     .max_age(Duration::from_secs(600));
    /// # let _ = builder;
    /// ```
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age.max(Duration::from_millis(1)));
        self
    }

    /// Durability: a publish is acknowledged only once `replicas` replicas hold it
    /// (Redis's `WAIT`), waiting at most `timeout`; otherwise it fails with
    /// `PublishError::Unavailable` (the event may still be delivered: retry with an
    /// idempotency key). This narrows, without closing, the window in which a failover to
    /// a replica loses acknowledged events; such a loss is still detected and reported to
    /// clients as `lost` (see [`Engine`]). Default: no wait.
    ///
    /// ```
    /// use std::time::Duration;
    /// let builder = sse_layer::replay::RedisLog::builder("redis+sentinel://127.0.0.1:26379/mymaster")
    ///     .wait_for_replicas(1, Duration::from_millis(500));
    /// # let _ = builder;
    /// ```
    pub fn wait_for_replicas(mut self, replicas: usize, timeout: Duration) -> Self {
        self.replicas = (replicas > 0).then_some((replicas, timeout.max(Duration::from_millis(1))));
        self
    }

    /// The log. It connects on first use, and again after every failure, so it can be
    /// built while Redis is down.
    ///
    /// # Errors
    /// The URL is neither `redis://…` nor `redis+sentinel://HOST:PORT[,…]/SERVICE`, or the
    /// name holds `{`, `}` or nothing.
    pub fn build(self) -> Result<RedisLog, LogError> {
        let target = Target::parse(&self.url)?;
        if self.name.is_empty() || self.name.contains(['{', '}']) {
            return Err(LogError::new(format!(
                "invalid log name {:?}: it must be non-empty, without braces",
                self.name
            )));
        }
        let key = |suffix: &str| format!("{{{}}}:{suffix}", self.name);
        Ok(RedisLog {
            target,
            keys: Keys {
                stream: key("stream"),
                meta: key("meta"),
                once: key("once"),
                answers: key(&format!("w:{:016x}", random_u64())),
            },
            max_events: self.max_events,
            max_age: self.max_age,
            replicas: self.replicas,
            writer: Link::new(
                CONNECT_TIMEOUT,
                RESPONSE_TIMEOUT + self.replicas.map_or(Duration::ZERO, |(_, wait)| wait),
            ),
            reader: Link::new(CONNECT_TIMEOUT, RESPONSE_TIMEOUT),
            follower: Link::new(CONNECT_TIMEOUT, MAX_FOLLOW_WAIT + RESPONSE_TIMEOUT),
            append: Script::new(APPEND),
            read: Script::new(READ),
            head: Script::new(HEAD),
            inspected: OnceCell::new(),
        })
    }
}

/// What [`RedisLog::inspect`] found out about the server.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EngineReport {
    /// The server's `maxmemory-policy` (empty if it could not be read).
    pub maxmemory_policy: String,
    /// Settings that put the log's promises at risk, each as a sentence.
    pub warnings: Vec<String>,
}

impl RedisLog {
    /// Configures a log on the Redis at `url`: `redis://[user:password@]host:port[/db]`,
    /// or `redis+sentinel://host:port[,host:port…]/service[/db]` to follow the primary the
    /// Sentinels name through failovers.
    ///
    /// ```
    /// let log = sse_layer::replay::RedisLog::builder("redis://127.0.0.1:6379/").build()?;
    /// let ha = sse_layer::replay::RedisLog::builder("redis+sentinel://127.0.0.1:26379/mymaster").build()?;
    /// # let _ = (log, ha);
    /// # Ok::<(), sse_layer::replay::LogError>(())
    /// ```
    pub fn builder(url: impl Into<String>) -> RedisLogBuilder {
        RedisLogBuilder {
            url: url.into(),
            name: "sse".into(),
            max_events: 10_000,
            max_age: None,
            replicas: None,
        }
    }

    /// Reads the server settings the log depends on and says which put it at risk: an
    /// `allkeys-*` eviction policy (Redis may evict the log's keys: its history, or the
    /// once-keys, which are then rebuilt from the stream), or a `volatile-*` one with
    /// [`max_age`](RedisLogBuilder::max_age) set (the stream then has an expiry, so it may
    /// be evicted). The log also checks this once by itself, at first use, and logs the
    /// warnings with `tracing`.
    ///
    /// # Errors
    /// Redis cannot be reached, or refuses `CONFIG GET` (a managed service may: then
    /// nothing can be said).
    ///
    /// ```no_run
    /// # async fn run(log: sse_layer::replay::RedisLog) -> Result<(), sse_layer::replay::LogError> {
    /// for warning in log.inspect().await?.warnings {
    ///     eprintln!("warning: {warning}");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn inspect(&self) -> Result<EngineReport, LogError> {
        let mut connection = self.reader.get(&self.target).await?;
        let reply: Result<Vec<String>, _> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("maxmemory-policy")
            .query_async(&mut connection)
            .await;
        let policy = match reply {
            Ok(pair) => pair.get(1).cloned().unwrap_or_default(),
            Err(error) => {
                self.reader.reset().await;
                return Err(redis_error(error));
            }
        };
        let mut warnings = Vec::new();
        if policy.starts_with("allkeys") {
            warnings.push(format!(
                "Redis's maxmemory-policy is {policy}: under memory pressure it may evict this log's history (clients then get reset events); use noeviction, or a volatile-* policy"
            ));
        } else if policy.starts_with("volatile") && self.max_age.is_some() {
            warnings.push(format!(
                "Redis's maxmemory-policy is {policy} and the log has a max_age, so its stream has an expiry and may be evicted under memory pressure; use noeviction"
            ));
        }
        Ok(EngineReport {
            maxmemory_policy: policy,
            warnings,
        })
    }

    /// Warns (once, through `tracing`) about settings that put the log at risk.
    async fn inspect_once(&self) {
        self.inspected
            .get_or_init(|| async {
                if let Ok(report) = self.inspect().await {
                    for warning in report.warnings {
                        tracing::warn!("{warning}");
                    }
                }
            })
            .await;
    }

    /// Runs `script` on `link`, with the preamble's arguments first; forgets the
    /// connection when it fails, so that the next call connects again.
    async fn invoke(
        &self,
        link: &Link,
        script: &Script,
        known: &Known,
        more: impl FnOnce(&mut redis::ScriptInvocation<'_>),
    ) -> Result<Vec<Value>, LogError> {
        let mut connection = link.get(&self.target).await?;
        let mut invocation = script.prepare_invoke();
        invocation
            .key(&self.keys.stream)
            .key(&self.keys.meta)
            .key(&self.keys.once)
            .arg(&*known.epoch)
            .arg(known.top)
            .arg(new_epoch());
        more(&mut invocation);
        match invocation.invoke_async(&mut connection).await {
            Ok(reply) => Ok(reply),
            Err(error) => {
                link.reset().await;
                Err(redis_error(error))
            }
        }
    }

    async fn read_follow(
        &self,
        after: u64,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Entry>, LogError> {
        let mut connection = self.follower.get(&self.target).await?;
        let wait = wait.min(MAX_FOLLOW_WAIT);
        // Forgotten if this future is dropped before Redis answers: a blocked XREAD left
        // behind would hold up the next one on the same connection.
        let guard = AbandonGuard {
            link: &self.follower,
            armed: true,
        };
        let read = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(max)
            .arg("BLOCK")
            .arg(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1))
            .arg("STREAMS")
            .arg(&self.keys.stream)
            .arg(format!("{after}-0"))
            .query_async::<Value>(&mut connection)
            .await;
        let mut guard = guard;
        guard.armed = false;
        let value = match read {
            Ok(value) => value,
            Err(error) => {
                self.follower.reset().await;
                return Err(redis_error(error));
            }
        };
        match value {
            Value::Nil => Ok(Vec::new()),
            value => {
                let streams = as_array(value)?;
                let stream = streams.into_iter().next().ok_or_else(malformed)?;
                let mut pair = as_array(stream)?.into_iter();
                let (_name, entries) = (pair.next(), pair.next().ok_or_else(malformed)?);
                as_array(entries)?.into_iter().map(parse_entry).collect()
            }
        }
    }

    async fn read_head(&self, known: &Known) -> Result<Head, LogError> {
        self.inspect_once().await;
        let invoke = || self.invoke(&self.reader, &self.head, known, |_| {});
        // Once more at once on a new connection: the first command after Redis came back
        // fails on the connection that died with the old server. (Reading twice is
        // harmless: a fence made by the first attempt is not made again.)
        let reply = match invoke().await {
            Ok(reply) => reply,
            Err(_) => invoke().await?,
        };
        parse_head(&mut reply.into_iter())
    }

    async fn read_after(&self, after: u64, max: usize, known: &Known) -> Result<Read, LogError> {
        let invoke = || {
            self.invoke(&self.reader, &self.read, known, |invocation| {
                invocation.arg(after).arg(max);
            })
        };
        let reply = match invoke().await {
            Ok(reply) => reply,
            Err(_) => invoke().await?,
        };
        let mut reply = reply.into_iter();
        let head = parse_head(&mut reply)?;
        let entries = as_array(reply.next().ok_or_else(malformed)?)?
            .into_iter()
            .map(parse_entry)
            .collect::<Result<_, _>>()?;
        Ok(Read { head, entries })
    }

    async fn write(&self, batch: &AppendBatch) -> Result<Appended, LogError> {
        if batch.events.is_empty() {
            return Ok(Appended {
                epoch: Arc::from(""),
                outcomes: Vec::new(),
            });
        }
        self.inspect_once().await;
        let reply = self
            .invoke(&self.writer, &self.append, &batch.known, |invocation| {
                invocation
                    .key(&self.keys.answers)
                    .arg(self.max_events)
                    .arg(self.max_age.map_or(0, |age| age.as_millis()).to_string())
                    .arg(if batch.token == 0 {
                        "-".to_owned()
                    } else {
                        format!("{:x}", batch.token)
                    });
                for event in &batch.events {
                    let tagged = |value: &Option<String>| {
                        value
                            .as_ref()
                            .map_or_else(|| "-".to_owned(), |value| format!("+{value}"))
                    };
                    invocation
                        .arg(&event.topic)
                        .arg(tagged(&event.key))
                        .arg(event.body.as_ref())
                        .arg(tagged(&event.once));
                }
            })
            .await?;
        let mut reply = reply.into_iter();
        let epoch: Arc<str> = Arc::from(as_string(reply.next().ok_or_else(malformed)?)?);
        let mut outcomes = Vec::with_capacity(batch.events.len());
        while let (Some(code), Some(seq), Some(of)) = (reply.next(), reply.next(), reply.next()) {
            let seq = as_u64(seq)?;
            outcomes.push(match as_u64(code)? {
                1 => Outcome::Appended(seq),
                0 => Outcome::Duplicate {
                    seq,
                    epoch: Arc::from(as_string(of)?),
                },
                _ => Outcome::KeyReused,
            });
        }
        if let Some((replicas, timeout)) = self.replicas {
            self.wait_for(replicas, timeout).await?;
        }
        Ok(Appended { epoch, outcomes })
    }

    /// `WAIT`: on the writer's connection, so it covers the append just made.
    async fn wait_for(&self, replicas: usize, timeout: Duration) -> Result<(), LogError> {
        let mut connection = self.writer.get(&self.target).await?;
        let acknowledged: u64 = match redis::cmd("WAIT")
            .arg(replicas)
            .arg(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX))
            .query_async(&mut connection)
            .await
        {
            Ok(count) => count,
            Err(error) => {
                self.writer.reset().await;
                return Err(redis_error(error));
            }
        };
        if acknowledged < replicas as u64 {
            return Err(LogError::new(format!(
                "only {acknowledged} of {replicas} replicas acknowledged the events within {timeout:?}"
            )));
        }
        Ok(())
    }
}

/// Forgets the follower's connection if the read it guards is dropped unanswered.
struct AbandonGuard<'a> {
    link: &'a Link,
    armed: bool,
}

impl Drop for AbandonGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.link.forget_now();
        }
    }
}

impl Engine for RedisLog {
    fn append<'a>(&'a self, batch: &'a AppendBatch) -> LogFuture<'a, Appended> {
        Box::pin(self.write(batch))
    }

    fn follow(&self, after: u64, max: usize, wait: Duration) -> LogFuture<'_, Vec<Entry>> {
        Box::pin(self.read_follow(after, max, wait))
    }

    fn read<'a>(&'a self, after: u64, max: usize, known: &'a Known) -> LogFuture<'a, Read> {
        Box::pin(self.read_after(after, max, known))
    }

    fn head<'a>(&'a self, known: &'a Known) -> LogFuture<'a, Head> {
        Box::pin(self.read_head(known))
    }
}
