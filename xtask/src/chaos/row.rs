//! One fault's line of the chaos table.

use std::time::Duration;

/// One line of the table.
pub(crate) struct Row {
    pub(crate) fault: String,
    pub(crate) connected: String,
    pub(crate) reconnecting: String,
    /// From the engine answering again to the connected client's first event after.
    pub(crate) recovered: Option<Duration>,
    /// Publishes refused (503) after the engine answered again.
    pub(crate) refused: usize,
    pub(crate) verdict: Result<String, String>,
}

impl Row {
    pub(crate) fn new(fault: &str) -> Self {
        Self {
            fault: fault.to_owned(),
            connected: "—".into(),
            reconnecting: "—".into(),
            recovered: None,
            refused: 0,
            verdict: Err("did not run".into()),
        }
    }
}
