//! The checker's HTML report, opened in headless Chromium: the report of a recorded
//! buffered burst and of a live check of the demo, each asserted on in the DOM
//! (`report.mjs`: every check row is there, the burst is marked) and saved as a
//! screenshot.

use std::path::Path;
use std::process::Command;

use super::case::{run_script, Case};

/// Writes the two reports into `artifacts`, then runs `report.mjs` on them.
pub(super) fn report_cases(
    interop: &Path,
    checker: &Path,
    artifacts: &Path,
    demo_base: &str,
    origin: &str,
) -> Vec<Case> {
    let fixture = interop.join("../../fixtures/servers/buffered-burst.json");
    let burst = artifacts.join("report-burst.html");
    let demo = artifacts.join("report-demo.html");
    let events = format!("{demo_base}/events?interval_ms=250");
    let echo = format!("{demo_base}/echo");
    let writes = [
        (
            "a recorded burst",
            vec![
                "replay".to_owned(),
                fixture.display().to_string(),
                "--format".into(),
                "html".into(),
                "-o".into(),
                burst.display().to_string(),
            ],
        ),
        (
            "a live check of the demo",
            [
                "check",
                &events,
                "--duration",
                "3s",
                "--origin",
                origin,
                "--echo",
                &echo,
                "--echo-cases",
                "8",
                "--format",
                "html",
                "-o",
            ]
            .iter()
            .map(|arg| (*arg).to_owned())
            .chain([demo.display().to_string()])
            .collect(),
        ),
    ];
    for (what, args) in &writes {
        eprintln!("$ sse-conformance {}", args.join(" "));
        // The burst's report fails a check (exit 1); only exit 2 means no report.
        let written = Command::new(checker)
            .args(args)
            .status()
            .is_ok_and(|status| status.code() != Some(2));
        if !written {
            return vec![Case {
                client: "sse-conformance --format html".into(),
                name: format!("the report of {what}"),
                ok: false,
                saw: "the checker could not write it".into(),
            }];
        }
    }
    let ids = check_ids(checker);
    let env = [
        ("BURST_REPORT", burst.to_str().unwrap_or_default()),
        ("DEMO_REPORT", demo.to_str().unwrap_or_default()),
        ("CHECK_IDS", ids.as_str()),
        ("ARTIFACTS", artifacts.to_str().unwrap_or(".")),
    ];
    run_script(interop, "node", "report.mjs", &env, 2)
}

/// Every check id of the catalogue, comma-separated, from `sse-conformance checks`.
fn check_ids(checker: &Path) -> String {
    let listing = Command::new(checker)
        .arg("checks")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default();
    listing
        .lines()
        .filter(|line| !line.starts_with(' '))
        .filter_map(|line| line.split_whitespace().next())
        .collect::<Vec<_>>()
        .join(",")
}
