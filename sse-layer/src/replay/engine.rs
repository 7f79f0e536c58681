//! [`Engine`]: the seam between a [`Hub`](crate::hub::Hub) and an engine that several
//! server instances share. Two implement it, each in its own folder: `redis/`
//! ([`RedisLog`](super::RedisLog), feature `redis`) and `nats/`
//! ([`NatsLog`](super::NatsLog), feature `nats`). **A third engine** (Postgres, …) is
//! one more folder beside them implementing this trait, and nothing else: the hub's
//! delivery code does not change, and the engine-level test suite
//! (`tests/engine_suite.rs`) runs on it with one more `TestEngine` implementation.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::lineage::Head;

/// What an engine's methods return: a boxed, sendable future.
pub type LogFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, LogError>> + Send + 'a>>;

/// A log that several instances share: one order for every event, positions that survive a
/// restart of any instance, and **epochs** that keep an id from ever naming two events.
///
/// The contract, which a [`Hub`](crate::hub::Hub) relies on:
/// - **Numbering.** `append` gives each event the next sequence number (1, 2, 3… with no
///   gap), in the order given, tagged with the current epoch. Redis appends a batch in
///   one step; NATS chains its publishes, so another append may come between two parts
///   of a batch, and a failure midway may leave the first events appended (their callers,
///   like every caller of a failed append, are told it may or may not have happened). An event whose `once` key was appended before (and is still remembered) is not
///   appended again: its earlier number is returned as [`Outcome::Duplicate`], or
///   [`Outcome::KeyReused`] when that key was used for a different event.
/// - **Fencing.** Whenever the engine may have lost writes (it restarted, failed over,
///   came back from an older copy, or a caller's [`Known`] top is above its own for the
///   same epoch) it starts a new epoch before anything else, keeping the old one as a
///   [`Fork`](super::Fork) with the top it still holds, so numbering goes on from there
///   and no `(epoch, seq)` ever names two events. When the engine lost everything (its
///   state is gone), the new epoch starts at 0, and the caller's known epoch, if any, is
///   recorded as a fork through 0.
/// - **Reading.** `follow` returns entries after a number, in order, each with its epoch,
///   waiting up to `wait` when there are none. `read` answers a resume: the [`Head`] and
///   the entries after a number, read together. `head` says where the log stands.
/// - **Retries.** An `append` retried with the same [`AppendBatch::token`] (because the
///   answer was lost) returns the first answer instead of appending again, for a while.
///
/// ```
/// use sse_layer::replay::Engine;
///
/// // Any engine plugs in by implementing the trait; a hub only needs `dyn Engine`.
/// fn assert_object_safe(_: &dyn Engine) {}
/// ```
pub trait Engine: Send + Sync + 'static {
    /// Appends `batch.events` in order (see the contract above for a failure midway).
    fn append<'a>(&'a self, batch: &'a AppendBatch) -> LogFuture<'a, Appended>;

    /// Entries after sequence number `after`, oldest first, at most `max`; waits up to
    /// `wait` for one to arrive when there is none. An entry of another epoch than the
    /// caller expects means the log fenced: ask [`head`](Self::head) where it stands.
    fn follow(&self, after: u64, max: usize, wait: Duration) -> LogFuture<'_, Vec<Entry>>;

    /// Where the log stands and the entries after `after` (at most `max`), in one step.
    /// The first entry is not `after + 1` when the ones before it are no longer retained.
    fn read<'a>(&'a self, after: u64, max: usize, known: &'a Known) -> LogFuture<'a, Read>;

    /// Where the log stands. `known` is what the caller has seen: an engine that holds
    /// less of that epoch fences first.
    fn head<'a>(&'a self, known: &'a Known) -> LogFuture<'a, Head>;
}

/// What a caller has seen of a log: an epoch and the highest number it read or wrote in
/// it. Empty when it has seen nothing.
///
/// ```
/// use std::sync::Arc;
/// use sse_layer::replay::Known;
///
/// // A follower that delivered event 41 of epoch "k3x9": an engine that holds less of
/// // that epoch must fence before answering.
/// let known = Known { epoch: Arc::from("k3x9"), top: 41 };
/// assert_eq!(Known::default().top, 0);
/// # let _ = known;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Known {
    /// The epoch (empty: none).
    pub epoch: Arc<str>,
    /// The highest sequence number seen in it.
    pub top: u64,
}

