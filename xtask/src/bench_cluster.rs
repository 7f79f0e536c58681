//! `cargo xtask bench cluster`: two hub instances on a private Redis, and two on a
//! private NATS JetStream, in one run beside the in-process `Hub` (the cost of going
//! through the engine) and beside what users hand-roll today, an axum `Sse` endpoint with
//! one Redis `SUBSCRIBE` per connection (`redis_subscribe_server`): latency, deliveries
//! per second, engine connections and server memory at 1k and 10k subscribers; publish
//! throughput into each engine (into Redis with and without waiting for a replica,
//! `WAIT`); and the server's memory while slow clients resume a long history (a
//! reconnect storm).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::measure::{
    fanout_result, loopback_runs, median, start_server_with, FANOUT_RUNS, FANOUT_SIZES,
};
use crate::process::Server;
use crate::services::{free_port, redis_command, start_nats, start_redis};

/// The engines of a run: a private Redis and a private NATS JetStream.
struct Engines {
    redis: String,
    redis_port: u16,
    nats: String,
    /// The NATS server's monitoring port (`/varz`).
    nats_monitor: u16,
}

/// Which engine a kind's connections are counted on.
#[derive(Clone, Copy)]
enum Counted {
    Nothing,
    Redis,
    Nats,
}

impl Engines {
    /// The clients connected to the engine now, the bench's own probe not counted.
    fn connections(&self, counted: Counted) -> Option<u64> {
        match counted {
            Counted::Nothing => Some(0),
            Counted::Redis => {
                connected_clients(self.redis_port).map(|count| count.saturating_sub(1))
            }
            Counted::Nats => nats_connections(self.nats_monitor),
        }
    }
}

/// Starts one instance of a kind: (the bench binaries, the engines, the subscribers).
type Start = fn(&dyn Fn(&str) -> PathBuf, &Engines, usize) -> Option<(Server, String)>;

/// What one kind of server is, for the loopback runs.
struct Kind {
    name: &'static str,
    /// How many instances, and how each starts.
    instances: usize,
    start: Start,
    counted: Counted,
}

const KINDS: [Kind; 4] = [
    Kind {
        name: "sse-layer `Hub`, 1 instance, in memory",
        instances: 1,
        start: |example, _engines, _size| start_server_with(&example("fanout_hub_server"), &[]),
        counted: Counted::Nothing,
    },
    Kind {
        name: "sse-layer `Hub` on Redis, 2 instances",
        instances: 2,
        start: |example, engines, size| {
            let name = format!("bench-cluster-{size}");
            start_server_with(&example("cluster_hub_server"), &[&engines.redis, &name])
        },
        counted: Counted::Redis,
    },
    Kind {
        name: "sse-layer `Hub` on NATS JetStream, 2 instances",
        instances: 2,
        start: |example, engines, size| {
            let name = format!("bench-cluster-{size}");
            start_server_with(&example("cluster_hub_server"), &[&engines.nats, &name])
        },
        counted: Counted::Nats,
    },
    Kind {
        name: "axum 0.8.9 `Sse` + a Redis SUBSCRIBE per client, 2 instances",
        instances: 2,
        start: |example, engines, _size| {
            start_server_with(&example("redis_subscribe_server"), &[&engines.redis])
        },
        counted: Counted::Redis,
    },
];

pub(crate) fn cluster(example: &dyn Fn(&str) -> PathBuf) -> bool {
    let run_dir = example("")
        .parent()
        .map_or_else(|| PathBuf::from("target"), Path::to_path_buf)
        .join("bench-redis");
    let _ = std::fs::create_dir_all(&run_dir);
    // Room for the peer's connection per client (Redis lowers it to the file limit).
    let (_redis, port) = match start_redis(&run_dir, &["--maxclients", "20000"]) {
        Ok(redis) => redis,
        Err(error) => {
            eprintln!("xtask bench cluster: {error}");
            return false;
        }
    };
    let nats_monitor = free_port();
    let (_nats, nats_port) = match start_nats(&run_dir, Some(nats_monitor)) {
        Ok(nats) => nats,
        Err(error) => {
            eprintln!("xtask bench cluster: {error}");
            return false;
        }
    };
    let engines = Engines {
        redis: format!("redis://127.0.0.1:{port}/"),
        redis_port: port,
        nats: format!("nats://127.0.0.1:{nats_port}"),
        nats_monitor,
    };
    in_process(example, &engines)
        && over_loopback(example, &engines)
        && publish_throughput(example, &engines, &run_dir)
        && resume_storm(example, &engines.redis)
}

