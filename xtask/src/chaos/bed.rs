//! The test bed of one fault: a private `redis-server` (optionally a replica and a
//! `redis-sentinel`), and demo instances sharing it. Every process is the task's own, on a
//! free loopback port with its own directory, and is killed when the bed is dropped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::demo::start_demo;
use crate::process::Server;
use crate::services::{free_port, spawn_redis};

/// How long a server gets to answer after it starts, or a failover to complete.
const PATIENCE: Duration = Duration::from_secs(20);

/// One `redis-server` of ours: it can be killed and started again on the same port and
/// directory (where `dump.rdb` stays).
pub(crate) struct RedisNode {
    pub(crate) port: u16,
    dir: PathBuf,
    extra: Vec<String>,
    process: Option<Server>,
}

impl RedisNode {
    pub(crate) async fn start(dir: &Path, extra: &[&str]) -> Result<Self, String> {
        let port = free_port();
        let dir = dir.join(format!("redis-{port}"));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        // Faults need `DEBUG SLEEP`, and a replica connects without a password.
        let mut node = Self {
            port,
            dir,
            extra: ["--protected-mode", "no", "--enable-debug-command", "yes"]
                .iter()
                .chain(extra)
                .map(|arg| (*arg).to_owned())
                .collect(),
            process: None,
        };
        node.restart().await?;
        Ok(node)
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts the server (loading `dump.rdb` if one is there); returns when it answers.
    pub(crate) async fn restart(&mut self) -> Result<Instant, String> {
        self.process = Some(spawn_redis(self.port, &self.dir, &self.extra)?);
        let deadline = Instant::now() + PATIENCE;
        while self.cli(&["PING"]).as_deref() != Some("PONG") {
            if Instant::now() > deadline {
                return Err(format!("redis-server on port {} did not answer", self.port));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(Instant::now())
    }

    /// SIGKILL: no goodbye, no save.
    pub(crate) fn kill(&mut self) {
        self.process = None;
    }

    /// `redis-cli` against this server: its trimmed answer, or `None` when it failed.
    pub(crate) fn cli(&self, args: &[&str]) -> Option<String> {
        redis_cli(self.port, args)
    }

    /// The replication link of a replica: `up` or `down`.
    pub(crate) fn link_is_up(&self) -> bool {
        self.cli(&["INFO", "replication"])
            .is_some_and(|info| info.contains("master_link_status:up"))
    }
}

fn redis_cli(port: u16, args: &[&str]) -> Option<String> {
    let output = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// A `redis-sentinel` watching one primary as `mymaster` (quorum 1, down after 500 ms).
pub(crate) struct SentinelNode {
    pub(crate) port: u16,
    _process: Server,
}

impl SentinelNode {
    pub(crate) async fn start(dir: &Path, primary: &RedisNode) -> Result<Self, String> {
        let port = free_port();
        let dir = dir.join(format!("sentinel-{port}"));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let config = dir.join("sentinel.conf");
        std::fs::write(
            &config,
            format!(
                "port {port}\nbind 127.0.0.1\nprotected-mode no\ndir {}\n\
                 sentinel monitor mymaster 127.0.0.1 {} 1\n\
                 sentinel down-after-milliseconds mymaster 500\n\
                 sentinel failover-timeout mymaster 3000\n",
                dir.display(),
                primary.port
            ),
        )
        .map_err(|e| e.to_string())?;
        let child = Command::new("redis-sentinel")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start redis-sentinel: {e}"))?;
        let sentinel = Self {
            port,
            _process: Server(child),
        };
        // Up, and aware of the replica (learnt from the primary).
        let deadline = Instant::now() + PATIENCE;
        while !redis_cli(port, &["SENTINEL", "REPLICAS", "mymaster"])
            .is_some_and(|answer| answer.contains("slave"))
        {
            if Instant::now() > deadline {
                return Err("the sentinel never saw the replica".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(sentinel)
    }

    pub(crate) fn url(&self) -> String {
        format!("redis+sentinel://127.0.0.1:{}/mymaster", self.port)
    }

    /// Waits until the sentinel names the server on `port` as the primary.
    pub(crate) async fn promoted(&self, port: u16) -> Result<Instant, String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let named = redis_cli(
                self.port,
                &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"],
            );
            if named.is_some_and(|answer| answer.lines().nth(1) == Some(&port.to_string())) {
                return Ok(Instant::now());
            }
            if Instant::now() > deadline {
                return Err("the sentinel never promoted the replica".into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// One demo instance.
pub(crate) struct Instance {
    pub(crate) base: String,
    addr: String,
    _process: Server,
}

impl Instance {
    /// A demo instance on a free port, sharing `redis_url` (in memory without one).
    pub(crate) fn start(binary: &Path, redis_url: Option<&str>) -> Result<Self, String> {
        Self::start_on(binary, &format!("127.0.0.1:{}", free_port()), redis_url)
    }

    /// A demo instance on `addr`.
    pub(crate) fn start_on(
        binary: &Path,
        addr: &str,
        redis_url: Option<&str>,
    ) -> Result<Self, String> {
        let extra: Vec<&str> = redis_url.map_or_else(Vec::new, |url| vec!["--redis", url]);
        let (process, base) = start_demo(binary, addr, "*", &extra)
            .ok_or_else(|| format!("the demo instance on {addr} did not start"))?;
        Ok(Self {
            base,
            addr: addr.to_owned(),
            _process: process,
        })
    }

    /// SIGKILLs it and starts it again on the same address.
    pub(crate) fn restart(self, binary: &Path, redis_url: Option<&str>) -> Result<Self, String> {
        let addr = self.addr.clone();
        drop(self);
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match Self::start_on(binary, &addr, redis_url) {
                Ok(instance) => return Ok(instance),
                Err(error) if Instant::now() > deadline => return Err(error),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }
}
