//! Probes: the extra requests a check needs beyond the main stream. A check describes
//! them as a [`ProbePlan`], made from what the main stream showed; `run.rs` makes the
//! requests, whatever they are, and hands the answers back to that check alone.

use std::sync::OnceLock;
use std::time::Duration;

use super::options::CheckOptions;
use super::stream::Stream;
use super::verdict::Outcome;
use crate::client::{Limits, Target};
use crate::echo::EchoOutcome;
use crate::transcript::{Analysis, Transcript};

/// The most body a probe reads: a few events are all any probe needs, and a hostile
/// server must not make the run hold its largest body once per probe.
pub const PROBE_MAX_BYTES: usize = 1 << 20;

/// What a check's planner sees: the main request as it was sent, and its answer.
pub struct ProbeContext<'a> {
    /// The main request, with `--header`, `--auth-header` and `--origin` applied.
    pub target: &'a Target,
    /// The main response.
    pub main: &'a Transcript,
    /// What a client made of it.
    pub analysis: &'a Analysis,
    /// The settings.
    pub options: &'a CheckOptions,
}

impl ProbeContext<'_> {
    /// Where a client reconnects: the main request again, or `--resume-via`'s URL.
    pub fn reconnect_target(&self) -> Target {
        match &self.options.resume_via {
            None => self.target.clone(),
            Some(url) => Target {
                url: url.clone(),
                ..self.target.clone()
            },
        }
    }

    /// The main observation's length, or a shorter cap, for a probe's own limits.
    pub fn duration_at_most(&self, cap: Duration) -> Duration {
        self.options.duration.unwrap_or(cap).min(cap)
    }

    /// A probe's limits: `events` events at most (`None`: no count), for `duration` at
    /// most, and never more than [`PROBE_MAX_BYTES`].
    pub fn limits(&self, events: Option<usize>, duration: Duration) -> Limits {
        Limits {
            duration,
            max_events: events,
            max_bytes: PROBE_MAX_BYTES,
            only_events_with_id: false,
        }
    }
}

/// The extra requests a check asks for.
#[derive(Debug, Clone)]
pub enum ProbePlan {
    /// None this time, and why: the check is then skipped with this reason.
    Skip(String),
    /// These requests, one after the other; the answers come back in the same order.
    Requests(Vec<ProbeRequest>),
    /// The echo property test against this endpoint, with this many random scripts.
    Echo {
        /// The echo URL and how to reach it.
        endpoint: Target,
        /// Random scripts after the fixed cases.
        cases: u32,
    },
}

/// One request of a probe.
#[derive(Debug, Clone)]
pub struct ProbeRequest {
    /// How it differs from the main request, for the evidence (`sent Last-Event-ID: 3`).
    pub sent: String,
    /// The request.
    pub target: Target,
    /// When to stop reading its answer.
    pub limits: Limits,
    /// A client reads its answer as a stream, so the checks of each stream judge that
    /// answer too (a reconnect's answer: yes; a preflight or a refusal: no).
    pub read_as_stream: bool,
}

/// What came back for one [`ProbeRequest`].
#[derive(Debug, Clone)]
pub struct ProbeAnswer {
    /// The request's [`sent`](ProbeRequest::sent).
    pub sent: String,
    /// The request's [`read_as_stream`](ProbeRequest::read_as_stream).
    pub read_as_stream: bool,
    /// The response, or why none came (read through [`response`](Self::response); not
    /// public, so that it cannot change under the analysis made of it).
    answer: Result<Transcript, String>,
    /// What a client made of the response: parsed once, when first asked for, then shared
    /// by the check that made the probe, the checks of each stream and the report.
    analysis: OnceLock<Analysis>,
}

impl ProbeAnswer {
    /// The answer to a request that was `sent`.
    pub fn new(sent: String, read_as_stream: bool, answer: Result<Transcript, String>) -> Self {
        Self {
            sent,
            read_as_stream,
            answer,
            analysis: OnceLock::new(),
        }
    }