fn wait_until(patience: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + patience;
    while !done() {
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// Publish to hand-off, without sockets: `fanout_inprocess hub|shared`.
fn in_process(example: &dyn Fn(&str) -> PathBuf, engines: &Engines) -> bool {
    println!("\ncluster, in process: 100 events 20 ms apart, publish to hand-off, median of {FANOUT_RUNS} runs");
    println!("| subscribers | hub | p50 | p99 |\n|---|---|---|---|");
    for size in FANOUT_SIZES {
        let mut medians = Vec::new();
        for (name, kind, engine) in [
            ("`Hub`, in memory", "hub", ""),
            (
                "`Hub` ×2 on Redis (half the subscribers on each)",
                "shared",
                engines.redis.as_str(),
            ),
            (
                "`Hub` ×2 on NATS JetStream (half the subscribers on each)",
                "shared",
                engines.nats.as_str(),
            ),
        ] {
            let mut runs = Vec::new();
            for _ in 0..FANOUT_RUNS {
                let args = [kind.to_owned(), size.to_string(), "100".into(), "20".into()];
                std::env::set_var("SSE_BENCH_ENGINE_URL", engine);
                match fanout_result(&example("fanout_inprocess"), &args) {
                    Some(fields) => runs.push(fields),
                    None => return false,
                }
            }
            let column = |index: usize| median(runs.iter().map(|fields| fields[index]).collect());
            println!(
                "| {size} | {name} | {:.2} ms | {:.2} ms |",
                column(0) / 1e3,
                column(1) / 1e3
            );
            medians.push((column(0), column(1)));
        }
        let (hub50, hub99) = medians[0];
        for (engine, (shared50, shared99)) in ["Redis", "NATS"].into_iter().zip(&medians[1..]) {
            println!(
                "| {size} | on {engine} − / ÷ in memory | {:+.2} ms | {:.2}× |",
                (shared50 - hub50) / 1e3,
                shared99 / hub99
            );
        }
    }
    true
}

/// Clients over loopback against each kind, servers started fresh for each size so that
/// their peak memory is that size's.
fn over_loopback(example: &dyn Fn(&str) -> PathBuf, engines: &Engines) -> bool {
    println!("\ncluster, over loopback: latency with 20 events 250 ms apart, deliveries/s with 100 back to back; median of {FANOUT_RUNS} runs; engine connections and server memory (peak RSS, all instances) during the runs");
    println!("| subscribers | server | p50 | p99 | deliveries/s | engine connections | server memory |\n|---|---|---|---|---|---|---|");
    for size in FANOUT_SIZES {
        for kind in &KINDS {
            let mut servers = Vec::new();
            for _ in 0..kind.instances {
                match (kind.start)(example, engines, size) {
                    Some(server) => servers.push(server),
                    None => {
                        eprintln!("xtask bench cluster: {} did not start", kind.name);
                        return false;
                    }
                }
            }
            let bases: Vec<&str> = servers.iter().map(|(_, base)| base.as_str()).collect();
            let bases = bases.join(",");
            let connections = Arc::new(AtomicU64::new(0));
            let sampling = Arc::new(AtomicBool::new(true));
            let runs = std::thread::scope(|scope| {
                scope.spawn(|| {
                    while sampling.load(Ordering::Relaxed) {
                        if let Some(count) = engines.connections(kind.counted) {
                            connections.fetch_max(count, Ordering::Relaxed);
                        }
                        std::thread::sleep(Duration::from_millis(200));
                    }
                });
                let runs = loopback_runs(example, &bases, size);
                sampling.store(false, Ordering::Relaxed);
                runs
            });
            let Some((latency, throughput)) = runs else {
                return false;
            };
            let memory: f64 = servers
                .iter()
                .filter_map(|(server, _)| crate::proc::peak_rss_bytes(server.0.id()))
                .sum();
            let column =
                |index: usize| median(latency.iter().map(|fields| fields[index]).collect());
            println!(
                "| {size} | {} | {:.1} ms | {:.1} ms | {:.2} M | {} | {:.0} MiB |",
                kind.name,
                column(0) / 1e3,
                column(1) / 1e3,
                median(throughput) / 1e6,
                connections.load(Ordering::Relaxed),
                memory / (1024.0 * 1024.0)
            );
        }
    }
    true
}

/// Publishes per second into Redis alone, then with a replica attached (which costs
/// the primary the replication stream), then waiting for the replica (`WAIT`); and into
/// NATS JetStream, one server.
fn publish_throughput(
    example: &dyn Fn(&str) -> PathBuf,
    engines: &Engines,
    run_dir: &Path,
) -> bool {
    println!(
        "\npublish into the engine, one `Hub` (64-byte events), median of {FANOUT_RUNS} runs; \
         with `WAIT`, each append is acknowledged once the replica holds it"
    );
    println!(
        "| publishers | engine | durability | events/s | per publish |\n|---|---|---|---|---|"
    );
    let mut replica = None;
    for (events, concurrency, replicas, attached, nats) in [
        (200_000usize, 256usize, 0usize, false, false),
        (20_000, 1, 0, false, false),
        (200_000, 256, 0, true, false),
        (200_000, 256, 1, true, false),
        (20_000, 1, 0, true, false),
        (20_000, 1, 1, true, false),
        (50_000, 256, 0, false, true),
        (10_000, 1, 0, false, true),
    ] {
        if attached && replica.is_none() {
            match start_replica(run_dir, engines.redis_port) {
                Ok(started) => replica = Some(started),
                Err(error) => {
                    eprintln!("xtask bench cluster: {error}");
                    return false;
                }
            }
        }
        let mut rates = Vec::new();
        for _ in 0..FANOUT_RUNS {
            let output = Command::new(example("cluster_publish"))
                .args([
                    if nats { &engines.nats } else { &engines.redis },
                    &events.to_string(),
                    &concurrency.to_string(),
                    &replicas.to_string(),
                ])
                .output();
            let rate = output.ok().and_then(|output| {
                String::from_utf8_lossy(&output.stdout)
                    .trim()
                    .strip_prefix("result ")
                    .and_then(|rate| rate.parse::<f64>().ok())
            });
            match rate {
                Some(rate) => rates.push(rate),
                None => {
                    eprintln!("xtask bench cluster: cluster_publish failed");
                    return false;
                }
            }
        }
        let label = if concurrency == 1 {
            "1, each awaiting its answer".to_owned()
        } else {
            format!("{concurrency} at once (batched by the writer)")
        };
        let durability = match (nats, replicas) {
            (true, _) => "acknowledged by the server (file storage, one replica)",
            (false, 0) => "acknowledged by the primary",
            (false, _) => "`wait_for_replicas(1)`: `WAIT 1` after each append",
        };
        let setup = match (nats, attached) {
            (true, _) => "NATS JetStream, one server",
            (false, true) => "Redis primary + 1 replica",
            (false, false) => "Redis primary alone",
        };
        let rate = median(rates);
        println!(
            "| {label} | {setup} | {durability} | {:.1} k | {:.0} µs |",
            rate / 1e3,
            concurrency as f64 / rate * 1e6
        );
    }
    drop(replica);
    true
}

/// A replica of the Redis on `port`, once it is synchronised.
fn start_replica(run_dir: &Path, port: u16) -> Result<Server, String> {
    let dir = run_dir.join("replica");
    let _ = std::fs::create_dir_all(&dir);
    let (replica, replica_port) =
        start_redis(&dir, &["--replicaof", "127.0.0.1", &port.to_string()])?;
    let synced = wait_until(Duration::from_secs(10), || {
        redis_command(replica_port, "INFO replication")
            .is_some_and(|info| info.contains("master_link_status:up"))
    });
    if synced {
        Ok(replica)
    } else {
        Err("the replica never synchronised".into())
    }
}

/// History resumed by slow clients: how much memory the server holds while 20 clients
/// that read slowly resume the same 20 MB (2,000 events of 10 KB), read from Redis since
/// the instance's window holds only the last 1 MiB.
fn resume_storm(example: &dyn Fn(&str) -> PathBuf, redis: &str) -> bool {
    const CLIENTS: usize = 20;
    const EVENTS: usize = 2000;
    const BYTES: usize = 10_000;
    let Some((server, base)) =
        start_server_with(&example("cluster_hub_server"), &[redis, "bench-resume"])
    else {
        eprintln!("xtask bench cluster: cluster_hub_server did not start");
        return false;
    };
    let pid = server.0.id();
    let addr = base.trim_start_matches("http://").to_owned();
    let first = match http_get(&addr, &format!("/fill?count={EVENTS}&bytes={BYTES}")) {
        Some(first) if !first.is_empty() => first,
        _ => {
            eprintln!("xtask bench cluster: /fill failed");
            return false;
        }
    };
    std::thread::sleep(Duration::from_secs(2));
    let before = crate::proc::rss_bytes(pid).unwrap_or(0.0);
    let peak = Arc::new(AtomicU64::new(before as u64));
    let reading = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, reading) = (peak.clone(), reading.clone());
        std::thread::spawn(move || {
            while reading.load(Ordering::Relaxed) {
                if let Some(rss) = crate::proc::rss_bytes(pid) {
                    peak.fetch_max(rss as u64, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    // Each client reads 4 KiB every 20 ms (200 KiB/s) for 10 s: a fifth of the history.
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (addr, first) = (addr.clone(), first.clone());
            std::thread::spawn(move || slow_reader(&addr, &first, Duration::from_secs(10)))
        })
        .collect();
    let received: Vec<usize> = clients
        .into_iter()
        .map(|client| client.join().unwrap_or(0))
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    reading.store(false, Ordering::Relaxed);
    let _ = sampler.join();
    let after = crate::proc::rss_bytes(pid).unwrap_or(0.0);
    let mib = |bytes: f64| bytes / (1024.0 * 1024.0);
    println!(
        "\nresume storm: {CLIENTS} slow clients (4 KiB read every 20 ms, 4 KiB receive buffer) \
         resume the same {} MB of history ({EVENTS} events of {} KB) on one instance, 10 s",
        EVENTS * BYTES / 1_000_000,
        BYTES / 1000
    );
    println!("| server memory before | peak | after they left | history read per client (median) |\n|---|---|---|---|");
    println!(
        "| {:.1} MiB | {:.1} MiB | {:.1} MiB | {:.1} MB |",
        mib(before),
        mib(peak.load(Ordering::Relaxed) as f64),
        mib(after),
        median(received.iter().map(|&bytes| bytes as f64).collect()) / 1e6
    );
    drop(server);
    true
}

/// A plain HTTP/1.0 GET (so the body is not chunked); the body.
fn http_body(addr: &str, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: bench\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer.split_once("\r\n\r\n")?.1.to_owned())
}

/// A GET whose answer holds an id: that id.
fn http_get(addr: &str, path: &str) -> Option<String> {
    let body = http_body(addr, path)?;
    // Chunked or not: the id is the one line of letters, digits and a dash.
    body.lines()
        .map(str::trim)
        .find(|line| {
            line.contains('-') && line.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map(str::to_owned)
}

/// Resumes after `id` and reads slowly for `duration`; the bytes read.
fn slow_reader(addr: &str, id: &str, duration: Duration) -> usize {
    use std::io::{Read, Write};
    let Ok(socket) = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
    else {
        return 0;
    };
    let _ = socket.set_recv_buffer_size(4096);
    let Ok(target) = addr.parse::<std::net::SocketAddr>() else {
        return 0;
    };
    if socket.connect(&target.into()).is_err() {
        return 0;
    }
    let mut stream: std::net::TcpStream = socket.into();
    let request = format!(
        "GET /fanout HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\nLast-Event-ID: {id}\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return 0;
    }
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let deadline = std::time::Instant::now() + duration;
    let mut buf = [0u8; 4096];
    let mut read = 0;
    while std::time::Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => read += n,
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    read
}

/// The client connections of the NATS server whose monitoring port is `monitor`.
fn nats_connections(monitor: u16) -> Option<u64> {
    let varz = http_body(&format!("127.0.0.1:{monitor}"), "/varz")?;
    let varz: serde_json::Value = serde_json::from_str(&varz).ok()?;
    varz["connections"].as_u64()
}

fn connected_clients(port: u16) -> Option<u64> {
    let info = redis_command(port, "INFO clients")?;
    info.lines()
        .find_map(|line| line.strip_prefix("connected_clients:"))
        .and_then(|count| count.trim().parse().ok())
}
