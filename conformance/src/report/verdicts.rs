//! [`Report`]: the verdicts of one run and their counts, which every format renders.

use serde::Serialize;

use super::observed::Observed;
use crate::checks::{CheckResult, Status};

/// The verdicts of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// What was checked.
    pub url: String,
    /// One entry per check of the catalogue, in catalogue order.
    pub checks: Vec<CheckResult>,
    /// The counts.
    pub summary: Summary,
    /// What was observed, the main response first and then each probe's answers, for
    /// the HTML report's timeline (not part of the JSON).
    #[serde(skip)]
    pub observed: Vec<Observed>,
}

/// Counts per status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Checks that passed.
    pub pass: usize,
    /// Checks that warned.
    pub warn: usize,
    /// Checks that failed (allowed ones included).
    pub fail: usize,
    /// Failures accepted with `--allow`.
    pub allowed: usize,
    /// Checks that did not apply.
    pub skip: usize,
    /// True when no check failed except allowed ones.
    pub ok: bool,
}

impl Report {
    /// Counts the results.
    pub fn new(url: String, checks: Vec<CheckResult>) -> Self {
        let count = |status| checks.iter().filter(|check| check.status == status).count();
        let allowed = checks.iter().filter(|check| check.allowed).count();
        let fail = count(Status::Fail);
        let summary = Summary {
            pass: count(Status::Pass),
            warn: count(Status::Warn),
            fail,
            allowed,
            skip: count(Status::Skip),
            ok: fail == allowed,
        };
        Self {
            url,
            checks,
            summary,
            observed: Vec::new(),
        }
    }

    /// The same report with what was observed, for the HTML timeline.
    pub fn with_observed(mut self, observed: Vec<Observed>) -> Self {
        self.observed = observed;
        self
    }

    /// 0 when nothing failed (but allowed checks), 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        i32::from(!self.summary.ok)
    }

    /// The result of one check.
    pub fn get(&self, id: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|check| check.id == id)
    }
}
