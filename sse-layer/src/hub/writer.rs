//! The writer: one task per hub with a shared engine that appends what publishers
//! queue, as many at once as are waiting (one round trip for a burst), and answers each.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Notify};

use super::local::Local;
use crate::replay::id::{is_valid_epoch, random_u64};
use crate::replay::{Append, AppendBatch, Appended, Engine, Known, LogError, Outcome};

/// The most events the writer appends in one call to the engine.
pub(super) const WRITE_BATCH: usize = 512;

/// One publish waiting for the writer.
pub(super) struct Write {
    pub(super) append: Append,
    pub(super) reply: oneshot::Sender<Result<(Arc<str>, Outcome), LogError>>,
}

/// Appends for ever (the hub aborts it when dropped). A batch that fails is tried once
/// more at once, on a new connection, under the same token: the first attempt may have
/// been appended before its answer was lost, and the engine then answers the retry from
/// memory instead of appending twice. (The first command after the engine restarted
/// fails this way: its connection had died with the old server.)
pub(super) async fn write(
    log: Arc<dyn Engine>,
    hub: Local,
    nudge: Arc<Notify>,
    mut writes: mpsc::Receiver<Write>,
) {
    let mut pending = Vec::with_capacity(WRITE_BATCH);
    let mut known = Known::default();
    while writes.recv_many(&mut pending, WRITE_BATCH).await > 0 {
        let (events, replies): (Vec<_>, Vec<_>) = pending
            .drain(..)
            .map(|write| (write.append, write.reply))
            .unzip();
        let window = hub.known();
        let batch = AppendBatch {
            token: random_u64() | 1,
            known: if known.epoch.is_empty() {
                window.clone()
            } else {
                known.clone()
            },
            events,
        };
        let answer = match log.append(&batch).await {
            Ok(appended) => Ok(appended),
            Err(first) => {
                tracing::debug!(%first, "hub engine: an append failed; trying once more");
                log.append(&batch).await
            }
        };
        let answer = answer.and_then(|appended| checked(appended, replies.len()));
        match answer {
            Ok(appended) => {
                if appended.epoch != window.epoch {
                    // The log is in another history than the window follows: the
                    // follower should look now rather than at its next check.
                    nudge.notify_one();
                }
                let top = appended
                    .outcomes
                    .iter()
                    .filter_map(|outcome| match outcome {
                        Outcome::Appended(seq) => Some(*seq),
                        _ => None,
                    })
                    .max();
                if let Some(top) = top {
                    known = Known {
                        epoch: appended.epoch.clone(),
                        top,
                    };
                }
                for (reply, outcome) in replies.into_iter().zip(appended.outcomes) {
                    let _ = reply.send(Ok((appended.epoch.clone(), outcome)));
                }
            }
            Err(error) => replies.into_iter().for_each(|reply| {
                let _ = reply.send(Err(error.clone()));
            }),
        }
    }
}

/// The engine's answer, if it is one that can be given out.
fn checked(appended: Appended, events: usize) -> Result<Appended, LogError> {
    if appended.epoch.is_empty() || !is_valid_epoch(&appended.epoch) {
        return Err(LogError::new(format!(
            "the engine's epoch {:?} is not letters and digits",
            appended.epoch
        )));
    }
    if appended.outcomes.len() != events {
        return Err(LogError::new(
            "the engine answered a different number of events",
        ));
    }
    Ok(appended)
}
