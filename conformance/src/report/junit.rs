//! JUnit XML, for CI systems: one test case per check.

use std::fmt::Write;

use super::Report;
use crate::checks::Status;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry most control characters at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Renders the report as a JUnit `<testsuite>`.
pub fn render(report: &Report) -> String {
    let summary = &report.summary;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuite name=\"sse-conformance {}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
        escape(&report.url),
        report.checks.len(),
        summary.fail - summary.allowed,
        summary.skip
    );
    for check in &report.checks {
        let _ = write!(
            out,
            "  <testcase classname=\"sse-conformance\" name=\"{}\">",
            check.id
        );
        let details = escape(&check.evidence.join("\n"));
        let message = escape(&check.message);
        match check.status {
            Status::Fail if !check.allowed => {
                let _ = write!(
                    out,
                    "<failure message=\"{message}\">{}\n{details}</failure>",
                    escape(check.spec)
                );
            }
            Status::Skip => {
                let _ = write!(out, "<skipped message=\"{message}\"/>");
            }
            _ => {
                let _ = write!(
                    out,
                    "<system-out>{}: {message}\n{details}</system-out>",
                    format!("{:?}", check.status).to_lowercase()
                );
            }
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("</testsuite>\n");
    out
}
