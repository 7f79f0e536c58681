//! The client harness's `--exec` contract, for the Rust wrappers: one JSON object per
//! line on stdout, and the URL from the command line.

use std::io::Write;

/// The URL the harness gave.
pub fn url() -> String {
    std::env::args().nth(1).unwrap_or_default()
}

/// `{"kind":"open"}`.
pub fn open() {
    line(serde_json::json!({ "kind": "open" }));
}

/// `{"kind":"event","type":…,"data":…,"id":…}`.
pub fn event(event_type: &str, data: &str, id: &str) {
    let event_type = if event_type.is_empty() {
        "message"
    } else {
        event_type
    };
    line(serde_json::json!({ "kind": "event", "type": event_type, "data": data, "id": id }));
}

/// `{"kind":"error","message":…}`.
pub fn error(message: impl std::fmt::Display) {
    line(serde_json::json!({ "kind": "error", "message": message.to_string() }));
}

/// `{"kind":"closed"}`: the client gave up.
pub fn closed() {
    line(serde_json::json!({ "kind": "closed" }));
}

fn line(value: serde_json::Value) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{value}");
    let _ = stdout.flush();
}
