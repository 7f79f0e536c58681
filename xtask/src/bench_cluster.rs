//! `cargo xtask bench cluster`: two hub instances on a private Redis, in one
//! run beside the in-process `Hub` (the cost of going through Redis) and beside what users
//! hand-roll today, an axum `Sse` endpoint with one Redis `SUBSCRIBE` per connection
//! (`redis_subscribe_server`): latency, deliveries per second, Redis connections and
//! server memory at 1k and 10k subscribers; publish throughput into Redis, with and
//! without waiting for a replica (`WAIT`); and the server's memory while slow clients
//! resume a long history (a reconnect storm).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::bench::{
    fanout_result, loopback_runs, median, start_server_with, FANOUT_RUNS, FANOUT_SIZES,
};
use crate::cluster::{redis_command, start_redis};
use crate::Server;

/// Starts one instance of a kind: (the bench binaries, the Redis URL, the subscribers).
type Start = fn(&dyn Fn(&str) -> PathBuf, &str, usize) -> Option<(Server, String)>;

/// What one kind of server is, for the loopback runs.
struct Kind {
    name: &'static str,
    /// How many instances, and how each starts.
    instances: usize,
    start: Start,
}

const KINDS: [Kind; 3] = [
    Kind {
        name: "sse-layer `Hub`, 1 instance, in memory",
        instances: 1,
        start: |example, _redis, _size| start_server_with(&example("fanout_hub_server"), &[]),
    },
    Kind {
        name: "sse-layer `Hub` on Redis, 2 instances",
        instances: 2,
        start: |example, redis, size| {
            let name = format!("bench-cluster-{size}");
            start_server_with(&example("cluster_hub_server"), &[redis, &name])
        },
    },
    Kind {
        name: "axum 0.8.9 `Sse` + a Redis SUBSCRIBE per client, 2 instances",
        instances: 2,
        start: |example, redis, _size| {
            start_server_with(&example("redis_subscribe_server"), &[redis])
        },
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
    let redis = format!("redis://127.0.0.1:{port}/");
    in_process(example, &redis)
        && over_loopback(example, &redis, port)
        && publish_throughput(example, &redis, &run_dir, port)
        && resume_storm(example, &redis)
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
fn in_process(example: &dyn Fn(&str) -> PathBuf, redis: &str) -> bool {
    println!("\ncluster, in process: 100 events 20 ms apart, publish to hand-off, median of {FANOUT_RUNS} runs");
    println!("| subscribers | hub | p50 | p99 |\n|---|---|---|---|");
    for size in FANOUT_SIZES {
        let mut medians = Vec::new();
        for (name, kind) in [
            ("`Hub`, in memory", "hub"),
            ("`Hub` ×2 on Redis (half the subscribers on each)", "shared"),
        ] {
            let mut runs = Vec::new();
            for _ in 0..FANOUT_RUNS {
                let args = [kind.to_owned(), size.to_string(), "100".into(), "20".into()];
                std::env::set_var("SSE_BENCH_REDIS_URL", redis);
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
        let ((hub50, hub99), (shared50, shared99)) = (medians[0], medians[1]);
        println!(
            "| {size} | shared − / ÷ in memory | {:+.2} ms | {:.2}× |",
            (shared50 - hub50) / 1e3,
            shared99 / hub99
        );
    }
    true
}

/// Clients over loopback against each kind, servers started fresh for each size so that
/// their peak memory is that size's.
fn over_loopback(example: &dyn Fn(&str) -> PathBuf, redis: &str, port: u16) -> bool {
    println!("\ncluster, over loopback: latency with 20 events 250 ms apart, deliveries/s with 100 back to back; median of {FANOUT_RUNS} runs; Redis connections and server memory (peak RSS, all instances) during the runs");
    println!("| subscribers | server | p50 | p99 | deliveries/s | Redis connections | server memory |\n|---|---|---|---|---|---|---|");
    for size in FANOUT_SIZES {
        for kind in &KINDS {
            let mut servers = Vec::new();
            for _ in 0..kind.instances {
                match (kind.start)(example, redis, size) {
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
            let sampler = {
                let (connections, sampling) = (connections.clone(), sampling.clone());
                std::thread::spawn(move || {
                    while sampling.load(Ordering::Relaxed) {
                        if let Some(count) = connected_clients(port) {
                            connections.fetch_max(count.saturating_sub(1), Ordering::Relaxed);
                        }
                        std::thread::sleep(Duration::from_millis(200));
                    }
                })
            };
            let runs = loopback_runs(example, &bases, size);
            sampling.store(false, Ordering::Relaxed);
            let _ = sampler.join();
            let Some((latency, throughput)) = runs else {
                return false;
            };
            let memory: u64 = servers
                .iter()
                .filter_map(|(server, _)| peak_rss_kib(server.0.id()))
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
                memory as f64 / 1024.0
            );
        }
    }
    true
}

/// Publishes per second into Redis alone, then with a replica attached (which costs
/// the primary the replication stream), then waiting for the replica (`WAIT`).
fn publish_throughput(
    example: &dyn Fn(&str) -> PathBuf,
    redis: &str,
    run_dir: &Path,
    port: u16,
) -> bool {
    println!(
        "\npublish into Redis, one `Hub` on Redis (64-byte events), median of {FANOUT_RUNS} runs; \
         with `WAIT`, each append is acknowledged once the replica holds it"
    );
    println!("| publishers | Redis | durability | events/s | per publish |\n|---|---|---|---|---|");
    let mut replica = None;
    for (events, concurrency, replicas, attached) in [
        (200_000usize, 256usize, 0usize, false),
        (20_000, 1, 0, false),
        (200_000, 256, 0, true),
        (200_000, 256, 1, true),
        (20_000, 1, 0, true),
        (20_000, 1, 1, true),
    ] {
        if attached && replica.is_none() {
            match start_replica(run_dir, port) {
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
                    redis,
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
        let durability = if replicas == 0 {
            "acknowledged by the primary"
        } else {
            "`wait_for_replicas(1)`: `WAIT 1` after each append"
        };
        let setup = if attached {
            "primary + 1 replica"
        } else {
            "primary alone"
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

/// A plain HTTP/1.1 GET; the body.
fn http_get(addr: &str, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let body = answer.split_once("\r\n\r\n")?.1;
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

fn connected_clients(port: u16) -> Option<u64> {
    let info = redis_command(port, "INFO clients")?;
    info.lines()
        .find_map(|line| line.strip_prefix("connected_clients:"))
        .and_then(|count| count.trim().parse().ok())
}

/// The process's peak resident memory (`VmHWM`), in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}
