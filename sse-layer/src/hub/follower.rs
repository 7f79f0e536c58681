//! The follower: one task per [`SharedHub`](super::SharedHub) that reads the shared log in
//! order and delivers each event to this instance's subscribers.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::hub::Hub;
use crate::replay::shared::{is_valid_epoch, is_whole_event};
use crate::replay::window::Window;
use crate::replay::SharedLog;

/// The most entries one read returns.
const FOLLOW_BATCH: usize = 1024;
/// Retry delays while the engine is unreachable: doubling from the first to the last.
const RETRY: (Duration, Duration) = (Duration::from_millis(50), Duration::from_secs(2));

pub(super) struct FollowerConfig {
    /// The local window's bounds: events and bytes.
    pub(super) window: (usize, usize),
    /// How long one read waits for new events.
    pub(super) wait: Duration,
}

/// Follows `log` into `hub` for ever (the hub aborts it when dropped).
///
/// The first time it reaches the engine it starts at the newest event: what came before
/// is served to resuming clients from the engine itself. When the epoch changes (the
/// engine lost its data), or events were trimmed before they were read, the window starts
/// over and every local stream ends (reported as `DisconnectReason::Error`): its client
/// reconnects and gets a reset event, rather than a stream with a silent hole in it.
pub(super) async fn follow(
    hub: Hub,
    log: Arc<dyn SharedLog>,
    config: FollowerConfig,
    first_sync: watch::Sender<Option<(Arc<str>, u64)>>,
) {
    let (max_events, max_bytes) = config.window;
    let window = |epoch: &Arc<str>, base: u64| {
        Box::new(Window::new(epoch.clone(), base, max_events, max_bytes))
    };
    let mut retry = RETRY.0;
    let head = loop {
        match log.head().await {
            Ok(head) if is_valid_epoch(&head.epoch) => break head,
            Ok(head) => {
                tracing::error!(epoch = ?head.epoch, "shared hub: the shared log's epoch is not letters and digits; retrying");
                tokio::time::sleep(RETRY.1).await;
            }
            Err(error) => {
                tracing::warn!(%error, "shared hub: cannot read the shared log; retrying");
                tokio::time::sleep(retry).await;
                retry = (retry * 2).min(RETRY.1);
            }
        }
    };
    let mut epoch = head.epoch;
    let mut after = head.top;
    hub.replace_log(window(&epoch, after), false);
    first_sync.send_replace(Some((epoch.clone(), after)));
    retry = RETRY.0;
    loop {
        let batch = match log.follow(after, FOLLOW_BATCH, config.wait).await {
            Ok(batch) => batch,
            Err(error) => {
                tracing::warn!(%error, "shared hub: cannot read the shared log; retrying");
                tokio::time::sleep(retry).await;
                retry = (retry * 2).min(RETRY.1);
                continue;
            }
        };
        retry = RETRY.0;
        if !is_valid_epoch(&batch.epoch) {
            tracing::error!(epoch = ?batch.epoch, "shared hub: the shared log's epoch is not letters and digits; retrying");
            tokio::time::sleep(RETRY.1).await;
            continue;
        }
        if batch.epoch != epoch {
            // A new epoch. After an empty one (nothing was ever published, or the engine
            // was found empty) nobody holds an id to lose; otherwise the engine lost data.
            let lost = !epoch.is_empty();
            if lost {
                tracing::warn!(old = %epoch, new = %batch.epoch, "shared hub: the shared log lost its data; ending local streams");
            }
            epoch = batch.epoch;
            after = 0;
            hub.replace_log(window(&epoch, 0), lost);
            continue;
        }
        for entry in batch.entries {
            if entry.seq <= after {
                continue;
            }
            if entry.seq != after + 1 {
                tracing::warn!(from = after + 1, to = entry.seq - 1, "shared hub: events were trimmed before this instance read them; ending local streams");
                hub.replace_log(window(&epoch, entry.seq - 1), true);
            }
            after = entry.seq;
            if !is_whole_event(&entry.body) {
                tracing::warn!(
                    seq = entry.seq,
                    "shared hub: skipped an entry that is not one whole event"
                );
                continue;
            }
            hub.publish_numbered(entry.seq, &entry.topic, entry.key.as_deref(), &entry.body);
        }
    }
}
