//! Parsing: what a client makes of the bytes of one stream (WHATWG HTML §9.2.6,
//! "interpreting an event stream"). Each answer is one stream, held open; the client
//! must dispatch exactly the events listed. Event types are `message` and `tick` only, so
//! a client whose API listens by type (`EventSource`) needs two listeners.

use std::time::Duration;

use super::expect_events;
use crate::harness::scenario::{Answer, End, Judged, Level, Observation, Scenario};

const WINDOW: Duration = Duration::from_millis(1500);
const SPEC: &str = "WHATWG HTML §9.2.6 (interpreting an event stream)";

/// A parsing scenario: `chunks` on one held stream, and the events it must dispatch.
macro_rules! parsing {
    ($name:ident, $id:literal, $title:literal, $chunks:expr, $expected:expr) => {
        pub(super) const $name: Scenario = Scenario {
            id: $id,
            group: "parsing",
            title: $title,
            spec: SPEC,
            level: Level::Must,
            window: WINDOW,
            answers: || vec![Answer::stream($chunks, End::Hold)],
            judge: |seen: &Observation| -> Judged { expect_events(seen, $expected) },
        };
    };
}

parsing!(
    DISPATCH,
    "dispatch",
    "a data line and a blank line dispatch a message",
    &[b"data: hello\n\n"],
    &[("message", "hello", "")]
);
parsing!(
    MULTILINE_DATA,
    "multiline-data",
    "data lines join with LF",
    &[b"data: a\ndata: b\n\n"],
    &[("message", "a\nb", "")]
);
parsing!(
    EVENT_TYPE_RESET,
    "event-type-reset",
    "the event type resets after each dispatch",
    &[b"event: tick\ndata: 1\n\ndata: 2\n\n"],
    &[("tick", "1", ""), ("message", "2", "")]
);
parsing!(
    BOM_STRIPPED,
    "bom-stripped",
    "one leading BOM is stripped",
    &["\u{FEFF}data: a\n\n".as_bytes()],
    &[("message", "a", "")]
);
parsing!(
    BOM_ONCE,
    "bom-only-once",
    "only one BOM is stripped: a second one is part of the field name",
    &["\u{FEFF}\u{FEFF}data: a\n\ndata: b\n\n".as_bytes()],
    &[("message", "b", "")]
);
parsing!(
    CR_LINES,
    "cr-line-ends",
    "a lone CR ends a line",
    &[b"data: a\rdata: b\r\r"],
    &[("message", "a\nb", "")]
);
parsing!(
    CRLF_LINES,
    "crlf-line-ends",
    "CRLF ends a line once",
    &[b"data: a\r\ndata: b\r\n\r\n"],
    &[("message", "a\nb", "")]
);
parsing!(
    CRLF_SPLIT,
    "crlf-split-across-chunks",
    "a CR at the end of a chunk and the LF that starts the next are one line end",
    &[b"data: a\r", b"\ndata: b\r", b"\n\r\n"],
    &[("message", "a\nb", "")]
);
parsing!(
    COMMENTS,
    "comments-ignored",
    "comment lines are ignored",
    &[b": hello\ndata: a\n:\n\n"],
    &[("message", "a", "")]
);
parsing!(
    NO_COLON,
    "field-without-colon",
    "a line without a colon is a field with an empty value",
    &[b"data\n\n"],
    &[("message", "", "")]
);
parsing!(
    ONE_SPACE,
    "one-leading-space",
    "one leading space of a value is dropped, not two",
    &[b"data:  a\ndata:b\n\n"],
    &[("message", " a\nb", "")]
);
parsing!(
    ID_KEPT,
    "id-kept-across-events",
    "the last event ID stays set for events without an id",
    &[b"id: 1\ndata: a\n\ndata: b\n\n"],
    &[("message", "a", "1"), ("message", "b", "1")]
);
parsing!(
    ID_NUL,
    "id-with-nul-ignored",
    "an id containing NUL is ignored",
    &[b"id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n"],
    &[("message", "a", "1"), ("message", "b", "1")]
);
parsing!(
    UNKNOWN_FIELD,
    "unknown-field-ignored",
    "an unknown field (names are case-sensitive) is ignored",
    &[b"Data: x\nfoo: y\ndata: a\n\n"],
    &[("message", "a", "")]
);
parsing!(
    EMPTY_DATA_NO_EVENT,
    "no-data-no-event",
    "a block without data dispatches nothing",
    &[b"event: x\n\ndata: a\n\n"],
    &[("message", "a", "")]
);
parsing!(
    UTF8_SPLIT,
    "utf8-split-across-chunks",
    "a UTF-8 character split across chunks",
    &[b"data: caf\xc3", b"\xa9\n\n"],
    &[("message", "café", "")]
);
parsing!(
    INVALID_UTF8,
    "invalid-utf8-replaced",
    "invalid UTF-8 becomes U+FFFD",
    &[b"data: a\xffb\n\n"],
    &[("message", "a\u{FFFD}b", "")]
);
parsing!(
    MANY_EVENTS,
    "many-events-one-chunk",
    "many events in one chunk, in order",
    &[b"data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\ndata: 5\n\ndata: 6\n\ndata: 7\n\ndata: 8\n\n"],
    &[
        ("message", "1", ""),
        ("message", "2", ""),
        ("message", "3", ""),
        ("message", "4", ""),
        ("message", "5", ""),
        ("message", "6", ""),
        ("message", "7", ""),
        ("message", "8", "")
    ]
);
parsing!(
    BYTE_CHUNKS,
    "one-byte-chunks",
    "a stream sent one byte per chunk",
    &[
        b"e", b"v", b"e", b"n", b"t", b":", b" ", b"t", b"i", b"c", b"k", b"\n", b"d", b"a", b"t",
        b"a", b":", b" ", b"1", b"\r", b"\n", b"\r", b"\n"
    ],
    &[("tick", "1", "")]
);

/// A line of 64 KiB: clients must not cut it.
pub(super) const LONG_LINE: Scenario = Scenario {
    id: "long-line",
    group: "parsing",
    title: "a 64 KiB data line arrives whole",
    spec: SPEC,
    level: Level::Must,
    window: WINDOW,
    answers: || {
        let line = format!("data: {}\n\n", "x".repeat(64 * 1024));
        vec![Answer::stream(&[line.as_bytes()], End::Hold)]
    },
    judge: |seen| match seen.data().as_slice() {
        [data] if data.len() == 64 * 1024 && data.bytes().all(|b| b == b'x') => {
            Judged::pass("one event of 65,536 bytes")
        }
        [data] => Judged::fail(format!("one event of {} bytes, not 65,536 x", data.len())),
        other => Judged::fail(format!("{} events, not one", other.len())),
    },
};

/// The end of a stream drops an event that was not finished by a blank line.
pub(super) const UNFINISHED: Scenario = Scenario {
    id: "unfinished-event-dropped",
    group: "parsing",
    title: "an event not closed by a blank line when the stream ends is discarded",
    spec: SPEC,
    level: Level::Must,
    window: WINDOW,
    answers: || {
        vec![
            Answer::stream(&[b"retry: 10000\ndata: a\n\ndata: b\n"], End::Close),
            Answer::stream(&[b"data: c\n\n"], End::Hold),
        ]
    },
    judge: |seen| {
        let data = seen.data();
        Judged::expect(
            !data.contains(&"b") && data.first() == Some(&"a"),
            format!("dispatched {data:?}"),
        )
    },
};
