//! Fan-out latency: `fanout_clients BASE_URL[,BASE_URL…] N EVENTS GAP_MS`. Opens N
//! subscribers to `BASE/fanout`, spread over the bases in turn (instances of a cluster),
//! asks the first to publish EVENTS events GAP_MS apart (`BASE/fire`), and
//! measures, for every event at every subscriber, the time from publish (the event's data:
//! ns since the Unix epoch) to arrival. Prints one line:
//! `result P50_US P99_US DELIVERED EXPECTED EVENTS_PER_S`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use tokio::sync::{Barrier, Semaphore};

#[path = "shared/fanout.rs"]
mod fanout;

use fanout::{now_nanos, print_result};

async fn open(authority: &str, path: &str) -> Option<hyper::body::Incoming> {
    let stream = tokio::net::TcpStream::connect(authority).await.ok()?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(connection);
    let request = hyper::Request::get(path)
        .header("host", authority)
        .header("accept", "text/event-stream")
        .body(Empty::<Bytes>::new())
        .ok()?;
    let response = sender.send_request(request).await.ok()?;
    Some(response.into_body())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: fanout_clients BASE_URL[,BASE_URL…] N EVENTS GAP_MS";
    let mut args = std::env::args().skip(1);
    let bases = args.next().ok_or(usage)?;
    let authorities = bases
        .split(',')
        .map(|base| {
            let base: hyper::Uri = base.parse()?;
            Ok::<_, Box<dyn std::error::Error>>(
                base.authority()
                    .ok_or("BASE_URL without host")?
                    .as_str()
                    .to_owned(),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let count: usize = args.next().ok_or(usage)?.parse()?;
    let events: usize = args.next().ok_or(usage)?.parse()?;
    let gap_ms: u64 = args.next().ok_or(usage)?.parse()?;
    let authority = authorities[0].clone();

    let connecting = Arc::new(Semaphore::new(256)); // stay under the listen backlog
    let ready = Arc::new(Barrier::new(count + 1));
    let mut readers = Vec::new();
    for index in 0..count {
        let authority = authorities[index % authorities.len()].clone();
        let (connecting, ready) = (connecting.clone(), ready.clone());
        readers.push(tokio::spawn(async move {
            let permit = connecting.acquire_owned().await;
            // Headers come once the handler has run: the subscription exists. (axum's
            // `Sse` sends no byte before its first event, so do not wait for one.)
            let body = open(&authority, "/fanout").await;
            drop(permit);
            ready.wait().await;
            let mut latencies = Vec::with_capacity(events);
            let Some(mut body) = body else {
                return latencies;
            };
            let mut pending = Vec::new();
            let deadline = tokio::time::Instant::now()
                + Duration::from_millis(gap_ms * events as u64)
                + Duration::from_secs(20);
            while latencies.len() < events {
                let Ok(Some(Ok(frame))) = tokio::time::timeout_at(deadline, body.frame()).await
                else {
                    break;
                };
                let arrived = now_nanos();
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                pending.extend_from_slice(&data);
                // Whole lines only; the data of each event is its publish time.
                let Some(last_newline) = pending.iter().rposition(|&b| b == b'\n') else {
                    continue;
                };
                for line in pending[..last_newline].split(|&b| b == b'\n') {
                    if let Some(published) = line.strip_prefix(b"data: ") {
                        if let Some(published) = std::str::from_utf8(published)
                            .ok()
                            .and_then(|s| s.parse::<u128>().ok())
                        {
                            latencies.push(arrived.saturating_sub(published) as u64);
                        }
                    }
                }
                pending.drain(..=last_newline);
            }
            latencies
        }));
    }
    ready.wait().await;
    // Everyone is subscribed: fire.
    let mut fire = open(&authority, &format!("/fire?count={events}&gap_ms={gap_ms}"))
        .await
        .ok_or("the server did not answer /fire")?;
    while fire.frame().await.is_some() {}
    let started = now_nanos();
    let mut all = Vec::with_capacity(count * events);
    for reader in readers {
        all.extend(reader.await?);
    }
    let elapsed_s = (now_nanos() - started) as f64 / 1e9;
    let delivered = all.len() as f64;
    print_result(all, count * events, delivered / elapsed_s);
    Ok(())
}
