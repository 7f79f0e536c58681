//! `cargo xtask interop`: real, third-party clients and a real proxy against the demo.
//!
//! Headless Chromium (native EventSource, and fetch-event-source through a CORS
//! preflight), Node's `eventsource` and `@microsoft/fetch-event-source`, Python's
//! `httpx-sse`, the official `openai` and `anthropic` SDKs (Python and Node) on the
//! demo's vendor endpoints, nginx in front of the demo judged by `sse-conformance`, the checker's
//! HTML report opened in Chromium, and sse-starlette judged by the checker. Each case
//! prints which client, what it checked and what it saw; the exit code is 0 only if
//! every case passed (2 when something needed is missing).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod case;
mod report;
mod starlette;

use case::{parse_case, run_script, Case, SCRIPT_DEADLINE};

use crate::build::BUILD_DEMO_AND_CHECKER;
use crate::cluster::Cluster;
use crate::demo::start_demo;
use crate::process::{cargo, run, Server};

pub(crate) fn interop() -> i32 {
    let root = std::env::current_dir().expect("a working directory");
    let interop = root.join("xtask/interop");
    if let Err(missing) = prerequisites(&interop) {
        eprintln!("xtask interop: missing {missing}; installing with xtask/interop/setup.sh");
        if !run(
            "bash",
            &[interop
                .join("setup.sh")
                .to_str()
                .unwrap_or("xtask/interop/setup.sh")],
        ) {
            eprintln!("xtask interop: could not install the prerequisites ({missing})");
            return 2;
        }
        if let Err(missing) = prerequisites(&interop) {
            eprintln!("xtask interop: still missing {missing} after setup");
            return 2;
        }
    }
    if !run(&cargo(), &BUILD_DEMO_AND_CHECKER) {
        return 2;
    }
    let target = crate::build::target_dir();
    let artifacts = target.join("interop");
    let run_dir = artifacts.join("nginx");
    let _ = std::fs::create_dir_all(&run_dir);

    let nginx_port = free_port();
    let nginx_base = format!("http://127.0.0.1:{nginx_port}");
    let Some((_demo, demo_base)) =
        start_demo(&target.join("debug/demo"), "127.0.0.1:0", &nginx_base, &[])
    else {
        return 2;
    };
    let Some(_nginx) = start_nginx(&interop, &run_dir, nginx_port, &demo_base) else {
        return 2;
    };

    let env = [
        ("DEMO", demo_base.as_str()),
        ("NGINX", nginx_base.as_str()),
        ("ARTIFACTS", artifacts.to_str().unwrap_or(".")),
    ];
    let mut cases = Vec::new();
    for (program, script, expected) in [
        ("node", "browser.mjs", 5),
        ("node", "node.mjs", 7),
        ("python3", "python_clients.py", 3),
        ("node", "sdk.mjs", 6),
        ("python3", "sdk_clients.py", 6),
    ] {
        cases.extend(run_script(&interop, program, script, &env, expected));
    }
    cases.extend(nginx_cases(
        &target.join("debug/sse-conformance"),
        &nginx_base,
    ));
    let checker = target.join("debug/sse-conformance");
    cases.extend(report::report_cases(
        &interop,
        &checker,
        &artifacts,
        &demo_base,
        &nginx_base,
    ));
    cases.push(starlette::starlette_case(&interop, &checker, free_port()));
    cases.push(cluster_case(
        &interop,
        &target.join("debug/demo"),
        &artifacts.join("cluster"),
    ));

    print_table(&cases);
    if cases.iter().all(|case| case.ok) {
        eprintln!(
            "xtask interop: all {} cases passed; screenshot in {}",
            cases.len(),
            artifacts.join("demo-page.png").display()
        );
        0
    } else {
        eprintln!(
            "xtask interop: {} of {} cases failed",
            cases.iter().filter(|c| !c.ok).count(),
            cases.len()
        );
        1
    }
}

fn prerequisites(interop: &Path) -> Result<(), String> {
    let mut missing = Vec::new();
    if !Path::new("/usr/bin/chromium").exists() {
        missing.push("/usr/bin/chromium");
    }
    if Command::new("nginx").arg("-v").output().is_err() {
        missing.push("nginx");
    }
    if Command::new("redis-server")
        .arg("--version")
        .output()
        .is_err()
    {
        missing.push("redis-server");
    }
    if Command::new("node").arg("--version").output().is_err() {
        missing.push("node");
    }
    if ["playwright-core", "openai", "@anthropic-ai/sdk"]
        .iter()
        .any(|package| !interop.join("node_modules").join(package).exists())
    {
        missing.push("xtask/interop/node_modules (npm ci)");
    }
    let httpx_sse = Command::new("python3")
        .args([
            "-c",
            "import httpx_sse, sse_starlette, uvicorn, openai, anthropic",
        ])
        .output();
    if !httpx_sse.is_ok_and(|output| output.status.success()) {
        missing.push("the Python packages httpx-sse, sse-starlette, uvicorn");
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing.join(", "))
    }
}

/// A port free right now (bound, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}

fn start_nginx(interop: &Path, run_dir: &Path, port: u16, demo_base: &str) -> Option<Server> {
    let template = std::fs::read_to_string(interop.join("nginx.conf.template")).ok()?;
    let config = template
        .replace("{{RUN_DIR}}", &run_dir.display().to_string())
        .replace("{{PORT}}", &port.to_string())
        .replace(
            "{{STATIC_DIR}}",
            &interop.join("static").display().to_string(),
        )
        .replace(
            "{{NODE_MODULES}}",
            &interop.join("node_modules").display().to_string(),
        )
        .replace("{{DEMO}}", demo_base.trim_start_matches("http://"));
    crate::services::run_nginx(run_dir, &config, port)
        .map_err(|error| eprintln!("xtask interop: {error}"))
        .ok()
}

