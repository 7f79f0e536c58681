//! The JSON report (`--format json`): the [`Report`] as one object, every check with its
//! status, severity, spec section, message and evidence, then the summary.

use super::verdicts::Report;

/// Renders the report as one pretty-printed JSON object (the timeline's observations are
/// not part of it).
///
/// ```
/// use sse_conformance::report::{json, Report};
///
/// let report = Report::new("http://127.0.0.1:8080/events".into(), Vec::new());
/// let value: serde_json::Value = serde_json::from_str(&json(&report))?;
/// assert_eq!(value["summary"]["ok"], true);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn render(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("a report serialises")
}
