//! What the benches share: how many subscribers and runs, the fan-out programs' results,
//! medians, and the bench servers (which say `listening on http://IP:PORT` first). Below
//! `bench.rs` and `bench_cluster.rs`, which both build on it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::{spawn_listening, Server};

/// Subscriber counts for fan-out.
pub(crate) const FANOUT_SIZES: [usize; 2] = [1_000, 10_000];
pub(crate) const FANOUT_RUNS: usize = 3;

/// `FANOUT_RUNS` loopback runs of `fanout_clients` against `bases` (comma-separated):
/// each run's latency fields (20 events 250 ms apart) and burst deliveries/s (100 back to
/// back).
pub(crate) fn loopback_runs(
    example: &dyn Fn(&str) -> PathBuf,
    bases: &str,
    size: usize,
) -> Option<(Vec<Vec<f64>>, Vec<f64>)> {
    let (mut latency, mut throughput) = (Vec::new(), Vec::new());
    for _ in 0..FANOUT_RUNS {
        let spaced = [
            bases.to_owned(),
            size.to_string(),
            "20".into(),
            "250".into(),
        ];
        let burst = [bases.to_owned(), size.to_string(), "100".into(), "0".into()];
        latency.push(fanout_result(&example("fanout_clients"), &spaced)?);
        throughput.push(fanout_result(&example("fanout_clients"), &burst)?[4]);
    }
    Some((latency, throughput))
}

/// Runs a fan-out program; its `result …` line as numbers, when every event arrived.
pub(crate) fn fanout_result(program: &Path, args: &[String]) -> Option<Vec<f64>> {
    let output = Command::new(program).args(args).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<f64> = text
        .strip_prefix("result ")
        .map(|rest| {
            rest.split_whitespace()
                .filter_map(|field| field.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    if fields.len() == 5 && fields[2] == fields[3] {
        return Some(fields);
    }
    eprintln!(
        "xtask bench: {} {args:?} failed: {text} {}",
        program.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    None
}

/// Starts a bench server with `args`: the server and its base URL.
pub(crate) fn start_server_with(binary: &Path, args: &[&str]) -> Option<(Server, String)> {
    let mut command = Command::new(binary);
    command.args(args);
    spawn_listening(command)
}

/// The median (the upper one of an even count).
pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
