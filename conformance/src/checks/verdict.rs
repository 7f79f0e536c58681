//! What a check concludes: [`Outcome`] (a [`Status`] and what was seen), and how bad a
//! failure is ([`Severity`]). Below every other file of `checks/`.

use serde::Serialize;

/// How bad a failure of the check is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Clients break: events lost, the connection refused or never resumed.
    Error,
    /// Clients work, but proxies, caches or timing will hurt in production.
    Warning,
    /// What some clients get, worth knowing; never a failure (at worst a warning).
    Info,
}

/// The verdict of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Fine.
    Pass,
    /// Works, with a risk worth fixing.
    Warn,
    /// Broken.
    Fail,
    /// Does not apply here (the reason says why).
    Skip,
}

impl Status {
    /// `pass`, `warn`, `fail` or `skip`: the name reports and fixtures use.
    ///
    /// ```
    /// assert_eq!(sse_conformance::checks::Status::Warn.as_str(), "warn");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }

    /// How bad, for picking the worst of several verdicts: skip < pass < warn < fail.
    pub(crate) fn rank(self) -> u8 {
        match self {
            Status::Skip => 0,
            Status::Pass => 1,
            Status::Warn => 2,
            Status::Fail => 3,
        }
    }
}

/// What a check concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The verdict.
    pub status: Status,
    /// One line for humans.
    pub message: String,
    /// What was seen, line by line.
    pub evidence: Vec<String>,
}

impl Outcome {
    fn new(status: Status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            evidence: Vec::new(),
        }
    }
    /// A pass.
    pub fn pass(message: impl Into<String>) -> Self {
        Self::new(Status::Pass, message)
    }
    /// A warning.
    pub fn warn(message: impl Into<String>) -> Self {
        Self::new(Status::Warn, message)
    }
    /// A failure.
    pub fn fail(message: impl Into<String>) -> Self {
        Self::new(Status::Fail, message)
    }
    /// Not applicable, with the reason.
    pub fn skip(message: impl Into<String>) -> Self {
        Self::new(Status::Skip, message)
    }
    /// Adds a line of evidence.
    pub fn with(mut self, evidence: impl Into<String>) -> Self {
        self.evidence.push(evidence.into());
        self
    }
}

/// Formats milliseconds for messages.
pub(crate) fn secs(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}
