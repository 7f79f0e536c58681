//! [`MemoryLog`]: the default replay log, a ring bounded by count and by bytes, with an
//! epoch of its own.

use std::collections::VecDeque;
use std::sync::Arc;

use super::id::{log_id, new_epoch, LogId};
use super::log::{Position, Record, ReplayLog};

/// Keeps the newest events in memory, at most `max_events` of them and at most
/// `max_bytes` of encoded events in all; older ones are dropped first.
///
/// Ids are `<epoch>-<seq>`, the epoch made at random when the log is made. A process that
/// restarts starts a new log, so an id a client kept from the previous run is `unknown`
/// (the client gets a reset event) instead of resuming, silently, from a number that now
/// names other events.
///
/// ```
/// use sse_layer::hub::Hub;
/// use sse_layer::replay::MemoryLog;
/// use sse_layer::Event;
///
/// // Keep the last 2 events for resume.
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let hub = Hub::builder().replay(MemoryLog::new(2, 1 << 20)).build();
/// for n in 1..=3 {
///     hub.publish("ticks", Event::new().data(n.to_string())).await.unwrap();
/// }
/// assert_eq!(hub.newest().unwrap().seq(), 3);
/// # });
/// ```
#[derive(Debug)]
pub struct MemoryLog {
    epoch: Arc<str>,
    records: VecDeque<Arc<Record>>,
    bytes: usize,
    max_events: usize,
    max_bytes: usize,
    last_seq: u64,
    /// Every record up to this sequence number has been dropped.
    evicted_through: u64,
}

impl MemoryLog {
    /// The default bounds of a hub: 1,000 events and 1 MiB.
    pub const DEFAULT_EVENTS: usize = 1000;
    /// See [`DEFAULT_EVENTS`](Self::DEFAULT_EVENTS).
    pub const DEFAULT_BYTES: usize = 1 << 20;

    /// A log that keeps at most `max_events` events and `max_bytes` bytes of them.
    pub fn new(max_events: usize, max_bytes: usize) -> Self {
        Self::with_epoch(Arc::from(new_epoch()), max_events, max_bytes)
    }

    /// A log whose ids carry `epoch` (1 to 64 ASCII letters and digits).
    pub(crate) fn with_epoch(epoch: Arc<str>, max_events: usize, max_bytes: usize) -> Self {
        Self {
            epoch,
            records: VecDeque::new(),
            bytes: 0,
            max_events,
            max_bytes,
            last_seq: 0,
            evicted_through: 0,
        }
    }

    /// How many events are retained now.
    ///
    /// ```
    /// assert_eq!(sse_layer::replay::MemoryLog::new(10, 1024).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when no event is retained.
    ///
    /// ```
    /// assert!(sse_layer::replay::MemoryLog::new(10, 1024).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The epoch its ids carry.
    ///
    /// ```
    /// use sse_layer::replay::{MemoryLog, ReplayLog};
    /// let log = MemoryLog::default();
    /// assert_eq!(log.id_of(3), format!("{}-3", log.epoch()));
    /// ```
    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    /// Numbers continue after `seq`, which counts as retained (so resuming from it misses
    /// nothing): for a log that mirrors another one from that point on.
    pub(crate) fn start_after(&mut self, seq: u64) {
        self.records.clear();
        self.bytes = 0;
        self.last_seq = seq;
        self.evicted_through = seq;
    }

    /// Forgets every record after `seq` (they were lost upstream); numbering goes on from
    /// `seq`. Records up to it stay.
    pub(crate) fn truncate_after(&mut self, seq: u64) {
        while self.records.back().is_some_and(|record| record.seq > seq) {
            let dropped = self.records.pop_back().expect("checked");
            self.bytes -= dropped.bytes.len();
        }
        self.last_seq = self.last_seq.min(seq);
        self.evicted_through = self.evicted_through.min(seq);
    }

    /// Whether every record after `seq` is retained (so a replay from it misses nothing).
    pub(crate) fn holds_after(&self, seq: u64) -> bool {
        seq >= self.evicted_through
    }

    /// Where sequence number `seq` stands.
    pub(crate) fn position_of(&self, seq: u64) -> Position {
        if seq > self.last_seq {
            Position::Unknown
        } else if seq >= self.evicted_through {
            Position::After(seq)
        } else {
            Position::Expired
        }
    }

    /// The encoded size of the retained events.
    ///
    /// ```
    /// assert_eq!(sse_layer::replay::MemoryLog::new(10, 1024).retained_bytes(), 0);
    /// ```
    pub fn retained_bytes(&self) -> usize {
        self.bytes
    }
}

impl Default for MemoryLog {
    fn default() -> Self {
        Self::new(Self::DEFAULT_EVENTS, Self::DEFAULT_BYTES)
    }
}

impl ReplayLog for MemoryLog {
    fn last_seq(&self) -> u64 {
        self.last_seq
    }

