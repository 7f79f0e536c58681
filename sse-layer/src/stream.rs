//! [`EventStream`]: any `Stream` of events as an `http_body::Body` whose every frame holds
//! whole events only.
//!
//! Whole-event frames are what make the rest of the layer simple and safe: the heartbeat
//! can go between any two frames, and a framework that boxes the body (axum does) keeps
//! the frames as they are.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use http::Response;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use crate::encode::write_event;
use crate::error::BoxError;
use crate::event::Event;
use crate::overrides::StreamOverrides;

/// Ready events are gathered into one frame up to about this many bytes: a client that
/// fell behind gets one write instead of many, and one busy stream cannot hog the task.
pub(crate) const BATCH_BYTES: usize = 64 * 1024;

/// An item an [`EventStream`] accepts: an [`Event`], or a `Result` of one.
pub trait StreamItem {
    /// The error a fallible stream may yield.
    type Error: Into<BoxError>;
    /// The event, or the error that ends the stream.
    ///
    /// # Errors
    /// The stream's own error.
    fn into_event(self) -> Result<Event, Self::Error>;
}

impl StreamItem for Event {
    type Error = Infallible;
    fn into_event(self) -> Result<Event, Infallible> {
        Ok(self)
    }
}

impl<E: Into<BoxError>> StreamItem for Result<Event, E> {
    type Error = E;
    fn into_event(self) -> Result<Event, E> {
        self
    }
}

pin_project! {
    /// A response body made from a stream of events.
    ///
    /// ```
    /// use sse_layer::{Event, EventStream};
    /// use futures_util::stream;
    ///
    /// let events = stream::iter(["a", "b"]).map(|token| Event::new().data(token));
    /// # use futures_util::StreamExt;
    /// let response = EventStream::new(events).into_http_response();
    /// assert_eq!(response.headers()["content-type"], "text/event-stream");
    /// ```
    ///
    /// A stream error ends the body with that error as a body error, after every event
    /// before it has been sent; under [`SseLayer`](crate::SseLayer) it becomes a final
    /// error event instead.
    pub struct EventStream<S> {
        #[pin]
        stream: S,
        buf: BytesMut,
        error: Option<BoxError>,
        done: bool,
        events_sent: metrics::Counter,
        overrides: StreamOverrides,
    }
}

impl<S> EventStream<S>
where
    S: Stream,
    S::Item: StreamItem,
{
    /// Wraps a stream of [`Event`]s or of `Result<Event, E>`.
    pub fn new(stream: S) -> Self {
        Self {
            stream,
            buf: BytesMut::new(),
            error: None,
            done: false,
            events_sent: crate::metrics::events_sent(),
            overrides: StreamOverrides::new(),
        }
    }

    crate::overrides::override_setters!();

    /// A `200 OK` response with this body and the SSE headers:
    /// `Content-Type: text/event-stream`, `Cache-Control: no-cache, no-transform` and
    /// `X-Accel-Buffering: no` (so nginx does not buffer it). Its
    /// [`StreamOverrides`], if any, ride in the extensions for the layer.
    pub fn into_http_response(self) -> Response<Self> {
        let overrides = self.overrides;
        let mut response = crate::headers::sse_response(self);
        overrides.attach(response.extensions_mut());
        response
    }
}

impl<S> Body for EventStream<S>
where
    S: Stream,
    S::Item: StreamItem,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let mut this = self.project();
        if let Some(error) = this.error.take() {
            return Poll::Ready(Some(Err(error)));
        }
        let mut events = 0;
        while !*this.done && this.buf.len() < BATCH_BYTES {
            match this.stream.as_mut().poll_next(cx) {
                Poll::Ready(Some(item)) => match item.into_event() {
                    Ok(event) => {
                        write_event(&event, this.buf);
                        events += 1;
                    }
                    Err(error) => {
                        // Send what came before the error first; the error ends the body.
                        *this.error = Some(error.into());
                        *this.done = true;
                    }
                },
                Poll::Ready(None) => *this.done = true,
                Poll::Pending if this.buf.is_empty() => return Poll::Pending,
                Poll::Pending => break,
            }
        }
        if events > 0 {
            this.events_sent.increment(events);
        }
        if !this.buf.is_empty() {
            return Poll::Ready(Some(Ok(Frame::data(this.buf.split().freeze()))));
        }
        Poll::Ready(this.error.take().map(Err))
    }

    fn is_end_stream(&self) -> bool {
        self.done && self.buf.is_empty() && self.error.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}
