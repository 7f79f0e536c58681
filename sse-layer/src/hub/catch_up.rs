//! [`CatchUp`]: a resume that the local window cannot answer, read from the shared log a
//! page at a time as the client drains, until the subscription can go live on the window.
//!
//! The subscription is registered from the start but takes no live event while it catches
//! up, so nothing piles up behind a long replay: it holds at most its queue's limits of
//! events, and the page it is reading (shared with other resumes at the same place). Each
//! read also says where the log stands, so the client's id is judged against the log
//! itself, not against this instance's window, which may be behind: a fresh instance, or
//! one whose follower has not yet seen a fence.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::sync::{watch, Notify};

use super::local::Local;
use super::pages::{page_start, Page, Pages};
use super::queue::Queue;
use super::subscribe::Subscribe;
use crate::replay::window::Join;
use crate::replay::{Head, LogError, ResetReason, Standing};

/// Retry delays while the engine is unreachable: doubling from the first to the last.
const RETRY: (Duration, Duration) = (Duration::from_millis(50), Duration::from_millis(500));
/// How long a resume that has caught up waits for the follower to reach the same history
/// before it reads the log again.
const WAIT_FOR_FOLLOWER: Duration = Duration::from_millis(500);

/// What the resumes of one shared hub share.
pub(crate) struct Source {
    pub(crate) pages: Pages,
    /// Wakes the follower: a reader found the log in another history than the window.
    pub(crate) nudge: Arc<Notify>,
    /// The epoch the window follows, as the follower last set it.
    pub(crate) window_epoch: watch::Receiver<Arc<str>>,
}

/// What [`CatchUp::fill`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Filled {
    /// Live now: nothing more to read.
    Joined,
    /// The queue holds what it may for now (or the stream is ending).
    Full,
}

enum Step {
    Read(Result<Arc<Page>, LogError>),
    Waited,
}

type StepFuture = Pin<Box<dyn Future<Output = Step> + Send>>;

/// One subscription's way from its `Last-Event-ID` to live delivery.
pub(crate) struct CatchUp {
    source: Arc<Source>,
    hub: Local,
    options: Subscribe,
    /// The client's id, until the log has judged it.
    client: Option<(String, u64)>,
    /// The current epoch of the history `position` is in, as last read.
    epoch: Arc<str>,
    /// The last number queued for the client (or skipped, not being its topic).
    position: u64,
    /// A reset to queue before the events after `position`, once they are known to be
    /// there.
    reset_before: Option<ResetReason>,
    /// A page not yet all queued, and where to go on in it.
    page: Option<(Arc<Page>, usize)>,
    /// Caught up with the log as last read: try to go live.
    at_top: bool,
    /// Reads in a row that found the window in another history.
    stale: u32,
    step: Option<StepFuture>,
    retry: Duration,
}

impl CatchUp {
    pub(crate) fn new(
        source: Arc<Source>,
        hub: Local,
        options: Subscribe,
        client: (String, u64),
    ) -> Self {
        Self {
            source,
            hub,
            options,
            epoch: Arc::from(client.0.as_str()),
            position: client.1,
            client: Some(client),
            reset_before: None,
            page: None,
            at_top: false,
            stale: 0,
            step: None,
            retry: RETRY.0,
        }
    }

    /// Queues as much of the replay as `queue` has room for, reading the log as needed;
    /// `Ready(Joined)` once the subscription is live.
    pub(crate) fn fill(&mut self, cx: &mut Context<'_>, queue: &Queue) -> Poll<Filled> {
        loop {
            if queue.is_closed() {
                return Poll::Ready(Filled::Full);
            }
            if let Some(step) = &mut self.step {
                let step = ready!(step.as_mut().poll(cx));
                self.step = None;
                match step {
                    Step::Read(Ok(page)) => {
                        self.retry = RETRY.0;
                        self.take_page(page, queue);
                    }
                    Step::Read(Err(error)) => {
                        // The follower says so once per retry; a thousand resumes waiting
                        // would say it a thousand times.
                        tracing::debug!(%error, "hub engine: cannot read a replay from the shared log; retrying");
                        let delay = self.retry;
                        self.retry = (self.retry * 2).min(RETRY.1);
                        self.step = Some(Box::pin(async move {
                            tokio::time::sleep(delay).await;
                            Step::Waited
                        }));
                    }
                    Step::Waited => {}
                }
                continue;
            }
            if let Some((page, index)) = self.page.take() {
                if !self.queue_page(&page, index, queue) {
                    return Poll::Ready(Filled::Full);
                }
                self.at_top = self.position >= page.head.top;
                continue;
            }
            if self.at_top {
                match self
                    .hub
                    .join(queue, &self.epoch, self.position, &self.options)
                {
                    Join::Replay | Join::Ahead => return Poll::Ready(Filled::Joined),
                    Join::Behind => {
                        self.at_top = false;
                        self.stale = 0;
                    }
                    Join::Stale => {
                        self.at_top = false;
                        self.stale += 1;
                        if self.stale > 1 {
                            self.step = Some(self.wait_for_follower());
                            continue;
                        }
                    }
                }
            }
            self.step = Some(self.read());
        }
    }

