//! The reference client: an `EventSource` written to the WHATWG rules on this crate's
//! parser, driven in process. `sse-conformance follow URL` prints what it sees in the
//! `--exec` contract; the harness's own tests check that it passes every must-scenario,
//! and that each [`Fault`] (a rule broken on purpose) fails exactly the scenarios that
//! name it.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderName, HeaderValue};
use http_body_util::BodyExt;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use super::driver::{Driver, Line};
use super::scenario::ClientReport;
use crate::client::{open, Target};
use crate::parser::{Item, Parser};

/// The reconnection time before the stream sets one (browsers use a few seconds; the
/// scenarios set theirs with `retry:`).
pub const INITIAL_RETRY: Duration = Duration::from_millis(1000);

/// A rule of the processing model, broken on purpose: what a harness must catch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Never sends `Last-Event-ID`.
    NoLastEventId,
    /// Ignores `retry:`.
    IgnoreRetry,
    /// Reconnects after a `204 No Content`, as after the end of a stream.
    ReconnectAfter204,
    /// Keeps a leading BOM, which then spoils the first field name.
    KeepBom,
    /// Does not end a line at a lone CR (nor at CRLF's CR).
    CrNotLineEnd,
    /// Does not reset the event type after a dispatch.
    EventTypeNotReset,
}

/// The reference client, with the faults given (none: the correct client).
#[derive(Debug, Clone, Default)]
pub struct Reference {
    /// The rules it breaks.
    pub faults: Vec<Fault>,
}

impl Reference {
    fn has(&self, fault: Fault) -> bool {
        self.faults.contains(&fault)
    }
}

impl Driver for Reference {
    fn follow(
        &self,
        url: String,
        reports: UnboundedSender<Line>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        let client = self.clone();
        Box::pin(async move { client.run(url, reports).await })
    }
}

/// What ended one connection.
enum Ended {
    /// Reestablish the connection after the reconnection time.
    Reconnect,
    /// Fail the connection: stop for good.
    Stop,
}

impl Reference {
    async fn run(self, url: String, reports: UnboundedSender<Line>) {
        let report = |report: ClientReport| {
            let _ = reports.send(Ok(report));
        };
        let Ok(base) = Target::get(&url) else {
            report(ClientReport::Error {
                message: format!("not a URL: {url}"),
            });
            report(ClientReport::Closed);
            return;
        };
        let mut parser = Parser::new();
        let mut retry = INITIAL_RETRY;
        let mut sticky_type: Option<String> = None;
        loop {
            let mut target = base
                .clone()
                .with_header(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            let last = parser.last_event_id().to_owned();
            if !last.is_empty() && !self.has(Fault::NoLastEventId) {
                if let Ok(value) = HeaderValue::from_str(&last) {
                    target = target.with_header(HeaderName::from_static("last-event-id"), value);
                }
            }
            let ended = self
                .connection(&target, &mut parser, &mut retry, &mut sticky_type, &report)
                .await;
            parser.finish();
            match ended {
                Ended::Stop => {
                    report(ClientReport::Closed);
                    return;
                }
                Ended::Reconnect => tokio::time::sleep(retry).await,
            }
        }
    }

    async fn connection(
        &self,
        target: &Target,
        parser: &mut Parser,
        retry: &mut Duration,
        sticky_type: &mut Option<String>,
        report: &impl Fn(ClientReport),
    ) -> Ended {
        let deadline = Instant::now() + Duration::from_secs(3600);
        let opened = match open(target, deadline).await {
            Ok(opened) => opened,
            Err(error) => {
                report(ClientReport::Error {
                    message: error.to_string(),
                });
                return Ended::Reconnect;
            }
        };
        let status = opened.response.status().as_u16();
        let content_type = opened
            .response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if status == 204 && self.has(Fault::ReconnectAfter204) {
            report(ClientReport::Error {
                message: "204".into(),
            });
            return Ended::Reconnect;
        }
        if status != 200 || !essence.eq_ignore_ascii_case("text/event-stream") {
            report(ClientReport::Error {
                message: format!("{status} {content_type}: the connection fails"),
            });
            return Ended::Stop;
        }
        report(ClientReport::Open);
        let mut body = opened.response.into_body();
        let mut first = true;
        loop {
            let frame = match body.frame().await {
                None => {
                    report(ClientReport::Error {
                        message: "the stream ended".into(),
                    });
                    break;
                }
                Some(Err(error)) => {
                    report(ClientReport::Error {
                        message: error.to_string(),
                    });
                    break;
                }
                Some(Ok(frame)) => frame,
            };
            let Ok(mut chunk) = frame.into_data() else {
                continue;
            };
            if self.has(Fault::CrNotLineEnd) {
                chunk = Bytes::from(
                    chunk
                        .iter()
                        .copied()
                        .filter(|&b| b != b'\r')
                        .collect::<Vec<u8>>(),
                );
            }
            if first && self.has(Fault::KeepBom) {
                // A blank line first: the BOM is no longer at the start, so it stays.
                let _ = parser.feed(b"\n", |_| {});
            }
            first = false;
            let _ = parser.feed(&chunk, |item| match item {
                Item::Event(event) => {
                    let mut event_type = event.event_type.into_owned();
                    if self.has(Fault::EventTypeNotReset) {
                        match (&*sticky_type, event_type == "message") {
                            (Some(sticky), true) => event_type = sticky.clone(),
                            _ => *sticky_type = Some(event_type.clone()),
                        }
                    }
                    report(ClientReport::Event {
                        event_type,
                        data: event.data,
                        id: event.last_event_id,
                    });
                }
                Item::Retry(ms) if !self.has(Fault::IgnoreRetry) => {
                    *retry = Duration::from_millis(ms);
                }
                _ => {}
            });
        }
        opened.connection.abort();
        Ended::Reconnect
    }
}
