//! `cargo xtask chaos [--quick] [--debug]`: real Redis faults under running demo
//! instances, and what clients saw. One table (RELIABILITY.md holds a full run's).
//!
//! Each fault gets a bed of its own: a private `redis-server` (with a replica and a
//! `redis-sentinel` where a failover is the fault), two demo instances sharing it, a client
//! connected through the fault, and one that reconnects with its last id as soon as the
//! engine answers again. The fault is real: `FLUSHALL`, SIGKILL and a restart (empty, from
//! an older snapshot, with all the data), a Sentinel failover (to a replica that had
//! everything, or to one whose link was cut), a stall (`DEBUG SLEEP`), keys removed as an
//! eviction policy would. "Recovered in" is the time from the engine answering again to
//! the connected client's first event after the fault (its reset, or the next event).
//! A full run repeats each Redis fault three times and gives the range; `--quick` (what
//! `cargo xtask ci` runs, on a debug build) runs each once. The instances run with the
//! demo's defaults (`follow_wait` 1 s).

mod bed;
mod faults;
mod row;
mod watch;

use std::time::Duration;

use crate::flags::QuickDebug;
use faults::{Ctx, OtherFault, TopicFault};
use row::Row;

pub(crate) fn chaos(flags: QuickDebug) -> i32 {
    let QuickDebug { quick, debug } = flags;
    let root = std::env::current_dir().expect("a working directory");
    if !crate::services::ensure_prerequisites(&root) {
        return 2;
    }
    let Some(built) = crate::build::build_demo_and_checker(debug) else {
        return 2;
    };
    let dir = crate::build::target_dir().join("chaos");
    let _ = std::fs::remove_dir_all(&dir);
    let ctx = Ctx {
        binary: built.join("demo"),
        dir,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let runs = if quick { 1 } else { 3 };
    let started = std::time::Instant::now();
    let mut rows = Vec::new();
    for fault in TopicFault::ALL {
        let mut recovered = Vec::new();
        let mut last = None;
        for _ in 0..runs {
            eprintln!("xtask chaos: {fault:?}");
            let row = runtime.block_on(faults::topic_fault(&ctx, fault));
            recovered.extend(row.recovered);
            let failed = row.verdict.is_err();
            last = Some(row);
            if failed {
                break;
            }
        }
        let mut row = last.expect("ran once");
        row.recovered = None;
        rows.push((row, recovered));
    }
    for fault in [
        OtherFault::OutageNewInstance,
        OtherFault::TimedOutPublish,
        OtherFault::EvictedOnceKeys(if quick { 3 } else { 10 }),
        OtherFault::MemoryRestart,
    ] {
        eprintln!("xtask chaos: {fault:?}");
        let row = runtime.block_on(faults::other_fault(&ctx, fault));
        let recovered = row.recovered.into_iter().collect();
        rows.push((row, recovered));
    }
    print_table(&rows, runs, started.elapsed());
    i32::from(rows.iter().any(|(row, _)| row.verdict.is_err()))
}

fn print_table(rows: &[(Row, Vec<Duration>)], runs: usize, took: Duration) {
    println!(
        "\n{} faults, {} run(s) of each Redis fault, {:.0} s\n",
        rows.len(),
        runs,
        took.as_secs_f64()
    );
    println!("| fault | a connected client saw | a client reconnecting with its last id saw | recovered in | 503s | verdict |");
    println!("|---|---|---|---:|---:|---|");
    for (row, recovered) in rows {
        let seconds = |time: &Duration| format!("{:.2}", time.as_secs_f64());
        let recovered = match (recovered.iter().min(), recovered.iter().max()) {
            (Some(low), Some(high)) if seconds(low) == seconds(high) => {
                format!("{} s", seconds(low))
            }
            (Some(low), Some(high)) => format!("{}–{} s", seconds(low), seconds(high)),
            _ => "—".into(),
        };
        let verdict = match &row.verdict {
            Ok(note) => format!("ok: {note}"),
            Err(why) => format!("**FAIL**: {why}"),
        };
        println!(
            "| {} | {} | {} | {recovered} | {} | {} |",
            row.fault,
            row.connected.replace('|', "\\|"),
            row.reconnecting.replace('|', "\\|"),
            row.refused,
            verdict.replace('|', "\\|")
        );
    }
}
