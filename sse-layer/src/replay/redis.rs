//! [`RedisLog`]: a [`SharedLog`] in Redis (7.x), through redis-rs.
//!
//! Per log, three keys that share one hash tag (so Redis Cluster keeps them on one slot):
//! - `{name}:meta`, a hash: `e`, the epoch (a random string made by the first append
//!   after the hash is gone), and `s`, the newest sequence number;
//! - `{name}:stream`, a stream whose entry ids ARE the sequence numbers (`<seq>-0`), with
//!   the fields `e` (epoch), `t` (topic), `k` (key, when there is one), `d` (the event
//!   without its id) and `m` (append time in ms, when a maximum age is set);
//! - `{name}:once`, a sorted set of `publish_once` keys scored by their sequence number,
//!   as long as the stream.
//!
//! An append is one Lua script (the batch is atomic and numbered with no gap); trimming by
//! count (`MAXLEN`) and by age (`MINID`, and an expiry of the whole stream) is done by
//! Redis inside it. Reads are `XREAD` (for the follower, on a connection of its own with
//! no response timeout shorter than the wait) and a Lua script for resumes, which checks
//! the epoch, the top and the first entry in one step.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, Script, Value};
use tokio::sync::{Mutex, OnceCell};

use super::shared::{
    Append, Appended, Batch, Entry, Head, History, LogError, LogFuture, SharedLog,
};

const APPEND: &str = include_str!("redis/append.lua");
const HISTORY: &str = include_str!("redis/history.lua");
/// How long a command may take before it counts as a failure (the engine is away).
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// A [`SharedLog`] in Redis. Two connections per log whatever the number of clients: one
/// multiplexed connection (reconnecting by itself) for appends and resumes, and one for
/// the follower's blocking reads.
///
/// ```no_run
/// use sse_layer::hub::SharedHub;
/// use sse_layer::replay::RedisLog;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let log = RedisLog::builder("redis://127.0.0.1:6379/")
///     .name("chat")                                   // keys {chat}:meta, {chat}:stream, {chat}:once
///     .max_events(10_000)                             // the resume window, trimmed by Redis
///     .max_age(std::time::Duration::from_secs(3600))  // and by age
///     .build()?;
/// let hub = SharedHub::builder().start(log);
/// # let _ = hub;
/// # Ok(())
/// # }
/// ```
pub struct RedisLog {
    client: Client,
    keys: [String; 3],
    max_events: u64,
    max_age: Option<Duration>,
    writer: OnceCell<ConnectionManager>,
    follower: Mutex<Option<MultiplexedConnection>>,
    append: Script,
    history: Script,
}

impl std::fmt::Debug for RedisLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLog")
            .field("keys", &self.keys)
            .field("max_events", &self.max_events)
            .field("max_age", &self.max_age)
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

    /// The log. It connects on first use, and again after every failure, so it can be
    /// built while Redis is down.
    ///
    /// # Errors
    /// The URL is not a Redis URL, or the name holds `{`, `}` or nothing.
    pub fn build(self) -> Result<RedisLog, LogError> {
        let client = Client::open(self.url.as_str())
            .map_err(|error| LogError::new(format!("invalid Redis URL {:?}: {error}", self.url)))?;
        if self.name.is_empty() || self.name.contains(['{', '}']) {
            return Err(LogError::new(format!(
                "invalid log name {:?}: it must be non-empty, without braces",
                self.name
            )));
        }
        let key = |suffix: &str| format!("{{{}}}:{suffix}", self.name);
        Ok(RedisLog {
            client,
            keys: [key("stream"), key("meta"), key("once")],
            max_events: self.max_events,
            max_age: self.max_age,
            writer: OnceCell::new(),
            follower: Mutex::new(None),
            append: Script::new(APPEND),
            history: Script::new(HISTORY),
        })
    }
}

impl RedisLog {
    /// Configures a log on the Redis at `url` (`redis://host:port/db`).
    ///
    /// ```
    /// let log = sse_layer::replay::RedisLog::builder("redis://127.0.0.1:6379/").build()?;
    /// # let _ = log;
    /// # Ok::<(), sse_layer::replay::LogError>(())
    /// ```
    pub fn builder(url: impl Into<String>) -> RedisLogBuilder {
        RedisLogBuilder {
            url: url.into(),
            name: "sse".into(),
            max_events: 10_000,
            max_age: None,
        }
    }

