//! A correct third-party server, for the checker to find no failure in: sse-starlette
//! (pinned in `requirements.txt`) serving a ticker that resumes (`starlette_server.py`).

use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::case::Case;
use crate::process::Server;

pub(super) fn starlette_case(interop: &Path, checker: &Path, port: u16) -> Case {
    let version = Command::new("python3")
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('sse-starlette'))",
        ])
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default();
    let mut case = Case {
        client: format!("sse-starlette {version} + sse-conformance"),
        name: "a correct third-party server: no check fails".into(),
        ok: false,
        saw: String::new(),
    };
    let server = Command::new("python3")
        .arg("starlette_server.py")
        .arg(port.to_string())
        .current_dir(interop)
        .stdout(Stdio::null())
        .spawn();
    let _server = match server {
        Ok(child) => Server(child),
        Err(error) => {
            case.saw = format!("could not start it: {error}");
            return case;
        }
    };
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(20) {
            case.saw = "it never listened".into();
            return case;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let url = format!("http://127.0.0.1:{port}/events");
    // Long enough to judge stream-lifetime too (with a short --min-lifetime).
    let args = [
        "check",
        &url,
        "--duration",
        "4s",
        "--min-lifetime",
        "3s",
        "--format",
        "json",
    ];
    eprintln!("$ sse-conformance {}", args.join(" "));
    let Ok(output) = Command::new(checker).args(args).output() else {
        case.saw = "the checker did not run".into();
        return case;
    };
    let report = String::from_utf8_lossy(&output.stdout);
    let count = |status: &str| report.matches(&format!("\"status\": \"{status}\"")).count();
    case.ok = output.status.code() == Some(0);
    case.saw = format!(
        "exit {:?}: {} pass, {} warn, {} fail, {} skip",
        output.status.code(),
        count("pass"),
        count("warn"),
        count("fail"),
        count("skip")
    );
    case
}
