//! A resume that the local window cannot answer, fetched from the shared log while the
//! subscription already collects live events.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::hub::Hub;
use super::state::Deferred;
use super::subscribe::Subscribe;
use super::subscription::PendingReplay;
use crate::replay::window::shared_id;
use crate::replay::{History, Record, ResetReason, SharedLog};

/// Entries read per call.
const PAGE: usize = 1000;
/// Retry delays while the engine is unreachable.
const RETRY: (Duration, Duration) = (Duration::from_millis(50), Duration::from_secs(2));

/// Fetches the events after the client's `(epoch, after)` up to where live delivery took
/// over for this subscription, and releases it with them (or with a reset event). Gives up
/// when the subscription ends first.
pub(super) async fn fetch_replay(
    hub: Hub,
    log: Arc<dyn SharedLog>,
    mut first_sync: watch::Receiver<Option<(Arc<str>, u64)>>,
    pending: PendingReplay,
    options: Subscribe,
    (client_epoch, after): (String, u64),
    deferred: Deferred,
) {
    // Registered before the follower first read the engine: live delivery starts after
    // the point that first read found.
    let (epoch, through) = match deferred.epoch {
        Some(epoch) => (epoch, deferred.through),
        None => loop {
            // A client that leaves meanwhile (its retries while the engine is away) must
            // not leave a task behind each time.
            let waited = tokio::time::timeout(RETRY.1, first_sync.wait_for(Option::is_some)).await;
            match waited {
                Ok(Ok(sync)) => {
                    let (epoch, base) = sync.clone().expect("waited for it");
                    break (epoch.to_string(), base);
                }
                Ok(Err(_)) => return,
                Err(_) if pending.is_closed() => return,
                Err(_) => {}
            }
        },
    };
    let cursor = if epoch.is_empty() || through == 0 {
        String::new()
    } else {
        shared_id(&epoch, through)
    };
    if client_epoch != epoch {
        pending.install_reset(hub.reset_event(ResetReason::Unknown, cursor));
        return;
    }
    let mut records = Vec::new();
    let mut from = after;
    let mut retry = RETRY.0;
    loop {
        if pending.is_closed() {
            return;
        }
        match log.history(&epoch, from, through, PAGE).await {
            Ok(History::Events(entries)) => {
                retry = RETRY.0;
                let done = entries.len() < PAGE;
                for entry in entries {
                    from = entry.seq;
                    let record = Record {
                        seq: entry.seq,
                        topic: Arc::from(entry.topic),
                        key: entry.key.map(Arc::from),
                        bytes: crate::encode::with_id(&shared_id(&epoch, entry.seq), &entry.body),
                    };
                    if options.accepts(&record)
                        && crate::replay::shared::is_whole_event(&entry.body)
                    {
                        records.push(Arc::new(record));
                    }
                }
                if done || from >= through {
                    hub.count_replay_hit();
                    pending.install_history(records, after);
                    return;
                }
            }
            Ok(History::Expired) => {
                pending.install_reset(hub.reset_event(ResetReason::Expired, cursor));
                return;
            }
            Ok(History::Unknown) => {
                pending.install_reset(hub.reset_event(ResetReason::Unknown, cursor));
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "shared hub: cannot read a replay from the shared log; retrying");
                tokio::time::sleep(retry).await;
                retry = (retry * 2).min(RETRY.1);
            }
        }
    }
}
