//! [`Subscription`]: what one subscriber reads, as a response body.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http::{Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use metrics::Counter;

use super::queue::{Queue, QueueState};
use super::state::Shared;
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
/// hub.publish("t", Event::new().data("a")).unwrap();
/// hub.publish("t", Event::new().data("b")).unwrap();
/// let frame = subscription.frame().await.unwrap().unwrap().into_data().unwrap();
/// assert_eq!(&frame[..], b"id: 1\ndata: a\n\nid: 2\ndata: b\n\n");
/// # });
/// ```
pub struct Subscription {
    queue: Arc<Queue>,
    hub: Arc<Shared>,
    end: EndReason,
    done: bool,
    /// Events left before the stream ends, when limited.
    remaining: Option<u64>,
    events_sent: Counter,
    overrides: StreamOverrides,
}

impl Subscription {
    pub(super) fn new(queue: Arc<Queue>, hub: Arc<Shared>) -> Self {
        let events_sent = hub.metrics.events_sent.clone();
        Self {
            queue,
            hub,
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
    /// let response = subscription.into_response();
    /// assert_eq!(response.headers()["content-type"], "text/event-stream");
    /// ```
    pub fn into_response(self) -> Response<Self> {
        let end = self.end.clone();
        let overrides = self.overrides;
        let mut response = Response::new(self);
        *response.status_mut() = StatusCode::OK;
        crate::headers::set_sse_headers(response.headers_mut());
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

    /// A handle that releases this subscription once its replay is known (see
    /// `Hub::subscribe_deferred`).
    pub(crate) fn pending_replay(&self) -> PendingReplay {
        PendingReplay {
            queue: self.queue.clone(),
        }
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
        let mut state = self.queue.lock();
        // Nothing goes out while the replay is being fetched: live events wait behind it.
        let depth = if state.pending {
            0
        } else {
            state.drop_skipped();
            state.depth()
        };
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
    let mut next = || -> Option<Bytes> {
        if let Some(first) = state.first.take() {
            return Some(first);
        }
        if let Some(record) = state.replay.pop_front() {
            return Some(record.bytes.clone());
        }
        state.pop_live().map(|record| record.bytes.clone())
    };
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

/// The other end of a subscription held back while its replay is fetched.
pub(crate) struct PendingReplay {
    queue: Arc<Queue>,
}

impl PendingReplay {
    /// Releases it: `history` (the events after the client's id up to where live delivery
    /// took over) goes first, and live events the client already had (up to
    /// `skip_through`) are skipped.
    pub(crate) fn install_history(
        self,
        history: impl IntoIterator<Item = Arc<crate::replay::Record>>,
        skip_through: u64,
    ) {
        let mut state = self.queue.lock();
        state.replay.extend(history);
        state.skip_through = skip_through;
        release(state);
    }

    /// Releases it with a reset event first.
    pub(crate) fn install_reset(self, reset: Bytes) {
        let mut state = self.queue.lock();
        state.first = Some(reset);
        release(state);
    }

    /// True once the stream is ending (its client left, or it was cut off).
    pub(crate) fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }
}

fn release(mut state: std::sync::MutexGuard<'_, QueueState>) {
    state.pending = false;
    if let Some(waker) = state.waker.take() {
        drop(state);
        waker.wake();
    }
}
