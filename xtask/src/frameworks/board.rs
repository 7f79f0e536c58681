//! The scoreboard page, `FRAMEWORKS.md`: one row per stack, one column per group of
//! checks, then every failure with its hand check and its fix (from
//! `xtask/frameworks/findings.json`, kept by hand), and every warning.

use serde_json::Value;

use super::stacks::Stack;
use super::verdicts::{worst, Verdict, GROUPS, IDLE_SECONDS};

/// A stack and what the checker said of it.
pub(super) struct Row<'a> {
    pub(super) stack: &'a Stack,
    pub(super) verdicts: Vec<Verdict>,
}

/// The failures that `findings` does not confirm by hand or give a fix for, as
/// `stack: check` (each must be looked at before the board is published).
pub(super) fn unconfirmed(rows: &[Row<'_>], findings: &Value) -> Vec<String> {
    let mut missing = Vec::new();
    for row in rows {
        for verdict in row
            .verdicts
            .iter()
            .filter(|verdict| verdict.status == "fail")
        {
            let note = &findings[row.stack.name][&verdict.id];
            if note["confirmed"].as_str().is_none() || note["fix"].as_str().is_none() {
                missing.push(format!("{}: {}", row.stack.name, verdict.id));
            }
        }
    }
    missing
}

/// Evidence lines shown per failure (an echo failure has one per fault).
const MAX_EVIDENCE: usize = 12;

fn cell(status: &str) -> &'static str {
    match status {
        "pass" => "pass",
        "warn" => "warn",
        "fail" => "**FAIL**",
        _ => "–",
    }
}

/// The page.
pub(super) fn render(rows: &[Row<'_>], findings: &Value) -> String {
    let mut page = String::from(
        "# SSE frameworks under the checker\n\n\
         <!-- Written by `cargo xtask frameworks`: edit xtask/frameworks/findings.json and the apps, not this page. -->\n\n\
         What a user of each framework gets by default. Each stack below is a real framework, \
         pinned, with a small app written the way that framework's own docs show (not fixed up; \
         the apps are in `xtask/frameworks/`): a ticker at `/events` (an event every 250 ms, ids \
         counting from 1, resuming after `Last-Event-ID` only where the docs show how), an idle \
         stream at `/idle` (one event, then only what the framework sends by itself), and, where \
         the framework can write arbitrary events, the echo contract at `/echo` through its own \
         encoder. `cargo xtask frameworks` starts every stack and runs `sse-conformance check` \
         on it: the main run (3 s, then the resume, unknown-id and `Accept: */*` probes, and the \
         echo test with 48 random scripts after the fixed cases), and an idle run of ",
    );
    page.push_str(&format!(
        "{IDLE_SECONDS} s for `heartbeat` (`--heartbeat-max` 45 s). Each stack's verdicts are kept \
         under review in `xtask/frameworks/expected/`: a changed verdict fails the command. Every \
         failure below was confirmed by hand, as noted with it.\n\n"
    ));
    page.push_str("| stack | framework |");
    for (group, _) in GROUPS {
        page.push_str(&format!(" {group} |"));
    }
    page.push_str("\n|---|---|");
    page.push_str(&"---|".repeat(GROUPS.len()));
    page.push('\n');
    for row in rows {
        page.push_str(&format!("| {} | {} |", row.stack.name, row.stack.framework));
        for (_, ids) in GROUPS {
            page.push_str(&format!(" {} |", cell(worst(&row.verdicts, ids))));
        }
        page.push('\n');
    }
    page.push_str(
        "\n`–`: not judged (the reason is in the stack's section).\n\n\
         ## Failures, how each was confirmed, and the fix\n",
    );
    for row in rows {
        let failures: Vec<&Verdict> = row
            .verdicts
            .iter()
            .filter(|verdict| verdict.status == "fail")
            .collect();
        page.push_str(&format!("\n### {}\n\n", row.stack.name));
        if failures.is_empty() {
            page.push_str("No failure.\n");
        }
        for verdict in failures {
            let note = &findings[row.stack.name][&verdict.id];
            page.push_str(&format!(
                "- **`{}`**: {}\n",
                verdict.id,
                one_line(&verdict.message)
            ));
            for line in verdict.evidence.iter().take(MAX_EVIDENCE) {
                page.push_str(&format!("  - Seen: {}\n", one_line(line)));
            }
            page.push_str(&format!(
                "  - Confirmed by hand: {}\n  - Fix: {}\n",
                note["confirmed"].as_str().unwrap_or("(not yet)"),
                note["fix"].as_str().unwrap_or("(not yet)"),
            ));
        }
        let warnings: Vec<&Verdict> = row
            .verdicts
            .iter()
            .filter(|verdict| verdict.status == "warn")
            .collect();
        if !warnings.is_empty() {
            page.push_str("\nWarnings:\n\n");
            for verdict in warnings {
                page.push_str(&format!(
                    "- `{}`: {}\n",
                    verdict.id,
                    one_line(&verdict.message)
                ));
            }
        }
        let unjudged: Vec<&Verdict> = GROUPS
            .iter()
            .filter(|(_, ids)| worst(&row.verdicts, ids) == "skip")
            .flat_map(|(_, ids)| {
                row.verdicts
                    .iter()
                    .filter(|verdict| ids.contains(&verdict.id.as_str()))
            })
            .collect();
        if !unjudged.is_empty() {
            page.push_str("\nNot judged:\n\n");
            for verdict in unjudged {
                let message = one_line(&verdict.message);
                page.push_str(&format!("- `{}`: {message}\n", verdict.id));
            }
        }
    }
    page
}

/// A message on one line, cut where it would swamp the page (an echo failure lists its
/// faults).
fn one_line(message: &str) -> String {
    let line = message.replace('\n', " ");
    match line.char_indices().nth(400) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line,
    }
}
