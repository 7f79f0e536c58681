//! [`WriteDeadline`]: drops a connection whose client stopped reading.
//!
//! A response body cannot notice a client that stopped reading: the server simply stops
//! asking it for data once the socket is full. So this deadline lives on the connection's
//! I/O, below hyper: a write that stays blocked longer than the deadline fails, hyper
//! closes the connection, and the stream's body is dropped (reported as
//! [`Slow`](super::DisconnectReason::Slow) when the request carried the [`Stalled`] flag).
//! Heartbeats count as writes too, so a frozen tab is found even on a quiet stream.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

pin_project! {
    /// An I/O object (a `TcpStream`, a TLS stream) whose writes fail after being blocked
    /// for longer than a deadline.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sse_layer::lifecycle::WriteDeadline;
    ///
    /// # async fn serve(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    /// let (socket, _) = listener.accept().await?;
    /// let socket = WriteDeadline::new(socket, Duration::from_secs(30));
    /// // Give `socket.stalled()` to the connection's requests as an extension, then
    /// // serve `hyper_util::rt::TokioIo::new(socket)` as usual.
    /// let _flag = socket.stalled();
    /// # Ok(()) }
    /// ```
    #[derive(Debug)]
    pub struct WriteDeadline<T> {
        #[pin]
        io: T,
        timeout: Duration,
        // Boxed so that the wrapper is `Unpin` whenever the I/O is, as hyper wants; made
        // on the first blocked write (so `new` works outside a runtime), then reused.
        sleep: Option<Pin<Box<Sleep>>>,
        armed: bool,
        stalled: Stalled,
    }
}

/// Set when a [`WriteDeadline`] gave up on its connection. Put it in the connection's
/// request extensions and [`SseLayer`](crate::SseLayer) reports such ends as `Slow`.
///
/// ```
/// let stalled = sse_layer::lifecycle::Stalled::default();
/// assert!(!stalled.is_set());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Stalled(Arc<AtomicBool>);

impl Stalled {
    /// True once the connection's writes missed their deadline.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl<T> WriteDeadline<T> {
    /// Wraps `io`; a write blocked for `timeout` fails with `TimedOut`.
    pub fn new(io: T, timeout: Duration) -> Self {
        Self {
            io,
            timeout,
            sleep: None,
            armed: false,
            stalled: Stalled::default(),
        }
    }

    /// The flag this connection sets when it gives up.
    pub fn stalled(&self) -> Stalled {
        self.stalled.clone()
    }

    /// The wrapped connection.
    ///
    /// ```
    /// let io = sse_layer::lifecycle::WriteDeadline::new(Vec::<u8>::new(), std::time::Duration::from_secs(1));
    /// assert!(io.get_ref().is_empty());
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.io
    }
}

impl<T: AsyncWrite> WriteDeadline<T> {
    /// Runs one write operation; tracks how long it has been blocked.
    fn guard<R>(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        op: impl FnOnce(Pin<&mut T>, &mut Context<'_>) -> Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        let this = self.project();
        match op(this.io, cx) {
            Poll::Ready(result) => {
                *this.armed = false;
                Poll::Ready(result)
            }
            Poll::Pending => {
                let deadline = Instant::now() + *this.timeout;
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if !*this.armed {
                    // The first blocked attempt of this write starts the clock.
                    *this.armed = true;
                    sleep.as_mut().reset(deadline);
                }
                if sleep.as_mut().poll(cx).is_ready() {
                    this.stalled.0.store(true, Ordering::Relaxed);
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client stopped reading: write deadline passed",
                    )));
                }
                Poll::Pending
            }
        }
    }
}

impl<T: AsyncRead> AsyncRead for WriteDeadline<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.project().io.poll_read(cx, buf)
    }
}

impl<T: AsyncWrite> AsyncWrite for WriteDeadline<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.guard(cx, |io, cx| io.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.guard(cx, |io, cx| io.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.guard(cx, AsyncWrite::poll_flush)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.guard(cx, AsyncWrite::poll_shutdown)
    }
}
