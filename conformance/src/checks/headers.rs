//! Checks on the status line and response headers.

use super::check::{Check, Context, Scope};
use super::verdict::{secs, Outcome, Severity};

pub(super) const STATUS: Check = Check {
    id: "status",
    spec: "WHATWG HTML §9.2.3 (establish the connection): anything but 200 fails the connection for good",
    severity: Severity::Error,
    title: "the response status is 200",
    scope: Scope::EachStream,
    probe: None,
    judge: status,
};

fn status(context: &Context<'_>) -> Outcome {
    let transcript = context.transcript;
    match transcript.status {
        200 => Outcome::pass("200 OK"),
        0 if transcript.end == crate::transcript::End::Timeout => Outcome::fail(format!(
            "no response headers within {}: the server, or a proxy buffering the stream, held the response back",
            super::verdict::secs(transcript.observed_ms)
        )),
        0 => Outcome::fail("no valid response").with(end_message(transcript)),
        204 => Outcome::fail("204 No Content: the browser stops and never reconnects (fine only to end a stream on purpose)"),
        code => Outcome::fail(format!(
            "status {code}: EventSource fails and never reconnects; answer 200, or 204 to stop on purpose"
        )),
    }
}

/// Header checks have nothing to judge when no response arrived (status 0).
fn response_or_skip(context: &Context<'_>) -> Result<(), Outcome> {
    if context.transcript.status == 0 {
        Err(Outcome::skip("no response headers to look at"))
    } else {
        Ok(())
    }
}

fn end_message(transcript: &crate::transcript::Transcript) -> String {
    match &transcript.end {
        crate::transcript::End::Error { message } => message.clone(),
        other => format!("{other:?}"),
    }
}

pub(super) const CONTENT_TYPE: Check = Check {
    id: "content-type",
    spec: "WHATWG HTML §9.2.3: the MIME type must be text/event-stream",
    severity: Severity::Error,
    title: "Content-Type is text/event-stream",
    scope: Scope::EachStream,
    probe: None,
    judge: content_type,
};

fn content_type(context: &Context<'_>) -> Outcome {
    if let Err(skip) = response_or_skip(context) {
        return skip;
    }
    let Some(value) = context.transcript.header("content-type") else {
        return Outcome::fail("no Content-Type: EventSource fails the connection");
    };
    if context.transcript.media_type().as_deref() != Some("text/event-stream") {
        return Outcome::fail(format!(
            "Content-Type {value:?}: EventSource fails the connection"
        ));
    }
    let charset = value
        .split(';')
        .skip(1)
        .filter_map(|param| param.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, charset)| charset.trim().trim_matches('"').to_ascii_lowercase());
    match charset {
        Some(charset) if charset != "utf-8" => Outcome::warn(format!(
            "charset={charset} is ignored: event streams are always decoded as UTF-8"
        ))
        .with(format!("Content-Type: {value}")),
        _ => Outcome::pass(value.to_owned()),
    }
}

pub(super) const CACHE_CONTROL: Check = Check {
    id: "cache-control",
    spec: "RFC 9111 §5.2.2: no-cache keeps caches from replaying a stream; no-transform keeps proxies from compressing it",
    severity: Severity::Warning,
    title: "Cache-Control forbids caching (and transformation)",
    scope: Scope::EachStream,
    probe: None,
    judge: cache_control,
};

fn cache_control(context: &Context<'_>) -> Outcome {
    if let Err(skip) = response_or_skip(context) {
        return skip;
    }
    let Some(value) = context.transcript.header("cache-control") else {
        return Outcome::warn("no Cache-Control: caches and proxies may store or transform the stream; send no-cache, no-transform");
    };
    let directives: Vec<String> = value
        .split(',')
        .map(|directive| directive.trim().to_ascii_lowercase())
        .collect();
    let has = |name: &str| directives.iter().any(|directive| directive == name);
    if !(has("no-cache") || has("no-store")) {
        return Outcome::warn(format!(
            "Cache-Control {value:?} allows caching; send no-cache"
        ));
    }
    if !has("no-transform") {
        return Outcome::warn(format!(
            "Cache-Control {value:?} lacks no-transform: a proxy may compress and buffer the stream"
        ));
    }
    Outcome::pass(value.to_owned())
}

pub(super) const NO_CONTENT_LENGTH: Check = Check {
    id: "no-content-length",
    spec: "RFC 9112 §6.3: a Content-Length bounds the body; intermediaries wait for all of it",
    severity: Severity::Error,
    title: "no Content-Length on a stream",
    scope: Scope::EachStream,
    probe: None,
    judge: no_content_length,
};

fn no_content_length(context: &Context<'_>) -> Outcome {
    if let Err(skip) = response_or_skip(context) {
        return skip;
    }
    match context.transcript.header("content-length") {
        None => Outcome::pass("no Content-Length"),
        Some(length) => Outcome::fail(format!(
            "Content-Length: {length}: the stream is bounded and intermediaries may buffer it whole"
        )),
    }
}

