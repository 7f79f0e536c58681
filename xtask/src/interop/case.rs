//! One case of the interop suite, and the client scripts that print them: each script
//! prints one JSON line per case, `{"client", "case", "ok", "saw"}`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::process::Server;

/// How long one client script may run before it is killed and its missing cases fail.
pub(crate) const SCRIPT_DEADLINE: Duration = Duration::from_secs(180);

/// One line of a client script's output.
pub(crate) struct Case {
    pub(crate) client: String,
    pub(crate) name: String,
    pub(crate) ok: bool,
    pub(crate) saw: String,
}

pub(crate) fn run_script(
    dir: &Path,
    program: &str,
    script: &str,
    env: &[(&str, &str)],
    expected: usize,
) -> Vec<Case> {
    eprintln!("$ {program} {script}");
    let mut command = Command::new(program);
    command
        .arg(script)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut cases = match command.spawn() {
        Ok(child) => collect_cases(child),
        Err(error) => vec![Case {
            client: program.into(),
            name: script.into(),
            ok: false,
            saw: format!("could not start: {error}"),
        }],
    };
    if cases.len() < expected {
        cases.push(Case {
            client: script.into(),
            name: format!("{} more case(s)", expected - cases.len()),
            ok: false,
            saw: "never reported (crashed or timed out)".into(),
        });
    }
    cases
}

fn collect_cases(child: Child) -> Vec<Case> {
    let mut child = Server(child);
    let stdout = child.0.stdout.take().expect("piped");
    // A watchdog kills the script at the deadline; reading then ends.
    let pid = child.0.id();
    std::thread::spawn(move || {
        std::thread::sleep(SCRIPT_DEADLINE);
        let _ = Command::new("kill").arg(pid.to_string()).status();
    });
    let mut cases = Vec::new();
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        match parse_case(&line) {
            Some(case) => cases.push(case),
            None => eprintln!("  (script said) {line}"),
        }
    }
    let _ = child.0.wait();
    cases
}

/// Reads `{"client":…,"case":…,"ok":…,"saw":…}` without a JSON dependency in xtask: the
/// scripts print exactly these four keys with JSON string escapes.
pub(crate) fn parse_case(line: &str) -> Option<Case> {
    fn string_field(line: &str, key: &str) -> Option<String> {
        let start = line.find(&format!("\"{key}\":"))? + key.len() + 3;
        let rest = line[start..].trim_start().strip_prefix('"')?;
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some(out),
                '\\' => match chars.next()? {
                    'n' => out.push_str("\\n"),
                    'r' => out.push_str("\\r"),
                    't' => out.push_str("\\t"),
                    'u' => {
                        let code: String = chars.by_ref().take(4).collect();
                        out.push(
                            char::from_u32(u32::from_str_radix(&code, 16).ok()?).unwrap_or('?'),
                        );
                    }
                    other => out.push(other),
                },
                c => out.push(c),
            }
        }
        None
    }
    let ok_at = line.find("\"ok\":")? + 5;
    Some(Case {
        client: string_field(line, "client")?,
        name: string_field(line, "case")?,
        ok: line[ok_at..].trim_start().starts_with("true"),
        saw: string_field(line, "saw")?,
    })
}
