//! [`NatsLog`]: an [`Engine`] in NATS JetStream (server 2.9 or later), through
//! `async-nats`.
//!
//! One stream per log, `SSE_<name>`, on the subjects `sse.<name>.>`: events on
//! `sse.<name>.e` (or `sse.<name>.o.<token>` for those with a once-key, so that the key is
//! found by the stream's own index of subjects), and fences on `sse.<name>.f`. The log's
//! numbers are its own, in each message's headers (see `record.rs`), so a fence, which is
//! a message too, never leaves a gap in them; and each message says where the log stood,
//! so the newest one alone is the log's head.
//!
//! **One order, no lost race.** Every append says which stream sequence it expects to
//! follow (`Nats-Expected-Last-Sequence`), after reading where the log stands and looking
//! up its once-keys: if anything else was appended in between, the server refuses it, and
//! the append reads again and retries. So the numbering has no gap, a once-key is
//! appended once, and nothing is appended after a fence under the old epoch.
//!
//! **Fences.** The log fences (a new epoch, the old one kept as a fork through the top it
//! still holds) when a caller has seen more of the current epoch than the stream holds
//! (it came back from an older copy, or lost writes it had acknowledged), and whenever
//! the server that holds the stream is another than the one that wrote its newest
//! message (a restart: whatever it failed to keep can no longer be told apart). A stream
//! that is gone is made again, in a new epoch that starts at 0. In a cluster the server
//! is the stream's leader (by name), so a failover fences and a restart of a
//! one-replica stream does not: give the stream three replicas
//! ([`replicas`](NatsLogBuilder::replicas)).
//!
//! **Retries.** Each event carries `Nats-Msg-Id` (the batch token and its place), so a
//! batch sent again after its answer was lost is answered from the server's duplicate
//! window (two minutes) instead of being appended twice.
//!
//! **Reads.** The follower reads by direct gets from where it stands, woken by a plain
//! subscription to the log's subjects; resumes read a page of direct gets from the
//! stream sequence of their position, found from the newest message and checked (a
//! binary search when a fence lies in between).

mod connect;
mod record;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::stream::{self, DirectGetErrorKind, DiscardPolicy, StorageType};
use futures_util::future::join_all;
use futures_util::StreamExt;
use tokio::sync::Mutex;

use self::connect::{nats_error, Connected, Link};
use self::record::{once_token, payload, Stamp};
use super::engine::{
    Append, AppendBatch, Appended, Engine, Entry, Known, LogError, LogFuture, Outcome, Read,
};
use super::id::new_epoch;
use super::{Fork, Head};

/// How many times an append or a fence reads again after losing a race.
const ROUNDS: usize = 64;
/// The most forks a stamp keeps: older epochs' events are long gone.
const MAX_FORKS: usize = 32;

/// An [`Engine`] in NATS JetStream: one connection per log whatever the number of
/// clients (the client multiplexes, and reconnects by itself), a stream with the log's
/// limits, and the same promises as `RedisLog`: one order, resume anywhere, epochs and
/// honest resets, retention by count and bytes.
///
/// ```no_run
/// use sse_layer::hub::Hub;
/// use sse_layer::replay::NatsLog;
///
/// # fn run() -> Result<(), sse_layer::replay::LogError> {
/// let log = NatsLog::builder("nats://127.0.0.1:4222")
///     .name("chat")          // the stream SSE_chat, subjects sse.chat.>
///     .max_events(10_000)    // the resume window, trimmed by the server
///     .build()?;
/// let hub = Hub::builder().engine(log).build();
/// # let _ = hub;
/// # Ok(())
/// # }
/// ```
pub struct NatsLog {
    link: Link,
    subjects: Subjects,
    follow: Mutex<Follow>,
}

struct Subjects {
    all: String,
    events: String,
    fences: String,
    once_prefix: String,
}

/// Where the follower's reads stand.
#[derive(Default)]
struct Follow {
    /// The last number returned, and the stream sequence to read next.
    at: Option<(u64, u64)>,
    /// Wakes the follower when anything is published on the log's subjects.
    wake: Option<async_nats::Subscriber>,
}

impl std::fmt::Debug for NatsLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsLog")
            .field("subjects", &self.subjects.all)
            .finish_non_exhaustive()
    }
}

