use super::*;

fn events(bytes: &[u8]) -> Vec<(String, String, String)> {
    parse_all(bytes)
        .unwrap()
        .into_iter()
        .filter_map(|item| match item {
            Item::Event(e) => Some((e.event_type.into_owned(), e.data, e.last_event_id)),
            _ => None,
        })
        .collect()
}

fn parse_notices(stream: &[u8]) -> Vec<Notice> {
    let mut parser = Parser::with_options(ParserOptions::diagnostics());
    let items = parser.feed_to_vec(stream).unwrap();
    items
        .into_iter()
        .filter_map(|item| match item {
            Item::Notice(notice) => Some(notice),
            _ => None,
        })
        .collect()
}

#[test]
fn an_id_or_event_set_twice_in_one_event_is_a_notice() {
    let mut parser = Parser::with_options(ParserOptions::diagnostics());
    // Two events that a missing blank line ran together, then two proper ones.
    let items = parser
        .feed_to_vec(b"id: 1\nevent: a\ndata: x\nid: 2\nevent: b\ndata: y\n\nid: 3\ndata: z\n\nevent: c\ndata: w\n\n")
        .unwrap();
    let notices: Vec<&Notice> = items
        .iter()
        .filter_map(|item| match item {
            Item::Notice(notice) => Some(notice),
            _ => None,
        })
        .collect();
    assert_eq!(
        notices,
        [
            &Notice::RepeatedField {
                name: "id",
                replaced: "1".into(),
                value: "2".into()
            },
            &Notice::RepeatedField {
                name: "event",
                replaced: "a".into(),
                value: "b".into()
            },
        ]
    );
    // An id an earlier event carries, set again on the next one: a shared id. The same
    // id on an event after an id-only block, or an empty id, is not.
    let shared = parse_notices(b"id: 7\ndata: a\n\nid: 7\ndata: b\n\nid: 8\n\nid: 8\ndata: c\n\nid:\ndata: d\n\nid:\ndata: e\n\n");
    assert_eq!(shared, [Notice::SharedId { id: "7".into() }]);
    // Without diagnostics the parser reports nothing, and the last value wins.
    let plain = parse_all(b"id: 1\nid: 2\ndata: y\n\n").unwrap();
    assert_eq!(plain.len(), 1);
    assert!(matches!(&plain[0], Item::Event(event) if event.last_event_id == "2"));
}

#[test]
fn id_moves_the_resume_point_without_an_event() {
    let mut parser = Parser::new();
    assert!(parser.feed_to_vec(b"id: 5\n\n").unwrap().is_empty());
    assert_eq!(parser.last_event_id(), "5");
}

#[test]
fn incomplete_final_event_is_discarded_with_its_id() {
    let mut parser = Parser::new();
    parser.feed(b"data: a\n\nid: 9\ndata: b\n", |_| {}).unwrap();
    let leftover = parser.finish();
    assert_eq!(leftover.field_lines, 2);
    assert!(leftover.had_data);
    assert_eq!(parser.last_event_id(), "");
}

#[test]
fn split_bom_is_stripped_and_a_false_start_is_kept() {
    let mut parser = Parser::new();
    parser.feed(b"\xEF", |_| {}).unwrap();
    parser.feed(b"\xBB", |_| {}).unwrap();
    let items = parser.feed_to_vec(b"\xBFdata: x\n\n").unwrap();
    assert_eq!(items.len(), 1);
    // EF BB followed by 'd' is not a BOM: it becomes U+FFFD in the field name.
    assert!(events(b"\xEF\xBBdata: x\n\n").is_empty());
}

#[test]
fn limits_give_errors_not_growth() {
    let options = ParserOptions {
        max_line_len: 8,
        ..ParserOptions::default()
    };
    let mut parser = Parser::with_options(options);
    assert_eq!(
        parser.feed(b"data: 0123456789", |_| {}),
        Err(ParseError::LineTooLong { limit: 8 })
    );
    assert!(parser.feed(b"\n\n", |_| {}).is_err(), "stays failed");
}

#[test]
fn retry_needs_only_digits() {
    let items = parse_all(b"retry: 03000\nretry: +5\nretry:\nretry: 5s\n\n").unwrap();
    assert_eq!(items, vec![Item::Retry(3000)]);
}
