//! What a publish answers, on every engine: [`Published`] or a [`PublishError`].

use std::fmt;

/// What [`Hub::publish`](super::Hub::publish) did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Published {
    /// The event's sequence number.
    pub seq: u64,
    /// Its id on the wire: `<epoch>-<seq>`.
    pub id: String,
    /// How many of this instance's subscribers it was queued for by the publish itself.
    /// In memory that is every subscriber it reaches; with a shared engine delivery
    /// follows, through each instance's follower, so this is 0.
    pub delivered: usize,
    /// False when [`publish_once`](super::Hub::publish_once) found its key already published
    /// (by this instance or, with a shared engine, another); `seq` and `id` are then that
    /// event's, and nothing was delivered.
    pub fresh: bool,
}

/// Why an event could not be published.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublishError {
    /// The event carries its own id. The hub gives ids (they are what resume uses), so it
    /// refuses to overwrite one; put your own identifier in the data.
    IdSet,
    /// The hub's shared engine could not be reached (the message says why). The event
    /// may or may not have been appended: retry with [`publish_once`](super::Hub::publish_once)
    /// and a key of your own. Never returned by a hub in memory.
    Unavailable(String),
    /// A [`publish_once`](super::Hub::publish_once) key that was already used for another event
    /// (another topic or other fields). Keys name one event each.
    KeyReused,
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IdSet => f.write_str(
                "the event already has an id; the hub assigns ids, so publish it without one",
            ),
            Self::Unavailable(why) => write!(f, "the hub's engine is unavailable: {why}"),
            Self::KeyReused => {
                f.write_str("this idempotency key was already used for a different event")
            }
        }
    }
}

impl std::error::Error for PublishError {}
