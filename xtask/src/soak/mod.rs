//! `cargo xtask soak [--quick] [--debug]`: the hostile-client run, as a tool.
//!
//! On loopback only, bounded in count and time, it attacks the demo server (frozen
//! readers, slowloris heads, connect/disconnect churn, HTTP/2 rapid reset, HTTP/2 streams
//! with no flow-control window, file-descriptor exhaustion, huge bodies) while a normal
//! client watches a ticker on the same server, then points the checker at hostile servers
//! (an endless line, an endless event, a gzip bomb, a flood of tiny lines and of tiny
//! events, headers that never end, a redirect to another origin). It prints one table:
//! memory before/peak/after, CPU, open sockets, whether the normal client got every event
//! on time, panics, and the verdict. `--quick` (what `.ci/run` runs) uses smaller counts
//! and shorter holds; RELIABILITY.md holds the figures of a full run.

mod attacks;
mod case;
mod hostile;
mod measure;

use std::time::Duration;

use crate::flags::QuickDebug;
use case::{Binaries, Row, Scale};

pub(crate) fn soak(flags: QuickDebug) -> i32 {
    let QuickDebug { quick, debug } = flags;
    let Some(built) = crate::build::build_demo_and_checker(debug) else {
        return 2;
    };
    let binaries = Binaries {
        demo: built.join("demo"),
        checker: built.join("sse-conformance"),
        logs: crate::build::target_dir().join("soak"),
    };
    if let Err(error) = std::fs::create_dir_all(&binaries.logs) {
        eprintln!(
            "xtask soak: cannot create {}: {error}",
            binaries.logs.display()
        );
        return 2;
    }
    let scale = Scale::new(quick);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let started = std::time::Instant::now();
    let rows = runtime.block_on(async {
        let mut rows = attacks::run_all(&binaries, scale).await;
        rows.extend(hostile::run_all(&binaries, scale).await);
        rows
    });
    let profile = if debug { "debug" } else { "release" };
    print_table(&rows, profile, scale, started.elapsed());
    i32::from(rows.iter().any(|row| row.verdict.is_err()))
}

fn print_table(rows: &[Row], profile: &str, scale: Scale, took: Duration) {
    println!(
        "\nsoak ({}, {profile} build, {:.0} s):\n",
        scale.pick("full", "quick"),
        took.as_secs_f64()
    );
    println!("| attack | load | RSS before → peak → after (MiB) | CPU (s) | sockets | normal client | panics | verdict |");
    println!("|---|---|---|---:|---|---|---:|---|");
    for row in rows {
        let (before, peak, after) = row.memory;
        let verdict = match &row.verdict {
            Ok(note) => format!("ok: {note}"),
            Err(why) => format!("**FAIL**: {why}"),
        };
        println!(
            "| {} | {} | {before:.1} → {peak:.1} → {after:.1} | {:.2} | {} | {} | {} | {verdict} |",
            row.attack, row.load, row.cpu_seconds, row.sockets, row.normal_client, row.panics
        );
    }
}
