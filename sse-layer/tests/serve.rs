//! `serve::Server` over real sockets, its timing on tokio's paused clock: a request head
//! that never completes is dropped at the head timeout (slowloris); `serve` returns at
//! most `grace` after the shutdown, however stuck a connection is; requests carry the
//! connection's `Stalled` flag; HTTP/1.1 and h2c on one port; at the connection limit
//! the loop accepts nothing until a connection closes.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use sse_layer::lifecycle::{Shutdown, Stalled};
use sse_layer::serve::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tower::service_fn;

/// Answers 200 "stalled flag: yes|no", telling whether the request carried the flag.
fn app() -> impl tower::Service<
    Request<Incoming>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Send,
> + Clone
       + Send
       + 'static {
    service_fn(|request: Request<Incoming>| async move {
        let flag = if request.extensions().get::<Stalled>().is_some() {
            "yes"
        } else {
            "no"
        };
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(format!(
            "stalled flag: {flag}"
        )))))
    })
}

async fn listen() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    (listener, addr)
}

#[tokio::test(start_paused = true)]
async fn a_request_head_that_never_completes_is_dropped_at_the_timeout() {
    let (listener, addr) = listen().await;
    tokio::spawn(
        Server::new()
            .header_read_timeout(Duration::from_secs(5))
            .serve(listener, app()),
    );
    // Half an HTTP/1.1 head, half the HTTP/2 preface, and nothing at all.
    for sent in [
        &b"GET /events HTTP/1.1\r\nHost: x\r\n"[..],
        &b"PRI * HTTP/2.0\r\n"[..],
        &b""[..],
    ] {
        let mut slowloris = TcpStream::connect(&addr).await.unwrap();
        slowloris.write_all(sent).await.unwrap();
        let started = Instant::now();
        let mut answer = Vec::new();
        let _ = slowloris.read_to_end(&mut answer).await;
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(5) && waited < Duration::from_secs(6),
            "after {:?}: closed after {waited:?}",
            String::from_utf8_lossy(sent)
        );
    }
}

#[tokio::test(start_paused = true)]
async fn serve_returns_at_most_grace_after_the_shutdown_whatever_is_open() {
    let (listener, addr) = listen().await;
    let shutdown = Shutdown::new();
    let grace = Duration::from_secs(5);
    let server = tokio::spawn(
        Server::new()
            .header_read_timeout(Duration::from_secs(60))
            .shutdown(shutdown.clone(), grace)
            .serve(listener, app()),
    );
    // A half-open request: graceful shutdown would wait for it to complete.
    let mut stuck = TcpStream::connect(&addr).await.unwrap();
    stuck.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let triggered = Instant::now();
    shutdown.trigger();
    server.await.unwrap();
    let took = triggered.elapsed();
    assert!(took <= grace + Duration::from_millis(10), "took {took:?}");
    assert!(took >= grace - Duration::from_millis(10), "took {took:?}");
    // And the stuck connection was dropped with it.
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(1), stuck.read_to_end(&mut rest)).await;
    assert!(matches!(read, Ok(Ok(_)) | Ok(Err(_))), "still open");
}

#[tokio::test]
async fn requests_carry_the_stalled_flag_over_http1_and_h2c() {
    let (listener, addr) = listen().await;
    tokio::spawn(Server::new().serve(listener, app()));
    // HTTP/1.1
    let stream = TcpStream::connect(&addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = Request::get("/")
        .header("host", &addr)
        .body(Empty::<Bytes>::new())
        .unwrap();
    let body = sender.send_request(request).await.unwrap().into_body();
    assert_eq!(
        body.collect().await.unwrap().to_bytes(),
        "stalled flag: yes"
    );
    // h2c, prior knowledge
    let stream = TcpStream::connect(&addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    let request = Request::get(format!("http://{addr}/"))
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.version(), http::Version::HTTP_2);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, "stalled flag: yes");
}

#[tokio::test(start_paused = true)]
async fn at_the_connection_limit_a_new_client_waits_until_one_closes() {
    let (listener, addr) = listen().await;
    tokio::spawn(
        Server::new()
            .max_connections(Some(2))
            .serve(listener, app()),
    );
    let request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut first = TcpStream::connect(&addr).await.unwrap();
    let mut second = TcpStream::connect(&addr).await.unwrap();
    let mut buf = [0u8; 64];
    for client in [&mut first, &mut second] {
        client.write_all(request).await.unwrap();
        assert!(client.read(&mut buf).await.unwrap() > 0, "served");
    }
    // The third gets through TCP (the kernel queues it) but is not served.
    let mut third = TcpStream::connect(&addr).await.unwrap();
    third.write_all(request).await.unwrap();
    let waiting = tokio::time::timeout(Duration::from_secs(3), third.read(&mut buf)).await;
    assert!(waiting.is_err(), "served beyond the limit");
    drop(first);
    let served = tokio::time::timeout(Duration::from_secs(3), third.read(&mut buf)).await;
    assert!(served.expect("served once one closed").unwrap() > 0);
    assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"));
}
