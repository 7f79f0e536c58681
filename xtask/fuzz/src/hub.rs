//! `hub_resume`: whatever `Last-Event-ID` a client sends (header bytes, query string, a
//! plausible `<epoch>-<seq>` id, or a bare number as ids were before epochs), the hub replays exactly what followed a retained event, or sends
//! one reset event; then live events follow without a gap or a duplicate.

use arbitrary::{Arbitrary, Unstructured};
use bytes::Bytes;
use futures_util::FutureExt;
use http_body_util::BodyExt;
use sse_conformance::parser::{Event as Parsed, Item, Parser};
use sse_layer::hub::{Hub, Subscribe, Subscription};
use sse_layer::replay::MemoryLog;
use sse_layer::{Event, LastEventId};

/// How the client states where it stands.
#[derive(Debug, Arbitrary)]
enum Resume {
    /// No resume point: live only.
    Fresh,
    /// A plausible id: the hub's epoch and this number.
    Seq(u8),
    /// Any text, given straight to the hub.
    Text(String),
    /// Any bytes as the `Last-Event-ID` header (refused by `http` if not a valid value).
    Header(Vec<u8>),
    /// Any text as the `lastEventId` query parameter (percent-encoded as a browser would).
    Query(String),
    /// A bare number, as ids were before they carried an epoch (or from another log).
    Bare(u8),
}

#[derive(Debug, Arbitrary)]
struct Case {
    /// Events published before the client arrives, each to topic `a` (`false`) or `b`.
    published: Vec<bool>,
    /// How many events the log retains (1 to 16).
    retained: u8,
    /// Subscribe to topic `a` only, instead of everything.
    only_a: bool,
    resume: Resume,
}

/// The fuzzer's bytes as a case.
pub fn hub_resume(input: &[u8]) {
    let Ok(case) = Unstructured::new(input).arbitrary::<Case>() else {
        return;
    };
    let published = &case.published[..case.published.len().min(64)];
    let retained = 1 + usize::from(case.retained % 16);
    let log = MemoryLog::new(retained, usize::MAX);
    let epoch = log.epoch().to_owned();
    let hub = Hub::builder().replay(log).build();
    for (index, &to_b) in published.iter().enumerate() {
        let topic = if to_b { "b" } else { "a" };
        // In memory a publish completes at once.
        hub.publish(topic, Event::new().data(index.to_string()))
            .now_or_never()
            .expect("a hub in memory publishes at once")
            .expect("publishing to a hub with no subscriber succeeds");
    }
    let last_event_id = client_id(&case.resume, &epoch);
    let mut options = if case.only_a {
        Subscribe::topic("a")
    } else {
        Subscribe::new()
    };
    if let Some(id) = &last_event_id {
        options = options.last_event_id(id.clone());
    }
    let mut subscription = hub.subscribe(options);
    let mut parser = Parser::new();
    let got = drain(&mut subscription, &mut parser);

    let total = published.len() as u64;
    let accepts = |seq: u64| !case.only_a || !published[(seq - 1) as usize];
    let expected = expected_start(last_event_id.as_deref(), &epoch, total, retained as u64);
    let id = |seq: u64| format!("{epoch}-{seq}");
    match expected {
        Start::Live => assert!(got.is_empty(), "{got:?}"),
        Start::After(after) => {
            let want: Vec<(String, String)> = (after + 1..=total)
                .filter(|&seq| accepts(seq))
                .map(|seq| ((seq - 1).to_string(), id(seq)))
                .collect();
            let seen: Vec<(String, String)> = got
                .iter()
                .map(|event| (event.data.clone(), event.last_event_id.clone()))
                .collect();
            assert_eq!(seen, want, "resume after {after}");
        }
        Start::Reset(reason) => {
            assert_eq!(got.len(), 1, "one reset event, nothing else: {got:?}");
            assert_eq!(got[0].event_type, "reset");
            assert_eq!(got[0].data, format!(r#"{{"reason":"{reason}"}}"#));
            assert_eq!(got[0].last_event_id, id(total), "the cursor: now");
        }
    }

    // Live from here: the next event arrives once, right after what was replayed.
    hub.publish("a", Event::new().data("live"))
        .now_or_never()
        .expect("a hub in memory publishes at once")
        .expect("publish");
    let live = drain(&mut subscription, &mut parser);
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(live[0].data, "live");
    assert_eq!(live[0].last_event_id, id(total + 1));
}

/// What the client's request carries, read the way a server reads it.
fn client_id(resume: &Resume, epoch: &str) -> Option<String> {
    let request = match resume {
        Resume::Fresh => return None,
        Resume::Seq(n) => return Some(format!("{epoch}-{n}")),
        Resume::Bare(n) => return Some(n.to_string()),
        Resume::Text(text) => return Some(text.clone()),
        Resume::Header(bytes) => {
            let Ok(value) = http::HeaderValue::from_bytes(bytes) else {
                return None;
            };
            http::Request::get("/events")
                .header("last-event-id", value)
                .body(())
                .expect("a valid request")
        }
        Resume::Query(text) => {
            let query: String = url_encode(text);
            let Ok(request) = http::Request::get(format!("/events?lastEventId={query}")).body(())
            else {
                return None;
            };
            request
        }
    };
    LastEventId::from_request(&request, Some("lastEventId")).map(LastEventId::into_string)
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// Where the stream must start.
enum Start {
    Live,
    After(u64),
    Reset(&'static str),
}

/// The hub's ids are `<epoch>-<seq>` with its log's epoch and the sequence number in
/// plain decimal (0: before the first event); a log of `retained` events can resume after
/// any of them and after the one just before the oldest.
fn expected_start(id: Option<&str>, epoch: &str, total: u64, retained: u64) -> Start {
    let Some(id) = id else {
        return Start::Live;
    };
    let seq = id
        .strip_prefix(epoch)
        .and_then(|rest| rest.strip_prefix('-'))
        .and_then(|seq| seq.parse::<u64>().ok().filter(|n| n.to_string() == seq));
    match seq {
        Some(seq) if seq <= total && seq >= total.saturating_sub(retained) => Start::After(seq),
        Some(seq) if seq <= total => Start::Reset("expired"),
        _ => Start::Reset("unknown"),
    }
}

/// Everything the subscription has ready now, parsed.
fn drain(subscription: &mut Subscription, parser: &mut Parser) -> Vec<Parsed> {
    let mut events = Vec::new();
    while let Some(Some(frame)) = subscription.frame().now_or_never() {
        let bytes: Bytes = frame
            .expect("a hub body never fails")
            .into_data()
            .expect("a hub body sends data frames only");
        for item in parser.feed_to_vec(&bytes).expect("small") {
            if let Item::Event(event) = item {
                events.push(event);
            }
        }
    }
    events
}
