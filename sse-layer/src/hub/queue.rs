//! One subscriber's queue: bounded by count and bytes, with the [`Overflow`] policy that
//! decides what happens when it is full.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Waker;

use crate::lifecycle::DisconnectReason;
use crate::replay::Record;

/// What a subscriber's queue does when the next event would exceed its bounds.
///
/// ```
/// use sse_layer::hub::{Hub, Overflow};
/// let hub = Hub::builder().overflow(Overflow::CoalesceByKey).build();
/// # let _ = hub;
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Overflow {
    /// End the subscriber's stream once it has sent what is queued (default). The client
    /// reconnects with `Last-Event-ID` and catches up from the replay log, or gets a reset
    /// event when it fell further behind than the log retains. No event is ever skipped
    /// silently.
    #[default]
    Disconnect,
    /// Drop the oldest queued events to make room. The client skips them, silently; for
    /// feeds where only recent events matter.
    DropOldest,
    /// Replace the queued event published with the same key (see
    /// [`Hub::publish_keyed`](super::Hub::publish_keyed)): the latest value wins, for
    /// progress and state. The new event goes to the back, so ids stay in order. An event
    /// with no key, or no queued event to replace, falls back to `Disconnect`.
    CoalesceByKey,
}

/// A subscriber's bounds: how far behind it may fall before its [`Overflow`] policy acts.
///
/// Records are shared, so the bytes count what the subscriber is behind by rather than
/// memory it owns; what it owns is about one pointer per queued event.
///
/// ```
/// use sse_layer::hub::{Hub, QueueLimits};
/// let hub = Hub::builder().queue_limits(QueueLimits { events: 64, bytes: 64 * 1024 }).build();
/// # let _ = hub;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// The most events queued for one subscriber.
    pub events: usize,
    /// The most bytes of encoded events queued for one subscriber. A single event larger
    /// than this is still delivered, alone.
    pub bytes: usize,
}

impl Default for QueueLimits {
    /// 512 events, 512 KiB.
    fn default() -> Self {
        Self {
            events: 512,
            bytes: 512 * 1024,
        }
    }
}

/// What pushing one record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    Queued,
    /// Not queued: the subscriber still reads its replay from a shared log, and takes live
    /// events only once it has caught up.
    NotYet,
    /// Queued, after dropping this many older events.
    Dropped(usize),
    /// Queued in place of a queued event with the same key.
    Coalesced,
    /// Not queued: this event overflowed the queue, and the subscriber is cut off.
    Disconnected,
    /// Not queued: the subscriber had already ended (cut off, or gone).
    Closed,
}

pub(crate) struct Queue {
    state: Mutex<QueueState>,
    /// Mirrors `state.closed.is_some()`, readable without the lock.
    closed: AtomicBool,
    limits: QueueLimits,
    overflow: Overflow,
}

#[derive(Default)]
pub(crate) struct QueueState {
    /// The replay (and reset events), sent before the live events: bounded by the log it
    /// comes from, or paced by the queue's limits when read from a shared log.
    pub(crate) replay: VecDeque<Arc<Record>>,
    replay_bytes: usize,
    pub(crate) live: VecDeque<Arc<Record>>,
    live_bytes: usize,
    /// The subscriber reads its replay from a shared log: live events are not queued
    /// until it has caught up.
    pub(crate) catching_up: bool,
    /// Live events up to this sequence number are skipped: the client had them already.
    pub(crate) skip_through: u64,
    /// The position of the client: the sequence number of the last event (or reset event)
    /// handed to the stream, or the one it resumed from.
    pub(crate) sent_through: u64,
    pub(crate) waker: Option<Waker>,
    pub(crate) closed: Option<DisconnectReason>,
}

