//! The oracle: what a client must see for a script, by the WHATWG rules, and the fixed
//! cases (known encoder bugs, invalid events) every run starts with.

use super::contract::EchoEvent;
use crate::parser::{Event, Item};

/// What a client must see for valid `events`: retries and dispatched events, in order.
pub fn expected_items(events: &[EchoEvent]) -> Vec<Item> {
    let mut last_event_id = String::new();
    let mut items = Vec::new();
    for event in events {
        if let Some(retry) = event.retry {
            items.push(Item::Retry(retry));
        }
        if let Some(id) = &event.id {
            last_event_id.clone_from(id);
        }
        if let Some(data) = &event.data {
            let event_type = event
                .event
                .clone()
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "message".into());
            items.push(Item::Event(Event {
                event_type: event_type.into(),
                data: data.replace("\r\n", "\n").replace('\r', "\n"),
                last_event_id: last_event_id.clone(),
            }));
        }
    }
    items
}

/// A fixed case: a bug a real encoder has, the smallest script that shows it, and which
/// scripts it would spoil (once it is found, random scripts that hit it again would only
/// report it twice).
#[derive(Debug, Clone)]
pub struct KnownBug {
    /// What must hold, as reports name it.
    pub name: &'static str,
    /// The smallest script that shows the bug.
    pub events: Vec<EchoEvent>,
    /// True for an event that the bug would spoil.
    pub hits: fn(&EchoEvent) -> bool,
}

impl KnownBug {
    /// True if the bug would spoil `events`.
    pub fn spoils(&self, events: &[EchoEvent]) -> bool {
        events.iter().any(self.hits)
    }
}

/// The lines of a data value, split at CRLF, CR and LF as a client splits them.
fn data_lines(data: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = data;
    while let Some(at) = rest.find(['\r', '\n']) {
        lines.push(&rest[..at]);
        let skip = if rest[at..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[at + skip..];
    }
    lines.push(rest);
    lines
}

fn has_lone_cr(text: &str) -> bool {
    text.match_indices('\r')
        .any(|(at, _)| !text[at + 1..].starts_with('\n'))
}

/// The fixed cases: each is a bug a real encoder has (a line break written into one data
/// line, CRLF written as two line breaks, empty data written as no data line, a leading
/// space or a lone CR lost, a comment or an id that lets a line break through).
pub fn known_bug_cases() -> Vec<KnownBug> {
    let with = |f: fn(&mut EchoEvent)| {
        let mut event = EchoEvent::data("x");
        f(&mut event);
        vec![event]
    };
    fn bug(name: &'static str, events: Vec<EchoEvent>, hits: fn(&EchoEvent) -> bool) -> KnownBug {
        KnownBug { name, events, hits }
    }
    vec![
        bug(
            "LF in data starts a new data line",
            vec![EchoEvent::data("a\nb")],
            |e| e.data.as_deref().is_some_and(|d| d.contains('\n')),
        ),
        bug(
            "CRLF in data is one line break",
            vec![EchoEvent::data("a\r\nb")],
            |e| e.data.as_deref().is_some_and(|d| d.contains("\r\n")),
        ),
        bug(
            "empty data is still an event",
            vec![EchoEvent::data("")],
            |e| e.data.as_deref() == Some(""),
        ),
        bug(
            "a leading space in data survives",
            vec![EchoEvent::data(" leading")],
            |e| {
                e.data
                    .as_deref()
                    .is_some_and(|d| data_lines(d).iter().any(|line| line.starts_with(' ')))
            },
        ),
        bug(
            "a lone CR at the end of data",
            vec![EchoEvent::data("x\r")],
            |e| e.data.as_deref().is_some_and(has_lone_cr),
        ),
        bug(
            "a lone CR inside data",
            vec![EchoEvent::data("a\rb")],
            |e| e.data.as_deref().is_some_and(has_lone_cr),
        ),
        bug(
            "trailing LF and blank lines in data",
            vec![EchoEvent::data("a\n\nb\n")],
            |e| {
                e.data.as_deref().is_some_and(|d| {
                    let lines = data_lines(d);
                    lines.len() > 1 && lines.iter().any(|line| line.is_empty())
                })
            },
        ),
        bug(
            "a leading space in an id survives",
            with(|e| e.id = Some(" 1".into())),
            |e| e.id.as_deref().is_some_and(|id| id.starts_with(' ')),
        ),
        bug(
            "a comment cannot inject a field",
            with(|e| e.comment = Some("c\r\ndata: injected\r\rid: 9".into())),
            |e| {
                e.comment
                    .as_deref()
                    .is_some_and(|c| c.contains(['\r', '\n']))
            },
        ),
        bug(
            "event type and retry",
            with(|e| {
                e.event = Some("tick".into());
                e.retry = Some(1500);
            }),
            |e| e.event.is_some() || e.retry.is_some(),
        ),
        bug(
            "multi-byte text",
            vec![EchoEvent::data("é日本😀\u{FEFF}")],
            |e| {
                [&e.id, &e.event, &e.data, &e.comment]
                    .into_iter()
                    .flatten()
                    .any(|text| !text.is_ascii())
            },
        ),
    ]
}

/// Invalid events: the contract requires a 400; a 200 means field injection or lost ids.
pub fn invalid_cases() -> Vec<(&'static str, Vec<EchoEvent>)> {
    let with = |f: fn(&mut EchoEvent)| {
        let mut event = EchoEvent::data("x");
        f(&mut event);
        vec![EchoEvent::data("before"), event]
    };
    vec![
        (
            "an id with CR",
            with(|e| e.id = Some("1\rdata: injected".into())),
        ),
        ("an id with LF", with(|e| e.id = Some("1\nretry: 1".into()))),
        ("an id with NUL", with(|e| e.id = Some("1\u{0}2".into()))),
        (
            "an event type with CR",
            with(|e| e.event = Some("a\rdata: b".into())),
        ),
        (
            "an event type with LF",
            with(|e| e.event = Some("a\nb".into())),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_known_bug_spoils_its_own_case_and_not_plain_text() {
        let plain = [EchoEvent::data("plain text")];
        for bug in known_bug_cases() {
            assert!(bug.spoils(&bug.events), "{}", bug.name);
            assert!(!bug.spoils(&plain), "{}", bug.name);
        }
        assert_eq!(data_lines("a\r\nb\rc\n"), ["a", "b", "c", ""]);
    }

    #[test]
    fn ids_persist_and_data_is_normalised() {
        let events = vec![
            EchoEvent {
                id: Some("1".into()),
                ..EchoEvent::data("a\r\nb\rc")
            },
            EchoEvent {
                event: Some(String::new()),
                retry: Some(5),
                ..EchoEvent::default()
            },
            EchoEvent::data(""),
        ];
        let items = expected_items(&events);
        assert_eq!(items.len(), 3);
        let Item::Event(last) = &items[2] else {
            panic!()
        };
        assert_eq!((last.data.as_str(), last.last_event_id.as_str()), ("", "1"));
        let Item::Event(first) = &items[0] else {
            panic!()
        };
        assert_eq!(first.data, "a\nb\nc");
    }
}
