//! The sse-layer demo server as a library: the routing table and serve loop ([`app`]) and
//! the hubs it publishes into ([`hubs`]: in memory, or shared through Redis or NATS).
//! `src/main.rs` is the command line around it; the tests in `tests/` serve exactly the
//! same thing in process.

pub mod app;
pub mod hubs;
mod routes;
