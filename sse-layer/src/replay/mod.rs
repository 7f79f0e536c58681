//! Replay: the events a stream missed while its client was away.
//!
//! A [`Hub`](crate::hub::Hub) keeps every published event in a [`ReplayLog`]. A client
//! that comes back with `Last-Event-ID` gets every retained event after that id, then the
//! live events, with no gap and no duplicate between the two. The log owns the order:
//! each event gets a sequence number, and its id on the wire is that number in decimal.
//! Clients treat ids as opaque strings; only the log reads them.
//!
//! When the id cannot be resumed from (older than what is retained, or never issued by
//! this log), the stream starts with a **reset event** instead of silently skipping: by
//! default `event: reset`, `data: {"reason":"expired"}` or `{"reason":"unknown"}`, with
//! the id of the newest retained event (or an empty id when there is none), so the
//! client's cursor moves to "now". Clients should reload their state when they see it.
//! The status is still `200`: a non-200 would make a browser stop reconnecting for good.

//!
//! Where things are: the seam, [`ReplayLog`] and its types, in `log.rs`; the in-memory
//! log in `memory.rs`; for several instances, the [`SharedLog`] seam (an engine that
//! instances share) in `shared.rs`, the Redis engine in `redis.rs`, and each instance's
//! window of recent events over a shared log in `window.rs`. A second engine is one more
//! file beside `redis.rs` implementing [`SharedLog`]; the hub's delivery code does not
//! change.

mod log;
mod memory;
#[cfg(feature = "redis")]
mod redis;
pub(crate) mod shared;
pub(crate) mod window;

pub use log::{Position, Record, ReplayLog, ResetReason};
pub use memory::MemoryLog;
#[cfg(feature = "redis")]
pub use redis::{RedisLog, RedisLogBuilder};
pub use shared::{Append, Appended, Batch, Entry, Head, History, LogError, LogFuture, SharedLog};
