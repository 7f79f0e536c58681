//! The human report: one line per check, evidence indented below, colour on a terminal.

use std::fmt::Write;

use super::Report;
use crate::checks::Status;

const RESET: &str = "\x1b[0m";

fn label(status: Status) -> (&'static str, &'static str) {
    match status {
        Status::Pass => ("PASS", "\x1b[32m"),
        Status::Warn => ("WARN", "\x1b[33m"),
        Status::Fail => ("FAIL", "\x1b[1;31m"),
        Status::Skip => ("SKIP", "\x1b[2m"),
    }
}

/// Renders the report as a table; `color` adds ANSI colours.
pub fn render(report: &Report, color: bool) -> String {
    let paint = |text: &str, code: &str| {
        if color {
            format!("{code}{text}{RESET}")
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
                paint(&format!("· {line}"), "\x1b[2m")
            );
        }
    }
    let summary = &report.summary;
    let verdict = if summary.ok {
        paint("OK", "\x1b[1;32m")
    } else {
        paint("FAILED", "\x1b[1;31m")
    };
    let _ = writeln!(
        out,
        "{verdict}: {} pass, {} warn, {} fail{}, {} skip",
        summary.pass,
        summary.warn,
        summary.fail,
        if summary.allowed > 0 {
            format!(" ({} allowed)", summary.allowed)
        } else {
            String::new()
        },
        summary.skip
    );
    out
}
