//! [`EngineLink`]: what a [`Hub`](super::Hub) with a shared engine adds to its local
//! delivery: the writer that appends publishes to the engine (`writer.rs`), the follower
//! that reads the engine into the local window (`follower.rs`), and the source of pages
//! for resumes the window cannot answer (`catch_up.rs` over `pages.rs`).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{mpsc, oneshot, watch, Notify};
use tokio::task::AbortHandle;

use super::catch_up::{CatchUp, Source};
use super::follower::{follow, FollowerConfig};
use super::local::Local;
use super::pages::Pages;
use super::published::{PublishError, Published};
use super::subscribe::Subscribe;
use super::subscription::Subscription;
use super::writer::{write, Write};
use crate::event::Event;
use crate::lifecycle::DisconnectReason;
use crate::replay::id::log_id;
use crate::replay::{Append, Engine, Outcome};

/// Events a publisher may queue for the writer before `publish` waits.
const WRITE_QUEUE: usize = 4096;

type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The writer and the follower run as tasks on the tokio runtime; a hub built outside
/// one starts them at its first use inside one.
enum Tasks {
    Pending(Vec<Task>),
    Running(Vec<AbortHandle>),
}

pub(crate) struct EngineLink {
    local: Local,
    source: Arc<Source>,
    writer: mpsc::Sender<Write>,
    tasks: Mutex<Tasks>,
}

impl Drop for EngineLink {
    /// Without the follower nothing more would reach the local streams: end them (after
    /// what they have queued), so that their clients reconnect to an instance that runs.
    fn drop(&mut self) {
        let tasks = self.tasks.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Tasks::Running(handles) = tasks {
            handles.iter().for_each(AbortHandle::abort);
        }
        self.local.close_all(DisconnectReason::Shutdown);
    }
}

impl EngineLink {
    /// Links `local` (whose log is an unsynced window) to `engine`.
    pub(super) fn new(local: Local, engine: Arc<dyn Engine>, follower: FollowerConfig) -> Self {
        let (writer, writes) = mpsc::channel(WRITE_QUEUE);
        let (window_epoch, window_epochs) = watch::channel(Arc::from(""));
        let nudge = Arc::new(Notify::new());
        let tasks: Vec<Task> = vec![
            Box::pin(write(engine.clone(), local.clone(), nudge.clone(), writes)),
            Box::pin(follow(
                local.clone(),
                engine.clone(),
                follower,
                nudge.clone(),
                window_epoch,
            )),
        ];
        let link = Self {
            local,
            source: Arc::new(Source {
                pages: Pages::new(engine),
                nudge,
                window_epoch: window_epochs,
            }),
            writer,
            tasks: Mutex::new(Tasks::Pending(tasks)),
        };
        link.start();
        link
    }

    /// Starts the writer and the follower, if they are not running and a tokio runtime
    /// is at hand.
    fn start(&self) {
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        if let Tasks::Pending(pending) = &mut *tasks {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let handles = pending
                    .drain(..)
                    .map(|task| runtime.spawn(task).abort_handle())
                    .collect();
                *tasks = Tasks::Running(handles);
            }
        }
    }

    /// Appends the event to the engine; delivery follows through every instance's
    /// follower.
    pub(super) async fn publish(
        &self,
        topic: &str,
        key: Option<&str>,
        once: Option<&str>,
        event: Event,
    ) -> Result<Published, PublishError> {
        self.start();
        let append = Append {
            topic: topic.to_owned(),
            key: key.map(str::to_owned),
            body: event.encode(),
            once: once.map(str::to_owned),
        };
        let (reply, answer) = oneshot::channel();
        let stopped = || PublishError::Unavailable("the hub's writer stopped".into());
        self.writer
            .send(Write { append, reply })
            .await
            .map_err(|_| stopped())?;
        let (epoch, outcome) = answer
            .await
            .map_err(|_| stopped())?
            .map_err(|error| PublishError::Unavailable(error.to_string()))?;
        let published = |epoch: &str, seq, fresh| Published {
            seq,
            id: log_id(epoch, seq),
            delivered: 0,
            fresh,
        };
        match outcome {
            Outcome::Appended(seq) => Ok(published(&epoch, seq, true)),
            Outcome::Duplicate { seq, epoch } => Ok(published(&epoch, seq, false)),
            Outcome::KeyReused => Err(PublishError::KeyReused),
        }
    }

    /// A subscription on `local`, which catches up from the engine first when the window
    /// cannot answer its id.
    pub(super) fn subscribe(&self, local: &Local, options: Subscribe) -> Subscription {
        self.start();
        let (queue, client) = local.register_to_catch_up(options.clone());
        let subscription = Subscription::new(queue, local.core.clone());
        match client {
            None => subscription,
            Some(client) => subscription.catch_up(CatchUp::new(
                self.source.clone(),
                local.clone(),
                options,
                client,
            )),
        }
    }
}
