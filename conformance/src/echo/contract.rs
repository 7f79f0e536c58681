//! The echo contract's types: one scripted event, and what a run concluded. Plain data,
//! below everything else in `echo/`, so the checks can read an outcome without the
//! runner.

use serde::{Deserialize, Serialize};

/// One event of the echo contract.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EchoEvent {
    /// `id` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `event` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// `data`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// `retry`, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<u64>,
    /// A comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl EchoEvent {
    pub(crate) fn data(data: &str) -> Self {
        Self {
            data: Some(data.to_owned()),
            ..Self::default()
        }
    }

    /// True if the contract requires a 400 for this event.
    pub fn is_invalid(&self) -> bool {
        self.id
            .as_deref()
            .is_some_and(|id| id.contains(['\r', '\n', '\0']))
            || self
                .event
                .as_deref()
                .is_some_and(|event| event.contains(['\r', '\n']))
    }
}

/// The result of the echo run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EchoOutcome {
    /// Not run, and why.
    NotRun(String),
    /// The server could not be used (refused, timed out), and why.
    CouldNotRun(String),
    /// The run went through: what it found.
    Ran(EchoReport),
}

/// What a run of the echo test found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EchoReport {
    /// Scripts whose answer was judged (refused ones are not).
    pub judged: usize,
    /// Every distinct encoder fault, each with its own minimal input: the fixed cases
    /// that failed, then what random scripts found that no failed fixed case explains.
    pub faults: Vec<EchoFault>,
    /// A request size limit of the echo route: larger scripts were refused, so events
    /// that large were not judged. Not an encoder fault.
    pub size_limit: Option<SizeLimit>,
    /// Valid scripts the route answered `501` to: its encoder cannot express them (an
    /// API that has no way to write an id without data, say). Not judged.
    pub unsupported: Unsupported,
}

impl EchoReport {
    /// True when every judged script round-tripped.
    pub fn passed(&self) -> bool {
        self.faults.is_empty()
    }
}

/// Valid scripts an echo route cannot express, by its own word (`501 Not Implemented`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unsupported {
    /// How many scripts.
    pub scripts: usize,
    /// The fixed cases among them, by name.
    pub fixed_cases: Vec<String>,
    /// The first such script.
    pub example: Option<Vec<EchoEvent>>,
}

impl Unsupported {
    pub(crate) fn note(&mut self, events: &[EchoEvent], fixed_case: Option<&str>) {
        self.scripts += 1;
        self.fixed_cases.extend(fixed_case.map(str::to_owned));
        if self.example.is_none() {
            self.example = Some(events.to_vec());
        }
    }
}

/// One encoder fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EchoFault {
    /// The fixed case's name, or what kind of random script showed it.
    pub case: String,
    /// What differed.
    pub reason: String,
    /// The smallest input found that shows it.
    pub minimal: Vec<EchoEvent>,
}

/// Valid scripts the echo route refused for their size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeLimit {
    /// How many scripts were refused.
    pub refused: usize,
    /// The answer's status.
    pub status: u16,
    /// The answer's content type (empty if none).
    pub content_type: String,
    /// The smallest refused request body found by shrinking, in bytes.
    pub smallest_refused: usize,
    /// The largest request body that was answered, in bytes.
    pub largest_answered: usize,
}
