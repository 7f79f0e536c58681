//! Replay: the events a stream missed while its client was away.
//!
//! A [`Hub`](crate::hub::Hub) keeps every published event in a [`ReplayLog`]. A client
//! that comes back with `Last-Event-ID` gets every retained event after that id, then the
//! live events, with no gap and no duplicate between the two. The log owns the order:
//! each event gets a sequence number, and its id on the wire is `<epoch>-<seq>`. Clients
//! treat ids as opaque strings; only the log reads them.
//!
//! The **epoch** names one history. The in-memory log makes one when it is made, so after
//! a restart an id from the previous run is not mistaken for one of this run; a shared
//! engine fences with a new epoch whenever it may have lost writes (see [`Engine`]).
//!
//! When the id cannot be resumed from, the stream gets a **reset event** instead of a
//! silent skip: by default `event: reset` with `data: {"reason":"expired"}` (older than
//! what is retained), `{"reason":"unknown"}` (never issued by this log) or
//! `{"reason":"lost"}` (the engine lost events the client had), with an id that moves the
//! client's cursor: to now, or for `lost` to the last position that survived, whose
//! events follow. Clients should reload their state when they see it. The status is still
//! `200`: a non-200 would make a browser stop reconnecting for good.
//!
//! Where things are: the seam, [`ReplayLog`] and its types, in `log.rs`; ids and epochs in
//! `id.rs`; the in-memory log in `memory.rs`; for several instances, the [`Engine`]
//! seam (an engine that instances share) in `engine.rs`, where such a log stands
//! ([`Head`]) in `lineage.rs`, the engines in `redis/` and `nats/`, and each instance's
//! window of recent events over a shared engine in `window.rs`. **A third engine**
//! (Postgres, …) is one more folder beside `redis/` and `nats/` implementing [`Engine`];
//! the hub's delivery code does not change.

pub(crate) mod engine;
pub(crate) mod id;
mod lineage;
mod log;
mod memory;
#[cfg(feature = "nats")]
mod nats;
#[cfg(feature = "redis")]
mod redis;
pub(crate) mod window;

pub use engine::{
    Append, AppendBatch, Appended, Engine, Entry, Known, LogError, LogFuture, Outcome, Read,
};
pub(crate) use lineage::Standing;
pub use lineage::{Fork, Head};
pub use log::{Position, Record, ReplayLog, ResetReason};
pub use memory::MemoryLog;
#[cfg(feature = "nats")]
pub use nats::{NatsLog, NatsLogBuilder};
#[cfg(feature = "redis")]
pub use redis::{EngineReport, RedisLog, RedisLogBuilder};
