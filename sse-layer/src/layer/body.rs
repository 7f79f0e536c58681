//! [`SseBody`]: the response body the layer hands to the server. For an event stream it
//! sends a first byte at once, adds heartbeat comment lines while the stream is idle,
//! turns a stream error into one complete error event, ends the stream on shutdown (with
//! a final event) or at its maximum lifetime, and reports how and why it ended. Any other
//! body passes through untouched.
//!
//! The layer's own bytes are single lines (`:` or `retry: N`), never blank-line-closed
//! blocks, except the final shutdown event: some popular clients surface any closed block
//! as a message with empty data. So where the inner stream stands (mid-line, mid-event,
//! at a boundary) is tracked from the inner stream's bytes alone.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;
use tokio_util::sync::WaitForCancellationFutureOwned;

use super::boundary::BoundaryTracker;
use super::config::{default_shutdown_event, Config};
use super::timer::{StreamTimer, Tick};
use crate::error::BoxError;
use crate::lifecycle::{Disconnect, DisconnectReason, EndReason, Stalled};
use crate::overrides::StreamOverrides;

pin_project! {
    /// The body of every response that went through [`SseLayer`](crate::SseLayer).
    ///
    /// ```
    /// use http_body::Body;
    /// // The empty body CORS preflight answers use:
    /// let body = sse_layer::SseBody::<http_body_util::Empty<bytes::Bytes>>::default();
    /// assert!(body.is_end_stream());
    /// ```
    pub struct SseBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Empty,
        /// A response the layer wrote itself (the 503 of `max_streams`).
        Full { bytes: Option<Bytes> },
        Passthrough { #[pin] inner: B },
        Stream { #[pin] inner: B, state: StreamState },
    }
}

/// What the layer learned about a stream's request, for its report.
pub(crate) struct StreamContext {
    pub(crate) path: String,
    pub(crate) stalled: Option<Stalled>,
    pub(crate) inner_end: Option<EndReason>,
    /// The response's own heartbeat and retry, over the layer's.
    pub(crate) overrides: StreamOverrides,
    /// Held, not read: dropping it frees a place under `max_streams`.
    #[allow(dead_code)]
    pub(crate) permit: Option<OwnedSemaphorePermit>,
}

struct StreamState {
    config: Arc<Config>,
    /// This stream's `retry:` hint: the layer's, unless the response overrode it.
    retry: Option<std::time::Duration>,
    /// The first frame: a `retry:` hint or an empty comment, so the stream opens at once.
    prelude: Option<Bytes>,
    finished: bool,
    tracker: BoundaryTracker,
    /// Heartbeat, lifetime and shutdown grace share this one timer.
    timer: Option<StreamTimer>,
    shutdown: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
    /// Set once the stream must end at its next event boundary.
    closing: Option<DisconnectReason>,
    reason: Option<DisconnectReason>,
    opened: Instant,
    bytes: u64,
    context: StreamContext,
    span: tracing::Span,
}

impl<B> Default for SseBody<B> {
    fn default() -> Self {
        Self { kind: Kind::Empty }
    }
}

impl<B> SseBody<B> {
    pub(crate) fn passthrough(inner: B) -> Self {
        Self {
            kind: Kind::Passthrough { inner },
        }
    }

    pub(crate) fn full(bytes: Bytes) -> Self {
        Self {
            kind: Kind::Full { bytes: Some(bytes) },
        }
    }

    pub(crate) fn stream(inner: B, config: Arc<Config>, context: StreamContext) -> Self {
        let opened = Instant::now();
        let lifetime = config.lifetime();
        let heartbeat = context
            .overrides
            .heartbeat_setting()
            .unwrap_or(config.heartbeat);
        let retry = context.overrides.retry_setting().unwrap_or(config.retry);
        let timer = (heartbeat.is_some() || lifetime.is_some() || config.shutdown.is_some())
            .then(|| StreamTimer::new(opened, heartbeat, lifetime.map(|life| opened + life)));
        let shutdown = config
            .shutdown
            .as_ref()
            .map(|shutdown| Box::pin(shutdown.signal.wait()));
        let span = tracing::debug_span!("sse_stream", path = %context.path);
        span.in_scope(|| tracing::debug!("stream opened"));
        config.metrics.opened.increment(1);
        config.metrics.open.increment(1.0);
        let prelude = Some(config.prelude(retry));
        Self {
            kind: Kind::Stream {
                inner,
                state: StreamState {
                    config,
                    retry,
                    prelude,
                    finished: false,
                    tracker: BoundaryTracker::default(),
                    timer,
                    shutdown,
                    closing: None,
                    reason: None,
                    opened,
                    bytes: 0,
                    context,
                    span,
                },
            },
        }
    }
}

impl<B> Body for SseBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.project().kind.project() {
            KindProj::Empty => Poll::Ready(None),
            KindProj::Full { bytes } => {
                Poll::Ready(bytes.take().map(|bytes| Ok(Frame::data(bytes))))
            }
            KindProj::Passthrough { inner } => inner
                .poll_frame(cx)
                .map(|frame| frame.map(|result| result.map_err(Into::into))),
            KindProj::Stream { inner, state } => state.poll_stream(inner, cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Empty => true,
            Kind::Full { bytes } => bytes.is_none(),
            Kind::Passthrough { inner } => inner.is_end_stream(),
            Kind::Stream { state, .. } => state.finished,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Empty => SizeHint::with_exact(0),
            Kind::Full { bytes } => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |bytes| bytes.len() as u64))
            }
            Kind::Passthrough { inner } => inner.size_hint(),
            Kind::Stream { .. } => SizeHint::default(),
        }
    }
}