/// Runs one client script (killed at the deadline) and parses its JSON lines.
/// nginx (default config, buffering on, gzip for event streams) in front of the demo,
/// judged by the checker: with the layer's header events pass one by one; with the
/// header discarded the checker must report `buffering`.
fn nginx_cases(checker: &Path, nginx_base: &str) -> Vec<Case> {
    let version = Command::new("nginx")
        .arg("-v")
        .output()
        .map(|output| {
            String::from_utf8_lossy(&output.stderr)
                .trim()
                .replace("nginx version: ", "")
        })
        .unwrap_or_else(|_| "nginx".into());
    let client = format!("{version} + sse-conformance");
    let mut cases = Vec::new();
    for (route, want_buffering, name) in [
        (
            "proxied",
            "pass",
            "events pass one by one (X-Accel-Buffering: no honoured)",
        ),
        (
            "buffered",
            "fail",
            "header discarded by the proxy: checker reports buffering",
        ),
    ] {
        let url = format!("{nginx_base}/{route}/events?interval_ms=50");
        let output = Command::new(checker)
            .args(["check", &url, "--duration", "6s", "--format", "json"])
            .output();
        let (ok, saw) = match output {
            Ok(output) => {
                let report = String::from_utf8_lossy(&output.stdout).into_owned();
                let buffering =
                    check_status(&report, "buffering").unwrap_or_else(|| "missing".into());
                let events = check_message(&report, "framing").unwrap_or_default();
                let exit = output.status.code().unwrap_or(-1);
                let want_exit = if want_buffering == "pass" { 0 } else { 1 };
                (
                    buffering == want_buffering && exit == want_exit,
                    format!("buffering: {buffering}, exit {exit}; {events}"),
                )
            }
            Err(error) => (false, format!("could not run the checker: {error}")),
        };
        cases.push(Case {
            client: client.clone(),
            name: name.into(),
            ok,
            saw,
        });
    }
    cases
}

/// Chromium's EventSource through the balancer of a two-instance cluster while each
/// instance in turn is SIGKILLed and restarted (`cluster_browser.mjs` checks what arrived).
fn cluster_case(interop: &Path, demo: &Path, run_dir: &Path) -> Case {
    let failed = |saw: String| Case {
        client: "chromium (cluster)".into(),
        name: "cluster: native EventSource through nginx, instances SIGKILLed".into(),
        ok: false,
        saw,
    };
    let mut cluster = match Cluster::start(demo, run_dir, crate::cluster::EngineKind::Redis) {
        Ok(cluster) => cluster,
        Err(error) => return failed(error),
    };
    eprintln!("$ node cluster_browser.mjs   (LB={})", cluster.base);
    let child = Command::new("node")
        .arg("cluster_browser.mjs")
        .current_dir(interop)
        .env("LB", &cluster.base)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn();
    let mut child = match child {
        Ok(child) => Server(child),
        Err(error) => return failed(format!("could not start node: {error}")),
    };
    let stdout = child.0.stdout.take().expect("piped");
    let (lines, incoming) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut case = None;
    let mut handle = |line: String| match parse_case(&line) {
        Some(parsed) => case = Some(parsed),
        None => eprintln!("  (script said) {line}"),
    };
    // Wait for the stream to be live, then kill and restart each instance in turn.
    let started = Instant::now();
    loop {
        match incoming.recv_timeout(Duration::from_secs(1)) {
            Ok(line) if line.contains("\"phase\"") => break,
            Ok(line) => handle(line),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout)
                if started.elapsed() < SCRIPT_DEADLINE => {}
            Err(_) => break,
        }
    }
    for index in [0, 1] {
        std::thread::sleep(Duration::from_secs(2));
        eprintln!("  SIGKILL instance {}", cluster.instance(index));
        cluster.kill(index);
        std::thread::sleep(Duration::from_secs(1));
        if let Err(error) = cluster.restart(index) {
            return failed(error);
        }
    }
    while let Ok(line) = incoming.recv_timeout(SCRIPT_DEADLINE.saturating_sub(started.elapsed())) {
        handle(line);
    }
    let _ = child.0.wait();
    case.unwrap_or_else(|| failed("the script reported nothing (crashed or timed out)".into()))
}

/// The `status` of check `id` in a JSON report (checks are printed in a fixed shape).
fn check_status(report: &str, id: &str) -> Option<String> {
    field_after(report, &format!("\"id\": \"{id}\""), "\"status\": \"")
}

fn check_message(report: &str, id: &str) -> Option<String> {
    field_after(report, &format!("\"id\": \"{id}\""), "\"message\": \"")
}

fn field_after(text: &str, anchor: &str, key: &str) -> Option<String> {
    let from = text.find(anchor)?;
    let start = from + text[from..].find(key)? + key.len();
    let end = start + text[start..].find('"')?;
    Some(text[start..end].to_owned())
}

fn print_table(cases: &[Case]) {
    println!("\n| client | case | result | saw |\n|---|---|---|---|");
    for case in cases {
        let result = if case.ok { "pass" } else { "FAIL" };
        println!(
            "| {} | {} | {result} | {} |",
            case.client,
            case.name,
            case.saw.replace('|', "\\|")
        );
    }
}
