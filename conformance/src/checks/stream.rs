//! [`Stream`]: a response a client would read, with what a client made of it.

use crate::transcript::{Analysis, Transcript};

/// A stream the run read, with what its request sent.
#[derive(Debug, Clone, Copy)]
pub struct Stream<'a> {
    /// `the main request`, or what the probe's request sent.
    pub label: &'a str,
    /// The response.
    pub transcript: &'a Transcript,
    /// What a client made of it, parsed once for every check and the report.
    pub analysis: &'a Analysis,
}
