//! `stream-lifetime`: a stream that ends by itself after a short while, again and again,
//! costs every client a reconnect each time (a request, a resume, and in browsers a wait
//! of the retry time). The usual cause is a keep-alive or request timeout somewhere on
//! the path, or a server that closes streams on purpose far too often.

use super::check::{stream_or_skip, Check, Context, Scope};
use super::verdict::{secs, Outcome, Severity};
use crate::transcript::End;

pub(super) const STREAM_LIFETIME: Check = Check {
    id: "stream-lifetime",
    spec: "WHATWG HTML §9.2.3: when a stream ends, the client reconnects after the reconnection time (about 3 s unless retry: says otherwise); field knowledge: a timeout that ends streams every minute costs a reconnect a minute per client",
    severity: Severity::Warning,
    title: "streams stay open at least --min-lifetime (needs --duration at least that long)",
    scope: Scope::Run,
    probe: None,
    judge: stream_lifetime,
};

fn stream_lifetime(context: &Context<'_>) -> Outcome {
    if let Err(skip) = stream_or_skip(context) {
        return skip;
    }
    let main = context.transcript;
    if main.request.method != "GET" {
        return Outcome::skip(format!(
            "a {} answer ends when it is done, and EventSource cannot reconnect to it",
            main.request.method
        ));
    }
    let min_ms = context.options.min_lifetime.as_secs_f64() * 1000.0;
    let observed_ms = context
        .options
        .duration
        .map_or(main.observed_ms, |duration| duration.as_secs_f64() * 1000.0);
    if observed_ms < min_ms {
        let how = match context.options.duration {
            Some(_) => "run with --duration",
            None => "record for",
        };
        return Outcome::skip(format!(
            "observed for {}, less than --min-lifetime {}: {how} {} or more to judge",
            secs(observed_ms),
            secs(min_ms),
            secs(min_ms)
        ));
    }
    let short: Vec<String> = context
        .streams
        .iter()
        .filter(|stream| {
            let transcript = stream.transcript;
            transcript.request.method == "GET"
                && matches!(transcript.end, End::Eof | End::Error { .. })
                && transcript.observed_ms < min_ms
        })
        .map(|stream| {
            format!(
                "{} ended by itself after {}",
                stream.label,
                secs(stream.transcript.observed_ms)
            )
        })
        .collect();
    if short.is_empty() {
        return Outcome::pass(format!("the stream stayed open {}", secs(main.observed_ms)));
    }
    let retry = context.analysis.last_retry();
    let wait = retry.map_or_else(
        || "about 3 s (no retry: was sent)".to_owned(),
        |ms| format!("{ms} ms (its retry:)"),
    );
    short.iter().fold(
        Outcome::warn(format!(
            "streams end by themselves before {}: every end costs each client a reconnect and a resume, after waiting {wait}; keep streams open for minutes (look for a proxy or server timeout), and when a stream must end, send retry: with the delay you want",
            secs(min_ms)
        )),
        |outcome, line| outcome.with(line.clone()),
    )
}
