//! [`StreamTimer`]: the one timer of a stream, shared by the heartbeat, the maximum
//! lifetime and the shutdown grace period.
//!
//! Writes only record the time; the timer is set to the earliest deadline and, when it
//! fires early (because something was written since), moved to the real one. So a busy
//! stream touches its timer at most once per heartbeat interval.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

pub(crate) struct StreamTimer {
    sleep: Pin<Box<Sleep>>,
    /// What the sleep is set to now; `None` when nothing is due.
    set_for: Option<Instant>,
    heartbeat: Option<Duration>,
    last_write: Instant,
    lifetime_end: Option<Instant>,
    grace_end: Option<Instant>,
}

/// What came due.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Tick {
    Pending,
    Heartbeat,
    LifetimeOver,
    GraceOver,
}

impl StreamTimer {
    pub(crate) fn new(
        now: Instant,
        heartbeat: Option<Duration>,
        lifetime_end: Option<Instant>,
    ) -> Self {
        let mut timer = Self {
            sleep: Box::pin(tokio::time::sleep_until(now)),
            set_for: None,
            heartbeat,
            last_write: now,
            lifetime_end,
            grace_end: None,
        };
        timer.rearm();
        timer
    }

    pub(crate) fn wrote(&mut self, now: Instant) {
        self.last_write = now;
    }

    pub(crate) fn set_grace_end(&mut self, end: Instant) {
        if self.grace_end.is_none() {
            self.grace_end = Some(end);
            self.rearm();
        }
    }

    fn heartbeat_due(&self) -> Option<Instant> {
        self.heartbeat.map(|interval| self.last_write + interval)
    }

    fn next_deadline(&self) -> Option<Instant> {
        [self.heartbeat_due(), self.lifetime_end, self.grace_end]
            .into_iter()
            .flatten()
            .min()
    }

    /// Sets the sleep to the earliest deadline, unless it is already set to fire no later.
    fn rearm(&mut self) {
        let next = self.next_deadline();
        if let Some(next) = next {
            if self.set_for.is_none_or(|set_for| set_for > next) {
                self.sleep.as_mut().reset(next);
                self.set_for = Some(next);
            }
        } else {
            self.set_for = None;
        }
    }

    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Tick {
        loop {
            if self.set_for.is_none() || self.sleep.as_mut().poll(cx) == Poll::Pending {
                return Tick::Pending;
            }
            let now = Instant::now();
            self.set_for = None;
            if self.grace_end.is_some_and(|end| end <= now) {
                self.grace_end = None;
                self.rearm();
                return Tick::GraceOver;
            }
            if self.lifetime_end.is_some_and(|end| end <= now) {
                self.lifetime_end = None;
                self.rearm();
                return Tick::LifetimeOver;
            }
            if self.heartbeat_due().is_some_and(|due| due <= now) {
                self.last_write = now;
                self.rearm();
                return Tick::Heartbeat;
            }
            // Fired early: something was written since it was set.
            self.rearm();
        }
    }
}
