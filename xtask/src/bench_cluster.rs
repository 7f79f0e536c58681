//! `cargo xtask bench cluster`: two `SharedHub` instances through a private Redis, in one
//! run beside the in-process `Hub` (the cost of going through Redis) and beside what users
//! hand-roll today, an axum `Sse` endpoint with one Redis `SUBSCRIBE` per connection
//! (`redis_subscribe_server`): latency, deliveries per second, Redis connections and
//! server memory at 1k and 10k subscribers; then publish throughput into Redis.

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
        name: "sse-layer `SharedHub`, 2 instances via Redis",
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
        && publish_throughput(example, &redis)
}

/// Publish to hand-off, without sockets: `fanout_inprocess hub|shared`.
fn in_process(example: &dyn Fn(&str) -> PathBuf, redis: &str) -> bool {
    println!("\ncluster, in process: 100 events 20 ms apart, publish to hand-off, median of {FANOUT_RUNS} runs");
    println!("| subscribers | hub | p50 | p99 |\n|---|---|---|---|");
    for size in FANOUT_SIZES {
        let mut medians = Vec::new();
        for (name, kind) in [
            ("`Hub`, in memory", "hub"),
            (
                "`SharedHub` ×2 via Redis (half the subscribers on each)",
                "shared",
            ),
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
            "| {size} | shared − / ÷ in memory | +{:.2} ms | {:.2}× |",
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

fn publish_throughput(example: &dyn Fn(&str) -> PathBuf, redis: &str) -> bool {
    println!(
        "\npublish into Redis, one `SharedHub` (64-byte events), median of {FANOUT_RUNS} runs"
    );
    println!("| publishers | events/s |\n|---|---|");
    for (events, concurrency) in [(200_000usize, 256usize), (20_000, 1)] {
        let mut rates = Vec::new();
        for _ in 0..FANOUT_RUNS {
            let output = Command::new(example("cluster_publish"))
                .args([redis, &events.to_string(), &concurrency.to_string()])
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
        println!("| {label} | {:.0} k |", median(rates) / 1e3);
    }
    true
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