/// Configures a [`NatsLog`]; see [`NatsLog::builder`].
#[derive(Debug, Clone)]
pub struct NatsLogBuilder {
    url: String,
    name: String,
    max_events: u64,
    max_bytes: Option<u64>,
    replicas: usize,
}

impl NatsLogBuilder {
    /// The log's name (default `sse`): the stream `SSE_<name>` on the subjects
    /// `sse.<name>.>`. Logs with different names are independent hubs on one server.
    ///
    /// ```
    /// let builder = sse_layer::replay::NatsLog::builder("nats://127.0.0.1:4222").name("orders");
    /// # let _ = builder;
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// How many events the stream retains for resume (default 10,000; at least 1).
    ///
    /// ```
    /// let builder = sse_layer::replay::NatsLog::builder("nats://127.0.0.1:4222").max_events(500);
    /// # let _ = builder;
    /// ```
    pub fn max_events(mut self, max_events: u64) -> Self {
        self.max_events = max_events.max(1);
        self
    }

    /// Also keep the stream under this many bytes (default: no bound), dropping the
    /// oldest events first.
    ///
    /// ```
    /// let builder = sse_layer::replay::NatsLog::builder("nats://127.0.0.1:4222").max_bytes(64 << 20);
    /// # let _ = builder;
    /// ```
    pub fn max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = Some(max_bytes.max(1));
        self
    }

    /// How many servers of a cluster keep the stream (default 1). With 3, a server that
    /// restarts or fails loses nothing that was acknowledged.
    ///
    /// ```
    /// let builder = sse_layer::replay::NatsLog::builder("nats://127.0.0.1:4222").replicas(3);
    /// # let _ = builder;
    /// ```
    pub fn replicas(mut self, replicas: usize) -> Self {
        self.replicas = replicas.clamp(1, 5);
        self
    }

    /// The log. It connects on first use, and again after every failure, so it can be
    /// built while NATS is down.
    ///
    /// # Errors
    /// The URL is not `nats://HOST:PORT` (or `tls://…`), or the name holds anything but
    /// ASCII letters, digits, `-` and `_`.
    ///
    /// ```
    /// let bad = sse_layer::replay::NatsLog::builder("nats://127.0.0.1:4222").name("a.b").build();
    /// assert!(bad.is_err());
    /// ```
    pub fn build(self) -> Result<NatsLog, LogError> {
        if !(self.url.starts_with("nats://") || self.url.starts_with("tls://")) {
            return Err(LogError::new(format!(
                "invalid NATS URL {:?}: it must be nats://HOST:PORT or tls://HOST:PORT",
                self.url
            )));
        }
        let valid = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_';
        if self.name.is_empty() || !self.name.bytes().all(valid) {
            return Err(LogError::new(format!(
                "invalid log name {:?}: it must be ASCII letters, digits, '-' and '_'",
                self.name
            )));
        }
        let base = format!("sse.{}", self.name);
        let config = stream::Config {
            name: format!("SSE_{}", self.name),
            subjects: vec![format!("{base}.>")],
            max_messages: i64::try_from(self.max_events).unwrap_or(i64::MAX),
            max_bytes: self
                .max_bytes
                .map_or(-1, |bytes| i64::try_from(bytes).unwrap_or(i64::MAX)),
            max_messages_per_subject: -1,
            max_consumers: -1,
            max_message_size: -1,
            discard: DiscardPolicy::Old,
            storage: StorageType::File,
            num_replicas: self.replicas,
            allow_direct: true,
            duplicate_window: Duration::from_secs(120),
            ..stream::Config::default()
        };
        Ok(NatsLog {
            link: Link::new(self.url, config),
            subjects: Subjects {
                all: format!("{base}.>"),
                events: format!("{base}.e"),
                fences: format!("{base}.f"),
                once_prefix: format!("{base}.o."),
            },
            follow: Mutex::new(Follow::default()),
        })
    }
}

/// Where the log stands, and the stream positions that go with it.
struct Now {
    stamp: Stamp,
    /// The stream's sequence numbers: its first retained and its last message.
    first: u64,
    last: u64,
}

