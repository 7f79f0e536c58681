//! The engines the engine-level suite runs on, behind one trait: in memory, a private
//! `redis-server`, a private `nats-server -js`. A test written once against
//! [`TestEngine`] runs on each (see `engine_suite.rs`).

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use sse_layer::hub::{Hub, HubBuilder};

/// How quickly a test hub's follower notices a quiet engine's changes.
const FOLLOW_WAIT: Duration = Duration::from_millis(200);

/// Where a test's hubs keep their events.
pub trait TestEngine: Sized {
    /// Starts a private server (in memory: nothing).
    fn start() -> Self;

    /// One instance's hub on the log `name` (retaining `max_events`), configured by
    /// `configure`. In memory there is one instance: the same hub for the same name.
    fn hub_with(
        &self,
        name: &str,
        max_events: u64,
        configure: impl FnOnce(HubBuilder) -> HubBuilder,
    ) -> Hub;

    fn hub(&self, name: &str) -> Hub {
        self.hub_with(name, 1000, |builder| builder)
    }
}

/// A shared engine: a server the test stops, restarts and empties.
pub trait SharedEngine: TestEngine {
    /// Stops the server; with `keep_data` it comes back with what it held.
    fn stop(&mut self, keep_data: bool);
    fn restart(&mut self);
    /// Everything the server held is gone (it may be briefly unreachable meanwhile).
    fn lose_everything(&mut self);
    /// Keeps a copy of what the server holds now, as a backup would.
    fn checkpoint(&mut self);
    /// SIGKILL, and back from the last [`checkpoint`](Self::checkpoint): what came after
    /// it is gone, under the same epoch.
    fn kill_back_to_checkpoint(&mut self);
}

/// One process: hubs in memory.
#[derive(Default)]
pub struct Memory {
    hubs: Mutex<HashMap<String, Hub>>,
}

impl TestEngine for Memory {
    fn start() -> Self {
        Self::default()
    }

    fn hub_with(
        &self,
        name: &str,
        max_events: u64,
        configure: impl FnOnce(HubBuilder) -> HubBuilder,
    ) -> Hub {
        let mut hubs = self.hubs.lock().unwrap();
        hubs.entry(name.to_owned())
            .or_insert_with(|| {
                let log = sse_layer::replay::MemoryLog::new(max_events as usize, usize::MAX);
                configure(Hub::builder().replay(log)).build()
            })
            .clone()
    }
}

/// A hub on a shared engine, with a follower quick to notice changes.
#[cfg(any(feature = "redis", feature = "nats"))]
fn hub_on(
    engine: impl sse_layer::replay::Engine,
    configure: impl FnOnce(HubBuilder) -> HubBuilder,
) -> Hub {
    configure(Hub::builder().follow_wait(FOLLOW_WAIT))
        .engine(engine)
        .build()
}

/// A private `redis-server`.
#[cfg(feature = "redis")]
pub struct Redis(pub sse_test_servers::RedisServer);

#[cfg(feature = "redis")]
impl TestEngine for Redis {
    fn start() -> Self {
        Self(sse_test_servers::RedisServer::start())
    }

    fn hub_with(
        &self,
        name: &str,
        max_events: u64,
        configure: impl FnOnce(HubBuilder) -> HubBuilder,
    ) -> Hub {
        let log = sse_layer::replay::RedisLog::builder(self.0.url());
        hub_on(
            log.name(name).max_events(max_events).build().unwrap(),
            configure,
        )
    }
}

#[cfg(feature = "redis")]
impl SharedEngine for Redis {
    fn stop(&mut self, keep_data: bool) {
        self.0.stop(keep_data);
    }

    fn restart(&mut self) {
        self.0.restart();
    }

    fn lose_everything(&mut self) {
        assert_eq!(self.0.cli(&["FLUSHALL"]).as_deref(), Some("OK"));
    }

    /// An RDB snapshot: what Redis loads when it restarts.
    fn checkpoint(&mut self) {
        assert_eq!(self.0.cli(&["SAVE"]).as_deref(), Some("OK"));
    }

    fn kill_back_to_checkpoint(&mut self) {
        self.0.kill();
        self.0.restart();
    }
}

/// A private `nats-server -js`, and the copy of its store the last checkpoint made.
#[cfg(feature = "nats")]
pub struct Nats(pub sse_test_servers::NatsServer, Option<std::path::PathBuf>);

#[cfg(feature = "nats")]
impl TestEngine for Nats {
    fn start() -> Self {
        Self(sse_test_servers::NatsServer::start(), None)
    }

    fn hub_with(
        &self,
        name: &str,
        max_events: u64,
        configure: impl FnOnce(HubBuilder) -> HubBuilder,
    ) -> Hub {
        let log = sse_layer::replay::NatsLog::builder(self.0.url());
        hub_on(
            log.name(name).max_events(max_events).build().unwrap(),
            configure,
        )
    }
}

#[cfg(feature = "nats")]
impl SharedEngine for Nats {
    fn stop(&mut self, keep_data: bool) {
        self.0.stop(keep_data);
    }

    fn restart(&mut self) {
        self.0.restart();
    }

    /// The store deleted while the server is down: it comes back empty.
    fn lose_everything(&mut self) {
        self.0.stop(false);
        self.0.restart();
    }

    /// The store's files copied (the server frozen meanwhile), once it has had a moment
    /// to write out what it acknowledged.
    fn checkpoint(&mut self) {
        std::thread::sleep(Duration::from_millis(300));
        self.1 = Some(self.0.snapshot());
    }

    fn kill_back_to_checkpoint(&mut self) {
        self.0.kill();
        self.0.restore(self.1.as_ref().expect("a checkpoint first"));
        self.0.restart();
    }
}
