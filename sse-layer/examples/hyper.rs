//! The smallest server: hyper 1.x, no framework. A counter that resumes after
//! `Last-Event-ID`, with the layer's heartbeats and headers.
//!
//! `cargo run -p sse-layer --example hyper`, then `curl -N http://127.0.0.1:3000/`.

use std::convert::Infallible;
use std::time::Duration;

use futures_util::{stream, StreamExt};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use sse_layer::{Event, EventStream, LastEventId, SseLayer};
use tower::{service_fn, Layer};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let service = SseLayer::new().layer(service_fn(
        |request: http::Request<hyper::body::Incoming>| async move {
            let next = request
                .extensions()
                .get::<LastEventId>()
                .and_then(|id| id.parse::<u64>())
                .map_or(1, |n| n + 1);
            let counter = stream::iter(next..).then(|n| async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                Event::new().id(n).data(format!("count {n}"))
            });
            Ok::<_, Infallible>(EventStream::new(counter).into_http_response())
        },
    ));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://{}", listener.local_addr()?);
    loop {
        let (socket, _) = listener.accept().await?;
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(socket), service)
                .await;
        });
    }
}
