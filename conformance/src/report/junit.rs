//! JUnit XML, for CI systems: one test case per check.
//!
//! Written by hand rather than with quick-junit: a report is one `<testsuite>` of one
//! element per check, and quick-junit would bring chrono, uuid, quick-xml and indexmap
//! into every build of the checker for it. What it would add, escaping (XML 1.0's
//! forbidden control characters included), is `markup.rs`, tested there.

use std::fmt::Write;

use super::markup::escape;
use super::verdicts::Report;
use crate::checks::Status;

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