/// One event of a batch, as far as it got.
#[derive(Clone)]
enum Progress {
    Pending,
    /// The same once-key as an earlier event of the batch.
    SameAs(usize),
    Done(Arc<str>, Outcome),
}

impl NatsLog {
    /// Configures a log on the NATS server at `url`: `nats://HOST:PORT`.
    ///
    /// ```
    /// let log = sse_layer::replay::NatsLog::builder("nats://127.0.0.1:4222").build()?;
    /// # let _ = log;
    /// # Ok::<(), sse_layer::replay::LogError>(())
    /// ```
    pub fn builder(url: impl Into<String>) -> NatsLogBuilder {
        NatsLogBuilder {
            url: url.into(),
            name: "sse".into(),
            max_events: 10_000,
            max_bytes: None,
            replicas: 1,
        }
    }

    /// Runs `job` on the stream; forgets the stream handle when it fails, so that the
    /// next call opens (or creates) it again.
    async fn on_stream<T>(
        &self,
        job: impl AsyncFnOnce(&Connected) -> Result<T, LogError>,
    ) -> Result<T, LogError> {
        let connected = self.link.get().await?;
        let done = job(&connected).await;
        if done.is_err() {
            self.link.reset().await;
        }
        done
    }

    /// Where the log stands, fenced first if `known` or a change of server says it must.
    async fn stand(&self, connected: &Connected, known: &Known) -> Result<Now, LogError> {
        for _ in 0..ROUNDS {
            let info = connected
                .stream
                .get_info()
                .await
                .map_err(|error| nats_error("cannot read the stream", error))?;
            let server = match info
                .cluster
                .as_ref()
                .and_then(|cluster| cluster.leader.clone())
            {
                Some(leader) if info.config.num_replicas > 1 => leader,
                _ => connected.client.server_info().server_id,
            };
            let (first, last) = (info.state.first_sequence, info.state.last_sequence);
            let newest = if info.state.messages == 0 {
                None
            } else {
                match self.get(connected, last).await? {
                    Some((stamp, _, _)) => Some(stamp),
                    // Trimmed or replaced since the info: read again.
                    None => continue,
                }
            };
            let fenced = match newest {
                None => Stamp {
                    head: Head {
                        epoch: Arc::from(new_epoch()),
                        top: 0,
                        forks: (!known.epoch.is_empty())
                            .then(|| Fork {
                                epoch: known.epoch.clone(),
                                through: 0,
                            })
                            .into_iter()
                            .collect(),
                    },
                    server,
                },
                Some(stamp) => {
                    let lost = *known.epoch == *stamp.head.epoch && known.top > stamp.head.top;
                    if stamp.server == server && !lost {
                        return Ok(Now { stamp, first, last });
                    }
                    let mut forks = stamp.head.forks;
                    forks.push(Fork {
                        epoch: stamp.head.epoch,
                        through: stamp.head.top,
                    });
                    let keep_from = forks.len().saturating_sub(MAX_FORKS);
                    Stamp {
                        head: Head {
                            epoch: Arc::from(new_epoch()),
                            top: stamp.head.top,
                            forks: forks.split_off(keep_from),
                        },
                        server,
                    }
                }
            };
            let fence = PublishMessage::build()
                .headers(fenced.headers())
                .expected_last_sequence(last);
            match self
                .publish(connected, &self.subjects.fences, fence)
                .await?
            {
                Some(ack) => {
                    tracing::warn!(epoch = %fenced.head.epoch, top = fenced.head.top, "NATS log: fenced (a new epoch): the server restarted, or holds less than a caller saw");
                    return Ok(Now {
                        stamp: fenced,
                        first: first.max(1),
                        last: ack,
                    });
                }
                None => continue,
            }
        }
        Err(LogError::new(
            "NATS: the log kept changing while it was read",
        ))
    }

    /// Publishes; `None` when the stream had moved on from the sequence it expected.
    async fn publish(
        &self,
        connected: &Connected,
        subject: &str,
        message: PublishMessage,
    ) -> Result<Option<u64>, LogError> {
        let ack = connected
            .context
            .send_publish(subject.to_owned(), message)
            .await
            .map_err(|error| nats_error("cannot publish", error))?;
        match ack.await {
            Ok(ack) => Ok(Some(ack.sequence)),
            Err(error) if error.kind() == PublishErrorKind::WrongLastSequence => Ok(None),
            Err(error) => Err(nats_error("cannot publish", error)),
        }
    }

