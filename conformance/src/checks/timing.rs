//! Timing: how soon the stream opens, whether events arrive when sent, and silences.

use super::check::{stream_or_skip, Check, Context, Scope};
use super::options::{CheckOptions, HEARTBEAT_JITTER};
use super::verdict::{secs, Outcome, Severity};
use crate::transcript::{Analysis, End, Transcript};

/// Slower than this to headers or first byte and proxies, load balancers and users notice.
const SLOW_START_MS: f64 = 1000.0;
/// Events this close together arrived in one go.
const BURST_GAP_MS: f64 = 10.0;
/// A burst has at least this many events...
const BURST_MIN_EVENTS: usize = 5;
/// ...after at least this long without a byte: the signature of a buffer being flushed.
const BURST_MIN_SILENCE_MS: f64 = 1000.0;

pub(super) const FIRST_BYTE: Check = Check {
    id: "first-byte",
    spec: "field knowledge: proxies and clients wait on a stream that sends headers or a first byte late (send a comment or retry: at once)",
    severity: Severity::Warning,
    title: "headers and a first byte arrive at once",
    scope: Scope::Main,
    probe: None,
    judge: first_byte,
};

fn first_byte(context: &Context<'_>) -> Outcome {
    if let Err(skip) = stream_or_skip(context) {
        return skip;
    }
    let transcript = context.transcript;
    let headers = transcript.headers_at_ms;
    let Some(first) = transcript.chunks.first() else {
        return match transcript.end {
            End::Eof => Outcome::skip("the body was empty"),
            _ => Outcome::warn(format!(
                "no byte in {} after the headers: send a comment or a retry: hint at once",
                secs(transcript.observed_ms - headers)
            )),
        };
    };
    let wait = first.at_ms - headers;
    let evidence = format!(
        "headers after {}, first byte {} later",
        secs(headers),
        secs(wait)
    );
    if headers > SLOW_START_MS {
        Outcome::warn(format!("headers took {}", secs(headers))).with(evidence)
    } else if wait > SLOW_START_MS {
        Outcome::warn(format!(
            "the first byte came {} after the headers: send a comment or a retry: hint at once",
            secs(wait)
        ))
        .with(evidence)
    } else {
        Outcome::pass(evidence)
    }
}

/// Events that arrived together after a long silence (what `buffering` fails on).
#[derive(Debug, Clone, PartialEq)]
pub struct Burst {
    /// How many events.
    pub events: usize,
    /// When the first of them arrived, in ms since the request.
    pub at_ms: f64,
    /// How long nothing had arrived before.
    pub silence_ms: f64,
}

/// A silence longer than `--heartbeat-max` (what `heartbeat` fails on).
#[derive(Debug, Clone, PartialEq)]
pub struct Silence {
    /// The last byte before it (or the headers), in ms since the request.
    pub from_ms: f64,
    /// The next byte (or the end of the observation).
    pub to_ms: f64,
}

/// What the timing checks judged in one stream, for a report to draw.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TimingMarks {
    /// The bursts `buffering` found.
    pub bursts: Vec<Burst>,
    /// The silences longer than `--heartbeat-max`.
    pub silences: Vec<Silence>,
}

/// The bursts and the long silences of `transcript`, judged as the `buffering` and
/// `heartbeat` checks judge them.
///
/// ```
/// use sse_conformance::checks::{timing_marks, CheckOptions};
/// use sse_conformance::Transcript;
///
/// // Five events at once after 3 s of nothing: a buffer being flushed.
/// let burst = "id: 1\ndata: a\n\n".repeat(5);
/// let transcript: Transcript = serde_json::from_value(serde_json::json!({
///     "request": {"method": "GET", "url": "http://127.0.0.1:8080/events"},
///     "version": "HTTP/1.1", "status": 200,
///     "headers": [["content-type", "text/event-stream"]], "headers_at_ms": 1.0,
///     "chunks": [{"at_ms": 3000.0, "text": burst}],
///     "end": {"kind": "timeout"}, "observed_ms": 4000.0
/// }))?;
/// let marks = timing_marks(&transcript, &transcript.analyze(), &CheckOptions::default());
/// assert_eq!(marks.bursts[0].events, 5);
/// assert!(marks.silences.is_empty(), "3 s is well under --heartbeat-max");
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn timing_marks(
    transcript: &Transcript,
    analysis: &Analysis,
    options: &CheckOptions,
) -> TimingMarks {
    let limit_ms = options.silence_limit_ms();
    let silences = byte_times(transcript)
        .windows(2)
        .filter(|pair| pair[1] - pair[0] > limit_ms)
        .map(|pair| Silence {
            from_ms: pair[0],
            to_ms: pair[1],
        })
        .collect();
    TimingMarks {
        bursts: bursts_in(transcript, analysis),
        silences,
    }
}

/// When anything arrived: the headers, each chunk, and the end of the observation if
/// the stream was still open.
fn byte_times(transcript: &Transcript) -> Vec<f64> {
    let mut times: Vec<f64> = std::iter::once(transcript.headers_at_ms)
        .chain(transcript.chunks.iter().map(|chunk| chunk.at_ms))
        .collect();
    if transcript.end != End::Eof {
        times.push(transcript.observed_ms);
    }
    times
}

impl Burst {
    pub(crate) fn describe(&self) -> String {
        format!(
            "{} events arrived within {BURST_GAP_MS} ms at {} after {} without a byte",
            self.events,
            secs(self.at_ms),
            secs(self.silence_ms)
        )
    }
}

