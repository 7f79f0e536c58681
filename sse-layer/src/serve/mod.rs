//! [`Server`]: a production accept loop for hyper users, safe by default (feature `serve`,
//! on by default).
//!
//! HTTP/1.1 and h2c (prior knowledge) on one port, with what a long-lived-stream server
//! needs and hyper leaves to you:
//!
//! | setting | default | why |
//! |---|---|---|
//! | [`header_read_timeout`](Server::header_read_timeout) | 10 s | a client that sends half a request head and goes silent (slowloris) loses its connection |
//! | accept back-off | 10 ms doubling to 1 s | out of file descriptors (EMFILE/ENFILE) or buffers, the loop waits instead of spinning, and recovers by itself |
//! | [`send_buffer`](Server::send_buffer) | 256 KiB | a bounded kernel send buffer per socket (Linux doubles it): a client that stops reading blocks the writes after about 512 KiB, not the 4 MiB autotuning allows; measured to cost no throughput (a 64 KiB buffer cost 29% on `cargo xtask bench wire`) |
//! | [`max_connections`](Server::max_connections) | 50,000 | at the limit the loop stops accepting until a connection closes: memory and file descriptors stay bounded (an idle stream costs about 15 KiB here, see BENCHMARKS.md) |
//! | buffered per HTTP/1.1 connection | 64 KiB each way (hyper's default: about 400 KiB) | a frozen reader holds at most that plus one frame in the process; a request head may be at most that |
//! | [`write_deadline`](Server::write_deadline) | 30 s | a write blocked that long drops the connection, reported as `Slow` (see [`WriteDeadline`]) |
//! | [`shutdown`](Server::shutdown) | none | once triggered: stop accepting, let connections finish; **`serve` returns at most `grace` after the trigger**, dropping what is still open |
//! | HTTP/2 | hyper's: 200 concurrent streams, at most 20 pending reset streams | rapid-reset protection kept |
//! | protocol | HTTP/1.1 or h2c, told apart by peeking at the first bytes (within the head timeout) | hyper then reads a whole head at once, so an idle HTTP/1.1 stream keeps one 8 KiB read buffer, not 16 KiB |
//! | `tls` (feature `tls`) | off | https with your rustls configuration; the handshake must finish within the head timeout |
//!
//! Pair it with [`SseLayer::shutdown`](crate::SseLayer::shutdown) with the same
//! [`Shutdown`] and grace, so that every stream sends its final event within it.
//!
//! ```no_run
//! use std::convert::Infallible;
//! use std::time::Duration;
//! use sse_layer::lifecycle::Shutdown;
//! use sse_layer::serve::Server;
//! use sse_layer::{Event, EventStream, SseLayer};
//! use tower::{service_fn, Layer};
//!
//! # async fn run() -> std::io::Result<()> {
//! let shutdown = Shutdown::new();
//! let grace = Duration::from_secs(5);
//! let app = SseLayer::new()
//!     .shutdown(shutdown.clone(), grace)
//!     .layer(service_fn(|_request: http::Request<hyper::body::Incoming>| async {
//!         let events = futures_util::stream::iter([Event::new().data("hello")]);
//!         Ok::<_, Infallible>(EventStream::new(events).into_http_response())
//!     }));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! // In your signal handler: shutdown.trigger();
//! Server::new().shutdown(shutdown, grace).serve(listener, app).await;
//! # Ok(()) }
//! ```
//!
//! axum users keep `axum::serve`: what matters there is the layer's `shutdown` with
//! `with_graceful_shutdown`, and a [`WriteDeadline`] needs a custom listener
//! (`axum::serve::Listener`) to wrap the sockets.

mod backoff;
mod sniff;

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
#[cfg(feature = "tls")]
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::Service;

use crate::error::BoxError;
use crate::lifecycle::{Shutdown, WriteDeadline};
use backoff::AcceptBackoff;

/// What hyper may buffer per HTTP/1.1 connection, each way (its default is about
/// 400 KiB): past it, it stops polling the response body until the socket takes more,
/// so a client that stops reading holds at most this, plus one frame, in the process.
const MAX_BUFFERED: usize = 64 * 1024;

/// The default of [`Server::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 50_000;

