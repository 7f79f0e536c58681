//! The `sse-conformance` binary: exit codes, output shapes, and clear errors.

use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sse-conformance"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn replay_exit_codes_and_allow() {
    assert_eq!(
        run(&["replay", "fixtures/servers/good-ticker.json"])
            .status
            .code(),
        Some(0)
    );
    let failing = run(&["replay", "fixtures/servers/status-500.json"]);
    assert_eq!(failing.status.code(), Some(1));
    assert!(
        stdout(&failing).contains("FAIL  status"),
        "{}",
        stdout(&failing)
    );
    let allowed = run(&[
        "replay",
        "fixtures/servers/status-500.json",
        "--allow",
        "status",
    ]);
    assert_eq!(allowed.status.code(), Some(0), "{}", stdout(&allowed));
    assert!(stdout(&allowed).contains("(allowed)"));
}

#[test]
fn json_report_shape() {
    let output = run(&[
        "replay",
        "fixtures/servers/buffered-burst.json",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(report["url"].is_string());
    let checks = report["checks"].as_array().unwrap();
    assert_eq!(checks.len(), sse_conformance::checks::CATALOGUE.len());
    for check in checks {
        for key in ["id", "status", "severity", "spec", "message", "evidence"] {
            assert!(check.get(key).is_some(), "{key} missing in {check}");
        }
    }
    let buffering = checks.iter().find(|c| c["id"] == "buffering").unwrap();
    assert_eq!(buffering["status"], "fail");
    assert_eq!(report["summary"]["ok"], false);
    assert!(report["summary"]["fail"].as_u64().unwrap() >= 1);
}

#[test]
fn junit_report_counts_failures() {
    let output = run(&[
        "replay",
        "fixtures/servers/content-length.json",
        "--format",
        "junit",
    ]);
    let xml = stdout(&output);
    assert!(xml.starts_with("<?xml"));
    assert!(
        xml.contains("<testcase classname=\"sse-conformance\" name=\"no-content-length\"><failure")
    );
    assert_eq!(
        xml.matches("<testcase ").count(),
        sse_conformance::checks::CATALOGUE.len()
    );
}

#[test]
fn could_not_run_is_exit_2_with_a_sentence() {
    let bad_url = run(&["check", "not a url"]);
    assert_eq!(bad_url.status.code(), Some(2));
    assert!(
        stderr(&bad_url).contains("invalid URL"),
        "{}",
        stderr(&bad_url)
    );

    // A port nothing listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = run(&[
        "check",
        &format!("http://127.0.0.1:{port}/events"),
        "--duration",
        "2s",
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("cannot connect"),
        "{}",
        stderr(&refused)
    );

    let unknown_allow = run(&[
        "replay",
        "fixtures/servers/good-ticker.json",
        "--allow",
        "nope",
    ]);
    assert_eq!(unknown_allow.status.code(), Some(2));
    assert!(stderr(&unknown_allow).contains("not a check id"));

    let missing = run(&["replay", "fixtures/servers/does-not-exist.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot read"));
}

#[test]
fn parse_prints_json_lines_whatever_the_chunk_size() {
    let dir = std::env::temp_dir().join(format!("sse-parse-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stream.txt");
    std::fs::write(
        &file,
        "retry: 7\r\nid: 1\r\nevent: e\r\ndata: a\r\ndata: b\r\r: c\rdata: x\r\n\r\ndata: cut",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let whole = run(&["parse", file]);
    assert_eq!(whole.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = stdout(&whole)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        vec![
            serde_json::json!({"kind": "retry", "ms": 7}),
            serde_json::json!({"kind": "event", "type": "e", "data": "a\nb", "last_event_id": "1"}),
            serde_json::json!({"kind": "event", "type": "message", "data": "x", "last_event_id": "1"}),
        ]
    );
    for chunk in ["1", "2", "5"] {
        assert_eq!(
            stdout(&run(&["parse", file, "--chunk", chunk])),
            stdout(&whole),
            "--chunk {chunk}"
        );
    }
    assert_eq!(run(&["parse", file, "--chunk", "0"]).status.code(), Some(2));
}

#[test]
fn checks_lists_the_catalogue() {
    let output = run(&["checks"]);
    assert_eq!(output.status.code(), Some(0));
    for check in sse_conformance::checks::CATALOGUE {
        assert!(stdout(&output).contains(check.id));
    }
}

#[test]
fn piped_human_output_carries_no_colour_codes() {
    // stdout is a pipe here: anstream drops the styles a terminal would get.
    let output = run(&["replay", "fixtures/servers/status-500.json"]);
    assert!(stdout(&output).contains("FAIL  status"));
    assert!(!stdout(&output).contains('\u{1b}'), "{:?}", stdout(&output));
}

#[test]
fn html_report_to_a_file() {
    let dir = std::env::temp_dir().join(format!("sse-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("burst.html");
    let output = run(&[
        "replay",
        "fixtures/servers/buffered-burst.json",
        "--format",
        "html",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the verdict, as with any format"
    );
    assert!(stdout(&output).is_empty(), "the report went to the file");
    let page = std::fs::read_to_string(&file).unwrap();
    assert!(page.starts_with("<!doctype html>"));
    // Self-contained: no script, no stylesheet or image fetched from anywhere.
    for outside in ["<script", "src=", "href=", "@import", "url("] {
        assert!(!page.contains(outside), "{outside} in the page");
    }
    let rows = page.matches("<tr class=\"check ").count();
    assert_eq!(rows, sse_conformance::checks::CATALOGUE.len());
    assert_eq!(
        page.matches("<rect class=\"burst\" data-events=\"12\"")
            .count(),
        1
    );
    assert!(page.contains("data-id=\"buffering\" data-status=\"fail\""));
    let _ = std::fs::remove_dir_all(&dir);
    // A file that cannot be written: a sentence and exit 2.
    let unwritable = run(&[
        "replay",
        "fixtures/servers/good-ticker.json",
        "--format",
        "html",
        "-o",
        "/nonexistent-dir/report.html",
    ]);
    assert_eq!(unwritable.status.code(), Some(2));
    assert!(
        stderr(&unwritable).contains("cannot write the report"),
        "{}",
        stderr(&unwritable)
    );
}
