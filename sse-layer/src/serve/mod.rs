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
//! | [`write_deadline`](Server::write_deadline) | 30 s | a write blocked that long drops the connection, reported as `Slow` (see [`WriteDeadline`]) |
//! | [`shutdown`](Server::shutdown) | none | once triggered: stop accepting, let connections finish; **`serve` returns at most `grace` after the trigger**, dropping what is still open |
//! | HTTP/2 | hyper's: 200 concurrent streams, at most 20 pending reset streams | rapid-reset protection kept |
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
//!         Ok::<_, Infallible>(EventStream::new(events).into_response())
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

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::Service;

use crate::lifecycle::{Shutdown, WriteDeadline};
use crate::BoxError;
use backoff::AcceptBackoff;

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
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("header_read_timeout", &self.header_read_timeout)
            .field("send_buffer", &self.send_buffer)
            .field("write_deadline", &self.write_deadline)
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
        loop {
            while connections.try_join_next().is_some() {}
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
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(self.header_read_timeout);
            builder.http2().timer(TokioTimer::new());
            let service = TowerToHyperService::new(service);
            let watcher = graceful.watcher();
            #[cfg(feature = "tls")]
            if let Some(acceptor) = self.tls.clone() {
                let handshake_timeout = self.header_read_timeout;
                connections.spawn(async move {
                    let handshake =
                        tokio::time::timeout(handshake_timeout, acceptor.accept(socket));
                    let Ok(Ok(tls)) = handshake.await else {
                        return;
                    };
                    let connection = builder.serve_connection(TokioIo::new(tls), service);
                    let _ = watcher.watch(connection.into_owned()).await;
                });
                continue;
            }
            let connection = builder
                .serve_connection(TokioIo::new(socket), service)
                .into_owned();
            connections.spawn(async move {
                let _ = watcher.watch(connection).await;
            });
        }
        // The hard bound: whatever is still open `grace` after the trigger is dropped.
        let _ = tokio::time::timeout(grace, graceful.shutdown()).await;
        connections.abort_all();
    }
}