    /// The message at stream sequence `seq`: its stamp, and the event it holds (with its
    /// once-key) unless it is a fence. `None` when there is none (trimmed, or not yet).
    async fn get(
        &self,
        connected: &Connected,
        seq: u64,
    ) -> Result<Option<(Stamp, Option<Entry>, Option<String>)>, LogError> {
        match connected.stream.direct_get(seq).await {
            Ok(message) => self.decode(&message).map(Some),
            Err(error) if error.kind() == DirectGetErrorKind::NotFound => Ok(None),
            Err(error) => Err(nats_error("cannot read a message", error)),
        }
    }

    fn decode(
        &self,
        message: &async_nats::jetstream::message::StreamMessage,
    ) -> Result<(Stamp, Option<Entry>, Option<String>), LogError> {
        let stamp = Stamp::read(&message.headers)?;
        if *message.subject == *self.subjects.fences {
            return Ok((stamp, None, None));
        }
        let (entry, once) = record::entry(&message.headers, &message.payload)?;
        Ok((stamp, Some(entry), once))
    }

    /// The event a once-key was appended as, if the stream still holds it.
    async fn find_once(
        &self,
        connected: &Connected,
        once: &str,
    ) -> Result<Option<Entry>, LogError> {
        let subject = format!("{}{}", self.subjects.once_prefix, once_token(once));
        match connected.stream.direct_get_last_for_subject(subject).await {
            Ok(message) => match self.decode(&message)? {
                (_, Some(entry), Some(key)) if key == once => Ok(Some(entry)),
                _ => Ok(None),
            },
            Err(error) if error.kind() == DirectGetErrorKind::NotFound => Ok(None),
            Err(error) => Err(nats_error("cannot look up a once-key", error)),
        }
    }

    async fn write(&self, batch: &AppendBatch) -> Result<Appended, LogError> {
        if batch.events.is_empty() {
            return Ok(Appended {
                epoch: Arc::from(""),
                outcomes: Vec::new(),
            });
        }
        self.on_stream(async |connected| self.write_on(connected, batch).await)
            .await
    }

    async fn write_on(
        &self,
        connected: &Connected,
        batch: &AppendBatch,
    ) -> Result<Appended, LogError> {
        let mut progress = vec![Progress::Pending; batch.events.len()];
        let mut epoch = Arc::from("");
        for _ in 0..ROUNDS {
            let now = self.stand(connected, &batch.known).await?;
            epoch = now.stamp.head.epoch.clone();
            let mut top = now.stamp.head.top;
            let mut expected = now.last;
            let mut first_of_key: HashMap<&str, usize> = HashMap::new();
            let mut found: HashMap<&str, Entry> = HashMap::new();
            let mut sent = Vec::new();
            for (index, event) in batch.events.iter().enumerate() {
                if !matches!(progress[index], Progress::Pending | Progress::SameAs(_)) {
                    continue;
                }
                if let Some(once) = event.once.as_deref() {
                    if let Some(&earlier) = first_of_key.get(once) {
                        match found.get(once) {
                            Some(stored) => {
                                let outcome = duplicate(stored, event);
                                progress[index] = Progress::Done(stored.epoch.clone(), outcome);
                            }
                            None => progress[index] = Progress::SameAs(earlier),
                        }
                        continue;
                    }
                    first_of_key.insert(once, index);
                    if let Some(stored) = self.find_once(connected, once).await? {
                        progress[index] =
                            Progress::Done(stored.epoch.clone(), duplicate(&stored, event));
                        found.insert(once, stored);
                        continue;
                    }
                }
                if matches!(progress[index], Progress::SameAs(_)) {
                    progress[index] = Progress::Pending;
                }
                top += 1;
                let stamp = Stamp {
                    head: Head {
                        epoch: epoch.clone(),
                        top,
                        forks: now.stamp.head.forks.clone(),
                    },
                    server: now.stamp.server.clone(),
                };
                let mut message = PublishMessage::build()
                    .headers(stamp.headers())
                    .payload(payload(event))
                    .expected_last_sequence(expected);
                if batch.token != 0 {
                    message = message.message_id(format!("{:x}-{index}", batch.token));
                }
                let subject = match &event.once {
                    Some(once) => format!("{}{}", self.subjects.once_prefix, once_token(once)),
                    None => self.subjects.events.clone(),
                };
                let ack = connected
                    .context
                    .send_publish(subject, message)
                    .await
                    .map_err(|error| nats_error("cannot publish", error))?;
                sent.push((index, top, ack));
                expected += 1;
            }
            for (index, seq, ack) in sent {
                match ack.await {
                    Ok(ack) if !ack.duplicate => {
                        progress[index] = Progress::Done(epoch.clone(), Outcome::Appended(seq));
                    }
                    Ok(ack) => {
                        // Sent before, by an attempt whose answer was lost: its first answer.
                        let Some((stamp, _, _)) = self.get(connected, ack.sequence).await? else {
                            continue;
                        };
                        let outcome = Outcome::Appended(stamp.head.top);
                        progress[index] = Progress::Done(stamp.head.epoch, outcome);
                    }
                    // Another append came first: this one and the rest read again.
                    Err(error) if error.kind() == PublishErrorKind::WrongLastSequence => break,
                    Err(error) => return Err(nats_error("cannot publish", error)),
                }
            }
            settle_same_keys(&mut progress, &batch.events);
            if progress
                .iter()
                .all(|step| matches!(step, Progress::Done(..)))
            {
                break;
            }
            tokio::time::sleep(Duration::from_micros(200 + super::id::random_u64() % 800)).await;
        }
        let outcomes = progress
            .into_iter()
            .map(|step| match step {
                Progress::Done(of, Outcome::Appended(seq)) if of != epoch => {
                    Ok(Outcome::Duplicate { seq, epoch: of })
                }
                Progress::Done(_, outcome) => Ok(outcome),
                _ => Err(LogError::new("NATS: the log stayed too busy to append")),
            })
            .collect::<Result<_, _>>()?;
        Ok(Appended { epoch, outcomes })
    }