/// A compressed stream silent this long after its headers is held by its compressor.
const HELD_BACK_MS: f64 = 1000.0;

pub(super) const CONTENT_ENCODING: Check = Check {
    id: "content-encoding",
    spec: "field knowledge: compressors buffer unless flushed per event (tower-http, nginx gzip, Express compression)",
    severity: Severity::Error,
    title: "the stream is not compressed (or is flushed per event)",
    scope: Scope::EachStream,
    probe: None,
    judge: content_encoding,
};

fn content_encoding(context: &Context<'_>) -> Outcome {
    if let Err(skip) = response_or_skip(context) {
        return skip;
    }
    match context.transcript.header("content-encoding") {
        None => Outcome::pass("not compressed"),
        Some(encoding) if encoding.eq_ignore_ascii_case("identity") => Outcome::pass("identity"),
        Some(encoding) => {
            let bursts = super::timing::bursts(context);
            let waited = context.transcript.observed_ms - context.transcript.headers_at_ms;
            let analysis = context.analysis;
            if analysis.events == 0 && analysis.comments == 0 && waited >= HELD_BACK_MS {
                // A naive compressor writes its header and holds everything else until its
                // buffer fills: the client sees a stream that never says anything.
                Outcome::fail(format!(
                    "Content-Encoding: {encoding} and not one event or comment arrived in {}: the compressor holds the stream (flush after every event, or do not compress text/event-stream)",
                    secs(waited)
                ))
                .with(format!(
                    "{} bytes decoded in {}",
                    context.transcript.chunks.iter().map(|chunk| chunk.bytes.len()).sum::<usize>(),
                    secs(waited)
                ))
            } else if bursts.is_empty() {
                Outcome::warn(format!(
                    "Content-Encoding: {encoding}: compressed streams arrive late unless the compressor flushes every event"
                ))
            } else {
                Outcome::fail(format!(
                    "Content-Encoding: {encoding} and events arrived in bursts: the compressor buffers the stream"
                ))
                .with(bursts[0].describe())
            }
        }
    }
}

pub(super) const X_ACCEL_BUFFERING: Check = Check {
    id: "x-accel-buffering",
    spec: "nginx proxy_buffering (on by default): X-Accel-Buffering: no turns it off per response",
    severity: Severity::Warning,
    title: "X-Accel-Buffering: no, so nginx passes events through at once",
    scope: Scope::EachStream,
    probe: None,
    judge: x_accel_buffering,
};

fn x_accel_buffering(context: &Context<'_>) -> Outcome {
    if let Err(skip) = response_or_skip(context) {
        return skip;
    }
    match context.transcript.header("x-accel-buffering") {
        Some(value) if value.trim().eq_ignore_ascii_case("no") => Outcome::pass("X-Accel-Buffering: no"),
        Some(value) => Outcome::fail(format!(
            "X-Accel-Buffering: {value}: nginx will buffer the stream"
        )),
        None => Outcome::warn(
            "no X-Accel-Buffering: no; behind nginx (proxy_buffering is on by default) events arrive in bursts",
        ),
    }
}

pub(super) const H2_CONNECTION_HEADERS: Check = Check {
    id: "h2-connection-headers",
    spec: "RFC 9113 §8.2.2: connection-specific header fields make an HTTP/2 message malformed",
    severity: Severity::Error,
    title: "no Connection/Keep-Alive/Transfer-Encoding/Upgrade over HTTP/2",
    scope: Scope::EachStream,
    probe: None,
    judge: h2_connection_headers,
};

const CONNECTION_SPECIFIC: [&str; 5] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
];

fn h2_connection_headers(context: &Context<'_>) -> Outcome {
    let transcript = context.transcript;
    if transcript.version != "HTTP/2" {
        return Outcome::skip(format!(
            "{}: connection headers are only forbidden in HTTP/2 (use https or --http2-prior-knowledge)",
            transcript.version
        ));
    }
    if transcript.status == 0 {
        if let crate::transcript::End::Error { message } = &transcript.end {
            if message.to_ascii_lowercase().contains("protocol") || message.contains("malformed") {
                return Outcome::fail("the HTTP/2 response was rejected as malformed (usually a Connection or Keep-Alive header); Safari drops such streams")
                    .with(message.clone());
            }
        }
        return Outcome::skip("no HTTP/2 response to look at");
    }
    let found: Vec<&str> = CONNECTION_SPECIFIC
        .iter()
        .copied()
        .filter(|name| transcript.header(name).is_some())
        .collect();
    if found.is_empty() {
        Outcome::pass("none over HTTP/2")
    } else {
        Outcome::fail(format!("HTTP/2 response carries {}", found.join(", ")))
    }
}
