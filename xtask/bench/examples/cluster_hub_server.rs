//! The cluster benchmark's server on sse-layer: `cluster_hub_server REDIS_URL NAME`, one
//! instance of a cluster whose `Hub` lives in Redis under NAME. `GET /fanout`
//! subscribes (resuming after `Last-Event-ID` when there is one); `GET /fire?count=C&gap_ms=G`
//! publishes C events G ms apart (all at once when G is 0, so the writer batches them),
//! each holding its publish time (ns since the Unix epoch); `GET /fill?count=C&bytes=B`
//! publishes C events of B bytes of data and answers with the first one's id (a history
//! to resume). Prints `listening on http://IP:PORT` first.

#[path = "shared/engines.rs"]
mod engines;
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

fn text(message: &'static str) -> Response<Body> {
    Response::new(
        Full::new(Bytes::from_static(message.as_bytes()))
            .map_err(|e| match e {})
            .boxed_unsync(),
    )
}

async fn route(
    hub: Hub,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Body>, Infallible> {
    Ok(match request.uri().path() {
        "/fanout" => hub
            .subscribe(Subscribe::topic("bench").resume_from(&request))
            .into_http_response()
            .map(BodyExt::boxed_unsync),
        "/fill" => {
            let query = request.uri().query().unwrap_or_default();
            let number = |name: &str| {
                form_urlencoded::parse(query.as_bytes())
                    .find(|(key, _)| key == name)
                    .and_then(|(_, value)| value.parse::<usize>().ok())
                    .unwrap_or(0)
            };
            let payload = "x".repeat(number("bytes"));
            let mut first = String::new();
            for chunk in 0..number("count").div_ceil(100) {
                let publishes = (0..100.min(number("count") - chunk * 100))
                    .map(|_| hub.publish("bench", Event::new().data(payload.clone())));
                let ids = futures_util::future::join_all(publishes).await;
                if chunk == 0 {
                    first = ids
                        .iter()
                        .filter_map(|published| published.as_ref().ok())
                        .min_by_key(|published| published.seq)
                        .map_or_else(String::new, |published| published.id.clone());
                }
            }
            Response::new(
                Full::new(Bytes::from(first))
                    .map_err(|e| match e {})
                    .boxed_unsync(),
            )
        }
        "/fire" => {
            let (count, gap_ms) = fanout::fire_params(request.uri().query().unwrap_or_default());
            tokio::spawn(async move {
                let publish = |hub: Hub| async move {
                    let event = Event::new().data(now_nanos().to_string());
                    if let Err(error) = hub.publish("bench", event).await {
                        eprintln!("publish failed: {error}");
                    }
                };
                if gap_ms == 0 {
                    futures_util::future::join_all((0..count).map(|_| publish(hub.clone()))).await;
                } else {
                    for _ in 0..count {
                        tokio::time::sleep(Duration::from_millis(gap_ms)).await;
                        publish(hub.clone()).await;
                    }
                }
            });
            text("firing\n")
        }
        _ => text("not found\n"),
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: cluster_hub_server ENGINE_URL NAME";
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or(usage)?;
    let name = args.next().ok_or(usage)?;
    let hub = engines::hub(&url, &name, 0)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on http://{}", listener.local_addr()?);
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
