//! The catalogue of client scenarios, one group per file (as the server checks are):
//! each scenario a stable id, the spec section behind it, its level, the answers the
//! harness gives and the judgment. Adding one touches its group's file and one line of
//! [`CATALOGUE`].
//!
//! | file | scenarios |
//! |---|---|
//! | `parsing.rs` | what a client makes of the bytes: dispatch, data lines, event type reset, BOM, CR / LF / CRLF (split across chunks too), comments, fields without a colon, one leading space, ids (kept, NUL), unknown fields, blocks without data, UTF-8 (split, invalid), many events in a chunk, one byte per chunk, a 64 KiB line, an unfinished event |
//! | `http.rs` | the request (GET, `Accept`, no `Last-Event-ID`, `Cache-Control`), 204 / 4xx / 5xx, wrong and parameterised content types, 301 and 307 redirects |
//! | `reconnect.rs` | reconnecting after the end and after a network error, with the last event ID (kept, absent, cleared), and `retry:` honoured |

mod http;
mod parsing;
mod reconnect;

use super::scenario::{Judged, Observation, Scenario};

/// Every scenario, in report order.
pub static CATALOGUE: &[Scenario] = &[
    parsing::DISPATCH,
    parsing::MULTILINE_DATA,
    parsing::EVENT_TYPE_RESET,
    parsing::BOM_STRIPPED,
    parsing::BOM_ONCE,
    parsing::CR_LINES,
    parsing::CRLF_LINES,
    parsing::CRLF_SPLIT,
    parsing::COMMENTS,
    parsing::NO_COLON,
    parsing::ONE_SPACE,
    parsing::ID_KEPT,
    parsing::ID_NUL,
    parsing::UNKNOWN_FIELD,
    parsing::EMPTY_DATA_NO_EVENT,
    parsing::UTF8_SPLIT,
    parsing::INVALID_UTF8,
    parsing::MANY_EVENTS,
    parsing::BYTE_CHUNKS,
    parsing::LONG_LINE,
    parsing::UNFINISHED,
    http::REQUEST,
    http::NO_CACHE,
    http::REDIRECT_307,
    http::REDIRECT_301,
    http::STATUS_204,
    http::STATUS_404,
    http::STATUS_503,
    http::WRONG_TYPE,
    http::TYPE_PARAMS,
    reconnect::AFTER_END,
    reconnect::AFTER_ERROR,
    reconnect::KEPT,
    reconnect::NONE_WHEN_EMPTY,
    reconnect::CLEARED,
    reconnect::RETRY,
];

/// Looks a scenario up by id.
///
/// ```
/// use sse_conformance::harness::{find, Level};
///
/// let scenario = find("retry-honoured").unwrap();
/// assert_eq!(scenario.level, Level::Must);
/// assert!(find("no-such-scenario").is_none());
/// ```
pub fn find(id: &str) -> Option<&'static Scenario> {
    CATALOGUE.iter().find(|scenario| scenario.id == id)
}

/// The events dispatched must be exactly `expected`: (type, data, id) each.
fn expect_events(seen: &Observation, expected: &[(&str, &str, &str)]) -> Judged {
    let events = seen.events();
    let shown = |events: &[(&str, &str, &str)]| {
        events
            .iter()
            .map(|(kind, data, id)| format!("{kind}:{data:?}#{id}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if events == expected {
        Judged::pass(format!("[{}]", shown(&events)))
    } else {
        Judged::fail(format!(
            "dispatched [{}], expected [{}]",
            shown(&events),
            shown(expected)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::CATALOGUE;

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut ids: Vec<_> = CATALOGUE.iter().map(|scenario| scenario.id).collect();
        assert!(ids.iter().all(|id| id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')));
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CATALOGUE.len());
    }
}
