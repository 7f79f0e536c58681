//! Building what the tasks run: the demo and the checker with every feature, where cargo
//! puts them, and whether a nightly toolchain is at hand.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::process::{cargo, run};

/// Every feature the tests, the demo and the benches use: the shared engines (in the
/// layer and in the demo), TLS, axum.
pub(crate) const ALL_FEATURES: &str =
    "sse-layer/redis,sse-layer/nats,sse-layer/tls,sse-layer/axum,sse-demo/redis,sse-demo/nats";

/// `cargo` arguments that build the demo server (with `--redis` and `--nats` support) and
/// the checker.
pub(crate) const BUILD_DEMO_AND_CHECKER: [&str; 11] = [
    "build",
    "-p",
    "sse-demo",
    "--bin",
    "demo",
    "-p",
    "sse-conformance",
    "--bin",
    "sse-conformance",
    "--features",
    ALL_FEATURES,
];

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
pub(crate) fn target_dir() -> PathBuf {
    std::env::var("CARGO_TARGET_DIR").map_or_else(
        |_| {
            std::env::current_dir()
                .expect("a working directory")
                .join("target")
        },
        PathBuf::from,
    )
}

/// Builds the demo (with Redis and NATS support) and the checker, in release unless `debug`; the
/// directory that holds them (`demo`, `sse-conformance`), or `None` when the
/// build failed.
pub(crate) fn build_demo_and_checker(debug: bool) -> Option<PathBuf> {
    let mut build = BUILD_DEMO_AND_CHECKER.to_vec();
    if !debug {
        build.push("--release");
    }
    run(&cargo(), &build).then(|| target_dir().join(if debug { "debug" } else { "release" }))
}