/// Finds the bursts of the judged stream: runs of events arriving together after silence.
pub(crate) fn bursts(context: &Context<'_>) -> Vec<Burst> {
    bursts_in(context.transcript, context.analysis)
}

fn bursts_in(transcript: &Transcript, analysis: &Analysis) -> Vec<Burst> {
    let times: Vec<f64> = analysis.events().map(|(at, _)| at).collect();
    // The arrival time of the last byte before `at` (or the headers).
    let byte_before = |at: f64| {
        transcript
            .chunks
            .iter()
            .map(|chunk| chunk.at_ms)
            .take_while(|&chunk_at| chunk_at < at)
            .last()
            .unwrap_or(transcript.headers_at_ms)
    };
    let mut bursts = Vec::new();
    let mut start = 0;
    while start < times.len() {
        let mut end = start + 1;
        while end < times.len() && times[end] - times[end - 1] <= BURST_GAP_MS {
            end += 1;
        }
        let silence = times[start] - byte_before(times[start]);
        if end - start >= BURST_MIN_EVENTS && silence >= BURST_MIN_SILENCE_MS {
            bursts.push(Burst {
                events: end - start,
                at_ms: times[start],
                silence_ms: silence,
            });
        }
        start = end;
    }
    bursts
}

pub(super) const BUFFERING: Check = Check {
    id: "buffering",
    spec: "field knowledge: a buffering proxy (nginx proxy_buffering) or a missing flush delivers events late, in bursts",
    severity: Severity::Error,
    title: "events arrive as they are sent, not in bursts after silence",
    scope: Scope::Main,
    probe: None,
    judge: buffering,
};

fn buffering(context: &Context<'_>) -> Outcome {
    let transcript = context.transcript;
    if transcript.status == 0 && transcript.end == End::Timeout {
        return Outcome::fail(format!(
            "nothing came back in {} while the connection stayed open: a buffering proxy or compressor is holding the stream (or the server never flushes)",
            secs(transcript.observed_ms)
        ));
    }
    if let Err(skip) = stream_or_skip(context) {
        return skip;
    }
    let events = context.analysis.events;
    let found = bursts(context);
    if let Some(first) = found.first() {
        let mut outcome = Outcome::fail(format!(
            "{} burst(s) of events after long silence: something buffers the stream (proxy buffering, compression, or no flush)",
            found.len()
        ));
        for burst in found.iter().take(3) {
            outcome = outcome.with(burst.describe());
        }
        return outcome.with(format!("first burst at {}", secs(first.at_ms)));
    }
    if events == 0 {
        let transcript = context.transcript;
        if transcript.chunks.is_empty() && transcript.end != End::Eof {
            return Outcome::warn(format!(
                "no byte at all in {}: a quiet stream, or one held back by a buffer",
                secs(transcript.observed_ms)
            ));
        }
        return Outcome::skip("no events to time");
    }
    Outcome::pass(format!("{events} events, none held back in a burst"))
}

pub(super) const HEARTBEAT: Check = Check {
    id: "heartbeat",
    spec: "field knowledge: proxies and load balancers cut idle connections (nginx 60 s, AWS ALB 60 s, Cloudflare ~100 s); send a comment before --heartbeat-max (45 s by default, under the shortest of them; 5% slack for timer jitter, so a heartbeat timer set to the limit passes)",
    severity: Severity::Error,
    title: "no silence longer than --heartbeat-max",
    scope: Scope::Main,
    probe: None,
    judge: heartbeat,
};

fn heartbeat(context: &Context<'_>) -> Outcome {
    if let Err(skip) = stream_or_skip(context) {
        return skip;
    }
    let transcript = context.transcript;
    let limit_ms = context.options.heartbeat_max.as_secs_f64() * 1000.0;
    let allowed_ms = context.options.silence_limit_ms();
    let times = byte_times(transcript);
    let open_at_end = transcript.end != End::Eof;
    let (largest, at) = times
        .windows(2)
        .map(|pair| (pair[1] - pair[0], pair[0]))
        .fold(
            (0.0_f64, 0.0_f64),
            |best, gap| if gap.0 > best.0 { gap } else { best },
        );
    let trailing = if open_at_end {
        times
            .windows(2)
            .last()
            .map_or(0.0, |pair| pair[1] - pair[0])
    } else {
        0.0
    };
    let observed = transcript.observed_ms - transcript.headers_at_ms;
    let evidence = format!(
        "largest silence {} (from {}), limit {} (+{:.0}% for timer jitter)",
        secs(largest),
        secs(at),
        secs(limit_ms),
        HEARTBEAT_JITTER * 100.0
    );
    if largest > allowed_ms {
        Outcome::fail(format!(
            "silent for {}: idle proxies and load balancers cut the connection",
            secs(largest)
        ))
        .with(evidence)
    } else if observed < limit_ms && trailing > (observed / 2.0).max(1000.0) {
        // Mostly silence, in a look shorter than the limit: a heartbeat may or may not come.
        Outcome::warn(format!(
            "inconclusive: silent for the last {} of a {} observation; run with --duration longer than --heartbeat-max",
            secs(trailing),
            secs(observed)
        ))
        .with(evidence)
    } else {
        Outcome::pass(format!("largest silence {}", secs(largest))).with(evidence)
    }
}
