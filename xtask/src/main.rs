//! The project's tasks, in the cargo-xtask pattern: `cargo xtask <task>`.
//!
//! - `demo [--debug] [--exit] [--addr A]`: start the demo server, run the full
//!   `sse-conformance check` against it (every check, echo included), print the report and
//!   keep the server up for a browser until Ctrl-C (`--exit`, or CI=true: stop after the
//!   report with the checker's exit code).
//! - `ci`: everything CI runs: fmt, clippy, all tests (the fuzz corpus replayed included),
//!   docs, the demo end to end, the cluster on Redis and on NATS, the quick soak and chaos runs, the
//!   frameworks' scoreboard, the clients' matrix, and interop.
//! - `bench [criterion|wire|idle|fanout]`: the benchmarks against the peers (see BENCHMARKS.md); `fanout`
//!   runs only the fan-out comparison.
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
mod chaos;
mod clients;
mod cluster;
mod frameworks;
mod fuzz;
mod installs;
mod interop;
mod proc;
mod release;
mod requests;
mod soak;

use std::io::{BufRead, BufReader};
use std::process::{exit, Child, Command, Stdio};

/// Every feature the tests, the demo and the benches use: the shared engines, TLS, axum.
pub(crate) const ALL_FEATURES: &str = "sse-layer/redis,sse-layer/nats,sse-layer/tls,sse-layer/axum";

/// `cargo` arguments that build the demo server (with `--redis` and `--nats` support) and
/// the checker.
/// (`--bin` too: with `--example`, cargo would build only the checker's library.)
pub(crate) const BUILD_DEMO_AND_CHECKER: [&str; 11] = [
    "build",
    "-p",
    "sse-layer",
    "--example",
    "demo",
    "-p",
    "sse-conformance",
    "--bin",
    "sse-conformance",
    "--features",
    ALL_FEATURES,
];

/// The origin the demo allows and the checker pretends to be: a typical dev front end.
const FRONT_END_ORIGIN: &str = "http://localhost:5173";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("demo") => demo(&args[1..]),
        Some("ci") => ci(),
        Some("bench") => bench::bench(args.get(1).map(String::as_str)),
        Some("interop") => interop::interop(),
        Some("cluster") => cluster::cluster(&args[1..]),
        Some("fuzz") => fuzz::fuzz(&args[1..]),
        Some("soak") => soak::soak(&args[1..]),
        Some("chaos") => chaos::chaos(&args[1..]),
        Some("release") => release::release(&args[1..]),
        Some("frameworks") => frameworks::frameworks(&args[1..]),
        Some("clients") => clients::clients(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <demo [--debug] [--exit] [--addr ADDR] | ci | bench [criterion|wire|idle|fanout|cluster] | interop | cluster [--nats] [--debug] [--exit] | fuzz [TARGET] [--seconds N] | soak [--quick] [--debug] | chaos [--quick] [--debug] | release | frameworks [--bless] | clients>"
            );
            2
        }
    };
    exit(code);
}

