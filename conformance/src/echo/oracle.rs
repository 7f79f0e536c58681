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

/// The fixed cases: each is a bug a real encoder has (CRLF written as two line breaks,
/// empty data written as no data line, a leading space or a lone CR lost, a comment or
/// an id that lets a line break through).
pub fn known_bug_cases() -> Vec<(&'static str, Vec<EchoEvent>)> {
    let with = |f: fn(&mut EchoEvent)| {
        let mut event = EchoEvent::data("x");
        f(&mut event);
        vec![event]
    };
    vec![
        (
            "CRLF in data is one line break",
            vec![EchoEvent::data("a\r\nb")],
        ),
        ("empty data is still an event", vec![EchoEvent::data("")]),
        (
            "a leading space in data survives",
            vec![EchoEvent::data(" leading")],
        ),
        ("a lone CR at the end of data", vec![EchoEvent::data("x\r")]),
        ("a lone CR inside data", vec![EchoEvent::data("a\rb")]),
        (
            "trailing LF and blank lines in data",
            vec![EchoEvent::data("a\n\nb\n")],
        ),
        (
            "a leading space in an id survives",
            with(|e| e.id = Some(" 1".into())),
        ),
        (
            "a comment cannot inject a field",
            with(|e| e.comment = Some("c\r\ndata: injected\r\rid: 9".into())),
        ),
        (
            "event type and retry",
            with(|e| {
                e.event = Some("tick".into());
                e.retry = Some(1500);
            }),
        ),
        ("multi-byte text", vec![EchoEvent::data("é日本😀\u{FEFF}")]),
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
