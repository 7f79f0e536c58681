//! The follower: one task per hub with a shared engine that reads the engine in
//! order and delivers each event to this instance's subscribers, and notices when the log
//! fenced or lost events, telling exactly the streams that are affected.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};

use super::local::Local;
use crate::replay::engine::is_whole_event;
use crate::replay::id::is_valid_epoch;
use crate::replay::window::Window;
use crate::replay::{Engine, Head, Known};

/// The most entries one read returns.
const FOLLOW_BATCH: usize = 1024;
/// Retry delays while the engine is unreachable: doubling from the first to the last
/// (the last bounds how late a return of the engine is noticed).
const RETRY: (Duration, Duration) = (Duration::from_millis(50), Duration::from_millis(400));

pub(super) struct FollowerConfig {
    /// The local window's bounds: events and bytes.
    pub(super) window: (usize, usize),
    /// How long one read waits for new events before the follower checks the head.
    pub(super) wait: Duration,
}

/// Follows `log` into `hub` for ever (the hub aborts it when dropped).
///
/// The first time it reaches the engine it starts at the newest event: what came before
/// is served to resuming clients from the engine itself. It asks the engine where it
/// stands (its head) before the first read, after every failure, whenever a read finds an
/// entry of another epoch, after every read that waited in vain (so a quiet log is
/// checked every `wait`), and when `nudge` says someone saw the log elsewhere. When the
/// engine lost events the window had delivered, each stream that got some of them gets a
/// `lost` reset and then the events that follow; the others carry on untouched.
pub(super) async fn follow(
    hub: Local,
    log: Arc<dyn Engine>,
    config: FollowerConfig,
    nudge: Arc<Notify>,
    window_epoch: watch::Sender<Arc<str>>,
) {
    let mut follower = Follower {
        hub,
        config,
        window_epoch,
        head: None,
        after: 0,
        rechecked: None,
    };
    let mut retry = RETRY.0;
    let mut check = true;
    loop {
        if check {
            let known = follower.known();
            match log.head(&known).await {
                Ok(head) if head.is_valid() => {
                    follower.reconcile(head);
                    retry = RETRY.0;
                }
                Ok(head) => {
                    tracing::error!(epoch = ?head.epoch, "hub engine: the shared log's epoch is not letters and digits; retrying");
                    tokio::time::sleep(RETRY.1).await;
                    continue;
                }
                Err(error) => {
                    tracing::warn!(%error, "hub engine: cannot read the shared log; retrying");
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(RETRY.1);
                    continue;
                }
            }
        }
        let read = log.follow(follower.after, FOLLOW_BATCH, follower.config.wait);
        let entries = tokio::select! {
            entries = read => entries,
            () = nudge.notified() => {
                check = true;
                continue;
            }
        };
        let entries = match entries {
            Ok(entries) => entries,
            Err(error) => {
                tracing::warn!(%error, "hub engine: cannot read the shared log; retrying");
                tokio::time::sleep(retry).await;
                retry = (retry * 2).min(RETRY.1);
                check = true;
                continue;
            }
        };
        retry = RETRY.0;
        // Nothing new within the wait: a quiet log, or one that moved elsewhere.
        check = entries.is_empty() || !follower.deliver(entries);
    }
}

struct Follower {
    hub: Local,
    config: FollowerConfig,
    window_epoch: watch::Sender<Arc<str>>,
    /// Where the log stood at the last check; `None` before the first.
    head: Option<Head>,
    /// The last number delivered (or skipped).
    after: u64,
    /// An entry whose epoch the head did not expect, already checked once.
    rechecked: Option<u64>,
}

impl Follower {
    fn known(&self) -> Known {
        self.head
            .as_ref()
            .map_or_else(Known::default, |head| Known {
                epoch: head.epoch.clone(),
                top: self.after,
            })
    }

    /// Delivers `entries` in order; false when one of another epoch says the log fenced
    /// (the head must be read again before going on).
    fn deliver(&mut self, entries: Vec<crate::replay::Entry>) -> bool {
        let Some(head) = &self.head else {
            return false;
        };
        for entry in entries {
            if entry.seq <= self.after {
                continue;
            }
            if *entry.epoch != *head.owner(entry.seq) && self.rechecked != Some(entry.seq) {
                // Another epoch than the head says: the log fenced since. Once the head
                // is read again, the entry goes out with the id it carries.
                self.rechecked = Some(entry.seq);
                return false;
            }
            if entry.seq != self.after + 1 {
                let reset = self.hub.skip_gap(entry.seq - 1);
                tracing::warn!(from = self.after + 1, to = entry.seq - 1, streams = reset, "hub engine: events were trimmed before this instance read them; its streams that missed them get an expired reset");
            }
            self.after = entry.seq;
            if !is_whole_event(&entry.body) || !is_valid_epoch(&entry.epoch) {
                tracing::warn!(
                    seq = entry.seq,
                    "hub engine: skipped an entry that is not one whole event"
                );
                continue;
            }
            self.hub.publish_entry(&entry);
        }
        true
    }

    /// Takes a new head: the first one starts the window; a later one of another epoch
    /// rewinds the window and the streams to what survived, when less than was delivered.
    fn reconcile(&mut self, head: Head) {
        let Some(old) = &self.head else {
            let (events, bytes) = self.config.window;
            self.after = head.top;
            self.hub
                .install_window(Window::new(head.clone(), head.top, events, bytes));
            self.window_epoch.send_replace(head.epoch.clone());
            self.head = Some(head);
            return;
        };
        if head.epoch == old.epoch {
            self.hub.set_head(head.clone());
            self.head = Some(head);
            return;
        }
        match head.survived(&old.epoch) {
            Some(through) if through >= self.after => {
                // A fence that took nothing this window delivered: new ids from here on.
                self.hub.set_head(head.clone());
            }
            survived => {
                // The log lost what came after `through` (all of it, if it no longer
                // knows this epoch).
                let through = survived.unwrap_or(0);
                let reset = self.hub.rewind(through, head.clone());
                tracing::warn!(old = %old.epoch, new = %head.epoch, through, lost_after = self.after, streams = reset, "hub engine: the shared log lost events; the streams that had them get a lost reset");
                self.after = through;
            }
        }
        self.window_epoch.send_replace(head.epoch.clone());
        self.head = Some(head);
    }
}
