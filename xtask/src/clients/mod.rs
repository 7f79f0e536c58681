//! `cargo xtask clients`: the client harness against real clients. Installs the pinned
//! clients (npm, a Python virtual environment, the Rust wrappers), runs `sse-conformance
//! client` against each ([`roster::roster`]: the reference client, Chromium's
//! `EventSource`, two Node, two Python and three Rust clients), and writes the matrix,
//! `CLIENTS.md`. Fails when the reference client fails a must-scenario (the harness is
//! wrong then) or a client cannot be run at all.
//!
//! One file per job: the clients in `roster.rs`, the page in `board.rs`.

mod board;
mod roster;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::build::target_dir;
use crate::installs::{npm_ci, python_venv};
use crate::process::{cargo, run};
use roster::{roster, Client, Drive};

/// Clients judged at once: the windows are real time, and two cores shared by more make
/// slow starters look like slow clients.
const AT_ONCE: usize = 4;

pub(crate) fn clients() -> i32 {
    let root = std::env::current_dir().expect("a working directory");
    let work = target_dir().join("clients");
    let python = match prepare(&root, &work) {
        Ok(python) => python,
        Err(why) => {
            eprintln!("xtask clients: {why}");
            return 2;
        }
    };
    let bins = target_dir().join("debug");
    let clients = roster(&root, &python, &bins);
    let started = Instant::now();
    // A pool: the slowest run (Chromium starts once per scenario) goes first, the
    // others share the remaining workers.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, Result<serde_json::Value, String>)> =
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..AT_ONCE)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let index = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            let Some(client) = clients.get(index) else {
                                return done;
                            };
                            let out = work.join(format!("{}.json", file_name(client.name, index)));
                            done.push((index, judge(client, &bins, &out)));
                        }
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|worker| worker.join().expect("a client's thread"))
                .collect()
        });
    results.sort_by_key(|(index, _)| *index);
    let results: Vec<_> = results.into_iter().map(|(_, result)| result).collect();
    eprintln!(
        "xtask clients: {} clients judged in {:.0} s",
        clients.len(),
        started.elapsed().as_secs_f64()
    );
    let mut trouble = Vec::new();
    let mut runs = Vec::new();
    for (client, result) in clients.iter().zip(results) {
        match result {
            Ok(run) => runs.push((client, run)),
            Err(why) => trouble.push(format!("{}: {why}", client.name)),
        }
    }
    if let Some((_, reference)) = runs
        .first()
        .filter(|(client, _)| client.name == "reference")
    {
        for result in reference["results"].as_array().into_iter().flatten() {
            if result["level"] == "must" && result["verdict"] != "pass" {
                trouble.push(format!(
                    "the reference client failed {}: {} (the harness is wrong)",
                    result["id"], result["detail"]
                ));
            }
        }
    }
    let scenarios = Command::new(bins.join("sse-conformance"))
        .arg("scenarios")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default();
    let page = board::render(&runs, &scenarios);
    if let Err(error) = std::fs::write(root.join("CLIENTS.md"), page) {
        trouble.push(format!("CLIENTS.md: {error}"));
    }
    for (client, run) in &runs {
        let results = run["results"].as_array().cloned().unwrap_or_default();
        let count = |verdict: &str| results.iter().filter(|r| r["verdict"] == verdict).count();
        eprintln!(
            "  {:<28} {:>2} pass {:>2} warn {:>2} fail",
            client.name,
            count("pass"),
            count("warn"),
            count("fail")
        );
    }
    if trouble.is_empty() {
        eprintln!("xtask clients: CLIENTS.md written");
        0
    } else {
        for line in &trouble {
            eprintln!("xtask clients: {line}");
        }
        1
    }
}

fn file_name(name: &str, index: usize) -> String {
    let safe: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{safe}-{index}")
}

/// `sse-conformance client` on one client, its JSON report written to `out`.
fn judge(client: &Client, bins: &Path, out: &Path) -> Result<serde_json::Value, String> {
    let mut command = Command::new(bins.join("sse-conformance"));
    command.arg("client").args(["--name", client.name]);
    match &client.drive {
        Drive::Exec(exec) => command.args(["--exec", exec]),
        Drive::Browser => command.arg("--browser"),
    };
    let status = command
        .args(["--format", "json", "-o"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|error| format!("cannot run the harness: {error}"))?;
    if status.code() == Some(2) || status.code().is_none() {
        return Err(format!("the harness could not run ({status})"));
    }
    let text =
        std::fs::read_to_string(out).map_err(|error| format!("{}: {error}", out.display()))?;
    serde_json::from_str(&text).map_err(|error| format!("{}: {error}", out.display()))
}

/// Installs what the clients need, if missing: Chromium (the setup script), the Node
/// packages (`npm ci`), a virtual environment with the Python packages, and the Rust
/// wrappers and the checker. Returns the environment's `python`.
fn prepare(root: &Path, work: &Path) -> Result<PathBuf, String> {
    if !Path::new("/usr/bin/chromium").exists()
        && !run(
            "bash",
            &[root
                .join("xtask/interop/setup.sh")
                .to_str()
                .unwrap_or("xtask/interop/setup.sh")],
        )
    {
        return Err("Chromium is missing and xtask/interop/setup.sh could not install it".into());
    }
    npm_ci(&root.join("xtask/clients/node"), "eventsource")?;
    let python = python_venv(
        &work.join("venv"),
        &root.join("xtask/clients/python/requirements.txt"),
    )?;
    let build = [
        "build",
        "-p",
        "sse-clients",
        "-p",
        "sse-conformance",
        "--bin",
        "sse-conformance",
        "--bin",
        "reqwest-eventsource",
        "--bin",
        "eventsource-client",
        "--bin",
        "eventsource-stream",
    ];
    if !run(&cargo(), &build) {
        return Err("the Rust clients or the checker did not build".into());
    }
    Ok(python)
}
