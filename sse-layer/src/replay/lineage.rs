//! [`Head`]: where a shared log stands, and what an id means against it.
//!
//! Sequence numbers run on across epochs: when an engine may have lost writes (it
//! restarted, failed over to a replica, or came back from an older copy), it **fences**:
//! it keeps numbering from the top it still holds, under a new epoch, and remembers the
//! old epoch as a [`Fork`] with the last number that survived. So an id of the old epoch
//! up to that number still names the same event (nobody who lost nothing is reset), and
//! an id past it, whose event is gone, is known to be lost: the new events after the fork
//! carry the new epoch and can never be mistaken for it.

use std::sync::Arc;

use super::id::{is_valid_epoch, log_id};

/// What a shared log holds now: the current epoch, the newest sequence number issued (in
/// it or, when nothing was appended since a fence, before it), and the epochs before it.
///
/// ```
/// use std::sync::Arc;
/// use sse_layer::replay::{Fork, Head};
///
/// // Redis came back from a snapshot that held events up to 36 of epoch "a": the engine
/// // fenced, so event 37 onwards is epoch "b".
/// let head = Head {
///     epoch: Arc::from("b"),
///     top: 40,
///     forks: vec![Fork { epoch: Arc::from("a"), through: 36 }],
/// };
/// assert_eq!(head.top, 40);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Head {
    /// The current epoch (never empty once the engine has been reached).
    pub epoch: Arc<str>,
    /// The newest sequence number in the log's history (0 for none).
    pub top: u64,
    /// Earlier epochs of this history, oldest first, each with the last sequence number of
    /// it that survived. An engine keeps a bounded number of them.
    pub forks: Vec<Fork>,
}

/// An earlier epoch of a history and how far it survived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fork {
    /// The epoch.
    pub epoch: Arc<str>,
    /// Its ids up to this sequence number are still valid; the ones after it were lost.
    pub through: u64,
}

/// What a client's position is, against a [`Head`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    /// A position of this history.
    At(u64),
    /// The client had events after `through` that the engine lost.
    Lost { through: u64 },
    /// Not a position this history ever gave out: garbage, another log's, an epoch the
    /// engine no longer remembers, or a number above the top.
    Unknown,
}

impl Head {
    /// Where `(epoch, seq)` stands in this history.
    pub(crate) fn standing(&self, epoch: &str, seq: u64) -> Standing {
        if !self.epoch.is_empty() && epoch == &*self.epoch {
            return if seq <= self.top {
                Standing::At(seq)
            } else {
                Standing::Unknown
            };
        }
        match self.forks.iter().find(|fork| &*fork.epoch == epoch) {
            Some(fork) if seq <= fork.through => Standing::At(seq),
            Some(fork) => Standing::Lost {
                through: fork.through.min(self.top),
            },
            None => Standing::Unknown,
        }
    }

    /// The id of position `seq` of this history in the current epoch (valid for any
    /// `seq` up to the top: positions before a fork are shared).
    pub(crate) fn id_of(&self, seq: u64) -> String {
        log_id(&self.epoch, seq)
    }

    /// Every epoch is one an id can carry: letters and digits, the current one not empty.
    pub(crate) fn is_valid(&self) -> bool {
        !self.epoch.is_empty()
            && is_valid_epoch(&self.epoch)
            && self
                .forks
                .iter()
                .all(|fork| !fork.epoch.is_empty() && is_valid_epoch(&fork.epoch))
    }

    /// The epoch event `seq` of this history was appended in: the oldest fork that
    /// reaches it, or the current epoch.
    pub(crate) fn owner(&self, seq: u64) -> &str {
        self.forks
            .iter()
            .find(|fork| fork.through >= seq)
            .map_or(&*self.epoch, |fork| &*fork.epoch)
    }

    /// The last position of `epoch` this history still holds: its fork's `through`, the
    /// top for the current epoch, `None` for an epoch it does not know.
    pub(crate) fn survived(&self, epoch: &str) -> Option<u64> {
        if epoch == &*self.epoch {
            return Some(self.top);
        }
        self.forks
            .iter()
            .find(|fork| &*fork.epoch == epoch)
            .map(|fork| fork.through.min(self.top))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head() -> Head {
        Head {
            epoch: Arc::from("c"),
            top: 50,
            forks: vec![
                Fork {
                    epoch: Arc::from("a"),
                    through: 0,
                },
                Fork {
                    epoch: Arc::from("b"),
                    through: 36,
                },
            ],
        }
    }

    #[test]
    fn standings() {
        let head = head();
        assert_eq!(head.standing("c", 50), Standing::At(50));
        assert_eq!(head.standing("c", 37), Standing::At(37));
        assert_eq!(head.standing("c", 51), Standing::Unknown, "above the top");
        assert_eq!(head.standing("b", 36), Standing::At(36));
        assert_eq!(head.standing("b", 0), Standing::At(0));
        assert_eq!(head.standing("b", 41), Standing::Lost { through: 36 });
        assert_eq!(head.standing("a", 5), Standing::Lost { through: 0 });
        assert_eq!(head.standing("z", 5), Standing::Unknown);
        assert_eq!(head.survived("b"), Some(36));
        assert_eq!(head.survived("c"), Some(50));
        assert_eq!(head.survived("z"), None);
        assert_eq!(head.id_of(36), "c-36");
        assert_eq!(
            (head.owner(1), head.owner(36), head.owner(37)),
            ("b", "b", "c")
        );
    }

    #[test]
    fn validity() {
        assert!(head().is_valid());
        assert!(!Head::default().is_valid(), "no epoch yet");
        let mut bad = head();
        bad.forks[0].epoch = Arc::from("a\nb");
        assert!(!bad.is_valid());
    }
}