/// Whether rustup has a nightly toolchain (for what needs nightly features: fuzzing,
/// docs as docs.rs builds them); without one, stable with `RUSTC_BOOTSTRAP=1` stands in.
pub(crate) fn nightly_installed() -> bool {
    Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Where cargo puts what it builds: `CARGO_TARGET_DIR`, or `target` in the workspace.
pub(crate) fn target_dir() -> std::path::PathBuf {
    std::env::var("CARGO_TARGET_DIR").map_or_else(
        |_| {
            std::env::current_dir()
                .expect("a working directory")
                .join("target")
        },
        std::path::PathBuf::from,
    )
}

/// Builds the demo (with Redis and NATS support) and the checker, in release unless `debug`; the
/// directory that holds them (`examples/demo`, `sse-conformance`), or `None` when the
/// build failed.
pub(crate) fn build_demo_and_checker(debug: bool) -> Option<std::path::PathBuf> {
    let mut build = BUILD_DEMO_AND_CHECKER.to_vec();
    if !debug {
        build.push("--release");
    }
    run(&cargo(), &build).then(|| target_dir().join(if debug { "debug" } else { "release" }))
}

/// The flags of `soak` and `chaos`: `--quick` and `--debug`, in any order; `None` (after
/// saying why) for anything else.
pub(crate) fn quick_and_debug(task: &str, args: &[String]) -> Option<(bool, bool)> {
    let (mut quick, mut debug) = (false, false);
    for arg in args {
        match arg.as_str() {
            "--quick" => quick = true,
            "--debug" => debug = true,
            other => {
                eprintln!("xtask {task}: unknown argument {other:?}");
                eprintln!("usage: cargo xtask {task} [--quick] [--debug]");
                return None;
            }
        }
    }
    Some((quick, debug))
}

/// Runs a command, echoing it; returns whether it succeeded.
pub(crate) fn run(program: &str, args: &[&str]) -> bool {
    eprintln!("$ {program} {}", args.join(" "));
    Command::new(program)
        .args(args)
        .status()
        .map(|status| status.success())
        .unwrap_or_else(|error| {
            eprintln!("xtask: cannot run {program}: {error}");
            false
        })
}

pub(crate) fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn ci() -> i32 {
    let cargo = cargo();
    // The Redis and NATS tests start their own redis-server, replicas, redis-sentinel and
    // nats-server: install
    // them first on a fresh machine (the setup script installs only what is missing).
    let root = std::env::current_dir().expect("a working directory");
    if !cluster::ensure_prerequisites(&root) {
        eprintln!(
            "xtask ci: redis-server, redis-sentinel, nats-server and nginx are needed (xtask/interop/setup.sh)"
        );
        return 2;
    }
    let steps: [&[&str]; 5] = [
        &["fmt", "--all", "--check"],
        // With every feature the tests use, then the plain build of sse-layer (no engine).
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--features",
            ALL_FEATURES,
            "--",
            "-D",
            "warnings",
        ],
        &[
            "clippy",
            "-p",
            "sse-layer",
            "--lib",
            "--examples",
            "--",
            "-D",
            "warnings",
        ],
        // The parser alone, as a library user who only parses gets it.
        &[
            "clippy",
            "-p",
            "sse-conformance",
            "--lib",
            "--no-default-features",
            "--",
            "-D",
            "warnings",
        ],
        // The Redis and NATS tests start their own servers (installed by .ci/run).
        &["test", "--workspace", "--features", ALL_FEATURES],
    ];
    for step in steps {
        if !run(&cargo, step) {
            eprintln!("xtask ci: `cargo {}` failed", step.join(" "));
            return 1;
        }
    }
    if !parser_alone_is_light(&cargo) {
        return 1;
    }
    // Ready to publish: licenses, metadata, MSRV, packages, docs as docs.rs builds them
    // (broken intra-doc links and bad rustdoc are errors), `cargo install`, cargo-deny.
    let code = release::release(&[]);
    if code != 0 {
        eprintln!("xtask ci: the release check failed");
        return code;
    }
    // The main job, end to end with the binaries the tests just built.
    let code = demo(&["--debug".into(), "--exit".into()]);
    if code != 0 {
        eprintln!("xtask ci: the demo check failed");
        return code;
    }
    // Two instances on one Redis behind nginx, then on one NATS JetStream: the checker
    // and the contract through the balancer, and a failover.
    for engine in [None, Some("--nats")] {
        let mut args = vec!["--debug".to_owned(), "--exit".to_owned()];
        args.extend(engine.map(str::to_owned));
        let code = cluster::cluster(&args);
        if code != 0 {
            eprintln!(
                "xtask ci: the cluster check ({}) failed",
                engine.unwrap_or("--redis")
            );
            return code;
        }
    }
    // Hostile peers, condensed: every attack of `cargo xtask soak`, smaller and shorter.
    let code = soak::soak(&["--quick".into(), "--debug".into()]);
    if code != 0 {
        eprintln!("xtask ci: the soak failed");
        return code;
    }
    // Redis failing for real under running instances, each fault once.
    let code = chaos::chaos(&["--quick".into(), "--debug".into()]);
    if code != 0 {
        eprintln!("xtask ci: the chaos run failed");
        return code;
    }
    // The checker in the field: real frameworks in Node, Python and Rust, each verdict
    // against its snapshot under review (installs the stacks first if they are missing).
    let code = frameworks::frameworks(&[]);
    if code != 0 {
        eprintln!("xtask ci: a framework's verdicts changed, or could not be checked");
        return code;
    }
    // The client harness against real clients (installs them first if they are missing).
    let code = clients::clients(&[]);
    if code != 0 {
        eprintln!("xtask ci: the clients' matrix could not be made");
        return code;
    }
    // Real clients and a real proxy (installs them first if they are missing).
    let code = interop::interop();
    if code != 0 {
        eprintln!("xtask ci: interop failed");
        return code;
    }
    eprintln!("xtask ci: all green");
    0
}