impl Queue {
    pub(crate) fn new(limits: QueueLimits, overflow: Overflow, state: QueueState) -> Self {
        Self {
            state: Mutex::new(state),
            closed: AtomicBool::new(false),
            limits,
            overflow,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, QueueState> {
        // A panic elsewhere while holding the lock leaves the queue consistent (every
        // change is a single push or pop), so carry on rather than spread the panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn push(&self, record: &Arc<Record>) -> Pushed {
        let mut state = self.lock();
        if state.closed.is_some() {
            return Pushed::Closed;
        }
        if state.catching_up {
            return Pushed::NotYet;
        }
        let size = record.bytes.len();
        let fits = |state: &QueueState| {
            state.live.is_empty()
                || (state.live.len() < self.limits.events
                    && state.live_bytes + size <= self.limits.bytes)
        };
        let pushed = if fits(&state) {
            Pushed::Queued
        } else {
            match self.overflow {
                Overflow::Disconnect => Pushed::Disconnected,
                Overflow::DropOldest => {
                    let mut dropped = 0;
                    while !fits(&state) {
                        state.pop_live();
                        dropped += 1;
                    }
                    Pushed::Dropped(dropped)
                }
                Overflow::CoalesceByKey => match state.position_of_key(record.key.as_deref()) {
                    Some(index) => {
                        let replaced = state.live.remove(index).expect("index in range");
                        state.live_bytes -= replaced.bytes.len();
                        if fits(&state) {
                            Pushed::Coalesced
                        } else {
                            Pushed::Disconnected
                        }
                    }
                    None => Pushed::Disconnected,
                },
            }
        };
        if pushed == Pushed::Disconnected {
            state.closed = Some(DisconnectReason::Slow);
            self.closed.store(true, Ordering::Release);
        } else {
            state.live_bytes += size;
            state.live.push_back(record.clone());
        }
        wake(state);
        pushed
    }

    /// History after `through` was lost upstream: queued events after it are dropped
    /// (never sent, they no longer exist), and a client that was already given some gets
    /// `reset` (whose id is `through`'s) before what comes next. True when it got one.
    pub(crate) fn rewind(&self, through: u64, reset: &Arc<Record>) -> bool {
        let mut state = self.lock();
        if state.closed.is_some() {
            return false;
        }
        while state
            .replay
            .back()
            .is_some_and(|record| record.seq > through)
        {
            let dropped = state.replay.pop_back().expect("checked");
            state.replay_bytes -= dropped.bytes.len();
        }
        while state.live.back().is_some_and(|record| record.seq > through) {
            let dropped = state.live.pop_back().expect("checked");
            state.live_bytes -= dropped.bytes.len();
        }
        state.skip_through = state.skip_through.min(through);
        let behind_the_client = state.sent_through > through;
        if behind_the_client {
            state.push_replay(reset.clone());
        }
        wake(state);
        behind_the_client
    }

    /// Events after the client's position up to `through` can no longer be read (trimmed
    /// before they were delivered): a client that had not reached `through` gets `reset`.
    pub(crate) fn skip_gap(&self, through: u64, reset: &Arc<Record>) -> bool {
        let mut state = self.lock();
        if state.closed.is_some() || state.catching_up {
            return false;
        }
        let missed = state.sent_through.max(state.skip_through) < through;
        if missed {
            state.live_bytes += reset.bytes.len();
            state.live.push_back(reset.clone());
        }
        wake(state);
        missed
    }

    /// Ends the stream once what is queued has been sent.
    pub(crate) fn close(&self, reason: DisconnectReason) {
        let mut state = self.lock();
        if state.closed.is_none() {
            state.closed = Some(reason);
            self.closed.store(true, Ordering::Release);
        }
        wake(state);
    }

    /// True once the stream is ending: nothing more will be queued.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Whether a replay read from a shared log may queue one more event: within the
    /// queue's limits, or anything when nothing waits (a single event larger than the
    /// limit still goes, alone).
    pub(crate) fn has_room(&self, state: &QueueState) -> bool {
        let events = state.replay.len() + state.live.len();
        events == 0
            || (events < self.limits.events
                && state.replay_bytes + state.live_bytes < self.limits.bytes)
    }
}

fn wake(mut state: MutexGuard<'_, QueueState>) {
    if let Some(waker) = state.waker.take() {
        drop(state);
        waker.wake();
    }
}

impl QueueState {
    /// Queues a replayed (or reset) event after the replay so far.
    pub(crate) fn push_replay(&mut self, record: Arc<Record>) {
        self.replay_bytes += record.bytes.len();
        self.replay.push_back(record);
    }

    /// The next event to send, in order (replay first), moving the client's position.
    pub(crate) fn pop_next(&mut self) -> Option<Arc<Record>> {
        let record = match self.replay.pop_front() {
            Some(record) => {
                self.replay_bytes -= record.bytes.len();
                record
            }
            None => self.pop_live()?,
        };
        self.sent_through = record.seq;
        Some(record)
    }

    pub(crate) fn pop_live(&mut self) -> Option<Arc<Record>> {
        let record = self.live.pop_front()?;
        self.live_bytes -= record.bytes.len();
        Some(record)
    }

    /// Drops the live events at the front that the client already had.
    pub(crate) fn drop_skipped(&mut self) {
        while self
            .live
            .front()
            .is_some_and(|record| record.seq <= self.skip_through)
        {
            self.pop_live();
        }
    }

    /// How many events wait to be sent.
    pub(crate) fn depth(&self) -> usize {
        self.replay.len() + self.live.len()
    }

    fn position_of_key(&self, key: Option<&str>) -> Option<usize> {
        let key = key?;
        self.live
            .iter()
            .position(|queued| queued.key.as_deref() == Some(key))
    }
}
