//! [`Window`]: a [`SharedHub`](crate::hub::SharedHub)'s local copy of the newest part of a
//! shared log, so that most resumes are served from memory.
//!
//! Ids on the wire are `<epoch>-<seq>`: the epoch makes an id from before the engine lost
//! its data unknown, however its number compares.

use std::sync::Arc;

use super::log::{parse_seq, Position, Record, ReplayLog};
use super::memory::MemoryLog;
use super::shared::is_valid_epoch;

/// An id split into its epoch and sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SharedId<'a> {
    pub(crate) epoch: &'a str,
    pub(crate) seq: u64,
}

/// The id of event `seq` of `epoch` on the wire: `<epoch>-<seq>`.
pub(crate) fn shared_id(epoch: &str, seq: u64) -> String {
    format!("{epoch}-{seq}")
}

impl<'a> SharedId<'a> {
    /// Parses `<epoch>-<seq>`; the epoch is one to 64 ASCII letters and digits.
    pub(crate) fn parse(id: &'a str) -> Option<Self> {
        let (epoch, seq) = id.rsplit_once('-')?;
        if epoch.is_empty() || !is_valid_epoch(epoch) {
            return None;
        }
        Some(Self {
            epoch,
            seq: parse_seq(seq)?,
        })
    }
}

/// The window: a [`MemoryLog`] of what the follower delivered since it started (after
/// `base`: what came before is only in the shared log) and the epoch it belongs to.
#[derive(Debug)]
pub(crate) struct Window {
    /// Empty until the follower has read the shared log's epoch, or after the engine lost
    /// its data.
    pub(crate) epoch: Arc<str>,
    log: MemoryLog,
    /// False until the follower has read the engine once.
    synced: bool,
}

impl Window {
    /// The window of epoch `epoch` (empty: the engine holds nothing), continuing after
    /// sequence number `base`.
    pub(crate) fn new(epoch: Arc<str>, base: u64, max_events: usize, max_bytes: usize) -> Self {
        let mut log = MemoryLog::new(max_events, max_bytes);
        log.start_after(base);
        Self {
            epoch,
            log,
            synced: true,
        }
    }

    /// The window before the follower has read the engine: it resumes nothing.
    pub(crate) fn unsynced() -> Self {
        Self {
            synced: false,
            ..Self::new(Arc::from(""), 0, 0, 0)
        }
    }
}

impl ReplayLog for Window {
    fn last_seq(&self) -> u64 {
        self.log.last_seq()
    }

    fn append(&mut self, record: Arc<Record>) {
        self.log.append(record);
    }

    /// `After` when the window holds everything after the id; otherwise `Expired` (the
    /// shared log may still have it) or `Unknown` (not an id of this form).
    fn position(&self, last_event_id: &str) -> Position {
        let Some(id) = SharedId::parse(last_event_id) else {
            return Position::Unknown;
        };
        if id.epoch != &*self.epoch {
            return Position::Expired;
        }
        match self.log.position_of(id.seq) {
            Position::Unknown => Position::Expired,
            position => position,
        }
    }

    fn for_each_after(&self, seq: u64, visit: &mut dyn FnMut(&Arc<Record>)) {
        self.log.for_each_after(seq, visit);
    }

    fn newest(&self) -> Option<Arc<Record>> {
        self.log.newest()
    }

    fn id_of(&self, seq: u64) -> String {
        shared_id(&self.epoch, seq)
    }

    fn epoch(&self) -> Option<&str> {
        self.synced.then_some(&*self.epoch)
    }

    fn cursor(&self) -> String {
        if self.epoch.is_empty() || self.last_seq() == 0 {
            String::new()
        } else {
            self.id_of(self.last_seq())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(
            SharedId::parse("k3x9-42"),
            Some(SharedId {
                epoch: "k3x9",
                seq: 42
            })
        );
        for bad in [
            "42", "-42", "k3x9-", "k3x9-0", "k3x9-042", "k-3-x", "é-1", "k 3-1",
        ] {
            assert_eq!(SharedId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn positions() {
        let window = Window::new(Arc::from("ep"), 10, 100, 1 << 20);
        // The window starts after 10: 10 itself is resumable, older ones must ask the log.
        assert_eq!(window.position("ep-10"), Position::After(10));
        assert_eq!(window.position("ep-9"), Position::Expired);
        assert_eq!(window.position("other-10"), Position::Expired);
        assert_eq!(window.position("ep-11"), Position::Expired);
        assert_eq!(window.position("11"), Position::Unknown);
        assert_eq!(window.id_of(11), "ep-11");
        assert_eq!(window.cursor(), "ep-10");
        assert_eq!(Window::new(Arc::from(""), 0, 1, 1).cursor(), "");
        assert_eq!(window.epoch(), Some("ep"));
        assert_eq!(Window::unsynced().epoch(), None);
    }
}
