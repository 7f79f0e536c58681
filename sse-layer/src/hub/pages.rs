//! Pages of a shared log read for resumes, shared by the resumes that need them.
//!
//! A resume the window cannot answer reads the log a page at a time as its client drains
//! ([`CatchUp`](super::catch_up::CatchUp)). Pages are aligned (page `k` holds the events
//! after `k × PAGE`), so resumes at the same place ask for the same page: one read serves
//! every resume waiting for it at that moment, and the last few complete pages stay cached
//! (bounded by bytes), so a reconnect storm reads each page about once.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use tokio::sync::OnceCell;

use crate::replay::engine::is_whole_event;
use crate::replay::id::{is_valid_epoch, log_id};
use crate::replay::{Engine, Head, Known, LogError, Record};

/// Events per page.
pub(crate) const PAGE: usize = 32;
/// The cache keeps complete pages up to this many bytes of events.
const CACHE_BYTES: usize = 4 << 20;
/// Reads in flight are tidied up beyond this many abandoned ones.
const MAX_FLIGHTS: usize = 1024;

/// The page that holds the event after `position`: the events after the returned number.
pub(crate) fn page_start(position: u64) -> u64 {
    position / PAGE as u64 * PAGE as u64
}

/// One read of the log: where it stood, and the entries after `start` (whole events,
/// encoded with their ids; `None` for an entry that could not be sent, which still takes
/// its place in the numbering).
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) head: Head,
    pub(crate) start: u64,
    pub(crate) entries: Vec<(u64, Option<Arc<Record>>)>,
    bytes: usize,
}

impl Page {
    /// Whether this page is the one to read the event after `position` from.
    pub(crate) fn covers(&self, position: u64) -> bool {
        position >= self.start && position < self.start + PAGE as u64
    }

    /// The number of the first entry after `position`, if the page has one.
    pub(crate) fn first_after(&self, position: u64) -> Option<u64> {
        self.entries
            .iter()
            .map(|(seq, _)| *seq)
            .find(|&seq| seq > position)
    }

    /// Every event of the page is there, numbered on from its start: it never changes.
    fn is_complete(&self) -> bool {
        self.entries.len() == PAGE
            && self
                .entries
                .iter()
                .zip(self.start + 1..)
                .all(|((seq, _), expected)| *seq == expected)
    }
}

type Key = (Arc<str>, u64);

/// The shared reader: single-flight reads and a small cache of complete pages.
pub(crate) struct Pages {
    log: Arc<dyn Engine>,
    state: Mutex<PagesState>,
}

#[derive(Default)]
struct PagesState {
    cached: VecDeque<(Key, Arc<Page>)>,
    bytes: usize,
    flights: HashMap<Key, Weak<OnceCell<Arc<Page>>>>,
}

impl Pages {
    pub(crate) fn new(log: Arc<dyn Engine>) -> Self {
        Self {
            log,
            state: Mutex::new(PagesState::default()),
        }
    }

    /// The page after `start`, for a reader whose window follows the epoch in `known`:
    /// from the cache (when `cached`, and only pages read in that epoch), from a read
    /// another resume has under way, or read now.
    pub(crate) async fn get(
        &self,
        start: u64,
        known: Known,
        cached: bool,
    ) -> Result<Arc<Page>, LogError> {
        let key = (known.epoch.clone(), start);
        let cell = {
            let mut state = self.lock();
            if let Some((_, page)) = state
                .cached
                .iter()
                .find(|(page_key, _)| cached && *page_key == key)
            {
                return Ok(page.clone());
            }
            match state.flights.get(&key).and_then(Weak::upgrade) {
                Some(cell) => cell,
                None => {
                    if state.flights.len() >= MAX_FLIGHTS {
                        state.flights.retain(|_, flight| flight.strong_count() > 0);
                    }
                    let cell = Arc::new(OnceCell::new());
                    state.flights.insert(key.clone(), Arc::downgrade(&cell));
                    cell
                }
            }
        };
        let read = cell
            .get_or_try_init(|| self.read(start, &known))
            .await
            .cloned();
        let mut state = self.lock();
        if state
            .flights
            .get(&key)
            .is_some_and(|flight| std::ptr::eq(flight.as_ptr(), Arc::as_ptr(&cell)))
        {
            state.flights.remove(&key);
        }
        let page = read?;
        if page.is_complete()
            && page.head.epoch == key.0
            && !state.cached.iter().any(|(cached, _)| *cached == key)
        {
            state.bytes += page.bytes;
            state.cached.push_back((key, page.clone()));
            while state.bytes > CACHE_BYTES {
                let Some((_, evicted)) = state.cached.pop_front() else {
                    break;
                };
                state.bytes -= evicted.bytes;
            }
        }
        Ok(page)
    }

    async fn read(&self, start: u64, known: &Known) -> Result<Arc<Page>, LogError> {
        let read = self.log.read(start, PAGE, known).await?;
        if !read.head.is_valid() {
            return Err(LogError::new(format!(
                "the shared log's epoch {:?} is not letters and digits",
                read.head.epoch
            )));
        }
        let mut bytes = 0;
        let entries = read
            .entries
            .into_iter()
            .map(|entry| {
                let sendable = !entry.epoch.is_empty()
                    && is_valid_epoch(&entry.epoch)
                    && is_whole_event(&entry.body);
                if !sendable {
                    tracing::warn!(
                        seq = entry.seq,
                        "hub engine: skipped an entry that is not one whole event of a valid epoch"
                    );
                    return (entry.seq, None);
                }
                let record = Record {
                    seq: entry.seq,
                    topic: Arc::from(entry.topic),
                    key: entry.key.map(Arc::from),
                    bytes: crate::encode::with_id(&log_id(&entry.epoch, entry.seq), &entry.body),
                };
                bytes += record.bytes.len();
                (entry.seq, Some(Arc::new(record)))
            })
            .collect();
        Ok(Arc::new(Page {
            head: read.head,
            start,
            entries,
            bytes,
        }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PagesState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(start: u64, seqs: impl IntoIterator<Item = u64>) -> Page {
        Page {
            head: Head::default(),
            start,
            entries: seqs.into_iter().map(|seq| (seq, None)).collect(),
            bytes: 0,
        }
    }

    #[test]
    fn pages() {
        assert_eq!((page_start(0), page_start(31), page_start(32)), (0, 0, 32));
        let full = page(32, 33..=64);
        assert!(full.is_complete());
        assert!(full.covers(32) && full.covers(63) && !full.covers(64) && !full.covers(31));
        assert_eq!(full.first_after(40), Some(41));
        assert!(!page(32, 33..=60).is_complete(), "a tail");
        assert!(!page(32, 40..=71).is_complete(), "trimmed in front");
        assert_eq!(page(32, 40..=71).first_after(32), Some(40));
    }
}
