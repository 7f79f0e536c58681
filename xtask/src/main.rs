//! The project's tasks, in the cargo-xtask pattern: `cargo xtask <task>`. This file only
//! dispatches; `flags.rs` parses the command line (`cargo xtask --help` lists it).
//!
//! - `demo [--debug] [--exit] [--addr A]`: start the demo server, run the full
//!   `sse-conformance check` against it (every check, echo included), print the report and
//!   keep the server up for a browser until Ctrl-C (`--exit`, or CI=true: stop after the
//!   report with the checker's exit code).
//! - `ci`: everything CI runs: fmt, clippy, all tests (the fuzz corpus replayed included),
//!   docs, the demo end to end, the cluster on Redis and on NATS, the quick soak and chaos runs, the
//!   frameworks' scoreboard, the clients' matrix, and interop.
//! - `bench [criterion|wire|idle|fanout|cluster]`: the benchmarks against the peers (see
//!   BENCHMARKS.md); a part's name runs only that part.
//! - `interop`: real browsers, Node and Python clients, and nginx, against the demo.
//! - `cluster [--nats] [--debug] [--exit]`: Redis (or NATS JetStream), two demo instances
//!   and an nginx balancer; the checker and the demo's contract through the balancer, one
//!   instance killed.
//! - `fuzz [TARGET] [--seconds N]`: libFuzzer on each fuzz target (`xtask/fuzz`), N seconds
//!   each (default 600); new coverage is kept in `fixtures/fuzz/`, which `ci` replays.
//! - `soak [--quick] [--debug]`: hostile clients against the demo and hostile servers
//!   against the checker, bounded; one table (RELIABILITY.md).
//! - `release`: what `cargo publish` and crates.io need, for both crates: license texts,
//!   metadata, the MSRV against the dependency tree, the packages' contents, `cargo
//!   publish --dry-run`, the docs as docs.rs builds them, `cargo install` of the checker,
//!   and the dependency policy (cargo-deny).
//! - `frameworks [--bless]`: the checker against real SSE frameworks (Node, Python, Rust),
//!   each written the way its docs show; every verdict against its snapshot under review
//!   in `xtask/frameworks/expected/` (`--bless` accepts changes), and the scoreboard,
//!   FRAMEWORKS.md.
//! - `clients`: the client harness against real SSE clients (Chromium, Node, Python,
//!   Rust), each used the way its docs show; the matrix, CLIENTS.md.
//! - `chaos [--quick] [--debug]`: real Redis faults (flush, SIGKILL and restarts, older
//!   snapshots, Sentinel failovers, stalls, evictions) under running demo instances; one
//!   table of what clients saw and how fast they were told (RELIABILITY.md).

mod bench;
mod bench_cluster;
mod build;
mod chaos;
mod ci;
mod clients;
mod cluster;
mod demo;
mod flags;
mod frameworks;
mod fuzz;
mod installs;
mod interop;
mod measure;
mod proc;
mod process;
mod release;
mod requests;
mod services;
mod soak;

use std::process::exit;

use clap::Parser;

use flags::{Cli, Task};

fn main() {
    let code = match Cli::parse().task {
        Task::Demo(flags) => demo::demo(&flags),
        Task::Ci => ci::ci(),
        Task::Bench { part } => bench::bench(part),
        Task::Interop => interop::interop(),
        Task::Cluster(flags) => cluster::cluster(&flags),
        Task::Fuzz(flags) => fuzz::fuzz(&flags),
        Task::Soak(flags) => soak::soak(flags),
        Task::Chaos(flags) => chaos::chaos(flags),
        Task::Release => release::release(),
        Task::Frameworks(flags) => frameworks::frameworks(flags),
        Task::Clients => clients::clients(),
    };
    exit(code);
}
