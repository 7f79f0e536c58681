//! What the checker says of one stack: its verdicts from the main run (with the echo
//! test where the stack echoes) and from the idle run (for `heartbeat`), the snapshot of
//! them kept under review, and the groups the scoreboard shows.

use std::path::Path;
use std::process::{Command, Stdio};

/// How long the idle stream is watched: past `--heartbeat-max` (45 s) and its 5% slack,
/// so a stream that sends nothing by itself fails and one with a heartbeat passes.
pub(super) const IDLE_SECONDS: u64 = 50;
/// How long the main stream is watched (the probes come after it).
const MAIN_SECONDS: u64 = 3;
/// Random echo scripts after the fixed cases.
const ECHO_CASES: &str = "48";

/// One check's verdict on a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Verdict {
    pub(super) id: String,
    pub(super) status: String,
    pub(super) message: String,
    pub(super) evidence: Vec<String>,
}

/// The columns of the scoreboard: each a group of checks, whose worst verdict it shows.
pub(super) const GROUPS: &[(&str, &[&str])] = &[
    (
        "headers",
        &[
            "status",
            "content-type",
            "cache-control",
            "no-content-length",
            "x-accel-buffering",
            "h2-connection-headers",
        ],
    ),
    ("compression", &["content-encoding"]),
    (
        "framing",
        &[
            "utf8",
            "framing",
            "field-syntax",
            "id-valid",
            "end-of-stream",
        ],
    ),
    ("ids", &["id-unique"]),
    ("timing", &["first-byte", "buffering"]),
    ("heartbeat", &["heartbeat"]),
    ("resume", &["resume", "resume-unknown-id"]),
    ("echo", &["echo-roundtrip"]),
    ("Accept: */*", &["accept-any"]),
];

/// The main run on the stack at `base`: its ticker, with the echo test where it echoes.
pub(super) fn main_run(
    checker: &Path,
    base: &str,
    echo: bool,
    out: &Path,
) -> Result<Vec<Verdict>, String> {
    let main_url = format!("{base}/events");
    let echo_url = format!("{base}/echo");
    let seconds = format!("{MAIN_SECONDS}s");
    let mut args = vec![main_url.as_str(), "--duration", seconds.as_str()];
    if echo {
        args.extend(["--echo", echo_url.as_str(), "--echo-cases", ECHO_CASES]);
    }
    run_checker(checker, &args, &out.join("main.json"))
}

/// The idle run on the stack at `base`, long enough to judge a heartbeat.
pub(super) fn idle_run(checker: &Path, base: &str, out: &Path) -> Result<Vec<Verdict>, String> {
    let idle_url = format!("{base}/idle");
    let seconds = format!("{IDLE_SECONDS}s");
    run_checker(
        checker,
        &[idle_url.as_str(), "--duration", seconds.as_str()],
        &out.join("idle.json"),
    )
}

/// A stack's verdicts, in the scoreboard's groups' order: `heartbeat` from the idle run,
/// every other check from the main one (a few seconds cannot judge a heartbeat).
pub(super) fn merge(main: Vec<Verdict>, idle: Vec<Verdict>) -> Result<Vec<Verdict>, String> {
    let mut verdicts = Vec::new();
    for (_, ids) in GROUPS {
        for id in *ids {
            let from = if *id == "heartbeat" { &idle } else { &main };
            let verdict = from
                .iter()
                .find(|verdict| verdict.id == *id)
                .ok_or_else(|| format!("the report has no {id}"))?;
            verdicts.push(verdict.clone());
        }
    }
    Ok(verdicts)
}