    /// Reads the page that holds the event after `position`: from the cache only while
    /// this resume is in the history the window follows (a cached page says where the log
    /// stood when it was read, which the window vouches for); from the log otherwise.
    fn read(&self) -> StepFuture {
        let source = self.source.clone();
        let known = self.hub.known();
        let ours = self
            .client
            .as_ref()
            .map_or(&*self.epoch, |(epoch, _)| epoch.as_str());
        let cached = self.stale == 0 && !known.epoch.is_empty() && ours == &*known.epoch;
        let start = page_start(self.position);
        Box::pin(async move { Step::Read(source.pages.get(start, known, cached).await) })
    }

    /// The window follows another history than the one this resume read: wake the
    /// follower, and wait (a little) until it has caught up before reading again.
    fn wait_for_follower(&self) -> StepFuture {
        self.source.nudge.notify_one();
        let mut window_epoch = self.source.window_epoch.clone();
        let epoch = self.epoch.clone();
        Box::pin(async move {
            let reached = window_epoch.wait_for(|window| *window == epoch);
            let _ = tokio::time::timeout(WAIT_FOR_FOLLOWER, reached).await;
            Step::Waited
        })
    }

    /// Judges the client's position against what the log says, and takes the page.
    fn take_page(&mut self, page: Arc<Page>, queue: &Queue) {
        let head = &page.head;
        if let Some((epoch, seq)) = self.client.take() {
            match head.standing(&epoch, seq) {
                Standing::At(at) => {
                    self.hub.count_replay_hit();
                    self.epoch = head.epoch.clone();
                    self.position = at;
                }
                Standing::Lost { through } => {
                    // Its events after `through` are gone; the ones since follow a reset.
                    self.epoch = head.epoch.clone();
                    self.position = through;
                    self.reset_before = Some(ResetReason::Lost);
                }
                Standing::Unknown => return self.reset_to_top(ResetReason::Unknown, head, queue),
            }
        } else if head.epoch != self.epoch {
            // The log fenced while this resume read it.
            match head.survived(&self.epoch) {
                Some(through) if through >= self.position => {}
                survived => {
                    let through = survived.unwrap_or(0);
                    let reset =
                        self.hub
                            .core
                            .reset_record(ResetReason::Lost, head.id_of(through), through);
                    queue.rewind(through, &reset);
                    self.position = through;
                }
            }
            self.epoch = head.epoch.clone();
        }
        if !page.covers(self.position) {
            return; // the position moved to another page: read that one
        }
        if self.position < head.top && page.first_after(self.position) != Some(self.position + 1) {
            // What follows the position is no longer retained.
            return self.reset_to_top(ResetReason::Expired, head, queue);
        }
        if let Some(reason) = self.reset_before.take() {
            let reset =
                self.hub
                    .core
                    .reset_record(reason, head.id_of(self.position), self.position);
            queue.lock().push_replay(reset);
        }
        let index = page
            .entries
            .iter()
            .position(|(seq, _)| *seq > self.position)
            .unwrap_or(page.entries.len());
        self.page = Some((page, index));
    }

    /// A reset whose id is the log's top, then the events after it.
    fn reset_to_top(&mut self, reason: ResetReason, head: &Head, queue: &Queue) {
        self.reset_before = None;
        let reset = self
            .hub
            .core
            .reset_record(reason, head.id_of(head.top), head.top);
        queue.lock().push_replay(reset);
        self.epoch = head.epoch.clone();
        self.position = head.top;
        self.at_top = true;
    }

    /// Queues the page's events after `position` from `index` on while the queue has
    /// room; false when it filled first (the rest waits in `self.page`).
    fn queue_page(&mut self, page: &Arc<Page>, mut index: usize, queue: &Queue) -> bool {
        let mut state = queue.lock();
        while let Some((seq, record)) = page.entries.get(index) {
            if !queue.has_room(&state) {
                drop(state);
                self.page = Some((page.clone(), index));
                return false;
            }
            if *seq > self.position {
                if let Some(record) = record
                    .as_ref()
                    .filter(|record| self.options.accepts(record))
                {
                    state.push_replay(record.clone());
                }
                self.position = *seq;
            }
            index += 1;
        }
        true
    }
}
