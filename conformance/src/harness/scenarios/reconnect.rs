//! Reconnection: after the end of a stream or a network error, wait the reconnection
//! time and come back with the last event ID (WHATWG HTML §9.2.3, "reestablish the
//! connection", and §9.2.4, the `Last-Event-ID` header).

use std::time::Duration;

use crate::harness::scenario::{Answer, End, Judged, Level, Observation, Scenario};

const SPEC: &str = "WHATWG HTML §9.2.3 (reestablish the connection) and §9.2.4 (Last-Event-ID)";
const WINDOW: Duration = Duration::from_millis(2000);

/// The second request's `Last-Event-ID`, judged against `expected`.
fn sends(seen: &Observation, expected: Option<&str>) -> Judged {
    let Some(second) = seen.requests.get(1) else {
        return Judged::fail(format!(
            "did not reconnect ({} request(s))",
            seen.requests.len()
        ));
    };
    let sent = second.header("last-event-id");
    Judged::expect(
        sent == expected,
        format!("reconnected with Last-Event-ID {sent:?}; expected {expected:?}"),
    )
}

/// A reconnect scenario: one stream of `body` that ends as `end`, and the
/// `Last-Event-ID` the reconnect must carry.
macro_rules! reconnect {
    ($name:ident, $id:literal, $title:literal, $body:expr, $end:expr, $expected:expr) => {
        pub(super) const $name: Scenario = Scenario {
            id: $id,
            group: "reconnect",
            title: $title,
            spec: SPEC,
            level: Level::Must,
            window: WINDOW,
            answers: || vec![Answer::stream(&[$body], $end)],
            judge: |seen| sends(seen, $expected),
        };
    };
}

reconnect!(
    AFTER_END,
    "reconnect-after-end",
    "after the stream ends, the client reconnects with Last-Event-ID",
    b"retry: 200\nid: 7\ndata: a\n\n",
    End::Close,
    Some("7")
);
reconnect!(
    AFTER_ERROR,
    "reconnect-after-network-error",
    "after a network error, the client reconnects with Last-Event-ID",
    b"retry: 200\nid: 7\ndata: a\n\n",
    End::Abort,
    Some("7")
);
reconnect!(
    KEPT,
    "last-event-id-kept",
    "events without an id keep the last event ID for the reconnect",
    b"retry: 200\nid: 7\ndata: a\n\ndata: b\n\n",
    End::Close,
    Some("7")
);
reconnect!(
    NONE_WHEN_EMPTY,
    "no-last-event-id-when-empty",
    "with no id ever set, the reconnect sends no Last-Event-ID",
    b"retry: 200\ndata: a\n\n",
    End::Close,
    None
);
reconnect!(
    CLEARED,
    "empty-id-clears",
    "an empty id field clears the last event ID: no Last-Event-ID on the reconnect",
    b"retry: 200\nid: 7\ndata: a\n\nid\ndata: b\n\n",
    End::Close,
    None
);

/// The reconnection time the stream sets: shorter than any client's default (browsers
/// wait a few seconds), so a client that ignores it reconnects too late.
const RETRY_MS: u64 = 300;
/// How late a reconnect may come and still honour `retry:`: timers, the new connection,
/// a little jitter.
const RETRY_TOLERANCE_MS: u64 = 600;

pub(super) const RETRY: Scenario = Scenario {
    id: "retry-honoured",
    group: "reconnect",
    title: "retry: sets the wait before reconnecting (not sooner, and at most 600 ms later)",
    spec:
        "WHATWG HTML §9.2.6: retry sets the reconnection time; §9.2.3: wait it before reconnecting",
    level: Level::Must,
    window: Duration::from_millis(3500),
    answers: || {
        let retry = format!("retry: {RETRY_MS}\ndata: a\n\n");
        vec![Answer::stream(&[retry.as_bytes()], End::Close)]
    },
    judge: |seen| {
        let [first, second, ..] = seen.requests.as_slice() else {
            return Judged::fail(format!(
                "did not reconnect ({} request(s))",
                seen.requests.len()
            ));
        };
        // From the end of the first response (sent at once) to the next request.
        let waited = second.at.saturating_sub(first.at).as_millis() as u64;
        let detail = format!("reconnected after {waited} ms; retry: {RETRY_MS}");
        if waited + 50 < RETRY_MS {
            Judged::fail(format!("{detail}: too soon"))
        } else if waited > RETRY_MS + RETRY_TOLERANCE_MS {
            Judged::fail(format!("{detail}: more than {RETRY_TOLERANCE_MS} ms late"))
        } else {
            Judged::pass(detail)
        }
    },
};