/// The accept loop and its settings; see the [module docs](self).
#[derive(Clone)]
pub struct Server {
    #[cfg(feature = "tls")]
    tls: Option<tokio_rustls::TlsAcceptor>,
    header_read_timeout: Duration,
    send_buffer: Option<usize>,
    write_deadline: Option<Duration>,
    shutdown: Option<(Shutdown, Duration)>,
    backoff: (Duration, Duration),
    max_connections: Option<usize>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("header_read_timeout", &self.header_read_timeout)
            .field("send_buffer", &self.send_buffer)
            .field("write_deadline", &self.write_deadline)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

impl Default for Server {
    fn default() -> Self {
        Self {
            #[cfg(feature = "tls")]
            tls: None,
            header_read_timeout: Duration::from_secs(10),
            send_buffer: Some(256 * 1024),
            write_deadline: Some(Duration::from_secs(30)),
            shutdown: None,
            backoff: (Duration::from_millis(10), Duration::from_secs(1)),
            max_connections: Some(DEFAULT_MAX_CONNECTIONS),
        }
    }
}

impl Server {
    /// A server with the defaults in the [module docs](self).
    ///
    /// ```
    /// let server = sse_layer::serve::Server::new();
    /// # let _ = server;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// How long a client may take to send a request head (HTTP/1.1), from the moment the
    /// connection is accepted or the previous response is done.
    ///
    /// ```
    /// let server = sse_layer::serve::Server::new()
    ///     .header_read_timeout(std::time::Duration::from_secs(5));
    /// # let _ = server;
    /// ```
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// The kernel send buffer of each accepted socket (`SO_SNDBUF`; Linux doubles it for
    /// its bookkeeping). `None` leaves the system's autotuning, which lets a frozen reader
    /// absorb megabytes before a write blocks.
    ///
    /// ```
    /// let server = sse_layer::serve::Server::new().send_buffer(Some(32 * 1024));
    /// # let _ = server;
    /// ```
    pub fn send_buffer(mut self, bytes: Option<usize>) -> Self {
        self.send_buffer = bytes;
        self
    }

    /// Drop a connection whose write stays blocked this long (see [`WriteDeadline`]);
    /// `None` for no deadline.
    ///
    /// ```
    /// let server = sse_layer::serve::Server::new()
    ///     .write_deadline(Some(std::time::Duration::from_secs(15)));
    /// # let _ = server;
    /// ```
    pub fn write_deadline(mut self, deadline: Option<Duration>) -> Self {
        self.write_deadline = deadline;
        self
    }

    /// Serve https with `config` (feature `tls`): HTTP/2 or HTTP/1.1 as the client's ALPN
    /// and `config.alpn_protocols` agree (put `h2` and `http/1.1` there). The handshake
    /// runs in the connection's own task and must complete within the
    /// [`header_read_timeout`](Self::header_read_timeout).
    ///
    /// ```no_run
    /// # fn config() -> rustls::ServerConfig { unimplemented!() }
    /// let mut config: rustls::ServerConfig = config(); // your certificate and key
    /// config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    /// let server = sse_layer::serve::Server::new().tls(std::sync::Arc::new(config));
    /// # let _ = server;
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: std::sync::Arc<rustls::ServerConfig>) -> Self {
        self.tls = Some(tokio_rustls::TlsAcceptor::from(config));
        self
    }

    /// At most this many connections at once (`None`: no limit). At the limit the loop
    /// stops accepting until one closes: new clients wait in the kernel's listen queue
    /// (and time out there if it lasts), instead of taking memory and file descriptors.
    /// Answer streams beyond a count with a 503 instead with
    /// [`SseLayer::max_streams`](crate::SseLayer::max_streams).
    ///
    /// ```
    /// let server = sse_layer::serve::Server::new().max_connections(Some(10_000));
    /// # let _ = server;
    /// ```
    pub fn max_connections(mut self, max: Option<usize>) -> Self {
        self.max_connections = max;
        self
    }

    /// Stop when `shutdown` is triggered: accept nothing more, let the open connections
    /// finish, and return at most `grace` after the trigger (connections still open then
    /// are dropped).
    ///
    /// ```
    /// use std::time::Duration;
    /// let shutdown = sse_layer::lifecycle::Shutdown::new();
    /// let server = sse_layer::serve::Server::new().shutdown(shutdown, Duration::from_secs(5));
    /// # let _ = server;
    /// ```
    pub fn shutdown(mut self, shutdown: Shutdown, grace: Duration) -> Self {
        self.shutdown = Some((shutdown, grace));
        self
    }

