//! `cargo xtask demo`: the demo server, every check of the checker against it, and the
//! server kept up for a browser; and how the other tasks start demo instances.

use std::process::Command;

use crate::build::build_demo_and_checker;
use crate::flags::DemoFlags;
use crate::process::{spawn_listening, Server};

/// The origin the demo allows and the checker pretends to be: a typical dev front end.
const FRONT_END_ORIGIN: &str = "http://localhost:5173";

/// Starts the demo server and reads its first line: `listening on http://IP:PORT`.
/// Returns the server (killed when dropped) and its base URL.
pub(crate) fn start_demo(
    binary: &std::path::Path,
    addr: &str,
    cors_origin: &str,
    extra: &[&str],
) -> Option<(Server, String)> {
    let mut command = Command::new(binary);
    command
        .args(["--addr", addr, "--cors-origin", cors_origin])
        .args(extra);
    let started = spawn_listening(command);
    if started.is_none() {
        eprintln!(
            "xtask: the demo server {} did not start on {addr}",
            binary.display()
        );
    }
    started
}

pub(crate) fn demo(demo: &DemoFlags) -> i32 {
    let Some(built) = build_demo_and_checker(demo.debug) else {
        return 2;
    };
    let bin = |path: &str| built.join(path);

    let Some((mut server, base)) = start_demo(&bin("demo"), &demo.addr, FRONT_END_ORIGIN, &[])
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
    if demo.exit_after() {
        return code;
    }
    println!("\ndemo server still running at {base} — press Ctrl-C to stop");
    let _ = server.0.wait();
    code
}
