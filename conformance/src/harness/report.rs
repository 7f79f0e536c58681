//! A client run's report: human, JSON and JUnit.

use super::run::ClientRun;
use super::scenario::{Level, Verdict};

fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "PASS",
        Verdict::Warn => "WARN",
        Verdict::Fail => "FAIL",
        Verdict::Skip => "SKIP",
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Must => "must",
        Level::Should => "should",
        Level::Info => "info",
    }
}

/// The human report: one line per scenario, then the counts.
pub fn human(run: &ClientRun) -> String {
    let mut out = format!("sse-conformance client: {}\n", run.client);
    let width = run.results.iter().map(|r| r.id.len()).max().unwrap_or(0);
    for result in &run.results {
        out.push_str(&format!(
            "  {}  {:<6} {:<width$}  {}\n",
            verdict_name(result.verdict),
            level_name(result.level),
            result.id,
            result.detail
        ));
    }
    let count = |verdict| run.results.iter().filter(|r| r.verdict == verdict).count();
    out.push_str(&format!(
        "{}: {} pass, {} warn, {} fail, {} skip\n",
        if run.exit_code() == 0 { "OK" } else { "FAILED" },
        count(Verdict::Pass),
        count(Verdict::Warn),
        count(Verdict::Fail),
        count(Verdict::Skip)
    ));
    out
}

/// The JSON report: `{"client": …, "results": [{"id", "title", "spec", "level",
/// "verdict", "detail"}…]}`.
pub fn json(run: &ClientRun) -> String {
    serde_json::to_string_pretty(run).expect("a client run serialises")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A JUnit `<testsuite>`: one test case per scenario.
pub fn junit(run: &ClientRun) -> String {
    let failures = run
        .results
        .iter()
        .filter(|r| r.verdict == Verdict::Fail)
        .count();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"sse-conformance client {}\" tests=\"{}\" failures=\"{failures}\">\n",
        escape(&run.client),
        run.results.len()
    );
    for result in &run.results {
        out.push_str(&format!(
            "  <testcase classname=\"{}\" name=\"{}\">",
            level_name(result.level),
            escape(result.id)
        ));
        match result.verdict {
            Verdict::Fail => out.push_str(&format!(
                "<failure message=\"{}\">{}</failure>",
                escape(&result.detail),
                escape(result.spec)
            )),
            Verdict::Skip => out.push_str(&format!(
                "<skipped message=\"{}\"/>",
                escape(&result.detail)
            )),
            _ => {}
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("</testsuite>\n");
    out
}
