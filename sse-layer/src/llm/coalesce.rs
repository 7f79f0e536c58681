//! [`coalesce`]: merges small text pieces so that fewer, larger events go out.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};

pin_project! {
    /// The stream [`coalesce`] returns.
    pub struct Coalesce<S, E> {
        #[pin]
        pieces: S,
        buf: String,
        max_delay: Duration,
        max_bytes: usize,
        // Made on first use, so the stream can be built outside a runtime.
        flush_timer: Option<Pin<Box<Sleep>>>,
        // An error that waits until the text before it has been flushed.
        error: Option<E>,
        done: bool,
    }
}

/// Merges text pieces: a merged piece goes out `max_delay` after its first part arrived,
/// or as soon as it holds `max_bytes`, whichever comes first, and at the end. An error
/// is passed on after the text before it. Nothing is lost or reordered; a slow source
/// still gets each piece out within `max_delay`.
///
/// ```
/// use std::time::Duration;
/// use futures_util::{stream, StreamExt};
/// use sse_layer::llm::coalesce;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let tokens = stream::iter(["a", "b", "c"]).map(Ok::<_, std::io::Error>);
/// let merged: Vec<String> = coalesce(tokens, Duration::from_millis(50), 2)
///     .map(Result::unwrap)
///     .collect()
///     .await;
/// assert_eq!(merged, ["ab", "c"]);
/// # });
/// ```
pub fn coalesce<S, T, E>(pieces: S, max_delay: Duration, max_bytes: usize) -> Coalesce<S, E>
where
    S: Stream<Item = Result<T, E>>,
    T: AsRef<str>,
{
    Coalesce {
        pieces,
        buf: String::new(),
        max_delay,
        max_bytes: max_bytes.max(1),
        flush_timer: None,
        error: None,
        done: false,
    }
}

impl<S, T, E> Stream for Coalesce<S, E>
where
    S: Stream<Item = Result<T, E>>,
    T: AsRef<str>,
{
    type Item = Result<String, E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        if let Some(error) = this.error.take() {
            return Poll::Ready(Some(Err(error)));
        }
        loop {
            if *this.done {
                return Poll::Ready((!this.buf.is_empty()).then(|| Ok(std::mem::take(this.buf))));
            }
            match this.pieces.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(piece))) => {
                    if this.buf.is_empty() {
                        let flush_at = Instant::now() + *this.max_delay;
                        match this.flush_timer {
                            Some(timer) => timer.as_mut().reset(flush_at),
                            None => {
                                *this.flush_timer =
                                    Some(Box::pin(tokio::time::sleep_until(flush_at)))
                            }
                        }
                    }
                    this.buf.push_str(piece.as_ref());
                    if this.buf.len() >= *this.max_bytes {
                        return Poll::Ready(Some(Ok(std::mem::take(this.buf))));
                    }
                }
                Poll::Ready(Some(Err(error))) => {
                    *this.done = true;
                    if this.buf.is_empty() {
                        return Poll::Ready(Some(Err(error)));
                    }
                    *this.error = Some(error);
                    return Poll::Ready(Some(Ok(std::mem::take(this.buf))));
                }
                Poll::Ready(None) => *this.done = true,
                Poll::Pending => {
                    let due = this
                        .flush_timer
                        .as_mut()
                        .is_some_and(|timer| timer.as_mut().poll(cx).is_ready());
                    if !this.buf.is_empty() && due {
                        return Poll::Ready(Some(Ok(std::mem::take(this.buf))));
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}
