//! `cargo xtask frameworks [--bless]`: the checker in the field. Starts every stack of
//! [`stacks::STACKS`] (real frameworks in Node, Python and Rust, pinned, each app written
//! the way its docs show), runs `sse-conformance check` on each, compares the verdicts
//! with the snapshots under review in `xtask/frameworks/expected/` (a change fails the
//! command; `--bless` accepts it), and writes the scoreboard, `FRAMEWORKS.md`. A failure
//! without a hand check and a fix in `xtask/frameworks/findings.json` fails it too.
//!
//! One file per job: the stacks in `stacks.rs`, running the checker and the snapshots in
//! `verdicts.rs`, the page in `board.rs`.

mod board;
mod stacks;
mod verdicts;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::build::target_dir;
use crate::flags::FrameworksFlags;
use crate::installs::{npm_ci, python_venv};
use crate::process::{cargo, run, Server};
use crate::services::free_port;
use board::Row;
use stacks::{Stack, STACKS};

/// Stacks checked at once: the main runs time first bytes and bursts, so not all at once
/// on two cores; the idle runs only wait.
const AT_ONCE: usize = 5;
/// The longest a stack may take to listen.
const START_WAIT: Duration = Duration::from_secs(60);

pub(crate) fn frameworks(flags: FrameworksFlags) -> i32 {
    let bless = flags.bless;
    let root = std::env::current_dir().expect("a working directory");
    let dir = root.join("xtask/frameworks");
    let work = target_dir().join("frameworks");
    let python = match prepare(&dir, &work) {
        Ok(python) => python,
        Err(why) => {
            eprintln!("xtask frameworks: {why}");
            return 2;
        }
    };
    let bins = target_dir().join("debug");
    let checker = bins.join("sse-conformance");
    let findings: serde_json::Value = match std::fs::read_to_string(dir.join("findings.json"))
        .map_err(|error| error.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|error| error.to_string()))
    {
        Ok(findings) => findings,
        Err(why) => {
            eprintln!("xtask frameworks: xtask/frameworks/findings.json: {why}");
            return 2;
        }
    };

    let started = Instant::now();
    let main_runs = MainRuns::new(AT_ONCE);
    let mut results: Vec<(usize, Result<Vec<verdicts::Verdict>, String>)> =
        std::thread::scope(|scope| {
            let runs: Vec<_> = STACKS
                .iter()
                .enumerate()
                .map(|(index, stack)| {
                    let (root, python, bins, checker) = (&root, &python, &bins, &checker);
                    let (work, main_runs) = (&work, &main_runs);
                    scope.spawn(move || {
                        let out = work.join(stack.name);
                        let _ = std::fs::create_dir_all(&out);
                        let result = run_stack(stack, root, python, bins, checker, &out, main_runs);
                        eprintln!(
                            "xtask frameworks: {} checked ({})",
                            stack.name,
                            result
                                .as_ref()
                                .map_or_else(|why| why.clone(), |_| "ok".into())
                        );
                        (index, result)
                    })
                })
                .collect();
            runs.into_iter()
                .map(|run| run.join().expect("a stack's thread"))
                .collect()
        });
    results.sort_by_key(|(index, _)| *index);
    eprintln!(
        "xtask frameworks: {} stacks checked in {:.0} s",
        STACKS.len(),
        started.elapsed().as_secs_f64()
    );

    let mut rows = Vec::new();
    let mut trouble = Vec::new();
    for (index, result) in results {
        let stack = &STACKS[index];
        match result {
            Ok(verdicts) => rows.push(Row { stack, verdicts }),
            Err(why) => trouble.push(format!("{}: {why}", stack.name)),
        }
    }
    for row in &rows {
        let now = verdicts::snapshot(row.stack.name, &row.verdicts);
        let path = dir.join("expected").join(format!("{}.txt", row.stack.name));
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        let changed = verdicts::changes(&expected, &now);
        if changed.is_empty() {
            continue;
        }
        if bless {
            let _ = std::fs::create_dir_all(dir.join("expected"));
            if let Err(error) = std::fs::write(&path, &now) {
                trouble.push(format!("{}: {error}", path.display()));
            }
        } else {
            trouble.push(format!(
                "{}: verdicts changed ({}); look at target/frameworks/{}/*.json, then `cargo xtask frameworks --bless`",
                row.stack.name,
                changed.join(", "),
                row.stack.name
            ));
        }
    }
    for missing in board::unconfirmed(&rows, &findings) {
        trouble.push(format!(
            "{missing}: a failure with no hand check or fix in xtask/frameworks/findings.json"
        ));
    }
    let page = board::render(&rows, &findings);
    if let Err(error) = std::fs::write(root.join("FRAMEWORKS.md"), page) {
        trouble.push(format!("FRAMEWORKS.md: {error}"));
    }
    print_table(&rows);
    if trouble.is_empty() {
        eprintln!("xtask frameworks: every verdict as expected; FRAMEWORKS.md written");
        0
    } else {
        for line in &trouble {
            eprintln!("xtask frameworks: {line}");
        }
        1
    }
}

