//! The wire format: snapshots of every field combination and edge case, and property
//! tests through the WHATWG-exact parser of sse-conformance.

use std::time::Duration;

use proptest::prelude::*;
use sse_conformance::echo::{expected_items, EchoEvent};
use sse_conformance::parser::{parse_chunked, Item, Notice, ParserOptions};
use sse_layer::{Event, EventError};

fn wire(event: &Event) -> String {
    String::from_utf8(event.encode().to_vec()).unwrap()
}

#[test]
fn every_field_combination() {
    let mut snapshot = String::new();
    for mask in 0u8..32 {
        let mut event = Event::new();
        let mut name = Vec::new();
        if mask & 1 != 0 {
            event = event.comment("note");
            name.push("comment");
        }
        if mask & 2 != 0 {
            event = event.event(sse_layer::event_name!("update"));
            name.push("event");
        }
        if mask & 4 != 0 {
            event = event.try_id("42").unwrap();
            name.push("id");
        }
        if mask & 8 != 0 {
            event = event.retry(Duration::from_millis(2500));
            name.push("retry");
        }
        if mask & 16 != 0 {
            event = event.data("hello");
            name.push("data");
        }
        let label = if name.is_empty() {
            "(none)".to_owned()
        } else {
            name.join("+")
        };
        snapshot.push_str(&format!("{label}\n{:?}\n", wire(&event)));
    }
    insta::assert_snapshot!(snapshot);
}

#[test]
fn edge_cases() {
    let cases: Vec<(&str, Event)> = vec![
        ("empty data", Event::new().data("")),
        ("CRLF is one break", Event::new().data("a\r\nb")),
        ("lone CR is one break", Event::new().data("a\rb")),
        ("LF CR is two breaks", Event::new().data("a\n\rb")),
        ("trailing CR", Event::new().data("x\r")),
        ("trailing CRLF", Event::new().data("x\r\n")),
        ("only breaks", Event::new().data("\n\r\n\r")),
        ("leading space", Event::new().data(" x")),
        ("trailing space", Event::new().data("x ")),
        ("tab", Event::new().data("\tx")),
        ("colon", Event::new().data(":not a comment")),
        (
            "field lookalike",
            Event::new().data("x\nid: 9\nevent: evil"),
        ),
        ("NUL in data", Event::new().data("a\0b")),
        ("BOM in data", Event::new().data("\u{FEFF}x")),
        ("multi-byte", Event::new().data("é日本😀")),
        (
            "empty id resets",
            Event::new().try_id("").unwrap().data("x"),
        ),
        ("id with leading space", Event::new().try_id(" 7").unwrap()),
        ("id with colon", Event::new().try_id("a:b").unwrap()),
        (
            "empty event type",
            Event::new().event(sse_layer::event_name!("")).data("x"),
        ),
        (
            "event type with NUL",
            Event::new().event(sse_layer::event_name!("a\0b")).data("x"),
        ),
        (
            "multi-line comment",
            Event::new().comment("one\r\ntwo\rthree\n"),
        ),
        ("empty comment", Event::new().comment("")),
        (
            "comment lookalike injection",
            Event::new().comment("x\ndata: injected\n\n"),
        ),
        ("retry zero", Event::new().retry(Duration::ZERO)),
        (
            "retry sub-millisecond",
            Event::new().retry(Duration::from_micros(999)),
        ),
        (
            "retry large",
            Event::new().retry(Duration::from_secs(86_400 * 365)),
        ),
    ];
    let mut snapshot = String::new();
    for (label, event) in cases {
        snapshot.push_str(&format!("{label}\n{:?}\n", wire(&event)));
    }
    insta::assert_snapshot!(snapshot);
}

#[test]
fn invalid_fields_are_typed_errors() {
    for id in ["\r", "\n", "\0", "1\r\n2", "a\rdata: x"] {
        assert_eq!(
            Event::new().try_id(id.to_owned()),
            Err(EventError::InvalidId),
            "{id:?}"
        );
    }
    for event in ["\r", "\n", "a\r\nb"] {
        assert_eq!(
            Event::new().try_event(event.to_owned()),
            Err(EventError::InvalidEventType),
            "{event:?}"
        );
    }
    assert_eq!(
        EventError::InvalidId.to_string(),
        "an event id must not contain CR, LF or NUL"
    );
}

#[test]
fn json_data_is_one_line() {
    let event = Event::new()
        .json_data(&serde_json::json!({"text": "a\nb\r\nc"}))
        .unwrap();
    assert_eq!(wire(&event), "data: {\"text\":\"a\\nb\\r\\nc\"}\n\n");
}

/// What the parser makes of `bytes` fed in the given pieces.
fn parse(bytes: &[u8], cuts: &[usize]) -> Vec<Item> {
    let (items, leftover) = parse_chunked(ParserOptions::diagnostics(), bytes, cuts).unwrap();
    assert!(
        leftover.is_empty(),
        "an encoded stream never ends mid-event"
    );
    items
}

fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => "[a-z]{1,3}",
        2 => Just("\r\n".to_owned()),
        2 => Just("\n".to_owned()),
        2 => Just("\r".to_owned()),
        2 => Just(" ".to_owned()),
        1 => Just(":".to_owned()),
        1 => Just("data: ".to_owned()),
        1 => Just("\0".to_owned()),
        1 => Just("\t".to_owned()),
        1 => Just("\u{FEFF}".to_owned()),
        2 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..10).prop_map(|pieces| pieces.concat())
}

/// Scripts are echo-contract events: the same model the checker uses for servers.
fn spec() -> impl Strategy<Value = EchoEvent> {
    (
        prop::option::of(hostile()),
        prop::option::of(hostile()),
        prop::option::of(hostile()),
        prop::option::of(0u64..1_000_000),
        prop::option::of(hostile()),
    )
        .prop_map(|(data, event, id, retry, comment)| EchoEvent {
            data,
            event,
            id,
            retry,
            comment,
        })
}

/// Builds the event, or says which field the encoder must refuse.
fn build(spec: &EchoEvent) -> Result<Event, EventError> {
    let mut event = Event::new();
    if let Some(data) = &spec.data {
        event = event.data(data.clone());
    }
    if let Some(kind) = &spec.event {
        event = event.try_event(kind.clone())?;
    }
    if let Some(id) = &spec.id {
        event = event.try_id(id.clone())?;
    }
    if let Some(retry) = spec.retry {
        event = event.retry(Duration::from_millis(retry));
    }
    if let Some(comment) = &spec.comment {
        event = event.comment(comment.clone());
    }
    Ok(event)
}

/// Encode `specs`, parse them back cut at `cuts`: the same events, with data line
/// breaks normalised to LF, ids persisting, and nothing else (no injected field, no
/// extra event).
fn check_round_trip(specs: &[EchoEvent], mut cuts: Vec<usize>) -> Result<(), TestCaseError> {
    // Invalid ids and event types are refused (tested below); the rest is sent.
    let sent: Vec<&EchoEvent> = specs.iter().filter(|spec| build(spec).is_ok()).collect();
    let mut wire = Vec::new();
    let mut comments = Vec::new();
    for spec in &sent {
        wire.extend_from_slice(&build(spec).unwrap().encode());
        if let Some(comment) = &spec.comment {
            for line in comment
                .replace("\r\n", "\n")
                .replace('\r', "\n")
                .split('\n')
            {
                comments.push(Item::Comment(if line.is_empty() {
                    String::new()
                } else {
                    format!(" {line}")
                }));
            }
        }
    }
    let expected = expected_items(&sent.into_iter().cloned().collect::<Vec<_>>());
    cuts.sort_unstable();
    let mut got = parse(&wire, &cuts);
    // Comments come first within an event; retries before the dispatch. Compare the
    // order-independent parts separately from the ordered event/retry sequence.
    let notices: Vec<&Item> = got
        .iter()
        .filter(|item| {
            matches!(
                item,
                Item::Notice(
                    Notice::UnknownField { .. }
                        | Notice::InvalidRetry { .. }
                        | Notice::IdWithNul { .. }
                )
            )
        })
        .collect();
    prop_assert!(notices.is_empty(), "injected fields: {:?}", notices);
    let got_comments: Vec<Item> = got
        .iter()
        .filter(|item| matches!(item, Item::Comment(_)))
        .cloned()
        .collect();
    prop_assert_eq!(got_comments, comments);
    // Two events the script gave one id are flagged by the parser's diagnostics
    // (`SharedId`): the script asked for it, so it is no encoding fault.
    got.retain(|item| {
        !matches!(
            item,
            Item::Comment(_) | Item::Notice(Notice::SharedId { .. })
        )
    });
    prop_assert_eq!(got, expected);
    Ok(())
}

#[test]
fn two_events_with_one_id_round_trip() {
    // Found by `round_trip`: the parser's diagnostics flag a repeated id, which the
    // script asked for.
    let twice = EchoEvent {
        id: Some(" ".into()),
        data: Some(String::new()),
        ..EchoEvent::default()
    };
    check_round_trip(&[twice.clone(), twice], Vec::new()).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    /// Encode a sequence, parse it back under any chunking: the same events, with data
    /// line breaks normalised to LF, ids persisting, and nothing else (no injected field,
    /// no extra event).
    #[test]
    fn round_trip(specs in prop::collection::vec(spec(), 1..6), cuts in prop::collection::vec(0usize..600, 0..8)) {
        check_round_trip(&specs, cuts)?;
    }

    /// Invalid ids and event types are always refused, never encoded.
    #[test]
    fn invalid_values_are_refused(prefix in hostile(), bad in prop_oneof![Just('\r'), Just('\n'), Just('\0')], suffix in hostile()) {
        let value = format!("{prefix}{bad}{suffix}");
        prop_assert_eq!(Event::new().try_id(value.clone()), Err(EventError::InvalidId));
        if bad != '\0' {
            prop_assert_eq!(Event::new().try_event(value), Err(EventError::InvalidEventType));
        }
    }
}
