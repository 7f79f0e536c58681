//! Reads `URL` to the end as fast as it can over one HTTP/1.1 connection and prints
//! `events bytes seconds` (events counted by sse-conformance's zero-copy parser).
//! Used by `cargo xtask bench` for the on-the-wire comparison.

use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use sse_conformance::parser::{ItemRef, Parser};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url: hyper::Uri = std::env::args()
        .nth(1)
        .ok_or("usage: wire_client URL")?
        .parse()?;
    let authority = url.authority().ok_or("URL without host")?.clone();
    let stream = tokio::net::TcpStream::connect(authority.as_str()).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = hyper::Request::get(url.path_and_query().map_or("/", |p| p.as_str()))
        .header("host", authority.as_str())
        .header("accept", "text/event-stream")
        .body(Empty::<Bytes>::new())?;
    let started = Instant::now();
    let mut body = sender.send_request(request).await?.into_body();
    let mut parser = Parser::new();
    let (mut events, mut bytes) = (0u64, 0u64);
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            bytes += data.len() as u64;
            parser.feed_borrowed(&data, |item| {
                events += u64::from(matches!(item, ItemRef::Event(_)))
            })?;
        }
    }
    println!("{events} {bytes} {:.6}", started.elapsed().as_secs_f64());
    Ok(())
}
