//! [`SseBody`]: the response body the layer hands to the server. For an event stream it
//! sends a first byte at once, adds heartbeat comment lines while the stream is idle, and
//! turns a stream error into one complete error event; any other body passes through
//! untouched.
//!
//! The layer's own bytes are single lines (`:` or `retry: N`), never blank-line-closed
//! blocks: some popular clients surface any closed block as a message with empty data.
//! So where the inner stream stands (mid-line, mid-event, at a boundary) is tracked from
//! the inner stream's bytes alone.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};

use crate::boundary::BoundaryTracker;
use crate::layer::Config;
use crate::BoxError;

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
        Passthrough { #[pin] inner: B },
        Stream { #[pin] inner: B, state: StreamState },
    }
}

struct StreamState {
    config: Arc<Config>,
    /// The first frame: a `retry:` hint or an empty comment, so the stream opens at once.
    prelude: Option<Bytes>,
    finished: bool,
    tracker: BoundaryTracker,
    heartbeat: Option<Heartbeat>,
}

/// One timer per stream, touched at most once per interval: writes only record the time,
/// and the timer, when it fires early, is pushed to the real deadline.
struct Heartbeat {
    sleep: Pin<Box<Sleep>>,
    interval: Duration,
    last_write: Instant,
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

    pub(crate) fn stream(inner: B, config: Arc<Config>) -> Self {
        let heartbeat = config.heartbeat.map(|interval| {
            let now = Instant::now();
            Heartbeat {
                sleep: Box::pin(tokio::time::sleep_until(now + interval)),
                interval,
                last_write: now,
            }
        });
        let prelude = Some(config.prelude());
        Self {
            kind: Kind::Stream {
                inner,
                state: StreamState {
                    config,
                    prelude,
                    finished: false,
                    tracker: BoundaryTracker::default(),
                    heartbeat,
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
            KindProj::Passthrough { inner } => inner
                .poll_frame(cx)
                .map(|frame| frame.map(|result| result.map_err(Into::into))),
            KindProj::Stream { inner, state } => state.poll_stream(inner, cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Empty => true,
            Kind::Passthrough { inner } => inner.is_end_stream(),
            Kind::Stream { state, .. } => state.finished,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Empty => SizeHint::with_exact(0),
            Kind::Passthrough { inner } => inner.size_hint(),
            Kind::Stream { .. } => SizeHint::default(),
        }
    }
}

impl StreamState {
    fn poll_stream<B>(
        &mut self,
        inner: Pin<&mut B>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        if self.finished {
            return Poll::Ready(None);
        }
        if let Some(prelude) = self.prelude.take() {
            // Our own line: it neither starts nor ends an event of the inner stream.
            self.touch();
            return Poll::Ready(Some(Ok(Frame::data(prelude))));
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
                self.finished = true;
                // Mid-event, the only safe end is the end of the stream: clients discard an
                // event no blank line closed. At a boundary, say what happened.
                if !self.tracker.at_boundary() {
                    return Poll::Ready(None);
                }
                let event = (self.config.on_error)(&error.into());
                Poll::Ready(Some(Ok(Frame::data(event.encode()))))
            }
            Poll::Ready(None) => {
                self.finished = true;
                Poll::Ready(None)
            }
            Poll::Pending => self.poll_heartbeat(cx),
        }
    }

    /// A frame of the inner stream: where its events stand, and when it was written.
    fn wrote(&mut self, data: Bytes) -> Frame<Bytes> {
        if !data.is_empty() {
            self.tracker.update(&data);
            self.touch();
        }
        Frame::data(data)
    }

    fn touch(&mut self) {
        if let Some(heartbeat) = &mut self.heartbeat {
            heartbeat.last_write = Instant::now();
        }
    }

    fn poll_heartbeat(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let Some(heartbeat) = &mut self.heartbeat else {
            return Poll::Pending;
        };
        while heartbeat.sleep.as_mut().poll(cx).is_ready() {
            let now = Instant::now();
            let due = heartbeat.last_write + heartbeat.interval;
            if now < due {
                // Something was written since the timer was set: wait for the real deadline.
                heartbeat.sleep.as_mut().reset(due);
                continue;
            }
            heartbeat.sleep.as_mut().reset(now + heartbeat.interval);
            if self.tracker.at_line_start() {
                heartbeat.last_write = now;
                return Poll::Ready(Some(Ok(Frame::data(self.config.heartbeat_comment.clone()))));
            }
            // Mid-line (only possible with a raw body): never split a line; try again later.
        }
        Poll::Pending
    }
}