/// One append call: events and what the caller knows.
///
/// ```
/// use bytes::Bytes;
/// use sse_layer::replay::{Append, AppendBatch, Known};
///
/// let batch = AppendBatch {
///     token: 7, // the same token again (a retry) gets the first answer
///     known: Known::default(),
///     events: vec![Append {
///         topic: "news".into(),
///         key: None,
///         body: Bytes::from_static(b"data: hello\n\n"),
///         once: Some("news-1".into()),
///     }],
/// };
/// assert_eq!(batch.events.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppendBatch {
    /// Identifies this batch for retries: the same token again gets the first answer.
    pub token: u64,
    /// What the appender saw last (see [`Known`]).
    pub known: Known,
    /// The events, in order.
    pub events: Vec<Append>,
}

/// One event to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Append {
    /// Its topic.
    pub topic: String,
    /// Its coalescing key, if any.
    pub key: Option<String>,
    /// The encoded event without an id: its fields and the blank line that ends it.
    pub body: Bytes,
    /// An idempotency key: the event is appended at most once per key (within the engine's
    /// memory of keys, which is as long as its retention).
    pub once: Option<String>,
}

/// What [`Engine::append`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The epoch the events were appended in.
    pub epoch: Arc<str>,
    /// What became of each event, in order.
    pub outcomes: Vec<Outcome>,
}

/// What became of one appended event.
///
/// ```
/// use sse_layer::replay::Outcome;
///
/// let fresh = |outcome: &Outcome| matches!(outcome, Outcome::Appended(_));
/// assert!(fresh(&Outcome::Appended(42)));
/// assert!(!fresh(&Outcome::KeyReused));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Appended now, with this sequence number (of the batch's epoch).
    Appended(u64),
    /// Its `once` key was appended before, as this sequence number of `epoch` (the epoch
    /// that event was appended in: an id that answers a retry is the first answer's).
    Duplicate {
        /// The earlier event's sequence number.
        seq: u64,
        /// The epoch it was appended in.
        epoch: Arc<str>,
    },
    /// Its `once` key was appended before with another topic or body.
    KeyReused,
}

/// One stored event, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The epoch it was appended in.
    pub epoch: Arc<str>,
    /// Its sequence number.
    pub seq: u64,
    /// Its topic.
    pub topic: String,
    /// Its coalescing key, if any.
    pub key: Option<String>,
    /// The encoded event without an id.
    pub body: Bytes,
}

/// What [`Engine::read`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Read {
    /// Where the log stood when it was read.
    pub head: Head,
    /// The entries after the number asked for, oldest first.
    pub entries: Vec<Entry>,
}

/// The engine could not be reached or answered something unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogError {
    message: String,
}

impl LogError {
    /// An error that says `message`.
    ///
    /// ```
    /// let error = sse_layer::replay::LogError::new("connection refused");
    /// assert_eq!(error.to_string(), "connection refused");
    /// ```
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LogError {}

/// Whether `body` is what [`Append::body`] must be: whole events' fields, no blank line
/// but the one that ends it, and no `id` field (the hub writes the id), so that an entry
/// read back can never split or merge events on the wire or move a client's cursor. An
/// empty body (an empty event) is allowed.
pub(crate) fn is_whole_event(body: &[u8]) -> bool {
    if body.is_empty() {
        return true;
    }
    body.ends_with(b"\n\n")
        && !body.contains(&b'\r')
        && memchr::memmem::find(&body[..body.len() - 1], b"\n\n").is_none()
        && body[0] != b'\n'
        && !body[..body.len() - 1]
            .split(|&byte| byte == b'\n')
            .any(|line| line == b"id" || line.starts_with(b"id:"))
}

#[cfg(test)]
mod tests {
    use super::is_whole_event;

    #[test]
    fn whole_events() {
        assert!(is_whole_event(b""));
        assert!(is_whole_event(b"data: x\n\n"));
        assert!(is_whole_event(b"event: a\ndata: x\ndata: y\n\n"));
        assert!(is_whole_event(b"data: id: not a field\n\n"));
        for bad in [
            &b"data: x\n"[..],
            b"data: x",
            b"data: x\n\ndata: y\n\n",
            b"\n\n",
            b"data: x\r\n\r\n",
            b"id: 7\ndata: x\n\n",
            b"data: x\nid\n\n",
        ] {
            assert!(!is_whole_event(bad), "{bad:?}");
        }
    }
}
