//! What a client scenario is: the answers the harness gives, over one or more
//! connections, and the judgment of what the client did with them. Plain data, below
//! everything else in `harness/`.

use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;

/// How binding a scenario is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The WHATWG rules: a client that fails it is wrong.
    Must,
    /// What every serious client does, beyond the letter of the spec.
    Should,
    /// What a client does where the spec and common practice differ: reported, never a
    /// failure.
    Info,
}

/// The verdict of one scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Did what the scenario asks.
    Pass,
    /// Did something worth knowing (a should- or info-level difference).
    Warn,
    /// Did not.
    Fail,
    /// Could not be judged (the detail says why).
    Skip,
}

/// One scenario of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Stable id, for `--only` and in reports.
    pub id: &'static str,
    /// Its group, a column of the matrix.
    pub group: &'static str,
    /// What is checked, in one line.
    pub title: &'static str,
    /// The spec section (or field knowledge) behind it.
    pub spec: &'static str,
    /// How binding it is.
    pub level: Level,
    /// How long the client is watched.
    pub window: Duration,
    /// The answers, one per connection, in order; connections past them are held open
    /// and silent.
    pub answers: fn() -> Vec<Answer>,
    /// The judgment.
    pub judge: fn(&Observation) -> Judged,
}

/// What the harness answers one request with.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// The headers (`Content-Type: text/event-stream` and `Cache-Control: no-cache` by
    /// default).
    pub headers: Vec<(String, String)>,
    /// The body: each chunk after its delay.
    pub chunks: Vec<(Duration, Bytes)>,
    /// How the body ends.
    pub end: End,
}

/// How an answer's body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Cleanly: the stream is over.
    Close,
    /// A network error: the connection breaks mid-body.
    Abort,
    /// Not at all while the scenario runs.
    Hold,
}

impl Answer {
    /// A `200 text/event-stream` answer of `chunks` sent at once, then `end`.
    ///
    /// ```
    /// use sse_conformance::harness::{Answer, End};
    ///
    /// let answer = Answer::stream(&[b"data: a\n\n"], End::Close).with_header("content-type", "text/plain");
    /// assert_eq!(answer.status, 200);
    /// assert!(answer.headers.contains(&("content-type".into(), "text/plain".into())));
    /// ```
    pub fn stream(chunks: &[&[u8]], end: End) -> Self {
        Self {
            status: 200,
            headers: vec![
                ("content-type".into(), "text/event-stream".into()),
                ("cache-control".into(), "no-cache".into()),
            ],
            chunks: chunks
                .iter()
                .map(|chunk| (Duration::ZERO, Bytes::copy_from_slice(chunk)))
                .collect(),
            end,
        }
    }

    /// An answer with `status`, no body, and the stream headers.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            ..Self::stream(&[], End::Close)
        }
    }

    /// The same answer with one header replaced (or added).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .retain(|(known, _)| !known.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The same answer with a pause before each chunk.
    pub fn paced(mut self, pause: Duration) -> Self {
        for (delay, _) in &mut self.chunks {
            *delay = pause;
        }
        self
    }
}

/// A request the client made, as the harness saw it.
#[derive(Debug, Clone, Serialize)]
pub struct SeenRequest {
    /// When, since the scenario started.
    pub at: Duration,
    /// The method.
    pub method: String,
    /// The path and query.
    pub path: String,
    /// The headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl SeenRequest {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// What the client reported, one JSON line of the `--exec` contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ClientReport {
    /// The connection opened.
    Open,
    /// An event was dispatched: its type, data and last event ID (`""` if none).
    Event {
        /// The event type.
        #[serde(rename = "type")]
        event_type: String,
        /// The data.
        data: String,
        /// The last event ID.
        id: String,
    },
    /// An error (a failed or broken connection).
    Error {
        /// What the client said.
        message: String,
    },
    /// The client gave up for good.
    Closed,
}

/// Everything a scenario saw: the requests, and what the client reported, each with
/// its time since the scenario started.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    /// The requests, in order.
    pub requests: Vec<SeenRequest>,
    /// The client's reports, in order.
    pub reports: Vec<(Duration, ClientReport)>,
    /// Lines the client printed that are not of the contract.
    pub garbage: Vec<String>,
}

impl Observation {
    /// The dispatched events: (type, data, id).
    pub fn events(&self) -> Vec<(&str, &str, &str)> {
        self.reports
            .iter()
            .filter_map(|(_, report)| match report {
                ClientReport::Event {
                    event_type,
                    data,
                    id,
                } => Some((event_type.as_str(), data.as_str(), id.as_str())),
                _ => None,
            })
            .collect()
    }

    /// The data of the dispatched events.
    pub fn data(&self) -> Vec<&str> {
        self.events().into_iter().map(|(_, data, _)| data).collect()
    }
}

/// A scenario's verdict and what was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    /// The verdict.
    pub verdict: Verdict,
    /// What was seen, in one line.
    pub detail: String,
}

impl Judged {
    /// A pass.
    pub fn pass(detail: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Pass,
            detail: detail.into(),
        }
    }
    /// A warning.
    pub fn warn(detail: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Warn,
            detail: detail.into(),
        }
    }
    /// A failure.
    pub fn fail(detail: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Fail,
            detail: detail.into(),
        }
    }
    /// Not judged.
    pub fn skip(detail: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Skip,
            detail: detail.into(),
        }
    }
    /// Pass when `ok`, else fail; the detail either way.
    pub fn expect(ok: bool, detail: impl Into<String>) -> Self {
        if ok {
            Self::pass(detail)
        } else {
            Self::fail(detail)
        }
    }
}
