//! `cargo xtask bench`: the criterion benchmarks (parse, encode), then events/s on the
//! wire: the demo's `GET /bench` against the same endpoint on axum's `Sse`, one client
//! over loopback, runs alternated, medians and the ratio printed; idle connections; and
//! fan-out through the hub against axum's `Sse` over a broadcast channel; and the cluster
//! (`bench_cluster.rs`): two instances through Redis against the in-process hub and
//! against a Redis `SUBSCRIBE` per connection.

use std::process::Command;

use crate::build::target_dir;
use crate::demo::start_demo;
use crate::flags::BenchPart;
use crate::measure::{
    fanout_result, loopback_runs, median, start_server_with, FANOUT_RUNS, FANOUT_SIZES,
};
use crate::process::{cargo, run, Server};

/// Events per wire run, and runs per server (alternated, so drift hits both alike).
const WIRE_EVENTS: u64 = 1_000_000;
const WIRE_RUNS: usize = 5;

pub(crate) fn bench(only: Option<BenchPart>) -> i32 {
    let part = |name: BenchPart| only.is_none_or(|only| only == name);
    if part(BenchPart::Criterion) && !run(&cargo(), &["bench", "-p", "sse-bench"]) {
        return 1;
    }
    if !run(
        &cargo(),
        &[
            "build",
            "--release",
            "-p",
            "sse-demo",
            "--bin",
            "demo",
            "-p",
            "sse-bench",
            "--examples",
        ],
    ) {
        return 1;
    }
    let examples = target_dir().join("release/examples");
    let example = |name: &str| examples.join(name);
    let Some((_demo, demo)) = start_demo(
        &target_dir().join("release/demo"),
        "127.0.0.1:0",
        "http://localhost:5173",
        &[],
    ) else {
        return 1;
    };
    let Some((_axum, axum)) = start_server(&example("axum_bench_server")) else {
        return 1;
    };
    if part(BenchPart::Wire) && !wire(&example, &demo, &axum) {
        return 1;
    }

    // Idle connections: this machine allows 20,000 open files per process, so 10k.
    if part(BenchPart::Idle) {
        println!("\nidle: {IDLE_CONNECTIONS} idle SSE connections (one event, then heartbeats every 15 s), held {IDLE_HOLD_SECS} s");
        println!("| server | memory per connection | CPU per heartbeat | heartbeats seen |\n|---|---|---|---|");
        let idle_demo = format!("{demo}/events?interval_ms=3600000");
        let idle_axum = format!("{axum}/idle");
        for (name, server, url) in [
            ("sse-layer demo", &_demo, &idle_demo),
            ("axum 0.8.9 `Sse` + KeepAlive", &_axum, &idle_axum),
        ] {
            match idle_run(&example("idle_clients"), server.0.id(), url) {
                Some((bytes_per_connection, micros_per_heartbeat, heartbeats)) => println!(
                    "| {name} | {:.1} KiB | {micros_per_heartbeat:.1} µs | {heartbeats} |",
                    bytes_per_connection / 1024.0
                ),
                None => return 1,
            }
        }
    }
    drop((_demo, _axum));
    if part(BenchPart::Fanout) && !fanout(&example) {
        return 1;
    }
    if part(BenchPart::Cluster) && !crate::bench_cluster::cluster(&example) {
        return 1;
    }
    eprintln!("xtask bench: done (parse, encode, wire, idle, fan-out, cluster)");
    0
}

/// One event to many subscribers: the hub behind `SseLayer` against axum's `Sse` over a
/// `tokio::sync::broadcast` channel (the usual axum fan-out). First in process (the
/// fan-out's own cost: publish to the moment the body hands the bytes to the server),
/// then over loopback (publish to arrival at a client process on the same two cores).
fn fanout(example: &dyn Fn(&str) -> std::path::PathBuf) -> bool {
    let kinds = [
        ("sse-layer `Hub`", "hub"),
        ("axum 0.8.9 `Sse` + broadcast", "axum"),
    ];
    println!("\nfan-out in process: 100 events 20 ms apart, publish to hand-off, median of {FANOUT_RUNS} runs");
    println!("| subscribers | server | p50 | p99 | longest publish |\n|---|---|---|---|---|");
    for size in FANOUT_SIZES {
        for (name, kind) in kinds {
            let mut runs = Vec::new();
            for _ in 0..FANOUT_RUNS {
                let args = [kind.to_owned(), size.to_string(), "100".into(), "20".into()];
                match fanout_result(&example("fanout_inprocess"), &args) {
                    Some(fields) => runs.push(fields),
                    None => return false,
                }
            }
            let column = |index: usize| median(runs.iter().map(|fields| fields[index]).collect());
            println!(
                "| {size} | {name} | {:.2} ms | {:.2} ms | {:.2} ms |",
                column(0) / 1e3,
                column(1) / 1e3,
                column(4) / 1e3
            );
        }
    }

    let Some((_hub, hub)) = start_server(&example("fanout_hub_server")) else {
        return false;
    };
    let Some((_axum, axum)) = start_server(&example("axum_bench_server")) else {
        return false;
    };
    println!("\nfan-out over loopback: latency with 20 events 250 ms apart; throughput with 100 events back to back; median of {FANOUT_RUNS} runs");
    println!("| subscribers | server | p50 | p99 | deliveries/s (burst) |\n|---|---|---|---|---|");
    for size in FANOUT_SIZES {
        for ((name, _), base) in kinds.iter().zip([&hub, &axum]) {
            let Some((latency, throughput)) = loopback_runs(example, base, size) else {
                return false;
            };
            let column =
                |index: usize| median(latency.iter().map(|fields| fields[index]).collect());
            println!(
                "| {size} | {name} | {:.1} ms | {:.1} ms | {:.2} M |",
                column(0) / 1e3,
                column(1) / 1e3,
                median(throughput) / 1e6
            );
        }
    }
    true
}