/// `sse-conformance` without its default features must not pull in the checker's
/// runtime: a program that only parses gets the parser and the transcript model.
fn parser_alone_is_light(cargo: &str) -> bool {
    let args = [
        "tree",
        "-p",
        "sse-conformance",
        "--no-default-features",
        "-e",
        "normal",
        "--prefix",
        "none",
    ];
    eprintln!("$ cargo {}", args.join(" "));
    let Ok(output) = Command::new(cargo).args(args).output() else {
        eprintln!("xtask ci: cannot run cargo tree");
        return false;
    };
    let tree = String::from_utf8_lossy(&output.stdout);
    let heavy: Vec<&str> = ["tokio ", "hyper ", "rustls ", "clap ", "proptest "]
        .into_iter()
        .filter(|name| tree.lines().any(|line| line.starts_with(name)))
        .collect();
    if !output.status.success() || !heavy.is_empty() {
        eprintln!("xtask ci: sse-conformance without default features depends on {heavy:?}");
        return false;
    }
    true
}

struct Demo {
    debug: bool,
    exit_after: bool,
    addr: String,
}

fn parse_demo_args(args: &[String]) -> Result<Demo, String> {
    let mut demo = Demo {
        debug: false,
        exit_after: std::env::var("CI").is_ok_and(|ci| ci == "true" || ci == "1"),
        addr: "127.0.0.1:0".into(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--debug" => demo.debug = true,
            "--exit" => demo.exit_after = true,
            "--addr" => demo.addr = args.next().ok_or("--addr needs a value")?.clone(),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(demo)
}

/// Kills a child process (a server) when the task ends, however it ends.
pub(crate) struct Server(pub(crate) Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the demo server and reads its first line: `listening on http://IP:PORT`.
/// Returns the server (killed when dropped) and its base URL.
pub(crate) fn start_demo(
    binary: &std::path::Path,
    addr: &str,
    cors_origin: &str,
    extra: &[&str],
) -> Option<(Server, String)> {
    let child = Command::new(binary)
        .args(["--addr", addr, "--cors-origin", cors_origin])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn();
    let mut server = match child {
        Ok(child) => Server(child),
        Err(error) => {
            eprintln!(
                "xtask: cannot start the demo server {}: {error}",
                binary.display()
            );
            return None;
        }
    };
    let mut line = String::new();
    let stdout = server.0.stdout.take().expect("piped stdout");
    let _ = BufReader::new(stdout).read_line(&mut line);
    match line.trim().strip_prefix("listening on ") {
        Some(base) => Some((server, base.to_owned())),
        None => {
            eprintln!("xtask: the demo server did not start (it said {line:?})");
            None
        }
    }
}

fn demo(args: &[String]) -> i32 {
    let demo = match parse_demo_args(args) {
        Ok(demo) => demo,
        Err(error) => {
            eprintln!("xtask demo: {error}");
            return 2;
        }
    };
    let Some(built) = build_demo_and_checker(demo.debug) else {
        return 2;
    };
    let bin = |path: &str| built.join(path);

    let Some((mut server, base)) =
        start_demo(&bin("examples/demo"), &demo.addr, FRONT_END_ORIGIN, &[])
    else {
        return 2;
    };
    println!("demo server: {base}  (open it in a browser)");

    let events = format!("{base}/events");
    let echo = format!("{base}/echo");
    let private = format!("{base}/private/events");
    let checker = |args: &[&str]| {
        eprintln!("\n$ sse-conformance {}", args.join(" "));
        Command::new(bin("sse-conformance"))
            .args(args)
            .status()
            .map_or(2, |status| status.code().unwrap_or(2))
    };
    let every_check = [
        "check",
        &events,
        "--origin",
        FRONT_END_ORIGIN,
        "--echo",
        &echo,
    ];
    let http1 = checker(&[&every_check[..], &["--duration", "10s"]].concat());
    // Again over HTTP/2 (h2c), where the connection-header check applies too.
    let http2 = checker(
        &[
            &every_check[..],
            &["--duration", "5s", "--http2-prior-knowledge"],
        ]
        .concat(),
    );
    // The signed-in ticker: without the token, or with an expired one, it must answer 401.
    let signed_in = checker(&[
        "check",
        &private,
        "--origin",
        FRONT_END_ORIGIN,
        "--auth-header",
        "Authorization: Bearer demo",
        "--bad-auth",
        "Authorization: Bearer expired",
        "--duration",
        "3s",
    ]);
    let code = http1.max(http2).max(signed_in);
    if demo.exit_after {
        return code;
    }
    println!("\ndemo server still running at {base} — press Ctrl-C to stop");
    let _ = server.0.wait();
    code
}