    /// The response with what a client made of it (labelled with what was sent), or
    /// why none came.
    ///
    /// ```
    /// use sse_conformance::checks::ProbeAnswer;
    ///
    /// let none = ProbeAnswer::new("sent Last-Event-ID: 3".into(), true, Err("refused".into()));
    /// assert_eq!(none.response().unwrap_err(), "refused");
    /// ```
    ///
    /// # Errors
    /// The reason no response came.
    pub fn response(&self) -> Result<Stream<'_>, &str> {
        match &self.answer {
            Ok(transcript) => Ok(Stream {
                label: &self.sent,
                transcript,
                analysis: self.analysis.get_or_init(|| transcript.analyze()),
            }),
            Err(why) => Err(why),
        }
    }
}

/// The result of a check's probe.
#[derive(Debug, Clone)]
pub enum Probe {
    /// Not made, and why.
    NotRun(String),
    /// One answer per request, in order.
    Answered(Vec<ProbeAnswer>),
    /// The echo property test's outcome.
    Echo(EchoOutcome),
}

impl Probe {
    /// The one answer of a one-request probe, or the verdict when there is none: `skip`
    /// if the probe was not made, `fail` ("`what` got no answer: …") if it got no
    /// response.
    pub(crate) fn single(&self, what: &str) -> Result<Stream<'_>, Outcome> {
        let answers = self.answers()?;
        let Some(first) = answers.first() else {
            return Err(Outcome::skip(format!("{what} was not made")));
        };
        first
            .response()
            .map_err(|why| Outcome::fail(format!("{what} got no answer: {why}")))
    }

    /// Every answer, or `skip` with the reason the probe was not made.
    pub(crate) fn answers(&self) -> Result<&[ProbeAnswer], Outcome> {
        match self {
            Probe::NotRun(why) => Err(Outcome::skip(why.clone())),
            Probe::Answered(answers) => Ok(answers),
            Probe::Echo(_) => Err(Outcome::skip("not a request probe")),
        }
    }
}

/// Every probe of a run, by the id of the check that asked for it.
#[derive(Debug, Clone)]
pub struct Probes {
    made: Vec<(&'static str, Probe)>,
    absent: Probe,
}

impl Probes {
    /// No probes: what an offline replay has.
    pub fn offline() -> Self {
        Self {
            made: Vec::new(),
            absent: Probe::NotRun("needs a live server (this is a replay)".into()),
        }
    }

    /// Probes of a live run; a check that made none gets `NotRun`.
    pub fn live(made: Vec<(&'static str, Probe)>) -> Self {
        Self {
            made,
            absent: Probe::NotRun("no probe was made".into()),
        }
    }

    /// The probe of check `id`.
    pub fn get(&self, id: &str) -> &Probe {
        self.made
            .iter()
            .find(|(check, _)| *check == id)
            .map_or(&self.absent, |(_, probe)| probe)
    }

    /// Every answer of every request probe, with the id of the check that made it.
    pub fn answers(&self) -> impl Iterator<Item = (&'static str, &ProbeAnswer)> {
        self.made.iter().flat_map(|(check, probe)| {
            let answers: &[ProbeAnswer] = match probe {
                Probe::Answered(answers) => answers,
                _ => &[],
            };
            answers.iter().map(move |answer| (*check, answer))
        })
    }

    /// Every answer a client would read as a stream.
    pub(crate) fn streams(&self) -> impl Iterator<Item = Stream<'_>> {
        self.answers()
            .filter(|(_, answer)| answer.read_as_stream)
            .filter_map(|(_, answer)| answer.response().ok())
            .filter(|stream| stream.transcript.is_event_stream())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_parsed_once_for_every_reader() {
        let transcript: Transcript = serde_json::from_str(
            r#"{"request": {"method": "GET", "url": "http://x/"}, "version": "HTTP/1.1",
                "status": 200, "headers": [["content-type", "text/event-stream"]],
                "headers_at_ms": 0.0, "chunks": [{"at_ms": 1.0, "text": "id: 1\ndata: a\n\n"}],
                "end": {"kind": "eof"}, "observed_ms": 1.0}"#,
        )
        .unwrap();
        let answer = ProbeAnswer::new("sent Last-Event-ID: 0".into(), true, Ok(transcript));
        let probes = Probes::live(vec![("resume", Probe::Answered(vec![answer]))]);
        let from_streams = probes.streams().next().unwrap().analysis;
        let from_check = probes
            .get("resume")
            .single("the reconnect")
            .unwrap()
            .analysis;
        assert!(std::ptr::eq(from_streams, from_check));
        assert_eq!(from_check.events, 1);
    }
}
