//! The seam every log plugs into: [`ReplayLog`] (one instance's log, read by the hub with
//! its lock held), the [`Record`]s it keeps, the [`Position`] of a `Last-Event-ID`, and
//! why a stream starts with a reset event. Below every other file of `replay/`.

use std::sync::Arc;

use bytes::Bytes;

/// One published event, encoded once and shared by every subscriber and the log.
///
/// ```
/// use sse_layer::hub::Hub;
/// use sse_layer::Event;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let hub = Hub::new();
/// let published = hub.publish("news", Event::new().data("hello")).await.unwrap();
/// let newest = hub.newest().unwrap();
/// assert_eq!((newest.seq(), newest.topic()), (1, "news"));
/// // The id is `<epoch>-<seq>`: the epoch is this process's log's.
/// assert_eq!(newest.bytes(), &format!("id: {}\ndata: hello\n\n", published.id));
/// # });
/// ```
#[derive(Debug)]
pub struct Record {
    pub(crate) seq: u64,
    pub(crate) topic: Arc<str>,
    pub(crate) key: Option<Arc<str>>,
    pub(crate) bytes: Bytes,
}

impl Record {
    /// The event's place in the log's order; its id on the wire is `<epoch>-<seq>` for
    /// the hub's own logs.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The topic it was published to.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The coalescing key it was published with, if any.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The event on the wire: its fields and the blank line that ends it.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }
}

/// Where a `Last-Event-ID` stands in a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// The id is the event with this sequence number (or the log knows it was there and
    /// retains everything after it).
    After(u64),
    /// The id was issued, but events after it are no longer retained.
    Expired,
    /// This log never issued the id (another server instance, a typo, garbage).
    Unknown,
}

/// Why a stream got a reset event instead of the events it asked for.
///
/// ```
/// use sse_layer::replay::ResetReason;
/// assert_eq!(ResetReason::Lost.as_str(), "lost");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResetReason {
    /// The id was issued, but events after it are no longer retained.
    Expired,
    /// The id was never issued by this log (or by this process, for a log in memory that
    /// restarted since).
    Unknown,
    /// The log lost events the client had: a shared engine restarted without them, came
    /// back from an older copy, or failed over to a replica that had not received them.
    /// The reset's id is the last position that survived, and the events after it follow.
    Lost,
}

impl ResetReason {
    /// `"expired"`, `"unknown"` or `"lost"`: the `reason` of the default reset event.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::Unknown => "unknown",
            Self::Lost => "lost",
        }
    }
}

/// Storage for published events, in order. [`MemoryLog`](super::MemoryLog) is the default; implement this
/// to put a bigger or persistent store behind a [`Hub`](crate::hub::Hub).
///
/// The hub calls every method with its own lock held, which is what makes replay and live
/// delivery meet without a gap or a duplicate. Keep the methods quick (memory, or a cache
/// in front of slower storage).
///
/// ```
/// use sse_layer::replay::{MemoryLog, Position, ReplayLog};
///
/// let log = MemoryLog::new(1000, 1 << 20);
/// assert_eq!(log.position("7"), Position::Unknown);
/// assert_eq!(log.position(&log.id_of(0)), Position::After(0));
/// ```
pub trait ReplayLog: Send + 'static {
    /// The sequence number of the newest event ever appended (0 for none). A persistent
    /// log returns what it had before a restart, so numbering continues.
    fn last_seq(&self) -> u64;

    /// Keeps `record` (whose `seq` is `last_seq() + 1`), dropping old records as the
    /// log's bounds require.
    fn append(&mut self, record: Arc<Record>);

    /// Where the client's `Last-Event-ID` stands.
    fn position(&self, last_event_id: &str) -> Position;

    /// Calls `visit` with every retained record whose sequence number is greater than
    /// `seq`, oldest first.
    fn for_each_after(&self, seq: u64, visit: &mut dyn FnMut(&Arc<Record>));

    /// The newest retained record.
    fn newest(&self) -> Option<Arc<Record>>;

    /// The id written on the wire for sequence number `seq`: by default `seq` in decimal
    /// (the hub's own logs write `<epoch>-<seq>`). A log that overrides it parses the
    /// same form in [`position`](Self::position).
    fn id_of(&self, seq: u64) -> String {
        seq.to_string()
    }

    /// The id a reset event carries, so that the client's cursor moves to "now": by
    /// default the newest retained event's, or empty when none is retained. It must be a
    /// position [`position`](Self::position) accepts, or empty.
    fn cursor(&self) -> String {
        self.newest()
            .map_or_else(String::new, |record| self.id_of(record.seq))
    }
}