type Polled = Poll<Option<Result<Frame<Bytes>, BoxError>>>;

/// How long a stream past its lifetime may take to reach an event boundary when no
/// shutdown grace period is configured: a raw body stuck mid-event must still end.
const CLOSING_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

impl StreamState {
    fn poll_stream<B>(&mut self, inner: Pin<&mut B>, cx: &mut Context<'_>) -> Polled
    where
        B: Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        if self.finished {
            return Poll::Ready(None);
        }
        if let Some(prelude) = self.prelude.take() {
            // Our own line: it neither starts nor ends an event of the inner stream.
            return Poll::Ready(Some(Ok(self.own_frame(prelude))));
        }
        if self.closing.is_none() && self.shutdown_signalled(cx) {
            self.begin_closing(DisconnectReason::Shutdown);
        }
        if let Some(reason) = self.closing {
            if self.tracker.at_boundary() {
                return self.end(reason);
            }
        }
        match inner.poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let frame = match frame.into_data() {
                    Ok(data) => self.wrote(data),
                    Err(trailers) => trailers,
                };
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => {
                self.finish(DisconnectReason::Error);
                // Mid-event, the only safe end is the end of the stream: clients discard an
                // event no blank line closed. At a boundary, say what happened.
                if !self.tracker.at_boundary() {
                    return Poll::Ready(None);
                }
                // Never with an id: an error must not move the client's resume cursor.
                let event = (self.config.on_error)(&error.into()).without_id();
                Poll::Ready(Some(Ok(self.own_frame(event.encode()))))
            }
            Poll::Ready(None) => {
                let reason = self.context.inner_end.as_ref().and_then(EndReason::get);
                self.finish(reason.unwrap_or(DisconnectReason::Completed));
                Poll::Ready(None)
            }
            Poll::Pending => self.poll_timer(cx),
        }
    }

    fn shutdown_signalled(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(signal) = &mut self.shutdown else {
            return false;
        };
        if signal.as_mut().poll(cx).is_pending() {
            return false;
        }
        self.shutdown = None;
        true
    }

    /// From now on the stream ends at its next event boundary, or when the grace period
    /// is over, whichever comes first.
    fn begin_closing(&mut self, reason: DisconnectReason) {
        self.closing = Some(reason);
        let grace = self
            .config
            .shutdown
            .as_ref()
            .map_or(CLOSING_GRACE, |shutdown| shutdown.grace);
        if let Some(timer) = &mut self.timer {
            timer.set_grace_end(Instant::now() + grace);
        }
    }

    /// Ends the stream at an event boundary: after the final event for a shutdown.
    fn end(&mut self, reason: DisconnectReason) -> Polled {
        self.finish(reason);
        if reason != DisconnectReason::Shutdown {
            return Poll::Ready(None);
        }
        let event = match &self.config.shutdown_event {
            Some(make_event) => make_event(),
            None => default_shutdown_event(&self.config, self.retry),
        };
        Poll::Ready(Some(Ok(self.own_frame(event.encode()))))
    }

    fn finish(&mut self, reason: DisconnectReason) {
        self.finished = true;
        self.reason.get_or_insert(reason);
    }

    /// A frame of the inner stream: where its events stand, and when it was written.
    fn wrote(&mut self, data: Bytes) -> Frame<Bytes> {
        if !data.is_empty() {
            self.tracker.update(&data);
            self.touch(data.len());
        }
        Frame::data(data)
    }

    /// A frame the layer writes itself.
    fn own_frame(&mut self, data: Bytes) -> Frame<Bytes> {
        self.touch(data.len());
        Frame::data(data)
    }

    fn touch(&mut self, len: usize) {
        self.bytes += len as u64;
        self.config.metrics.bytes.increment(len as u64);
        if let Some(timer) = &mut self.timer {
            timer.wrote(Instant::now());
        }
    }

    fn poll_timer(&mut self, cx: &mut Context<'_>) -> Polled {
        loop {
            let Some(timer) = &mut self.timer else {
                return Poll::Pending;
            };
            match timer.poll(cx) {
                Tick::Pending => return Poll::Pending,
                Tick::GraceOver => {
                    // No boundary came in time: end mid-event; clients discard the half.
                    let reason = self.closing.unwrap_or(DisconnectReason::Shutdown);
                    self.finish(reason);
                    return Poll::Ready(None);
                }
                Tick::LifetimeOver => {
                    if self.closing.is_none() {
                        self.begin_closing(DisconnectReason::Lifetime);
                    }
                    if self.tracker.at_boundary() {
                        return self.end(self.closing.unwrap_or(DisconnectReason::Lifetime));
                    }
                }
                Tick::Heartbeat => {
                    // Mid-line (only possible with a raw body) a comment would split the
                    // line: skip this one, the timer tries again an interval later.
                    if self.tracker.at_line_start() {
                        self.config.metrics.heartbeats.increment(1);
                        let comment = self.config.heartbeat_comment.clone();
                        return Poll::Ready(Some(Ok(self.own_frame(comment))));
                    }
                    timer.wrote(Instant::now());
                }
            }
        }
    }
}

impl Drop for StreamState {
    fn drop(&mut self) {
        let reason = self.reason.unwrap_or_else(|| {
            let stalled = self.context.stalled.as_ref().is_some_and(Stalled::is_set);
            if stalled {
                DisconnectReason::Slow
            } else {
                DisconnectReason::ClientGone
            }
        });
        let metrics = &self.config.metrics;
        metrics.open.decrement(1.0);
        metrics.disconnected(reason);
        let open_for = self.opened.elapsed();
        self.span.in_scope(|| {
            tracing::debug!(
                reason = reason.as_str(),
                bytes = self.bytes,
                ?open_for,
                "stream ended"
            );
        });
        if let Some(on_disconnect) = &self.config.on_disconnect {
            on_disconnect(&Disconnect {
                reason,
                open_for,
                bytes: self.bytes,
                path: std::mem::take(&mut self.context.path),
            });
        }
    }
}
