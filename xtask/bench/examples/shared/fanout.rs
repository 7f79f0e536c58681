//! What the fan-out programs share: the clock events carry, and the `result` line
//! `cargo xtask bench` reads.

/// Nanoseconds since the Unix epoch: the publish time an event carries, comparable across
/// processes on one machine.
#[allow(dead_code)] // not every program that includes this file needs it
pub fn now_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos())
}

/// Prints `result P50_US P99_US DELIVERED EXPECTED EXTRA` from latencies in ns.
#[allow(dead_code)]
pub fn print_result(mut latencies: Vec<u64>, expected: usize, extra: f64) {
    latencies.sort_unstable();
    let percentile = |p: f64| {
        let index = ((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1));
        latencies.get(index).copied().unwrap_or(0) as f64 / 1e3
    };
    println!(
        "result {:.0} {:.0} {} {expected} {extra:.0}",
        percentile(0.50),
        percentile(0.99),
        latencies.len()
    );
}

/// The `count` and `gap_ms` of a `/fire` query (0 when absent or not a number).
#[allow(dead_code)]
pub fn fire_params(query: &str) -> (u64, u64) {
    let number = |name: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == name)
            .and_then(|(_, value)| value.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (number("count"), number("gap_ms"))
}