    fn append(&mut self, record: Arc<Record>) {
        self.last_seq = record.seq;
        self.bytes += record.bytes.len();
        self.records.push_back(record);
        while self.records.len() > self.max_events || self.bytes > self.max_bytes {
            let Some(oldest) = self.records.pop_front() else {
                break;
            };
            self.bytes -= oldest.bytes.len();
            self.evicted_through = oldest.seq;
        }
    }

    fn position(&self, last_event_id: &str) -> Position {
        match LogId::parse(last_event_id) {
            Some(id) if id.epoch == &*self.epoch => self.position_of(id.seq),
            _ => Position::Unknown,
        }
    }

    fn for_each_after(&self, seq: u64, visit: &mut dyn FnMut(&Arc<Record>)) {
        let start = self.records.partition_point(|record| record.seq <= seq);
        self.records.range(start..).for_each(visit);
    }

    fn newest(&self) -> Option<Arc<Record>> {
        self.records.back().cloned()
    }

    fn id_of(&self, seq: u64) -> String {
        log_id(&self.epoch, seq)
    }

    /// The newest position, retained or not: `<epoch>-<last>` (`<epoch>-0` before the
    /// first event), which this log resumes from.
    fn cursor(&self) -> String {
        self.id_of(self.last_seq)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;

    use super::*;

    fn record(seq: u64, size: usize) -> Arc<Record> {
        Arc::new(Record {
            seq,
            topic: Arc::from(""),
            key: None,
            bytes: Bytes::from(vec![b'x'; size]),
        })
    }

    fn after(log: &MemoryLog, seq: u64) -> Vec<u64> {
        let mut seqs = Vec::new();
        log.for_each_after(seq, &mut |record| seqs.push(record.seq));
        seqs
    }

    #[test]
    fn bounded_by_count() {
        let mut log = MemoryLog::with_epoch(Arc::from("ep"), 3, usize::MAX);
        (1..=5).for_each(|seq| log.append(record(seq, 10)));
        assert_eq!(after(&log, 0), [3, 4, 5]);
        assert_eq!(log.position("ep-1"), Position::Expired);
        // Event 3 is retained, so a client that has 2 misses nothing.
        assert_eq!(log.position("ep-2"), Position::After(2));
        assert_eq!(after(&log, 2), [3, 4, 5]);
        assert_eq!(log.position("ep-5"), Position::After(5));
        assert_eq!(after(&log, 5), [] as [u64; 0]);
        assert_eq!(log.position("ep-6"), Position::Unknown);
        assert_eq!(log.position("banana"), Position::Unknown);
        assert_eq!(log.cursor(), "ep-5");
    }

    #[test]
    fn another_epoch_is_unknown_whatever_its_number() {
        // A process restarted: same numbers, new epoch.
        let mut before = MemoryLog::new(10, usize::MAX);
        let mut after_restart = MemoryLog::new(10, usize::MAX);
        (1..=3).for_each(|seq| before.append(record(seq, 1)));
        (1..=6).for_each(|seq| after_restart.append(record(seq, 1)));
        assert_ne!(before.epoch(), after_restart.epoch());
        assert_eq!(after_restart.position(&before.id_of(3)), Position::Unknown);
        assert_eq!(after_restart.position("3"), Position::Unknown);
        assert_eq!(
            after_restart.position(&after_restart.id_of(3)),
            Position::After(3)
        );
    }

    #[test]
    fn truncating_keeps_what_survived() {
        let mut log = MemoryLog::with_epoch(Arc::from("ep"), 10, usize::MAX);
        (1..=5).for_each(|seq| log.append(record(seq, 10)));
        log.truncate_after(3);
        assert_eq!(after(&log, 0), [1, 2, 3]);
        assert_eq!((log.last_seq(), log.retained_bytes()), (3, 30));
        assert!(log.holds_after(0));
    }

    #[test]
    fn bounded_by_bytes() {
        let mut log = MemoryLog::new(usize::MAX, 25);
        (1..=4).for_each(|seq| log.append(record(seq, 10)));
        assert_eq!((log.len(), log.retained_bytes()), (2, 20));
        assert_eq!(after(&log, 0), [3, 4]);
        // One event bigger than the whole bound is not kept at all.
        log.append(record(5, 30));
        assert!(log.is_empty());
        assert_eq!(log.position(&log.id_of(4)), Position::Expired);
        assert_eq!(log.position(&log.id_of(5)), Position::After(5));
    }

    #[test]
    fn empty_log() {
        let log = MemoryLog::default();
        assert_eq!(log.position(&log.id_of(1)), Position::Unknown);
        assert_eq!(log.position(&log.id_of(0)), Position::After(0));
        assert_eq!(log.cursor(), log.id_of(0));
        assert!(log.newest().is_none());
    }
}