/// Installs what the stacks need, if missing: the Node packages (`npm ci`), a virtual
/// environment with the Python packages, and the Rust apps and the checker. Returns the
/// environment's `python`.
fn prepare(dir: &Path, work: &Path) -> Result<PathBuf, String> {
    npm_ci(&dir.join("node"), "@fastify/sse")?;
    let python = python_venv(&work.join("venv"), &dir.join("python/requirements.txt"))?;
    let build = [
        "build",
        "-p",
        "sse-frameworks",
        "-p",
        "sse-conformance",
        "--bin",
        "sse-conformance",
        "--bin",
        "axum",
        "--bin",
        "warp",
        "--bin",
        "actix",
        "--bin",
        "poem",
    ];
    if !run(&cargo(), &build) {
        return Err("the Rust stacks or the checker did not build".into());
    }
    Ok(python)
}

/// Starts a stack, checks it (the idle run and the main run side by side, the main run
/// when `main_runs` has room), and stops it.
fn run_stack(
    stack: &Stack,
    root: &Path,
    python: &Path,
    bins: &Path,
    checker: &Path,
    out: &Path,
    main_runs: &MainRuns,
) -> Result<Vec<verdicts::Verdict>, String> {
    let port = free_port();
    let log = std::fs::File::create(out.join("server.log")).map_err(|error| error.to_string())?;
    let child = stack
        .command(root, python, bins, port)
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|error| error.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|error| format!("cannot start it: {error}"))?;
    let mut server = Server(child);
    let deadline = Instant::now() + START_WAIT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline || server.0.try_wait().ok().flatten().is_some() {
            return Err(format!(
                "it did not listen on {port} (see target/frameworks/{}/server.log)",
                stack.name
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let base = format!("http://127.0.0.1:{port}");
    let verdicts = std::thread::scope(|scope| {
        let idle = scope.spawn(|| verdicts::idle_run(checker, &base, out));
        let main = main_runs.run(|| verdicts::main_run(checker, &base, stack.echo, out));
        let idle = idle.join().expect("the idle run's thread");
        verdicts::merge(main?, idle?)
    });
    drop(server);
    verdicts
}

/// At most so many main runs at once: they time first bytes and bursts, which a loaded
/// machine blurs; the idle runs only wait, and all go at once.
struct MainRuns {
    free: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
}

impl MainRuns {
    fn new(at_once: usize) -> Self {
        Self {
            free: std::sync::Mutex::new(at_once),
            freed: std::sync::Condvar::new(),
        }
    }

    fn run<T>(&self, job: impl FnOnce() -> T) -> T {
        let mut free = self.free.lock().expect("not poisoned");
        while *free == 0 {
            free = self.freed.wait(free).expect("not poisoned");
        }
        *free -= 1;
        drop(free);
        let result = job();
        *self.free.lock().expect("not poisoned") += 1;
        self.freed.notify_one();
        result
    }
}

fn print_table(rows: &[Row<'_>]) {
    eprint!("{:<20}", "stack");
    for (group, _) in verdicts::GROUPS {
        eprint!(" {group:<12}");
    }
    eprintln!();
    for row in rows {
        eprint!("{:<20}", row.stack.name);
        for (_, ids) in verdicts::GROUPS {
            eprint!(" {:<12}", verdicts::worst(&row.verdicts, ids));
        }
        eprintln!();
    }
}
