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
    /// Every case round-tripped.
    Passed {
        /// Cases tried.
        cases: usize,
    },
    /// A case failed; `minimal` is the shrunk input.
    Failed {
        /// What differed.
        reason: String,
        /// The smallest failing input found.
        minimal: Vec<EchoEvent>,
        /// Cases tried before the failure.
        cases: usize,
    },
}
