//! A private `redis-server` for the tests: a free port on loopback, no persistence unless
//! asked, stopped when dropped; real faults (SIGKILL, SIGSTOP, a restart from an older
//! snapshot), replicas, and a `redis-sentinel`. Tests never touch a Redis they did not
//! start, except the one named by `SSE_TEST_REDIS_URL` (for runs that bring their own).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisServer {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
    /// More arguments for every start (a replica's `--replicaof`, a policy).
    extra: Vec<String>,
}

use crate::process::{self, free_port};

impl RedisServer {
    /// Starts one, or panics with a sentence saying what is missing.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts one with more command-line arguments (kept for restarts).
    pub fn start_with(extra: &[&str]) -> Self {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("sse-layer-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let mut server = Self {
            port,
            dir,
            child: None,
            extra: extra.iter().map(|arg| (*arg).to_owned()).collect(),
        };
        server.restart();
        server
    }

    /// A replica of `primary`, synchronised before this returns.
    pub fn replica_of(primary: &RedisServer) -> Self {
        let replica = Self::start_with(&["--replicaof", "127.0.0.1", &primary.port.to_string()]);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !replica
            .cli(&["INFO", "replication"])
            .is_some_and(|info| info.contains("master_link_status:up"))
        {
            assert!(Instant::now() < deadline, "the replica never synchronised");
            std::thread::sleep(Duration::from_millis(20));
        }
        replica
    }

    /// SIGKILL: gone at once, no save; `dump.rdb` (from an earlier `SAVE`) stays, and the
    /// next `restart` loads it.
    pub fn kill(&mut self) {
        process::kill(self.child.take());
    }

    /// SIGSTOP (`true`) or SIGCONT (`false`): frozen, its connections open but silent.
    pub fn freeze(&self, frozen: bool) {
        process::freeze(self.child.as_ref().expect("running"), frozen);
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts the server again on the same port and directory (it loads `dump.rdb` if a
    /// `stop(true)` left one).
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .args(["--enable-debug-command", "yes"])
            .arg("--dir")
            .arg(&self.dir)
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (Debian: apt-get install redis-server)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.cli(&["PING"]).as_deref() != Some("PONG") {
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server: with `keep_data`, it saves to disk first and the next `restart`
    /// loads it; without, the data is gone.
    pub fn stop(&mut self, keep_data: bool) {
        let _ = std::fs::remove_file(self.dir.join("dump.rdb"));
        let _ = self.cli(&["SHUTDOWN", if keep_data { "SAVE" } else { "NOSAVE" }]);
        if let Some(mut child) = self.child.take() {
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().ok().flatten().is_none() {
                if Instant::now() > deadline {
                    let _ = child.kill();
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    /// Runs one command with redis-cli; its trimmed output, or `None` when it failed.
    pub fn cli(&self, args: &[&str]) -> Option<String> {
        redis_cli(self.port, args)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A private `redis-sentinel` watching `primary` as service `mymaster`, quorum 1, quick to
/// fail over (the primary counts as down after 500 ms without an answer).
pub struct Sentinel {
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

impl Sentinel {
    pub fn start(primary: &RedisServer, replicas: usize) -> Self {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("sse-layer-sentinel-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
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
        .expect("a config file");
        let child = Command::new("redis-sentinel")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-sentinel must be installed (Debian: apt-get install redis-sentinel)");
        let sentinel = Self { port, dir, child };
        // Up, and aware of the primary's replicas (it learns them from the primary).
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let known = sentinel
                .cli(&["SENTINEL", "REPLICAS", "mymaster"])
                .map_or(0, |answer| answer.matches("slave").count());
            if known >= replicas {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the sentinel never saw the replicas"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        sentinel
    }

    pub fn url(&self) -> String {
        format!("redis+sentinel://127.0.0.1:{}/mymaster", self.port)
    }

    /// The port of the server the sentinel names as the primary now.
    pub fn primary_port(&self) -> Option<u16> {
        let answer = self.cli(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"])?;
        answer.lines().nth(1)?.trim().parse().ok()
    }

    pub fn cli(&self, args: &[&str]) -> Option<String> {
        redis_cli(self.port, args)
    }
}

/// One command with redis-cli against the server (or sentinel) on `port`: its trimmed
/// output, or `None` when it failed.
fn redis_cli(port: u16, args: &[&str]) -> Option<String> {
    let output = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The URL of the Redis the tests may use: `SSE_TEST_REDIS_URL`, or a private server
/// (returned so that it lives as long as the test).
pub fn redis_url() -> (String, Option<RedisServer>) {
    match std::env::var("SSE_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => (url, None),
        _ => {
            let server = RedisServer::start();
            (server.url(), Some(server))
        }
    }
}

/// A log name no other test (or earlier run on a shared Redis) uses.
pub fn unique_name(test: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{test}-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}
