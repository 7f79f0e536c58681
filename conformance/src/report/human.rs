//! The human report: one line per check, evidence indented below, colour on a terminal.
//!
//! Styles are anstyle's; the CLI prints through anstream, which drops them when stdout
//! is not a terminal or `NO_COLOR` is set.

use std::fmt::Write;

use anstyle::{AnsiColor, Effects, Style};

use super::markup::counts;
use super::verdicts::Report;
use crate::checks::Status;

const GREEN: Style = AnsiColor::Green.on_default();
const BOLD_GREEN: Style = AnsiColor::Green.on_default().effects(Effects::BOLD);
const YELLOW: Style = AnsiColor::Yellow.on_default();
const BOLD_RED: Style = AnsiColor::Red.on_default().effects(Effects::BOLD);
const DIM: Style = Style::new().effects(Effects::DIMMED);

fn label(status: Status) -> (&'static str, Style) {
    match status {
        Status::Pass => ("PASS", GREEN),
        Status::Warn => ("WARN", YELLOW),
        Status::Fail => ("FAIL", BOLD_RED),
        Status::Skip => ("SKIP", DIM),
    }
}

/// Renders the report as a table; `color` adds ANSI styles.
pub fn render(report: &Report, color: bool) -> String {
    let paint = |text: &str, style: Style| {
        if color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    };
    let width = report
        .checks
        .iter()
        .map(|check| check.id.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(out, "sse-conformance {}", report.url);
    for check in &report.checks {
        let (text, code) = label(check.status);
        let allowed = if check.allowed { " (allowed)" } else { "" };
        let _ = writeln!(
            out,
            "  {}  {:width$}  {}{allowed}",
            paint(text, code),
            check.id,
            check.message
        );
        for line in &check.evidence {
            let _ = writeln!(
                out,
                "        {:width$}  {}",
                "",
                paint(&format!("· {line}"), DIM)
            );
        }
    }
    let summary = &report.summary;
    let verdict = if summary.ok {
        paint("OK", BOLD_GREEN)
    } else {
        paint("FAILED", BOLD_RED)
    };
    let _ = writeln!(out, "{verdict}: {}", counts(summary));
    out
}