    async fn read_after(&self, after: u64, max: usize, known: &Known) -> Result<Read, LogError> {
        self.on_stream(async |connected| {
            let now = self.stand(connected, known).await?;
            let head = now.stamp.head.clone();
            if after >= head.top || now.last == 0 {
                return Ok(Read {
                    head,
                    entries: Vec::new(),
                });
            }
            let start = self.locate(connected, &now, after + 1).await?;
            let end = now.last.min(start + max as u64 + 8);
            let mut entries = self.entries(connected, start, end, after).await?;
            entries.truncate(max);
            Ok(Read { head, entries })
        })
        .await
    }

    /// The events in stream sequences `start..=end` numbered above `after`, in order.
    async fn entries(
        &self,
        connected: &Connected,
        start: u64,
        end: u64,
        after: u64,
    ) -> Result<Vec<Entry>, LogError> {
        let reads = join_all((start..=end).map(|seq| self.get(connected, seq))).await;
        let mut entries = Vec::new();
        for read in reads {
            if let Some((_, Some(entry), _)) = read? {
                if entry.seq > after {
                    entries.push(entry);
                }
            }
        }
        Ok(entries)
    }

    /// The stream sequence of the first message numbered `target` or more (the first
    /// retained one if all are). Between fences a number and its stream sequence differ
    /// by a constant, so the newest message gives a guess that one or two reads confirm;
    /// otherwise a binary search.
    async fn locate(&self, connected: &Connected, now: &Now, target: u64) -> Result<u64, LogError> {
        let numbered = async |seq: u64| -> Result<Option<u64>, LogError> {
            Ok(self
                .get(connected, seq)
                .await?
                .map(|(stamp, _, _)| stamp.head.top))
        };
        let (first, last) = (now.first.max(1), now.last);
        let guess = last
            .saturating_sub(now.stamp.head.top.saturating_sub(target))
            .clamp(first, last);
        if numbered(guess).await?.is_some_and(|seq| seq >= target)
            && (guess == first || numbered(guess - 1).await?.is_some_and(|seq| seq < target))
        {
            return Ok(guess);
        }
        let (mut low, mut high) = (first, last);
        while low < high {
            let middle = low + (high - low) / 2;
            match numbered(middle).await? {
                Some(seq) if seq >= target => high = middle,
                // Below the target, or trimmed meanwhile (so below the first retained).
                _ => low = middle + 1,
            }
        }
        Ok(low)
    }

