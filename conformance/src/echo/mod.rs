//! The echo round trip: property tests of a server's encoder through the echo contract.
//!
//! The contract: `POST {"events": [{"id"?, "event"?, "data"?, "retry"?, "comment"?}, ...]}`
//! answers a `200 text/event-stream` of exactly those events, then ends; any invalid event
//! (an id with CR, LF or NUL; an event type with CR or LF) answers `400` and streams nothing.
//! A route whose encoder cannot express a valid script (an API with no way to write an id
//! without data) may answer `501`: the script is counted, not judged.
//!
//! The run: first the known bugs of today's encoders (each a fixed case), then random
//! hostile events from proptest; a failure is shrunk to a minimal case.
//!
//! One file per job: the contract's types in `contract.rs`, the oracle and the fixed
//! cases in `oracle.rs`, the random scripts in `generate.rs`, and the runner in
//! `runner.rs`. The checks read only the contract's types.

mod contract;
mod generate;
mod oracle;
mod runner;

pub use contract::{EchoEvent, EchoFault, EchoOutcome, EchoReport, SizeLimit, Unsupported};
pub use generate::echo_events;
pub use oracle::{expected_items, invalid_cases, known_bug_cases, KnownBug};
pub use runner::run_echo;