    async fn writer(&self) -> Result<ConnectionManager, LogError> {
        let manager = self
            .writer
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(CONNECT_TIMEOUT))
                    .set_response_timeout(Some(RESPONSE_TIMEOUT))
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_millis(500));
                self.client
                    .get_connection_manager_with_config(config)
                    .await
                    .map_err(redis_error)
            })
            .await?;
        Ok(manager.clone())
    }

    async fn read_follow(&self, after: u64, max: usize, wait: Duration) -> Result<Batch, LogError> {
        let mut slot = self.follower.lock().await;
        if slot.is_none() {
            // Its own connection: a blocked XREAD would hold up every command behind it,
            // and the client's usual response timeout is shorter than the wait.
            let config = AsyncConnectionConfig::new()
                .set_connection_timeout(Some(CONNECT_TIMEOUT))
                .set_response_timeout(Some(wait + RESPONSE_TIMEOUT));
            let connection = self
                .client
                .get_multiplexed_async_connection_with_config(&config)
                .await
                .map_err(redis_error)?;
            *slot = Some(connection);
        }
        let connection = slot.as_mut().expect("just made");
        let read = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(max)
            .arg("BLOCK")
            .arg(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1))
            .arg("STREAMS")
            .arg(&self.keys[0])
            .arg(format!("{after}-0"))
            .query_async::<Value>(connection)
            .await;
        let value = match read {
            Ok(value) => value,
            Err(error) => {
                *slot = None;
                return Err(redis_error(error));
            }
        };
        let entries = match value {
            Value::Nil => Vec::new(),
            value => {
                let streams = as_array(value)?;
                let stream = streams.into_iter().next().ok_or_else(malformed)?;
                let mut pair = as_array(stream)?.into_iter();
                let (_name, entries) = (pair.next(), pair.next().ok_or_else(malformed)?);
                as_array(entries)?
                    .into_iter()
                    .map(parse_entry)
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
        drop(slot);
        // An entry names its epoch; with none to read, ask the meta hash (a quiet log may
        // have been flushed under us).
        let epoch = match entries.first() {
            Some((epoch, _)) => epoch.clone(),
            None => self.read_head().await?.epoch,
        };
        Ok(Batch {
            epoch,
            entries: entries.into_iter().map(|(_, entry)| entry).collect(),
        })
    }

    async fn read_head(&self) -> Result<Head, LogError> {
        let mut writer = self.writer().await?;
        let (epoch, top): (Option<String>, Option<u64>) = redis::cmd("HMGET")
            .arg(&self.keys[1])
            .arg("e")
            .arg("s")
            .query_async(&mut writer)
            .await
            .map_err(redis_error)?;
        Ok(Head {
            epoch: Arc::from(epoch.unwrap_or_default()),
            top: top.unwrap_or(0),
        })
    }

    async fn write(&self, events: &[Append]) -> Result<Appended, LogError> {
        if events.is_empty() {
            return Ok(Appended {
                epoch: Arc::from(""),
                seqs: Vec::new(),
            });
        }
        let mut writer = self.writer().await?;
        let mut invocation = self.append.prepare_invoke();
        invocation
            .key(&self.keys[0])
            .key(&self.keys[1])
            .key(&self.keys[2])
            .arg(self.max_events)
            .arg(self.max_age.map_or(0, |age| age.as_millis()).to_string())
            .arg(new_epoch());
        for event in events {
            invocation
                .arg(&event.topic)
                .arg(
                    event
                        .key
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), |key| format!("+{key}")),
                )
                .arg(event.body.as_ref())
                .arg(
                    event
                        .once
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), |once| format!("+{once}")),
                );
        }
        let reply: Vec<Value> = invocation
            .invoke_async(&mut writer)
            .await
            .map_err(redis_error)?;
        let mut reply = reply.into_iter();
        let epoch = as_string(reply.next().ok_or_else(malformed)?)?;
        let mut seqs = Vec::with_capacity(events.len());
        while let (Some(seq), Some(fresh)) = (reply.next(), reply.next()) {
            seqs.push((as_u64(seq)?, as_u64(fresh)? == 1));
        }
        Ok(Appended {
            epoch: Arc::from(epoch),
            seqs,
        })
    }

    async fn read_history(
        &self,
        epoch: &str,
        after: u64,
        through: u64,
        max: usize,
    ) -> Result<History, LogError> {
        let mut writer = self.writer().await?;
        let reply: Vec<Value> = self
            .history
            .key(&self.keys[0])
            .key(&self.keys[1])
            .arg(epoch)
            .arg(after)
            .arg(through)
            .arg(max)
            .invoke_async(&mut writer)
            .await
            .map_err(redis_error)?;
        let mut reply = reply.into_iter();
        match as_string(reply.next().ok_or_else(malformed)?)?.as_str() {
            "unknown" => Ok(History::Unknown),
            "expired" => Ok(History::Expired),
            "ok" => {
                let entries = match reply.next() {
                    None => Vec::new(),
                    Some(entries) => as_array(entries)?
                        .into_iter()
                        .map(|entry| parse_entry(entry).map(|(_, entry)| entry))
                        .collect::<Result<_, _>>()?,
                };
                Ok(History::Events(entries))
            }
            _ => Err(malformed()),
        }
    }
}

