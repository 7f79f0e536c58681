//! The servers the tasks start beside the demo, in one place: free ports, a private
//! `redis-server`, a private `nats-server -js`, nginx, and the setup script that installs
//! them.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{run, Server};

/// A port free right now (bound, then released).
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}

/// A private `redis-server` on a free loopback port, without persistence, its files in
/// `dir`; `extra` arguments go on its command line.
pub(crate) fn start_redis(dir: &Path, extra: &[&str]) -> Result<(Server, u16), String> {
    let port = free_port();
    let redis = spawn_redis(port, dir, extra)?;
    wait_for_redis(port)?;
    Ok((redis, port))
}

/// `redis-server` on loopback `port`, no automatic saves, its files (and any `dump.rdb` it
/// loads at start) in `dir`; killed when dropped. It may not answer yet.
pub(crate) fn spawn_redis<S: AsRef<std::ffi::OsStr>>(
    port: u16,
    dir: &Path,
    extra: &[S],
) -> Result<Server, String> {
    Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(Server)
        .map_err(|e| format!("cannot start redis-server: {e}"))
}

/// Sends one inline command to the Redis on `port` and returns its raw answer.
pub(crate) fn redis_command(port: u16, command: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream.write_all(format!("{command}\r\n").as_bytes()).ok()?;
    let mut answer = vec![0u8; 64 * 1024];
    let read = stream.read(&mut answer).ok()?;
    Some(String::from_utf8_lossy(&answer[..read]).into_owned())
}

/// A private `nats-server -js` on a free loopback port, its store in `dir`, and with
/// `monitor` its monitoring endpoint (`/varz`, `/connz`) on that port; once it accepts
/// connections.
pub(crate) fn start_nats(dir: &Path, monitor: Option<u16>) -> Result<(Server, u16), String> {
    let port = free_port();
    let mut command = Command::new("nats-server");
    command
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string()])
        .arg("-sd")
        .arg(dir.join("nats-store"));
    if let Some(monitor) = monitor {
        command.args(["-m", &monitor.to_string()]);
    }
    let server = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(Server)
        .map_err(|e| format!("cannot start nats-server: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!("nats-server did not answer on port {port}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((server, port))
}

fn wait_for_redis(port: u16) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pong = TcpStream::connect(("127.0.0.1", port)).and_then(|mut stream| {
            stream.set_read_timeout(Some(Duration::from_secs(1)))?;
            stream.write_all(b"PING\r\n")?;
            let mut answer = [0u8; 7];
            stream.read_exact(&mut answer)?;
            Ok(answer == *b"+PONG\r\n")
        });
        if pong.unwrap_or(false) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("redis-server did not answer on port {port}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Writes `config` to `run_dir/nginx.conf`, starts nginx on it and waits until it
/// listens on `port`.
pub(crate) fn run_nginx(run_dir: &Path, config: &str, port: u16) -> Result<Server, String> {
    let config_path = run_dir.join("nginx.conf");
    std::fs::write(&config_path, config).map_err(|e| e.to_string())?;
    let nginx = Command::new("nginx")
        .arg("-c")
        .arg(&config_path)
        .arg("-p")
        .arg(run_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(Server)
        .map_err(|e| format!("cannot start nginx: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!(
                "nginx did not start; see {}",
                run_dir.join("error.log").display()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(nginx)
}

/// Installs what is missing (redis-server, redis-sentinel, nginx) with the interop setup
/// script.
pub(crate) fn ensure_prerequisites(root: &Path) -> bool {
    let present = |program: &str, arg: &str| Command::new(program).arg(arg).output().is_ok();
    let all_present = || {
        present("redis-server", "--version")
            && present("redis-sentinel", "--version")
            && present("nats-server", "--version")
            && present("nginx", "-v")
    };
    if all_present() {
        return true;
    }
    let setup = root.join("xtask/interop/setup.sh");
    eprintln!(
        "xtask: redis-server, redis-sentinel, nats-server or nginx missing; installing with {}",
        setup.display()
    );
    run(
        "bash",
        &[setup.to_str().unwrap_or("xtask/interop/setup.sh")],
    ) && all_present()
}