    /// Serves `service` on `listener` until the shutdown (for ever without one).
    ///
    /// Each request carries the connection's [`Stalled`](crate::lifecycle::Stalled) flag
    /// as an extension, so that [`SseLayer`](crate::SseLayer) reports a connection dropped
    /// by the write deadline as `Slow`.
    pub async fn serve<S, B>(self, listener: TcpListener, service: S)
    where
        S: Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
            + Clone
            + Send
            + 'static,
        S::Future: Send + 'static,
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let (shutdown, grace) = self
            .shutdown
            .clone()
            .map_or((Shutdown::new(), Duration::ZERO), |(shutdown, grace)| {
                (shutdown, grace)
            });
        let graceful = GracefulShutdown::new();
        let mut backoff = AcceptBackoff::new(self.backoff.0, self.backoff.1);
        let mut exhausted = false;
        // Each connection's task, so that those still open after the grace are dropped.
        let mut connections = tokio::task::JoinSet::new();
        let max_connections = self.max_connections.unwrap_or(usize::MAX).max(1);
        loop {
            while connections.try_join_next().is_some() {}
            if connections.len() >= max_connections {
                tokio::select! {
                    _ = connections.join_next() => {}
                    () = shutdown.triggered() => break,
                }
                continue;
            }
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = shutdown.triggered() => break,
            };
            let socket = match accepted {
                Ok((socket, _)) => {
                    if exhausted {
                        tracing::warn!("accepting connections again");
                        exhausted = false;
                    }
                    backoff.reset();
                    socket
                }
                Err(error) => {
                    if let Some(pause) = backoff.after(&error) {
                        if !exhausted {
                            tracing::warn!(%error, "cannot accept connections; backing off");
                            exhausted = true;
                        }
                        tokio::select! {
                            () = tokio::time::sleep(pause) => {}
                            () = shutdown.triggered() => break,
                        }
                    }
                    continue;
                }
            };
            if let Some(bytes) = self.send_buffer {
                let _ = socket2::SockRef::from(&socket).set_send_buffer_size(bytes);
            }
            let _ = socket.set_nodelay(true);
            // Without a deadline the wrapper never fires (a century is not reached).
            let deadline = self
                .write_deadline
                .unwrap_or(Duration::from_secs(100 * 365 * 86_400));
            let socket = WriteDeadline::new(socket, deadline);
            let service = tower::util::MapRequest::new(service.clone(), {
                let stalled = socket.stalled();
                move |mut request: Request<Incoming>| {
                    request.extensions_mut().insert(stalled.clone());
                    request
                }
            });
            let service = TowerToHyperService::new(service);
            let watcher = graceful.watcher();
            let head_timeout = self.header_read_timeout;
            #[cfg(feature = "tls")]
            if let Some(acceptor) = self.tls.clone() {
                // Over TLS the protocol is the one ALPN agreed on, which `auto` reads.
                let mut builder = auto::Builder::new(TokioExecutor::new());
                builder
                    .http1()
                    .timer(TokioTimer::new())
                    .header_read_timeout(head_timeout)
                    .max_buf_size(MAX_BUFFERED);
                builder.http2().timer(TokioTimer::new());
                connections.spawn(async move {
                    let handshake = tokio::time::timeout(head_timeout, acceptor.accept(socket));
                    let Ok(Ok(tls)) = handshake.await else {
                        return;
                    };
                    let connection = builder.serve_connection(TokioIo::new(tls), service);
                    let _ = watcher.watch(connection.into_owned()).await;
                });
                continue;
            }
            connections.spawn(async move {
                // The head timeout covers the first bytes too.
                let Some(protocol) = sniff::sniff(socket.get_ref(), head_timeout).await else {
                    return;
                };
                let io = TokioIo::new(socket);
                match protocol {
                    sniff::Protocol::Http1 => {
                        let connection = http1::Builder::new()
                            .timer(TokioTimer::new())
                            .header_read_timeout(head_timeout)
                            .max_buf_size(MAX_BUFFERED)
                            .serve_connection(io, service);
                        let _ = watcher.watch(connection).await;
                    }
                    sniff::Protocol::Http2 => {
                        let connection = http2::Builder::new(TokioExecutor::new())
                            .timer(TokioTimer::new())
                            .serve_connection(io, service);
                        let _ = watcher.watch(connection).await;
                    }
                }
            });
        }
        // The hard bound: whatever is still open `grace` after the trigger is dropped.
        let _ = tokio::time::timeout(grace, graceful.shutdown()).await;
        connections.abort_all();
    }
}