/// `sse-conformance check ARGS --format json -o OUT`: the verdicts, or why there are none.
fn run_checker(checker: &Path, args: &[&str], out: &Path) -> Result<Vec<Verdict>, String> {
    let status = Command::new(checker)
        .arg("check")
        .args(args)
        .args(["--format", "json", "-o"])
        .arg(out)
        .stdout(Stdio::null())
        // Its progress lines ("probing resume") would interleave across stacks.
        .stderr(Stdio::null())
        .status()
        .map_err(|error| format!("cannot run the checker: {error}"))?;
    if status.code() == Some(2) || status.code().is_none() {
        return Err(format!("the checker could not run {} ({status})", args[0]));
    }
    let text =
        std::fs::read_to_string(out).map_err(|error| format!("{}: {error}", out.display()))?;
    let report: serde_json::Value =
        serde_json::from_str(&text).map_err(|error| format!("{}: {error}", out.display()))?;
    let checks = report["checks"]
        .as_array()
        .ok_or("a report without checks")?;
    Ok(checks
        .iter()
        .map(|check| Verdict {
            id: check["id"].as_str().unwrap_or_default().to_owned(),
            status: check["status"].as_str().unwrap_or_default().to_owned(),
            message: check["message"].as_str().unwrap_or_default().to_owned(),
            evidence: check["evidence"]
                .as_array()
                .map(|lines| {
                    lines
                        .iter()
                        .filter_map(|line| line.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect())
}

/// The snapshot of a stack's verdicts: one `check status` line per check.
pub(super) fn snapshot(stack: &str, verdicts: &[Verdict]) -> String {
    let mut text = format!(
        "# The verdicts of `cargo xtask frameworks` on {stack}, kept under review:\n# a change fails the command; `cargo xtask frameworks --bless` rewrites this file.\n"
    );
    for verdict in verdicts {
        text.push_str(&format!("{} {}\n", verdict.id, verdict.status));
    }
    text
}

/// The lines of two snapshots that differ, as `id: expected → now`.
pub(super) fn changes(expected: &str, now: &str) -> Vec<String> {
    let parse = |text: &str| -> Vec<(String, String)> {
        text.lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .filter_map(|line| line.split_once(' '))
            .map(|(id, status)| (id.to_owned(), status.trim().to_owned()))
            .collect()
    };
    let (expected, now) = (parse(expected), parse(now));
    let mut changed = Vec::new();
    for (id, status) in &now {
        match expected.iter().find(|(known, _)| known == id) {
            Some((_, was)) if was == status => {}
            Some((_, was)) => changed.push(format!("{id}: {was} → {status}")),
            None => changed.push(format!("{id}: (new) → {status}")),
        }
    }
    for (id, was) in &expected {
        if !now.iter().any(|(known, _)| known == id) {
            changed.push(format!("{id}: {was} → (gone)"));
        }
    }
    changed
}

/// The worst status of a group: fail > warn > pass > skip.
pub(super) fn worst<'a>(verdicts: &'a [Verdict], ids: &[&str]) -> &'a str {
    let rank = |status: &str| match status {
        "fail" => 3,
        "warn" => 2,
        "pass" => 1,
        _ => 0,
    };
    verdicts
        .iter()
        .filter(|verdict| ids.contains(&verdict.id.as_str()))
        .map(|verdict| verdict.status.as_str())
        .max_by_key(|status| rank(status))
        .unwrap_or("skip")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(id: &str, status: &str) -> Verdict {
        Verdict {
            id: id.into(),
            status: status.into(),
            message: String::new(),
            evidence: Vec::new(),
        }
    }

    #[test]
    fn a_changed_verdict_is_named() {
        let was = snapshot(
            "x",
            &[verdict("resume", "pass"), verdict("echo-roundtrip", "fail")],
        );
        let now = snapshot(
            "x",
            &[verdict("resume", "fail"), verdict("accept-any", "warn")],
        );
        assert_eq!(
            changes(&was, &now),
            [
                "resume: pass → fail",
                "accept-any: (new) → warn",
                "echo-roundtrip: fail → (gone)"
            ]
        );
        assert!(changes(&was, &was).is_empty());
    }

    #[test]
    fn a_group_shows_its_worst_verdict() {
        let verdicts = [
            verdict("resume", "pass"),
            verdict("resume-unknown-id", "fail"),
        ];
        assert_eq!(worst(&verdicts, &["resume", "resume-unknown-id"]), "fail");
        assert_eq!(worst(&verdicts, &["heartbeat"]), "skip");
    }
}
