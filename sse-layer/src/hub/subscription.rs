//! [`Subscription`]: what one subscriber reads, as a response body.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http::Response;
use http_body::{Body, Frame, SizeHint};
use metrics::Counter;

use super::catch_up::{CatchUp, Filled};
use super::queue::{Queue, QueueState};
use super::state::Core;
use crate::error::BoxError;
use crate::lifecycle::{DisconnectReason, EndReason};
use crate::overrides::StreamOverrides;
use crate::stream::BATCH_BYTES;

/// One subscriber's stream of a [`Hub`](super::Hub): a response body of whole events.
///
/// When it is behind, everything queued (up to 64 KiB) goes out in one frame; a single
/// waiting event goes out as the shared bytes themselves, without a copy. Dropping it (the
/// client went away) unsubscribes it: its queue is closed at once, and the hub's lock is
/// taken only by the one drop in many that sweeps the closed entries away (amortised
/// O(1); see `Hub`'s docs). It ends after its queue is drained when the hub cut
/// it off for being slow (see [`Overflow`](super::Overflow)), and tells the layer so
/// through [`EndReason`].
///
/// ```
/// use http_body_util::BodyExt;
/// use sse_layer::hub::{Hub, Subscribe};
/// use sse_layer::Event;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let hub = Hub::new();
/// let mut subscription = hub.subscribe(Subscribe::new());
/// let a = hub.publish("t", Event::new().data("a")).await.unwrap();
/// let b = hub.publish("t", Event::new().data("b")).await.unwrap();
/// let frame = subscription.frame().await.unwrap().unwrap().into_data().unwrap();
/// assert_eq!(frame, format!("id: {}\ndata: a\n\nid: {}\ndata: b\n\n", a.id, b.id));
/// # });
/// ```
pub struct Subscription {
    queue: Arc<Queue>,
    hub: Arc<Core>,
    /// Reading the replay from a shared log, page by page as the client drains.
    catch_up: Option<Box<CatchUp>>,
    end: EndReason,
    done: bool,
    /// Events left before the stream ends, when limited.
    remaining: Option<u64>,
    events_sent: Counter,
    overrides: StreamOverrides,
}

impl Subscription {
    pub(super) fn new(queue: Arc<Queue>, hub: Arc<Core>) -> Self {
        let events_sent = hub.metrics.events_sent.clone();
        Self {
            queue,
            hub,
            catch_up: None,
            end: EndReason::default(),
            done: false,
            remaining: None,
            events_sent,
            overrides: StreamOverrides::new(),
        }
    }

    crate::overrides::override_setters!();

    /// A `200 OK` response with the SSE headers and this body. It carries the
    /// subscription's [`EndReason`] in its extensions, for the layer's disconnect report.
    ///
    /// ```
    /// let subscription = sse_layer::hub::Hub::new().subscribe(Default::default());
    /// let response = subscription.into_http_response();
    /// assert_eq!(response.headers()["content-type"], "text/event-stream");
    /// ```
    pub fn into_http_response(self) -> Response<Self> {
        let end = self.end.clone();
        let overrides = self.overrides;
        let mut response = crate::headers::sse_response(self);
        response.extensions_mut().insert(end);
        overrides.attach(response.extensions_mut());
        response
    }

    /// Ends the stream after `events` more events (the reset event and the replay count).
    /// A client reconnects and resumes; handy for tests and for bounded polling.
    ///
    /// ```
    /// use http_body::Body;
    /// let subscription = sse_layer::hub::Hub::new().subscribe(Default::default()).limit(0);
    /// assert!(subscription.is_end_stream());
    /// ```
    pub fn limit(mut self, events: u64) -> Self {
        self.remaining = Some(events);
        self.done = events == 0;
        self
    }

    /// How many events wait to be sent (the reset event and the replay included).
    ///
    /// ```
    /// let subscription = sse_layer::hub::Hub::new().subscribe(Default::default());
    /// assert_eq!(subscription.queued(), 0);
    /// ```
    pub fn queued(&self) -> usize {
        self.queue.lock().depth()
    }

    /// Reads this subscription's replay from a shared log before it goes live.
    pub(crate) fn catch_up(mut self, catch_up: CatchUp) -> Self {
        self.catch_up = Some(Box::new(catch_up));
        self
    }

    /// Ends the stream once what is queued has been sent, as if the client had been cut
    /// off with `reason`.
    ///
    /// ```
    /// use sse_layer::lifecycle::DisconnectReason;
    /// let subscription = sse_layer::hub::Hub::new().subscribe(Default::default());
    /// subscription.close(DisconnectReason::Shutdown);
    /// # use http_body::Body;
    /// # let _ = subscription.is_end_stream();
    /// ```
    pub fn close(&self, reason: DisconnectReason) {
        self.queue.close(reason);
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.forget(&self.queue);
    }
}

impl Body for Subscription {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.done {
            return Poll::Ready(None);
        }
        let this = &mut *self;
        if let Some(catch_up) = &mut this.catch_up {
            // Queue more of the replay while there is room: reads happen as the client
            // drains, so a slow client holds at most its queue's worth (and one page).
            if let Poll::Ready(Filled::Joined) = catch_up.fill(cx, &this.queue) {
                this.catch_up = None;
            }
        }
        let mut state = self.queue.lock();
        state.drop_skipped();
        let depth = state.depth();
        if depth == 0 {
            if let Some(reason) = state.closed {
                drop(state);
                self.end.set(reason);
                self.done = true;
                return Poll::Ready(None);
            }
            if !state
                .waker
                .as_ref()
                .is_some_and(|waker| waker.will_wake(cx.waker()))
            {
                state.waker = Some(cx.waker().clone());
            }
            return Poll::Pending;
        }
        self.hub.metrics.queue_depth.record(depth as f64);
        let max_events = self.remaining.unwrap_or(u64::MAX);
        let (frame, events) = take_batch(&mut state, max_events);
        drop(state);
        self.events_sent.increment(events);
        if let Some(remaining) = &mut self.remaining {
            *remaining -= events;
            self.done = *remaining == 0;
        }
        Poll::Ready(Some(Ok(Frame::data(frame))))
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// Takes what waits, in order, up to about [`BATCH_BYTES`]: one event as its shared bytes,
/// several copied into one buffer so they go out in one write.
fn take_batch(state: &mut QueueState, max_events: u64) -> (Bytes, u64) {
    let mut next = || state.pop_next().map(|record| record.bytes.clone());
    let first = next().expect("the caller checked the queue is not empty");
    let mut events = 1;
    let room = first.len() < BATCH_BYTES && max_events > 1;
    let Some(second) = room.then(&mut next).flatten() else {
        return (first, events);
    };
    let mut buf = BytesMut::with_capacity((first.len() + second.len()).max(BATCH_BYTES / 4));
    buf.extend_from_slice(&first);
    buf.extend_from_slice(&second);
    events += 1;
    while buf.len() < BATCH_BYTES && events < max_events {
        let Some(bytes) = next() else { break };
        buf.extend_from_slice(&bytes);
        events += 1;
    }
    (buf.freeze(), events)
}
