//! The fan-out benchmark's server on sse-layer: `GET /fanout` subscribes to a `Hub`,
//! `GET /fire?count=C&gap_ms=G` publishes C events G ms apart, each holding the time it
//! was published (ns since the Unix epoch). Prints `listening on http://IP:PORT` first.

#[path = "shared/fanout.rs"]
mod fanout;

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use sse_layer::hub::{Hub, Subscribe};
use sse_layer::{BoxError, Event, SseLayer};
use tower::{service_fn, Layer};

use fanout::now_nanos;

type Body = UnsyncBoxBody<Bytes, BoxError>;

async fn route(
    hub: Hub,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Body>, Infallible> {
    Ok(match request.uri().path() {
        "/fanout" => hub
            .subscribe(Subscribe::topic("bench"))
            .into_http_response()
            .map(BodyExt::boxed_unsync),
        "/fire" => {
            let (count, gap_ms) = fanout::fire_params(request.uri().query().unwrap_or_default());
            tokio::spawn(async move {
                for _ in 0..count {
                    tokio::time::sleep(Duration::from_millis(gap_ms)).await;
                    let _ = hub
                        .publish("bench", Event::new().data(now_nanos().to_string()))
                        .await;
                }
            });
            Response::new(
                Full::new(Bytes::from_static(b"firing\n"))
                    .map_err(|e| match e {})
                    .boxed_unsync(),
            )
        }
        _ => Response::new(
            Full::new(Bytes::from_static(b"not found\n"))
                .map_err(|e| match e {})
                .boxed_unsync(),
        ),
    })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on http://{}", listener.local_addr()?);
    let hub = Hub::new();
    let service = SseLayer::new().layer(service_fn(move |request| route(hub.clone(), request)));
    loop {
        let (socket, _) = listener.accept().await?;
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(socket), service)
                .await;
        });
    }
}