    async fn read_follow(
        &self,
        after: u64,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Entry>, LogError> {
        self.on_stream(async |connected| {
            let mut follow = self.follow.lock().await;
            if follow.wake.is_none() {
                let wake = connected
                    .client
                    .subscribe(self.subjects.all.clone())
                    .await
                    .map_err(|error| nats_error("cannot subscribe", error))?;
                follow.wake = Some(wake);
            }
            let deadline = tokio::time::Instant::now() + wait;
            loop {
                let info = connected
                    .stream
                    .get_info()
                    .await
                    .map_err(|error| nats_error("cannot read the stream", error))?;
                let (first, last) = (info.state.first_sequence, info.state.last_sequence);
                let next = match follow.at {
                    // (Unless the stream went back: made again, or from an older copy.)
                    Some((at, next)) if at == after && next <= last + 1 => next,
                    _ if info.state.messages == 0 => last + 1,
                    _ => {
                        let top = match self.get(connected, last).await? {
                            Some((stamp, _, _)) => stamp.head.top,
                            None => continue,
                        };
                        let now = Now {
                            stamp: Stamp {
                                head: Head {
                                    top,
                                    ..Head::default()
                                },
                                server: String::new(),
                            },
                            first,
                            last,
                        };
                        if after >= top {
                            last + 1
                        } else {
                            self.locate(connected, &now, after + 1).await?
                        }
                    }
                };
                if next <= last {
                    let end = last.min(next + max as u64 - 1);
                    let entries = self.entries(connected, next, end, after).await?;
                    let through = entries.last().map_or(after, |entry| entry.seq);
                    follow.at = Some((through, end + 1));
                    if !entries.is_empty() {
                        return Ok(entries);
                    }
                    continue;
                }
                follow.at = Some((after, next));
                let wake = follow.wake.as_mut().expect("subscribed above");
                match tokio::time::timeout_at(deadline, wake.next()).await {
                    Err(_) => return Ok(Vec::new()),
                    Ok(None) => {
                        follow.wake = None;
                        return Err(LogError::new("NATS: the subscription ended"));
                    }
                    Ok(Some(_)) => {
                        // Whatever else woke us meanwhile is read in the same pass.
                        while let Some(Some(_)) = futures_util::FutureExt::now_or_never(wake.next())
                        {
                        }
                    }
                }
            }
        })
        .await
    }

    async fn read_head(&self, known: &Known) -> Result<Head, LogError> {
        self.on_stream(async |connected| Ok(self.stand(connected, known).await?.stamp.head))
            .await
    }
}

/// What a once-key found appended before means for `event`: the same event, or another.
fn duplicate(earlier: &Entry, event: &Append) -> Outcome {
    if earlier.topic == event.topic && earlier.body == event.body {
        Outcome::Duplicate {
            seq: earlier.seq,
            epoch: earlier.epoch.clone(),
        }
    } else {
        Outcome::KeyReused
    }
}

/// Events whose once-key an earlier event of the batch has: once that one is appended,
/// they are its duplicates (or, with other content, a reused key).
fn settle_same_keys(progress: &mut [Progress], events: &[Append]) {
    for index in 0..progress.len() {
        let Progress::SameAs(earlier) = progress[index] else {
            continue;
        };
        let (of, seq) = match &progress[earlier] {
            Progress::Done(of, Outcome::Appended(seq)) => (of.clone(), *seq),
            Progress::Done(_, Outcome::Duplicate { seq, epoch }) => (epoch.clone(), *seq),
            Progress::Done(_, Outcome::KeyReused) => {
                progress[index] = Progress::Done(Arc::from(""), Outcome::KeyReused);
                continue;
            }
            _ => continue,
        };
        let first = &events[earlier];
        let outcome = if first.topic == events[index].topic && first.body == events[index].body {
            Outcome::Duplicate {
                seq,
                epoch: of.clone(),
            }
        } else {
            Outcome::KeyReused
        };
        progress[index] = Progress::Done(of, outcome);
    }
}

impl Engine for NatsLog {
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
