//! The clients of the matrix: each a real, pinned client, driven through a small wrapper
//! in `xtask/clients/` that uses it the way its docs show and prints the `--exec`
//! contract; or Chromium's own `EventSource` through `--browser`.

use std::path::Path;

/// How the harness drives a client.
pub(super) enum Drive {
    /// `--exec`, with this command (`{url}` where the URL goes).
    Exec(String),
    /// `--browser`.
    Browser,
}

/// One row of the matrix.
pub(super) struct Client {
    /// The row's name.
    pub(super) name: &'static str,
    /// The client and version.
    pub(super) what: &'static str,
    pub(super) drive: Drive,
}

/// Every client, the slowest to judge (Chromium) first.
pub(super) fn roster(root: &Path, python: &Path, bins: &Path) -> Vec<Client> {
    let node = |file: &str| {
        Drive::Exec(format!(
            "node {} {{url}}",
            root.join("xtask/clients/node").join(file).display()
        ))
    };
    let py = |file: &str| {
        Drive::Exec(format!(
            "{} {} {{url}}",
            python.display(),
            root.join("xtask/clients/python").join(file).display()
        ))
    };
    let bin = |name: &str| Drive::Exec(format!("{} {{url}}", bins.join(name).display()));
    vec![
        Client {
            name: "chromium",
            what: "headless Chromium's native `EventSource` (Debian's chromium)",
            drive: Drive::Browser,
        },
        Client {
            name: "reference",
            what: "`sse-conformance follow` (the WHATWG rules on this repository's parser)",
            drive: Drive::Exec(format!(
                "{} follow {{url}}",
                bins.join("sse-conformance").display()
            )),
        },
        Client {
            name: "eventsource (node)",
            what: "npm `eventsource` 5.1.5",
            drive: node("eventsource.mjs"),
        },
        Client {
            name: "fetch-event-source (node)",
            what: "npm `@microsoft/fetch-event-source` 2.0.1",
            drive: node("fetch-event-source.mjs"),
        },
        Client {
            name: "httpx-sse",
            what: "PyPI `httpx-sse` 0.4.3 on httpx 0.28.1",
            drive: py("httpx_sse_client.py"),
        },
        Client {
            name: "launchdarkly-eventsource",
            what: "PyPI `launchdarkly-eventsource` 1.7.4",
            drive: py("launchdarkly_client.py"),
        },
        Client {
            name: "reqwest-eventsource",
            what: "crate `reqwest-eventsource` 0.6.0",
            drive: bin("reqwest-eventsource"),
        },
        Client {
            name: "eventsource-client",
            what: "crate `eventsource-client` 0.18.0 (LaunchDarkly)",
            drive: bin("eventsource-client"),
        },
        Client {
            name: "eventsource-stream",
            what: "crate `eventsource-stream` 0.2.3 on reqwest 0.12",
            drive: bin("eventsource-stream"),
        },
    ]
}
