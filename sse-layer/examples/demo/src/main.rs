//! The sse-layer demo server: a ticker, an LLM-style chat stream, the echo contract and a
//! benchmark endpoint, served over HTTP/1.1 and h2c on one port.
//!
//! `cargo run --release -p sse-demo -- --addr 127.0.0.1:0 [--heartbeat-ms N] [--cors-origin ORIGIN]`
//! `[--redis redis://HOST:PORT | redis+sentinel://HOST:PORT[,HOST:PORT…]/SERVICE]` (built
//! with `--features redis`: several instances share the hubs through that Redis, or the
//! primary the Sentinels name) or `[--nats nats://HOST:PORT]` (built with
//! `--features nats`: through that NATS JetStream).

use std::time::Duration;

use clap::Parser;
use sse_demo::{app, hubs};
use sse_layer::lifecycle::Shutdown;
use sse_layer::{SseCors, SseLayer};

/// How long streams get to say goodbye once shutdown starts.
const GRACE: Duration = Duration::from_secs(5);

#[derive(Parser)]
#[command(about = "sse-layer demo server")]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// Idle time before a heartbeat comment, in milliseconds (0: no heartbeat).
    #[arg(long, default_value_t = 15_000)]
    heartbeat_ms: u64,
    /// An origin allowed to read the streams with credentials (`*`: any, without).
    #[arg(long)]
    cors_origin: Option<String>,
    /// Share the hubs with every instance on this Redis (`redis://HOST:PORT`, or
    /// `redis+sentinel://HOST:PORT[,HOST:PORT…]/SERVICE` to follow failovers): fan-out and
    /// resume across instances. Needs the `redis` feature.
    #[arg(long, conflicts_with = "nats")]
    redis: Option<String>,
    /// Share the hubs with every instance on this NATS JetStream (`nats://HOST:PORT`), as
    /// `--redis` does. Needs the `nats` feature.
    #[arg(long)]
    nats: Option<String>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let shutdown = Shutdown::new();
    let mut layer = SseLayer::new()
        .heartbeat(Duration::from_millis(args.heartbeat_ms))
        .retry(Duration::from_millis(1000))
        .shutdown(shutdown.clone(), GRACE)
        .max_streams(20_000, Duration::from_secs(5));
    if let Some(origin) = &args.cors_origin {
        let cors = if origin == "*" {
            SseCors::any_origin()
        } else {
            match SseCors::allow_origins([origin]) {
                Ok(cors) => cors.allow_credentials(),
                Err(error) => {
                    eprintln!("error: --cors-origin: {error}");
                    std::process::exit(2);
                }
            }
        };
        layer = layer.cors(cors);
    }
    let hubs = match (&args.redis, &args.nats) {
        (Some(url), _) => redis_hubs(url).await,
        (None, Some(url)) => nats_hubs(url),
        (None, None) => hubs::Hubs::memory(),
    };
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("error: cannot listen on {}: {error}", args.addr);
            std::process::exit(2);
        }
    };
    let addr = listener
        .local_addr()
        .expect("a bound socket has an address");
    println!("listening on http://{addr}");
    let signal = shutdown.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("shutting down: every stream gets a final event");
            signal.trigger();
        }
    });
    app::serve_until(listener, layer, hubs, shutdown, GRACE).await;
}

#[cfg(feature = "redis")]
async fn redis_hubs(url: &str) -> hubs::Hubs {
    let hubs = hubs::Hubs::redis(url).unwrap_or_else(|error| {
        eprintln!("error: --redis: {error}");
        std::process::exit(2);
    });
    hubs::Hubs::warn_about_redis(url).await;
    hubs
}

#[cfg(not(feature = "redis"))]
async fn redis_hubs(_url: &str) -> hubs::Hubs {
    eprintln!(
        "error: --redis needs the redis feature: cargo build --release -p sse-layer --example demo --features redis"
    );
    std::process::exit(2);
}

#[cfg(feature = "nats")]
fn nats_hubs(url: &str) -> hubs::Hubs {
    hubs::Hubs::nats(url).unwrap_or_else(|error| {
        eprintln!("error: --nats: {error}");
        std::process::exit(2);
    })
}

#[cfg(not(feature = "nats"))]
fn nats_hubs(_url: &str) -> hubs::Hubs {
    eprintln!(
        "error: --nats needs the nats feature: cargo build --release -p sse-layer --example demo --features nats"
    );
    std::process::exit(2);
}
