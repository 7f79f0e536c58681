//! `cargo xtask ci`: everything CI runs, in order; the first failure stops it.

use std::process::Command;

use crate::build::ALL_FEATURES;
use crate::flags::{ClusterFlags, DemoFlags, FrameworksFlags, QuickDebug};
use crate::process::{cargo, run};
use crate::{chaos, clients, cluster, demo, frameworks, interop, release, soak};

/// The condensed soak and chaos runs, on the binaries the tests built.
const QUICK_DEBUG: QuickDebug = QuickDebug {
    quick: true,
    debug: true,
};

pub(crate) fn ci() -> i32 {
    let cargo = cargo();
    // The Redis and NATS tests start their own redis-server, replicas, redis-sentinel and
    // nats-server: install
    // them first on a fresh machine (the setup script installs only what is missing).
    let root = std::env::current_dir().expect("a working directory");
    if !crate::services::ensure_prerequisites(&root) {
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
    let code = release::release();
    if code != 0 {
        eprintln!("xtask ci: the release check failed");
        return code;
    }
    // The main job, end to end with the binaries the tests just built.
    let code = demo::demo(&DemoFlags::for_ci());
    if code != 0 {
        eprintln!("xtask ci: the demo check failed");
        return code;
    }
    // Two instances on one Redis behind nginx, then on one NATS JetStream: the checker
    // and the contract through the balancer, and a failover.
    for nats in [false, true] {
        let code = cluster::cluster(&ClusterFlags::for_ci(nats));
        if code != 0 {
            let engine = if nats { "NATS" } else { "Redis" };
            eprintln!("xtask ci: the cluster check ({engine}) failed");
            return code;
        }
    }
    // Hostile peers, condensed: every attack of `cargo xtask soak`, smaller and shorter.
    let code = soak::soak(QUICK_DEBUG);
    if code != 0 {
        eprintln!("xtask ci: the soak failed");
        return code;
    }
    // Redis failing for real under running instances, each fault once.
    let code = chaos::chaos(QUICK_DEBUG);
    if code != 0 {
        eprintln!("xtask ci: the chaos run failed");
        return code;
    }
    // The checker in the field: real frameworks in Node, Python and Rust, each verdict
    // against its snapshot under review (installs the stacks first if they are missing).
    let code = frameworks::frameworks(FrameworksFlags { bless: false });
    if code != 0 {
        eprintln!("xtask ci: a framework's verdicts changed, or could not be checked");
        return code;
    }
    // The client harness against real clients (installs them first if they are missing).
    let code = clients::clients();
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