/// Events/s on the wire: the demo's `/bench` against axum's, runs alternated.
fn wire(example: &dyn Fn(&str) -> std::path::PathBuf, demo: &str, axum: &str) -> bool {
    let mut rates: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..WIRE_RUNS {
        for (rates, base) in rates.iter_mut().zip([demo, axum]) {
            match wire_run(&example("wire_client"), base) {
                Some(rate) => rates.push(rate),
                None => return false,
            }
        }
    }
    let [ours, theirs] = rates.map(median);
    println!("\non the wire: {WIRE_EVENTS} events of 64 B data (id + event name), one HTTP/1.1 client over loopback, median of {WIRE_RUNS}");
    println!("| server | events/s |\n|---|---|");
    println!("| sse-layer demo `/bench` | {:.2} M |", ours / 1e6);
    println!("| axum 0.8.9 `Sse` `/bench` | {:.2} M |", theirs / 1e6);
    println!("ratio: {:.2}x", ours / theirs);
    true
}

const IDLE_CONNECTIONS: usize = 10_000;
/// Long enough for two heartbeat rounds (15 s apart) on every connection.
const IDLE_HOLD_SECS: u64 = 33;

/// Opens the idle connections, and measures the server: memory per connection, and CPU
/// per heartbeat while they are held.
fn idle_run(client: &std::path::Path, server_pid: u32, url: &str) -> Option<(f64, f64, f64)> {
    use std::io::BufRead;
    let before = crate::proc::rss_bytes(server_pid)?;
    let mut clients = Server(
        Command::new(client)
            .args([
                url,
                &IDLE_CONNECTIONS.to_string(),
                &IDLE_HOLD_SECS.to_string(),
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .ok()?,
    );
    let mut lines = std::io::BufReader::new(clients.0.stdout.take()?).lines();
    let ready = lines.next()?.ok()?;
    if ready != format!("ready {IDLE_CONNECTIONS}") {
        eprintln!("xtask bench: the idle clients said {ready:?}");
        return None;
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let with_connections = crate::proc::rss_bytes(server_pid)?;
    let cpu_before = crate::proc::cpu_seconds(server_pid)?;
    let done = lines.next()?.ok()?;
    let cpu_after = crate::proc::cpu_seconds(server_pid)?;
    let heartbeats: f64 = done.strip_prefix("done ")?.parse::<f64>().ok()?.max(1.0);
    let per_connection = (with_connections - before) / IDLE_CONNECTIONS as f64;
    let micros_per_heartbeat = (cpu_after - cpu_before) * 1e6 / heartbeats;
    Some((per_connection, micros_per_heartbeat, heartbeats))
}

fn start_server(binary: &std::path::Path) -> Option<(Server, String)> {
    start_server_with(binary, &[])
}

/// One run of the wire client: events per second, or `None` (and why) on failure.
fn wire_run(client: &std::path::Path, base: &str) -> Option<f64> {
    let output = Command::new(client)
        .arg(format!("{base}/bench?n={WIRE_EVENTS}&size=64"))
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<f64> = text
        .split_whitespace()
        .filter_map(|field| field.parse().ok())
        .collect();
    match fields.as_slice() {
        [events, _bytes, seconds] if *events as u64 == WIRE_EVENTS => Some(events / seconds),
        _ => {
            eprintln!(
                "xtask bench: the wire client failed against {base}: {text} {}",
                String::from_utf8_lossy(&output.stderr)
            );
            None
        }
    }
}
