//! `cargo xtask bench`: the criterion benchmarks (parse, encode), then events/s on the
//! wire: the demo's `GET /bench` against the same endpoint on axum's `Sse`, one client
//! over loopback, runs alternated, medians and the ratio printed.

use std::process::Command;

use crate::{cargo, run, start_demo};

/// Events per wire run, and runs per server (alternated, so drift hits both alike).
const WIRE_EVENTS: u64 = 1_000_000;
const WIRE_RUNS: usize = 5;

pub(crate) fn bench() -> i32 {
    if !run(&cargo(), &["bench", "-p", "sse-bench"]) {
        return 1;
    }
    if !run(
        &cargo(),
        &[
            "build",
            "--release",
            "-p",
            "sse-layer",
            "--example",
            "demo",
            "-p",
            "sse-bench",
            "--examples",
        ],
    ) {
        return 1;
    }
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let example =
        |name: &str| std::path::PathBuf::from(format!("{target}/release/examples/{name}"));
    let Some((_demo, demo)) = start_demo(&example("demo"), "127.0.0.1:0", "http://localhost:5173")
    else {
        return 1;
    };
    let Some((_axum, axum)) = start_server(&example("axum_bench_server")) else {
        return 1;
    };
    let mut rates: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..WIRE_RUNS {
        for (rates, base) in rates.iter_mut().zip([&demo, &axum]) {
            match wire_run(&example("wire_client"), base) {
                Some(rate) => rates.push(rate),
                None => return 1,
            }
        }
    }
    let [ours, theirs] = rates.map(median);
    println!("\non the wire: {WIRE_EVENTS} events of 64 B data (id + event name), one HTTP/1.1 client over loopback, median of {WIRE_RUNS}");
    println!("| server | events/s |\n|---|---|");
    println!("| sse-layer demo `/bench` | {:.2} M |", ours / 1e6);
    println!("| axum 0.8.9 `Sse` `/bench` | {:.2} M |", theirs / 1e6);
    println!("ratio: {:.2}x", ours / theirs);
    eprintln!("xtask bench: done (parse, encode, wire); idle-memory and fan-out benchmarks are still to come (issue 5)");
    0
}

fn start_server(binary: &std::path::Path) -> Option<(crate::Server, String)> {
    use std::io::BufRead;
    let mut child = crate::Server(
        Command::new(binary)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .ok()?,
    );
    let mut line = String::new();
    std::io::BufReader::new(child.0.stdout.take()?)
        .read_line(&mut line)
        .ok()?;
    let base = line.trim().strip_prefix("listening on ")?.to_owned();
    Some((child, base))
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

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
