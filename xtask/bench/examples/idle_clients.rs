//! Opens N idle SSE connections to URL and holds them: `idle_clients URL N HOLD_SECS`.
//! Prints `ready N` once every connection has its headers and first bytes, then, after
//! HOLD_SECS, `done HEARTBEATS` (comment frames received while holding).
//! Used by `cargo xtask bench` to measure server memory per idle connection.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use tokio::sync::{Barrier, Semaphore};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url: hyper::Uri = args
        .next()
        .ok_or("usage: idle_clients URL N HOLD_SECS")?
        .parse()?;
    let count: usize = args.next().ok_or("N")?.parse()?;
    let hold = Duration::from_secs(args.next().ok_or("HOLD_SECS")?.parse()?);
    let authority = url
        .authority()
        .ok_or("URL without host")?
        .as_str()
        .to_owned();
    let path = url.path_and_query().map_or("/", |p| p.as_str()).to_owned();

    let connecting = Arc::new(Semaphore::new(256)); // stay under the listen backlog
    let ready = Arc::new(Barrier::new(count + 1));
    let heartbeats = Arc::new(AtomicU64::new(0));
    let (stop_tx, _) = tokio::sync::broadcast::channel::<()>(1);
    for _ in 0..count {
        let (authority, path, connecting, ready, heartbeats) = (
            authority.clone(),
            path.clone(),
            connecting.clone(),
            ready.clone(),
            heartbeats.clone(),
        );
        let mut stop = stop_tx.subscribe();
        tokio::spawn(async move {
            let permit = connecting.acquire_owned().await;
            let opened = async {
                let stream = tokio::net::TcpStream::connect(authority.as_str())
                    .await
                    .ok()?;
                let (mut sender, connection) =
                    hyper::client::conn::http1::handshake(TokioIo::new(stream))
                        .await
                        .ok()?;
                tokio::spawn(connection);
                let request = hyper::Request::get(path.as_str())
                    .header("host", authority.as_str())
                    .header("accept", "text/event-stream")
                    .body(Empty::<Bytes>::new())
                    .ok()?;
                let mut body = sender.send_request(request).await.ok()?.into_body();
                body.frame().await?.ok()?; // the first bytes: the stream is open
                Some(body)
            }
            .await;
            drop(permit);
            ready.wait().await;
            let Some(mut body) = opened else { return };
            loop {
                tokio::select! {
                    frame = body.frame() => match frame {
                        Some(Ok(frame)) => {
                            // Heartbeats are comment frames; events are not counted.
                            if frame.data_ref().is_some_and(|data| data.starts_with(b":")) {
                                heartbeats.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        _ => return,
                    },
                    _ = stop.recv() => return,
                }
            }
        });
    }
    ready.wait().await;
    println!("ready {count}");
    heartbeats.store(0, Ordering::Relaxed);
    tokio::time::sleep(hold).await;
    println!("done {}", heartbeats.load(Ordering::Relaxed));
    let _ = stop_tx.send(());
    Ok(())
}
