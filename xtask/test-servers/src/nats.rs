//! A private `nats-server -js` for the tests: a free port on loopback, its own store
//! directory, stopped when dropped; real faults (SIGKILL, a restart with or without its
//! store, a restart from an older copy of the store). Tests never touch a NATS server
//! they did not start.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct NatsServer {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

use crate::process::{self, free_port};

impl NatsServer {
    /// Starts one, or panics with a sentence saying what is missing.
    pub fn start() -> Self {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("sse-layer-nats-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let mut server = Self {
            port,
            dir,
            child: None,
        };
        server.restart();
        server
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn store(&self) -> PathBuf {
        self.dir.join("store")
    }

    /// Starts the server again on the same port and store.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p", &self.port.to_string()])
            .arg("-sd")
            .arg(self.store())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server must be installed (Debian: apt-get install nats-server)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nats-server did not answer on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server (SIGTERM: it flushes its store); without `keep_data` the store is
    /// deleted, so it comes back empty.
    pub fn stop(&mut self, keep_data: bool) {
        if let Some(mut child) = self.child.take() {
            process::signal(&child, rustix::process::Signal::TERM);
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().ok().flatten().is_none() {
                if Instant::now() > deadline {
                    let _ = child.kill();
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        if !keep_data {
            let _ = std::fs::remove_dir_all(self.store());
        }
    }

    /// SIGKILL: gone at once, its store as it was on disk.
    pub fn kill(&mut self) {
        process::kill(self.child.take());
    }

    /// SIGSTOP (`true`) or SIGCONT (`false`): frozen, its connections open but silent.
    pub fn freeze(&self, frozen: bool) {
        process::freeze(self.child.as_ref().expect("running"), frozen);
    }

    /// Copies the store as it is on disk now, the server frozen meanwhile: what a
    /// backup of a running server (or a disk snapshot) holds.
    pub fn snapshot(&self) -> PathBuf {
        let copy = self.dir.join(format!("snapshot-{}", random_suffix()));
        self.freeze(true);
        copy_dir(&self.store(), &copy);
        self.freeze(false);
        copy
    }

    /// Puts back a store copied by [`snapshot`](Self::snapshot) (the server stopped).
    pub fn restore(&self, snapshot: &PathBuf) {
        assert!(self.child.is_none(), "stop the server first");
        let _ = std::fs::remove_dir_all(self.store());
        copy_dir(snapshot, &self.store());
    }
}

fn random_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn copy_dir(from: &PathBuf, to: &PathBuf) {
    std::fs::create_dir_all(to).expect("a directory");
    for entry in std::fs::read_dir(from).expect("a store to copy") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("a copy");
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
