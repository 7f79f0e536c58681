//! [`Observed`]: what the HTML timeline draws of one response, kept small. It holds no
//! body bytes and a bounded number of marks, so a report costs little memory whatever a
//! server sent.

use crate::checks::{timing_marks, CheckOptions, Probes, TimingMarks};
use crate::parser::Item;
use crate::transcript::{Analysis, End, Transcript};

/// At most this many events, and this many comments, are kept for drawing (the first
/// ones); the counts say how many there were.
pub const DRAWN_MARKS: usize = 2_000;
/// The bytes-over-time line has at most this many steps.
const BYTE_STEPS: usize = 1_000;

/// One response the run read, as the timeline draws it.
#[derive(Debug, Clone)]
pub struct Observed {
    /// `the main request`, or the check whose probe made it and what it sent.
    pub label: String,
    /// The status (0: no response).
    pub status: u16,
    /// How the observation ended.
    pub end: End,
    /// When the headers came, in ms since the request.
    pub headers_at_ms: f64,
    /// How long it was observed.
    pub observed_ms: f64,
    /// Bytes received so far, at most 1,000 points (one per thousandth of the
    /// observation): `(ms, total bytes)`.
    pub bytes: Vec<(f64, u64)>,
    /// The first [`DRAWN_MARKS`] events: when, type, id, and the start of the data.
    pub events: Vec<DrawnEvent>,
    /// How many events there were in all.
    pub event_count: usize,
    /// When the comments (heartbeats) came: those the analysis kept, the first
    /// [`Analysis::SAMPLE`](crate::transcript::Analysis::SAMPLE).
    pub comments: Vec<f64>,
    /// The first valid `retry:` and when it came.
    pub retry: Option<(f64, u64)>,
    /// The bursts and long silences, as `buffering` and `heartbeat` judge them.
    pub marks: TimingMarks,
}

/// An event as the timeline labels it.
#[derive(Debug, Clone)]
pub struct DrawnEvent {
    /// When it was dispatched, in ms since the request.
    pub at_ms: f64,
    /// Its type.
    pub event_type: String,
    /// Its last-event-id.
    pub id: String,
    /// The first 60 characters of its data.
    pub data: String,
}

impl Observed {
    /// What the timeline draws of `transcript`, given what a client made of it.
    pub fn of(
        label: String,
        transcript: &Transcript,
        analysis: &Analysis,
        options: &CheckOptions,
    ) -> Self {
        let mut events = Vec::new();
        let mut comments = Vec::new();
        let mut retry = None;
        for timed in &analysis.items {
            match &timed.item {
                Item::Event(event) if events.len() < DRAWN_MARKS => events.push(DrawnEvent {
                    at_ms: timed.at_ms,
                    event_type: event.event_type.to_string(),
                    id: event.last_event_id.clone(),
                    data: event.data.chars().take(60).collect(),
                }),
                Item::Comment(_) if comments.len() < DRAWN_MARKS => comments.push(timed.at_ms),
                Item::Retry(ms) if retry.is_none() => retry = Some((timed.at_ms, *ms)),
                _ => {}
            }
        }
        Self {
            marks: timing_marks(transcript, analysis, options),
            bytes: bytes_over_time(transcript),
            event_count: analysis.events,
            events,
            comments,
            retry,
            label,
            status: transcript.status,
            end: transcript.end.clone(),
            headers_at_ms: transcript.headers_at_ms,
            observed_ms: transcript.observed_ms,
        }
    }

    /// The main response (with its analysis) and every probe answer.
    pub fn all(
        main: &Transcript,
        analysis: &Analysis,
        probes: &Probes,
        options: &CheckOptions,
    ) -> Vec<Self> {
        let mut all = vec![Self::of("the main request".into(), main, analysis, options)];
        for (check, answer) in probes.answers() {
            if let Ok(stream) = answer.response() {
                let label = format!("{check}: {}", stream.label);
                all.push(Self::of(label, stream.transcript, stream.analysis, options));
            }
        }
        all
    }
}

/// The running total of body bytes, one point per step of the observation at most (the
/// last chunk of each step counts).
fn bytes_over_time(transcript: &Transcript) -> Vec<(f64, u64)> {
    let step = (transcript.observed_ms / BYTE_STEPS as f64).max(f64::MIN_POSITIVE);
    let mut points: Vec<(f64, u64)> = Vec::new();
    let mut total = 0u64;
    for chunk in &transcript.chunks {
        total += chunk.bytes.len() as u64;
        let bucket = (chunk.at_ms / step).floor();
        match points.last_mut() {
            Some(last) if (last.0 / step).floor() == bucket => *last = (chunk.at_ms, total),
            _ => points.push((chunk.at_ms, total)),
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::{Chunk, RequestInfo, FIXTURE_VERSION};

    #[test]
    fn a_flood_is_drawn_from_a_bounded_summary() {
        let chunks: Vec<Chunk> = (0..50_000)
            .map(|i| Chunk {
                at_ms: f64::from(i) * 0.1,
                bytes: b":\ndata: x\n\n".to_vec(),
            })
            .collect();
        let transcript = Transcript {
            sse_conformance_fixture: FIXTURE_VERSION,
            request: RequestInfo {
                method: "GET".into(),
                url: "http://127.0.0.1/".into(),
                headers: Vec::new(),
            },
            version: "HTTP/1.1".into(),
            status: 200,
            headers: Vec::new(),
            headers_at_ms: 0.0,
            chunks,
            end: End::Timeout,
            observed_ms: 5_000.0,
        };
        let analysis = transcript.analyze();
        let seen = Observed::of(
            "main".into(),
            &transcript,
            &analysis,
            &CheckOptions::default(),
        );
        assert_eq!(seen.event_count, 50_000);
        assert_eq!(seen.events.len(), DRAWN_MARKS);
        // Comments are few by nature; the analysis keeps a sample of them.
        assert_eq!(seen.comments.len(), crate::transcript::Analysis::SAMPLE);
        assert!(seen.bytes.len() <= BYTE_STEPS + 1, "{}", seen.bytes.len());
        assert_eq!(seen.bytes.last().unwrap().1, 50_000 * 11);
    }
}
