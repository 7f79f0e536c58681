//! [`Window`]: a [`Hub`](crate::hub::Hub)'s local copy, on a shared engine, of the newest part of a
//! shared log, and where that log stands ([`Head`]), so that most resumes are served from
//! memory and the rest are told apart from those the engine must answer.

use std::sync::Arc;

use super::id::LogId;
use super::lineage::{Head, Standing};
use super::log::{Position, Record, ReplayLog};
use super::memory::MemoryLog;

/// The window: the records the follower delivered since it started (after `base`: what
/// came before is only in the shared log), and the head they belong to. Each record's
/// bytes carry the id of the epoch it was appended in.
#[derive(Debug)]
pub(crate) struct Window {
    head: Head,
    log: MemoryLog,
    /// False until the follower has read the engine once.
    synced: bool,
}

/// Whether a subscription that has read the shared log up to a position can go live on
/// this window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Join {
    /// The window holds every event after the position: replay them, then live.
    Replay,
    /// The window has not reached the position yet: go live, skipping what the
    /// subscription already had.
    Ahead,
    /// The window no longer holds the events right after the position: read on.
    Behind,
    /// The window is of another history than the one read (the follower has not caught
    /// up with a fence, or the reader's view is older): read again.
    Stale,
}

impl Window {
    /// The window of `head`, continuing after sequence number `base`.
    pub(crate) fn new(head: Head, base: u64, max_events: usize, max_bytes: usize) -> Self {
        // The ring's own epoch is never written: records carry their ids already, and the
        // window answers ids from `head`.
        let mut log = MemoryLog::with_epoch(Arc::from("w"), max_events, max_bytes);
        log.start_after(base);
        Self {
            head,
            log,
            synced: true,
        }
    }

    /// The window before the follower has read the engine: it resumes nothing.
    pub(crate) fn unsynced() -> Self {
        Self {
            synced: false,
            ..Self::new(Head::default(), 0, 0, 0)
        }
    }

    pub(crate) fn is_synced(&self) -> bool {
        self.synced
    }

    pub(crate) fn head(&self) -> &Head {
        &self.head
    }

    /// The engine's head moved without taking anything from this window (a fence that
    /// lost nothing, or a new top).
    pub(crate) fn set_head(&mut self, head: Head) {
        self.head = head;
    }

    /// History after `through` was lost: forget it, and go on under `head`.
    pub(crate) fn rewind(&mut self, through: u64, head: Head) {
        self.log.truncate_after(through);
        self.head = head;
    }

    /// Events up to `seq` can no longer be read (trimmed before they were delivered):
    /// hold nothing, and go on after `seq`.
    pub(crate) fn restart_after(&mut self, seq: u64) {
        self.log.start_after(seq);
    }

    /// Whether a subscription that has everything up to `position` of the history whose
    /// current epoch is `epoch` can go live here.
    pub(crate) fn join(&self, epoch: &str, position: u64) -> Join {
        if !self.synced || epoch != &*self.head.epoch {
            Join::Stale
        } else if position > self.log.last_seq() {
            Join::Ahead
        } else if self.log.holds_after(position) {
            Join::Replay
        } else {
            Join::Behind
        }
    }
}

impl ReplayLog for Window {
    fn last_seq(&self) -> u64 {
        self.log.last_seq()
    }

    fn append(&mut self, record: Arc<Record>) {
        self.head.top = self.head.top.max(record.seq);
        self.log.append(record);
    }

    /// `After` when the window holds everything after the id; `Expired` when the shared
    /// log must answer (the events are older than the window, or the id's epoch is one the
    /// window cannot judge); `Unknown` when it is not an id of this form at all.
    fn position(&self, last_event_id: &str) -> Position {
        let Some(id) = LogId::parse(last_event_id) else {
            return Position::Unknown;
        };
        if !self.synced {
            return Position::Expired;
        }
        match self.head.standing(id.epoch, id.seq) {
            Standing::At(seq) if seq <= self.log.last_seq() && self.log.holds_after(seq) => {
                Position::After(seq)
            }
            _ => Position::Expired,
        }
    }

    fn for_each_after(&self, seq: u64, visit: &mut dyn FnMut(&Arc<Record>)) {
        self.log.for_each_after(seq, visit);
    }

    fn newest(&self) -> Option<Arc<Record>> {
        self.log.newest()
    }

    fn id_of(&self, seq: u64) -> String {
        self.head.id_of(seq)
    }

    fn cursor(&self) -> String {
        if self.synced {
            self.id_of(self.log.last_seq())
        } else {
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::Fork;

    fn head(epoch: &str, top: u64) -> Head {
        Head {
            epoch: Arc::from(epoch),
            top,
            forks: vec![Fork {
                epoch: Arc::from("old"),
                through: 4,
            }],
        }
    }

    #[test]
    fn positions() {
        let window = Window::new(head("ep", 10), 10, 100, 1 << 20);
        // The window starts after 10: 10 itself is resumable, older ones must ask the log.
        assert_eq!(window.position("ep-10"), Position::After(10));
        assert_eq!(window.position("ep-9"), Position::Expired);
        assert_eq!(window.position("other-10"), Position::Expired);
        assert_eq!(window.position("ep-11"), Position::Expired);
        assert_eq!(window.position("old-9"), Position::Expired);
        assert_eq!(window.position("11"), Position::Unknown);
        assert_eq!(window.id_of(11), "ep-11");
        assert_eq!(window.cursor(), "ep-10");
        assert_eq!(Window::unsynced().cursor(), "");
        assert_eq!(Window::unsynced().position("ep-1"), Position::Expired);
    }

    #[test]
    fn joining() {
        let mut window = Window::new(head("ep", 10), 10, 100, 1 << 20);
        assert_eq!(window.join("ep", 10), Join::Replay);
        assert_eq!(window.join("ep", 12), Join::Ahead);
        assert_eq!(window.join("ep", 9), Join::Behind);
        assert_eq!(window.join("new", 10), Join::Stale);
        assert_eq!(Window::unsynced().join("", 0), Join::Stale);
        window.rewind(8, head("new", 8));
        assert_eq!(window.join("new", 8), Join::Replay, "nothing after 8 yet");
        assert_eq!(window.join("new", 9), Join::Ahead);
        assert_eq!(window.last_seq(), 8);
    }
}
