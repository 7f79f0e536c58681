//! LLM streaming conventions: turn a stream of text pieces into the events a client SDK
//! expects.
//!
//! - [`OpenAiChat`]: chat completions. `data:`-only JSON chunks, then `data: [DONE]`; an
//!   error is an in-band `{"error": {...}}` object.
//! - [`OpenAiResponses`]: the Responses API. Typed event names (`response.created`,
//!   `response.output_text.delta`, …), a `sequence_number` in every event, and terminal
//!   events (`response.completed`, or `error` then `response.failed`).
//! - [`Anthropic`]: Messages. Named events (`message_start`, `content_block_delta`, …,
//!   `message_stop`), a `ping`, and `error`.
//!
//! [`frame`] applies a [`Framer`] to a fallible stream of text; [`coalesce`] merges small
//! pieces (flushing every N ms or M bytes, whichever comes first) to cut per-event cost.
//! An error after the response has started becomes the convention's error event: a
//! complete event, without an id, so the client's resume cursor stays on the last event it
//! really got.
//!
//! ```
//! use futures_util::{stream, StreamExt};
//! use sse_layer::llm::{frame, OpenAiChat};
//! use sse_layer::EventStream;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let tokens = stream::iter(["Hel", "lo"]).map(Ok::<_, std::io::Error>);
//! let events: Vec<_> = frame(tokens, OpenAiChat::new("chatcmpl-1", "demo-model")).collect().await;
//! assert_eq!(events.last().unwrap().data_str(), Some("[DONE]"));
//! let response = EventStream::new(stream::iter(events)).into_http_response();
//! # let _ = response;
//! # });
//! ```

mod anthropic;
mod coalesce;
mod framer;
mod openai_chat;
mod openai_responses;
mod usage;

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use pin_project_lite::pin_project;

pub use anthropic::Anthropic;
pub use coalesce::{coalesce, Coalesce};
pub use framer::Framer;
pub use openai_chat::OpenAiChat;
pub use openai_responses::OpenAiResponses;
pub use usage::Usage;

use crate::error::BoxError;
use crate::event::Event;

impl<F: Framer + ?Sized> Framer for Box<F> {
    fn start(&mut self) -> Vec<Event> {
        (**self).start()
    }
    fn delta(&mut self, text: &str) -> Event {
        (**self).delta(text)
    }
    fn finish(&mut self) -> Vec<Event> {
        (**self).finish()
    }
    fn error(&mut self, error: &BoxError) -> Vec<Event> {
        (**self).error(error)
    }
}

pin_project! {
    /// The stream [`frame`] returns.
    pub struct Framed<S, F> {
        #[pin]
        pieces: S,
        framer: F,
        pending: VecDeque<Event>,
        started: bool,
        ended: bool,
    }
}

/// Frames a stream of text pieces (`Result<impl AsRef<str>, E>`) with `framer`: its start
/// events, one delta per piece, then its finish events, or its error events in place of
/// the rest when the stream fails. Error events never carry an id, so they never move a
/// client's `Last-Event-ID`.
///
/// ```
/// use futures_util::{stream, StreamExt};
/// use sse_layer::llm::{frame, Anthropic};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let pieces = stream::iter([Ok("Hi"), Err(std::io::Error::other("upstream timed out"))]);
/// let events: Vec<_> = frame(pieces, Anthropic::new("msg_1", "demo-model")).collect().await;
/// let last = events.last().unwrap();
/// assert_eq!(last.event_str(), Some("error"));
/// assert!(last.id_str().is_none());
/// # });
/// ```
///
/// A stream of plain pieces, which cannot fail, takes one adapter, `.map(Ok::<_, Infallible>)`:
///
/// ```
/// use std::convert::Infallible;
/// use futures_util::{stream, StreamExt};
/// use sse_layer::llm::{frame, OpenAiChat};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let tokens = stream::iter(["Hel", "lo"]).map(Ok::<_, Infallible>);
/// let events: Vec<_> = frame(tokens, OpenAiChat::new("chatcmpl-1", "demo")).collect().await;
/// assert_eq!(events.last().unwrap().data_str(), Some("[DONE]"));
/// # });
/// ```
pub fn frame<S, T, E, F>(pieces: S, framer: F) -> Framed<S, F>
where
    S: Stream<Item = Result<T, E>>,
    T: AsRef<str>,
    E: Into<BoxError>,
    F: Framer,
{
    Framed {
        pieces,
        framer,
        pending: VecDeque::new(),
        started: false,
        ended: false,
    }
}

impl<S, T, E, F> Stream for Framed<S, F>
where
    S: Stream<Item = Result<T, E>>,
    T: AsRef<str>,
    E: Into<BoxError>,
    F: Framer,
{
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let mut this = self.project();
        if !*this.started {
            *this.started = true;
            this.pending.extend(this.framer.start());
        }
        loop {
            if let Some(event) = this.pending.pop_front() {
                return Poll::Ready(Some(event));
            }
            if *this.ended {
                return Poll::Ready(None);
            }
            match this.pieces.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(piece))) => {
                    return Poll::Ready(Some(this.framer.delta(piece.as_ref())));
                }
                Poll::Ready(Some(Err(error))) => {
                    *this.ended = true;
                    let error = error.into();
                    let events = this.framer.error(&error).into_iter().map(Event::without_id);
                    this.pending.extend(events);
                }
                Poll::Ready(None) => {
                    *this.ended = true;
                    this.pending.extend(this.framer.finish());
                }
            }
        }
    }
}
