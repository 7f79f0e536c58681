//! Private servers for the workspace's tests: a `redis-server` (with replicas and a
//! `redis-sentinel`) and a `nats-server -js`, each on a free loopback port with its own
//! data directory, stopped when dropped, with real faults (SIGKILL, SIGSTOP, a restart,
//! a restart from an older copy of the store). Tests never touch a server they did not
//! start, except a Redis named by `SSE_TEST_REDIS_URL` (for runs that bring their own).
//!
//! ```no_run
//! use sse_test_servers::RedisServer;
//!
//! let mut redis = RedisServer::start();
//! let url = redis.url();
//! redis.kill(); // SIGKILL: what a test of failover wants
//! redis.restart();
//! # let _ = url;
//! ```

mod nats;
mod process;
mod redis;

pub use nats::NatsServer;
pub use process::free_port;
pub use redis::{redis_url, unique_name, RedisServer, Sentinel};
