//! Running programs: a command echoed and waited for, `cargo` itself, and servers that are
//! killed when the task ends and say `listening on http://IP:PORT` when they are up.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

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

/// Kills a child process (a server) when the task ends, however it ends.
pub(crate) struct Server(pub(crate) Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns `command` with its stdout piped and reads its first line, `listening on
/// http://IP:PORT`: the server (killed when dropped) and its base URL; `None` when it did
/// not start or said something else.
pub(crate) fn spawn_listening(mut command: Command) -> Option<(Server, String)> {
    let mut server = Server(command.stdout(Stdio::piped()).spawn().ok()?);
    let mut line = String::new();
    BufReader::new(server.0.stdout.take()?)
        .read_line(&mut line)
        .ok()?;
    let base = line.trim().strip_prefix("listening on ")?.to_owned();
    Some((server, base))
}