impl SharedLog for RedisLog {
    fn append<'a>(&'a self, events: &'a [Append]) -> LogFuture<'a, Appended> {
        Box::pin(self.write(events))
    }

    fn follow(&self, after: u64, max: usize, wait: Duration) -> LogFuture<'_, Batch> {
        Box::pin(self.read_follow(after, max, wait))
    }

    fn history<'a>(
        &'a self,
        epoch: &'a str,
        after: u64,
        through: u64,
        max: usize,
    ) -> LogFuture<'a, History> {
        Box::pin(self.read_history(epoch, after, through, max))
    }

    fn head(&self) -> LogFuture<'_, Head> {
        Box::pin(self.read_head())
    }
}

/// A fresh epoch: 12 base-36 characters from the process's random hasher keys and the
/// clock, so that two instances racing to create one pick different values (the script
/// keeps the first).
fn new_epoch() -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos()),
    );
    let mut value = hasher.finish();
    let mut epoch = String::with_capacity(12);
    for _ in 0..12 {
        epoch.push(char::from_digit((value % 36) as u32, 36).expect("a base-36 digit"));
        value /= 36;
    }
    epoch
}

/// `[id, [field, value, ...]]` → the entry's epoch and the entry.
fn parse_entry(value: Value) -> Result<(Arc<str>, Entry), LogError> {
    let mut pair = as_array(value)?.into_iter();
    let id = as_string(pair.next().ok_or_else(malformed)?)?;
    let seq = id
        .strip_suffix("-0")
        .and_then(|seq| seq.parse().ok())
        .ok_or_else(|| {
            LogError::new(format!(
                "a stream entry id that is not a sequence number: {id:?}"
            ))
        })?;
    let mut fields = as_array(pair.next().ok_or_else(malformed)?)?.into_iter();
    let (mut epoch, mut topic, mut key, mut body) = (None, None, None, None);
    while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
        match as_bytes(name)?.as_ref() {
            b"e" => epoch = Some(as_string(value)?),
            b"t" => topic = Some(as_string(value)?),
            b"k" => key = Some(as_string(value)?),
            b"d" => body = Some(as_bytes(value)?),
            _ => {}
        }
    }
    let (Some(epoch), Some(topic), Some(body)) = (epoch, topic, body) else {
        return Err(LogError::new(format!("stream entry {id} lacks a field")));
    };
    Ok((
        Arc::from(epoch),
        Entry {
            seq,
            topic,
            key,
            body,
        },
    ))
}

fn as_array(value: Value) -> Result<Vec<Value>, LogError> {
    match value {
        Value::Array(values) | Value::Set(values) => Ok(values),
        Value::Map(pairs) => Ok(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect()),
        _ => Err(malformed()),
    }
}

fn as_bytes(value: Value) -> Result<Bytes, LogError> {
    match value {
        Value::BulkString(bytes) => Ok(Bytes::from(bytes)),
        Value::SimpleString(text) => Ok(Bytes::from(text)),
        Value::Okay => Ok(Bytes::from_static(b"OK")),
        _ => Err(malformed()),
    }
}

fn as_string(value: Value) -> Result<String, LogError> {
    String::from_utf8(as_bytes(value)?.to_vec()).map_err(|_| malformed())
}

fn as_u64(value: Value) -> Result<u64, LogError> {
    match value {
        Value::Int(n) => u64::try_from(n).map_err(|_| malformed()),
        value => as_string(value)?.parse().map_err(|_| malformed()),
    }
}

fn malformed() -> LogError {
    LogError::new("Redis answered in an unexpected shape")
}

fn redis_error(error: redis::RedisError) -> LogError {
    LogError::new(format!("Redis: {error}"))
}
