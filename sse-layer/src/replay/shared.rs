//! [`SharedLog`]: the seam between a [`SharedHub`](crate::hub::SharedHub) and an engine
//! that several server instances share (Redis today; NATS JetStream or Postgres are an
//! implementation of this trait away).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

/// What an engine's methods return: a boxed, sendable future.
pub type LogFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, LogError>> + Send + 'a>>;

/// A log that several instances share: one order for every event, positions that survive a
/// restart of any instance, and an **epoch** that changes whenever the engine lost what it
/// held (a flush, a restart without persistence, a failover to an empty replica), so that
/// a position from before the loss never looks valid after it.
///
/// The contract, which [`SharedHub`](crate::hub::SharedHub) relies on:
/// - `append` gives each event the next sequence number of the current epoch (1, 2, 3…
///   with no gap), atomically for the whole batch, in the order given. An event with a
///   `once` key that was appended before (and is still remembered) is not appended again:
///   its earlier sequence number is returned with `fresh: false`.
/// - `follow` returns entries after a sequence number in order, waiting up to `wait` when
///   there are none, and always says which epoch it read. An empty epoch means the engine
///   holds nothing (it lost its data and nothing was appended since).
/// - `history` answers a resume for one epoch: every entry after `after` up to `through`,
///   or [`History::Expired`] when some of them are no longer retained, or
///   [`History::Unknown`] when the epoch is not the current one or `after` was never issued.
///
/// ```
/// use sse_layer::replay::{History, SharedLog};
///
/// // Any engine plugs in by implementing the trait; a hub only needs `dyn SharedLog`.
/// fn assert_object_safe(_: &dyn SharedLog) {}
/// assert!(matches!(History::Expired, History::Expired));
/// ```
pub trait SharedLog: Send + Sync + 'static {
    /// Appends `events` in order, all or none.
    fn append<'a>(&'a self, events: &'a [Append]) -> LogFuture<'a, Appended>;

    /// Entries after sequence number `after` of the current epoch, oldest first, at most
    /// `max`; waits up to `wait` for one to arrive when there is none.
    fn follow(&self, after: u64, max: usize, wait: Duration) -> LogFuture<'_, Batch>;

    /// The entries after `after` up to `through` (inclusive) of `epoch`, for a resume; at
    /// most `max` of them, so call again from the last one for more.
    fn history<'a>(
        &'a self,
        epoch: &'a str,
        after: u64,
        through: u64,
        max: usize,
    ) -> LogFuture<'a, History>;

    /// The current epoch and the newest sequence number issued in it.
    fn head(&self) -> LogFuture<'_, Head>;
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

/// What [`SharedLog::append`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The epoch the events were appended in.
    pub epoch: Arc<str>,
    /// Each event's sequence number and whether it was appended now (`false`: its `once`
    /// key had been appended before, under this number).
    pub seqs: Vec<(u64, bool)>,
}

/// One stored event, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its sequence number in its epoch.
    pub seq: u64,
    /// Its topic.
    pub topic: String,
    /// Its coalescing key, if any.
    pub key: Option<String>,
    /// The encoded event without an id.
    pub body: Bytes,
}

/// What [`SharedLog::follow`] read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The epoch the entries belong to; empty when the engine holds nothing.
    pub epoch: Arc<str>,
    /// The entries, oldest first.
    pub entries: Vec<Entry>,
}

/// The current epoch and its newest sequence number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Empty when the engine holds nothing.
    pub epoch: Arc<str>,
    /// The newest sequence number issued in the epoch (0 for none).
    pub top: u64,
}

/// The answer to a resume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum History {
    /// The entries after the position, oldest first (none when it is the newest).
    Events(Vec<Entry>),
    /// Some entries after the position are no longer retained.
    Expired,
    /// The position's epoch is not the current one, or it was never issued.
    Unknown,
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

/// Whether an engine's epoch can go into an id: 1 to 64 ASCII letters and digits (or
/// empty: the engine holds nothing). Anything else (a corrupted or hostile store) is
/// refused before it can reach the wire.
pub(crate) fn is_valid_epoch(epoch: &str) -> bool {
    epoch.len() <= 64 && epoch.bytes().all(|byte| byte.is_ascii_alphanumeric())
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

    #[test]
    fn epochs() {
        assert!(super::is_valid_epoch("k3x9a0"));
        assert!(super::is_valid_epoch(""));
        for bad in ["a\nb", "a-b", "a b", &"x".repeat(65), "é"] {
            assert!(!super::is_valid_epoch(bad), "{bad:?}");
        }
    }
}
