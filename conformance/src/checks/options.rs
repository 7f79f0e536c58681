//! [`CheckOptions`]: what the checks expect and may ask for. Below every other file of
//! `checks/`.

use std::time::Duration;

use http::{HeaderName, HeaderValue, Uri};

/// Settings that change what the checks expect, and the extra requests they may make.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The longest silence a stream may keep before proxies cut it (`--heartbeat-max`,
    /// 45 s by default: under the shortest common idle timeout, 60 s, with room for a
    /// heartbeat that arrives late; a 30 s heartbeat passes with margin). Judged with
    /// [`HEARTBEAT_JITTER`] of slack.
    pub heartbeat_max: Duration,
    /// The origin a browser page would have (`--origin`).
    pub origin: Option<String>,
    /// How long the main stream was meant to be observed (`--duration`); a live run sets
    /// it. `None` for a replay, where the transcript's own length stands in.
    pub duration: Option<Duration>,
    /// A stream that ends by itself sooner than this costs clients a reconnect too often
    /// (`--min-lifetime`).
    pub min_lifetime: Duration,
    /// The credentials the main request carries (`--auth-header`, also sent as headers):
    /// the `auth-rejection` probe leaves them out.
    pub auth_headers: Vec<(HeaderName, HeaderValue)>,
    /// An expired or wrong credential to try as well (`--bad-auth`).
    pub bad_auth: Option<(HeaderName, HeaderValue)>,
    /// Where the resume probes reconnect (`--resume-via`): another instance of a
    /// cluster, or its balancer; the main URL when `None`.
    pub resume_via: Option<Uri>,
    /// An echo-contract endpoint to property-test (`--echo`).
    pub echo: Option<Uri>,
    /// Random scripts for the echo test (`--echo-cases`).
    pub echo_cases: u32,
}

/// The share of `--heartbeat-max` a silence may exceed it by: a heartbeat timer set to
/// exactly the limit fires a few milliseconds late (timers, scheduling, the network),
/// and such a server is sound.
pub const HEARTBEAT_JITTER: f64 = 0.05;

impl CheckOptions {
    /// The longest silence `heartbeat` accepts, in ms: `--heartbeat-max` and its
    /// [`HEARTBEAT_JITTER`].
    ///
    /// ```
    /// use sse_conformance::checks::CheckOptions;
    /// // A 30 s heartbeat measured at 30.005 s passes a 30 s limit.
    /// let options = CheckOptions { heartbeat_max: std::time::Duration::from_secs(30), ..CheckOptions::default() };
    /// assert!(30_005.0 < options.silence_limit_ms());
    /// ```
    pub fn silence_limit_ms(&self) -> f64 {
        self.heartbeat_max.as_secs_f64() * 1000.0 * (1.0 + HEARTBEAT_JITTER)
    }
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            heartbeat_max: Duration::from_secs(45),
            origin: None,
            duration: None,
            min_lifetime: Duration::from_secs(60),
            auth_headers: Vec::new(),
            bad_auth: None,
            resume_via: None,
            echo: None,
            echo_cases: 48,
        }
    }
}
