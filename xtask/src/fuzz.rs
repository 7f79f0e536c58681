//! `cargo xtask fuzz [TARGET] [--seconds N]`: libFuzzer on each target of `xtask/fuzz`,
//! for N seconds each (default 600), bounded in memory and input size; what found new
//! code paths is merged into `fixtures/fuzz/<target>/`, which the normal test suite
//! replays, and a crash input is written there too (as `crash-…`) so it stays a
//! regression test once fixed.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::flags::{FuzzFlags, FUZZ_TARGETS};

/// Kept inputs stay small: the properties do not need big ones, and the corpus is in git.
const MAX_LEN: usize = 4096;

const FUZZ_DIR: &str = "xtask/fuzz/libfuzzer";

/// One target's run, as the summary shows it.
struct Outcome {
    target: &'static str,
    runs: String,
    kept_before: usize,
    kept_after: usize,
    crashed: bool,
    seconds: f64,
}

pub(crate) fn fuzz(flags: &FuzzFlags) -> i32 {
    // The names the flags accepted, as the static names the summary keeps.
    let targets: Vec<&'static str> = FUZZ_TARGETS
        .into_iter()
        .filter(|target| flags.targets.is_empty() || flags.targets.iter().any(|t| t == target))
        .collect();
    let Some(toolchain) = Toolchain::find() else {
        eprintln!(
            "xtask fuzz: cargo-fuzz is not installed; `cargo install cargo-fuzz` installs it"
        );
        return 2;
    };
    let mut outcomes = Vec::new();
    for target in targets {
        match fuzz_one(&toolchain, target, flags.seconds) {
            Ok(outcome) => outcomes.push(outcome),
            Err(message) => {
                eprintln!("xtask fuzz: {target}: {message}");
                return 1;
            }
        }
    }
    println!("\n| target | seconds | runs | kept inputs | crashes |");
    println!("|---|---:|---:|---:|---:|");
    for outcome in &outcomes {
        println!(
            "| {} | {:.0} | {} | {} → {} | {} |",
            outcome.target,
            outcome.seconds,
            outcome.runs,
            outcome.kept_before,
            outcome.kept_after,
            u8::from(outcome.crashed)
        );
    }
    i32::from(outcomes.iter().any(|outcome| outcome.crashed))
}

/// How to call cargo-fuzz: it needs nightly flags, from a nightly toolchain if there is
/// one, else from stable with `RUSTC_BOOTSTRAP=1`.
struct Toolchain {
    nightly: bool,
}

impl Toolchain {
    fn find() -> Option<Self> {
        let installed = Command::new("cargo")
            .args(["fuzz", "--version"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !installed {
            return None;
        }
        Some(Self {
            nightly: crate::build::nightly_installed(),
        })
    }

    /// `cargo fuzz run` of `target` (from the fuzz directory, debug assertions on), then
    /// `args`: corpus directories, and libFuzzer's options after `--`.
    fn run(&self, target: &str, args: &[&str]) -> Command {
        let mut all = vec!["run", "--fuzz-dir", FUZZ_DIR, "--debug-assertions", target];
        all.extend_from_slice(args);
        self.cargo_fuzz(&all)
    }

    fn cargo_fuzz(&self, args: &[&str]) -> Command {
        let mut command = if self.nightly {
            let mut command = Command::new("rustup");
            command.args(["run", "nightly", "cargo", "fuzz"]);
            command
        } else {
            let mut command = Command::new("cargo");
            command.arg("fuzz").env("RUSTC_BOOTSTRAP", "1");
            command
        };
        command.args(args);
        command
    }
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|entry| entry.path().is_file())
            .count()
    })
}

fn fuzz_one(toolchain: &Toolchain, target: &'static str, seconds: u64) -> Result<Outcome, String> {
    let kept = format!("fixtures/fuzz/{target}");
    let scratch = format!("target/fuzz-corpus/{target}");
    std::fs::create_dir_all(&kept).map_err(|e| format!("cannot create {kept}: {e}"))?;
    std::fs::create_dir_all(&scratch).map_err(|e| format!("cannot create {scratch}: {e}"))?;
    let kept_before = count_files(Path::new(&kept));
    let max_len = format!("-max_len={MAX_LEN}");
    let max_time = format!("-max_total_time={seconds}");
    let artifacts = format!("-artifact_prefix={kept}/");
    let started = Instant::now();
    eprintln!("xtask fuzz: {target} for {seconds} s");
    let output = toolchain
        .run(
            target,
            &[
                &scratch,
                &kept,
                "--",
                &max_time,
                &max_len,
                "-rss_limit_mb=2048",
                "-timeout=10",
                &artifacts,
                "-print_final_stats=1",
            ],
        )
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run cargo fuzz: {e}"))?;
    let log = String::from_utf8_lossy(&output.stderr);
    std::fs::write(format!("target/fuzz-corpus/{target}.log"), log.as_bytes())
        .map_err(|e| format!("cannot write the log: {e}"))?;
    let crashed = !output.status.success();
    if crashed {
        eprintln!("{}", tail(&log, 40));
    }
    let runs = log
        .lines()
        .find_map(|line| line.strip_prefix("stat::number_of_executed_units:"))
        .map_or_else(|| "?".to_owned(), |runs| runs.trim().to_owned());
    let elapsed = started.elapsed().as_secs_f64();
    keep_minimal_corpus(toolchain, target, &kept, &scratch)?;
    Ok(Outcome {
        target,
        runs,
        kept_before,
        kept_after: count_files(Path::new(&kept)),
        crashed,
        seconds: elapsed,
    })
}

/// Replaces the kept corpus (all but `seed-…` and `crash-…` inputs, which stay) with the
/// smallest set of inputs from it and the scratch corpus that covers every code edge they
/// reach: a few hundred small files rather than the thousands libFuzzer keeps.
fn keep_minimal_corpus(
    toolchain: &Toolchain,
    target: &str,
    kept: &str,
    scratch: &str,
) -> Result<(), String> {
    let minimal = format!("{scratch}.min");
    let _ = std::fs::remove_dir_all(&minimal);
    std::fs::create_dir_all(&minimal).map_err(|e| format!("cannot create {minimal}: {e}"))?;
    let max_len = format!("-max_len={MAX_LEN}");
    let merged = toolchain
        .run(
            target,
            &[
                "--",
                "-merge=1",
                "-use_counters=0",
                &max_len,
                &minimal,
                kept,
                scratch,
            ],
        )
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run cargo fuzz: {e}"))?;
    if !merged.success() {
        return Err("minimising the corpus failed".into());
    }
    let pinned = |name: &str| name.starts_with("seed-") || name.starts_with("crash-");
    let mut pinned_contents = std::collections::HashSet::new();
    for entry in std::fs::read_dir(kept).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if pinned(name) {
            pinned_contents.insert(std::fs::read(&path).map_err(|e| e.to_string())?);
        } else {
            std::fs::remove_file(&path).map_err(|e| e.to_string())?;
        }
    }
    for entry in std::fs::read_dir(&minimal).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let contents = std::fs::read(&path).map_err(|e| e.to_string())?;
        if !pinned_contents.contains(&contents) {
            let name = path.file_name().expect("a file name");
            std::fs::write(Path::new(kept).join(name), contents).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
