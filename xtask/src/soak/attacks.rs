//! Hostile clients against the demo server, each while a normal client watches.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use super::case::{Binaries, Row, Scale};
use super::measure::{normal_client, Sampler};

/// The demo server under attack; killed when dropped.
pub(crate) struct Demo {
    process: crate::process::Server,
    pub(crate) base: String,
    pub(crate) addr: String,
    stderr: PathBuf,
}

impl Demo {
    /// Starts `binary`, through `wrapper` (e.g. `prlimit`) if given.
    pub(crate) fn start(binary: &Path, logs: &Path, name: &str, wrapper: &[&str]) -> Option<Self> {
        let stderr = logs.join(format!("{name}.stderr"));
        let mut command = match wrapper.split_first() {
            Some((program, args)) => {
                let mut command = Command::new(program);
                command.args(args).arg(binary);
                command
            }
            None => Command::new(binary),
        };
        command
            .args(["--addr", "127.0.0.1:0"])
            .stderr(std::fs::File::create(&stderr).ok()?);
        let (process, base) = crate::process::spawn_listening(command)?;
        let addr = base.strip_prefix("http://")?.to_owned();
        Some(Self {
            process,
            base,
            addr,
            stderr,
        })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.process.0.id()
    }

    /// Panics the server reported so far.
    pub(crate) fn panics(&self) -> usize {
        std::fs::read_to_string(&self.stderr)
            .map(|text| text.matches("panicked").count())
            .unwrap_or(0)
    }
}

/// One attack: its name, what it does in numbers, and how long the normal client watches.
struct Attack {
    name: &'static str,
    watch: Duration,
    /// The most the attack may add to the server's memory at its peak, MiB.
    budget_mib: f64,
}

pub(crate) async fn run_all(binaries: &Binaries, scale: Scale) -> Vec<Row> {
    let Some(demo) = Demo::start(&binaries.demo, &binaries.logs, "demo", &[]) else {
        return vec![failed_to_start("demo server")];
    };
    let mut rows = Vec::new();
    let frozen = scale.pick(2000, 300);
    // Long enough for the 30 s write deadline to drop them all.
    let frozen_hold = scale.pick(Duration::from_secs(40), Duration::from_secs(6));
    rows.push(
        measured(
            &demo,
            Attack {
                name: "frozen readers",
                watch: frozen_hold,
                // hyper's 64 KiB and one 64 KiB frame each, and the allocator's slack.
                budget_mib: 16.0 + frozen as f64 * 192.0 / 1024.0,
            },
            frozen_readers(&demo.addr, frozen, frozen_hold, !scale.quick()),
        )
        .await,
    );
    let slow = scale.pick(1000, 200);
    rows.push(
        measured(
            &demo,
            Attack {
                name: "slowloris heads",
                watch: Duration::from_secs(12),
                budget_mib: 32.0,
            },
            slowloris(&demo.addr, slow, Duration::from_secs(12)),
        )
        .await,
    );
    let cycles = scale.pick(20_000, 2_000);
    rows.push(
        measured(
            &demo,
            Attack {
                name: "connect/disconnect churn",
                watch: scale.pick(Duration::from_secs(12), Duration::from_secs(4)),
                budget_mib: 32.0,
            },
            churn(&demo.addr, cycles),
        )
        .await,
    );
    let resets = scale.pick(20_000, 2_000);
    rows.push(
        measured(
            &demo,
            Attack {
                name: "HTTP/2 rapid reset",
                watch: Duration::from_secs(4),
                budget_mib: 32.0,
            },
            rapid_reset(&demo.addr, resets),
        )
        .await,
    );
    let starved = scale.pick(190, 50);
    rows.push(
        measured(
            &demo,
            Attack {
                name: "HTTP/2 zero window",
                watch: scale.pick(Duration::from_secs(8), Duration::from_secs(4)),
                budget_mib: 32.0,
            },
            zero_window(
                &demo.addr,
                starved,
                scale.pick(Duration::from_secs(8), Duration::from_secs(4)),
            ),
        )
        .await,
    );
    let body = scale.pick(64 << 20, 16 << 20);
    rows.push(
        measured(
            &demo,
            Attack {
                name: "huge request bodies",
                watch: Duration::from_secs(4),
                budget_mib: 32.0,
            },
            huge_bodies(&demo.addr, body),
        )
        .await,
    );
    drop(demo);
    rows.push(out_of_files(binaries, scale).await);
    rows
}

fn failed_to_start(what: &str) -> Row {
    Row {
        attack: what.to_owned(),
        load: "—".into(),
        memory: (0.0, 0.0, 0.0),
        cpu_seconds: 0.0,
        sockets: "—".into(),
        normal_client: "—".into(),
        panics: 0,
        verdict: Err(format!("the {what} did not start")),
    }
}

/// Runs `attack` against `demo` while a normal client watches, and measures the server.
async fn measured(
    demo: &Demo,
    attack: Attack,
    run: impl std::future::Future<Output = Result<String, String>>,
) -> Row {
    eprintln!("xtask soak: {}", attack.name);
    let sampler = Sampler::start(demo.pid());
    let watcher = normal_client(&demo.base, 100, attack.watch, 1000.0);
    let (outcome, normal) = tokio::join!(run, watcher);
    let sampled = sampler.finish(Duration::from_secs(2)).await;
    let panics = demo.panics();
    let (before, peak, after) = sampled.memory;
    let mut verdict = outcome.clone();
    if let Err(seen) = &normal {
        verdict = Err(format!("the normal client was not served on time ({seen})"));
    }
    if panics > 0 {
        verdict = Err(format!("{panics} panics"));
    }
    // Memory the allocator keeps after an attack is reused by the next one, so the
    // bound is on the peak; what must be gone afterwards are the sockets.
    if verdict.is_ok() && peak > before + attack.budget_mib {
        verdict = Err(format!(
            "peak {:.0} MiB over a budget of {:.0} MiB",
            peak - before,
            attack.budget_mib
        ));
    }
    if verdict.is_ok() && sampled.files_after > sampled.files_before + 8 {
        verdict = Err(format!(
            "{} sockets still open after",
            sampled.files_after - sampled.files_before
        ));
    }
    Row {
        attack: attack.name.to_owned(),
        load: outcome.clone().unwrap_or_else(|error| error),
        memory: (before, peak, after),
        cpu_seconds: sampled.cpu_seconds,
        sockets: format!(
            "{} → {} → {}",
            sampled.files_before, sampled.files_peak, sampled.files_after
        ),
        normal_client: normal.unwrap_or_else(|error| error),
        panics,
        verdict: verdict.map(|_| "recovered".to_owned()),
    }
}

/// `count` clients ask for an endless fast stream with a 4 KiB receive buffer, and never
/// read. The server's bounded send buffer and write deadline must drop them.
async fn frozen_readers(
    addr: &str,
    count: usize,
    hold: Duration,
    must_drop: bool,
) -> Result<String, String> {
    let mut sockets = Vec::with_capacity(count);
    for _ in 0..count {
        let socket = TcpSocket::new_v4().map_err(|e| e.to_string())?;
        socket
            .set_recv_buffer_size(4096)
            .map_err(|e| e.to_string())?;
        let mut stream = socket
            .connect(addr.parse().map_err(|e| format!("{e}"))?)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        stream
            .write_all(b"GET /bench?n=100000000&size=1024 HTTP/1.1\r\nHost: soak\r\n\r\n")
            .await
            .map_err(|e| e.to_string())?;
        sockets.push(stream);
    }
    tokio::time::sleep(hold).await;
    // Which ones did the server give up on? Those it closed answer a read with the end
    // of what it had sent, then EOF or a reset; the others would block.
    let mut dropped = 0;
    for mut stream in sockets {
        if closed_by_peer(&mut stream).await {
            dropped += 1;
        }
    }
    let summary = format!(
        "{count} readers of an endless stream, held {} s; {dropped} dropped by the server",
        hold.as_secs()
    );
    // Held past the write deadline, every one of them must be gone.
    if must_drop && dropped < count {
        return Err(summary);
    }
    Ok(summary)
}

/// Drains what is buffered; true if the peer had closed (EOF or reset) by then. A peer
/// still sending after 1 MiB (more than its socket buffers and the server's hold) is alive.
async fn closed_by_peer(stream: &mut TcpStream) -> bool {
    let mut buf = vec![0u8; 64 * 1024];
    let mut drained = 0;
    while drained < 1 << 20 {
        match tokio::time::timeout(Duration::from_millis(50), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(n)) => drained += n,
            Err(_) => return false,
        }
    }
    false
}

/// `count` clients send half a request head, then nothing.
async fn slowloris(addr: &str, count: usize, hold: Duration) -> Result<String, String> {
    let mut sockets = Vec::with_capacity(count);
    for _ in 0..count {
        let mut stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        stream
            .write_all(b"GET /events HTTP/1.1\r\nHost: soak\r\nX-Slow: ")
            .await
            .map_err(|e| e.to_string())?;
        sockets.push(stream);
    }
    tokio::time::sleep(hold).await;
    let mut closed = 0;
    for mut stream in sockets {
        if closed_by_peer(&mut stream).await {
            closed += 1;
        }
    }
    if closed < count {
        return Err(format!(
            "{} of {count} half heads still open after {} s",
            count - closed,
            hold.as_secs()
        ));
    }
    Ok(format!(
        "{count} half heads; all closed by the {} s mark",
        hold.as_secs()
    ))
}

/// `cycles` connections: request a stream, read its head, hang up; 64 at a time.
async fn churn(addr: &str, cycles: usize) -> Result<String, String> {
    let started = Instant::now();
    let per_task = cycles / 64;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let addr = addr.to_owned();
        tasks.spawn(async move {
            let mut buf = [0u8; 1024];
            for _ in 0..per_task {
                let mut stream = TcpStream::connect(&addr).await?;
                stream
                    .write_all(b"GET /events?interval_ms=3600000 HTTP/1.1\r\nHost: soak\r\n\r\n")
                    .await?;
                let n = stream.read(&mut buf).await?;
                if !buf[..n].starts_with(b"HTTP/1.1 200") {
                    return Err(std::io::Error::other("not a 200"));
                }
            }
            Ok::<_, std::io::Error>(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(|e| e.to_string())?
            .map_err(|e| format!("a cycle failed: {e}"))?;
    }
    let took = started.elapsed().as_secs_f64();
    Ok(format!(
        "{} cycles in {took:.1} s ({:.0}/s)",
        per_task * 64,
        (per_task * 64) as f64 / took
    ))
}

/// HTTP/2: open a stream and reset it at once, `count` times on one connection.
async fn rapid_reset(addr: &str, count: usize) -> Result<String, String> {
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let (client, connection) = h2::client::handshake(tcp)
        .await
        .map_err(|e| format!("h2 handshake: {e}"))?;
    let connection = tokio::spawn(connection);
    let mut sent = 0;
    let mut client = client;
    for _ in 0..count {
        let Ok(ready) = client.clone().ready().await else {
            break;
        };
        client = ready;
        let request = http::Request::get(format!("http://{addr}/events?interval_ms=3600000"))
            .body(())
            .expect("a valid request");
        let Ok((_response, mut stream)) = client.send_request(request, false) else {
            break;
        };
        stream.send_reset(h2::Reason::CANCEL);
        sent += 1;
    }
    drop(client);
    let ended = tokio::time::timeout(Duration::from_secs(2), connection).await;
    let how = match ended {
        Ok(Ok(Err(error))) => format!("the server ended the connection ({error})"),
        Ok(Ok(Ok(()))) => "the connection ended cleanly".to_owned(),
        Ok(Err(_)) | Err(_) => "the connection stayed open".to_owned(),
    };
    Ok(format!("{sent} streams opened and reset; {how}"))
}

/// HTTP/2 streams of an endless fast stream, with a flow-control window of zero: the
/// server may send nothing, and must not buffer what it cannot send.
async fn zero_window(addr: &str, streams: usize, hold: Duration) -> Result<String, String> {
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let (client, connection) = h2::client::Builder::new()
        .initial_window_size(0)
        .handshake::<_, Bytes>(tcp)
        .await
        .map_err(|e| format!("h2 handshake: {e}"))?;
    tokio::spawn(connection);
    let mut client = client;
    let mut open = Vec::new();
    for _ in 0..streams {
        client = client.ready().await.map_err(|e| e.to_string())?;
        let request = http::Request::get(format!("http://{addr}/bench?n=100000000&size=1024"))
            .body(())
            .expect("a valid request");
        let (response, _) = client
            .send_request(request, true)
            .map_err(|e| e.to_string())?;
        open.push(response);
    }
    let mut answered = 0;
    for response in open.iter_mut() {
        if let Ok(Ok(response)) = tokio::time::timeout(Duration::from_secs(2), response).await {
            if response.status() == 200 {
                answered += 1;
            }
        }
    }
    tokio::time::sleep(hold).await;
    Ok(format!(
        "{streams} streams with a zero window ({answered} answered 200), held {} s",
        hold.as_secs()
    ))
}

/// A body of `size` bytes to each endpoint that takes one; each must be refused early.
async fn huge_bodies(addr: &str, size: usize) -> Result<String, String> {
    let mut answers = Vec::new();
    for path in ["/chat", "/echo", "/publish?topic=soak"] {
        let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: soak\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
        );
        stream
            .write_all(head.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let (mut reader, mut writer) = stream.into_split();
        let writing = tokio::spawn(async move {
            let chunk = vec![b'a'; 64 * 1024];
            let mut sent = 0usize;
            while sent < size {
                if writer.write_all(&chunk).await.is_err() {
                    break;
                }
                sent += chunk.len();
            }
            sent
        });
        let mut answer = vec![0u8; 256];
        let n = tokio::time::timeout(Duration::from_secs(10), reader.read(&mut answer))
            .await
            .map_err(|_| format!("{path}: no answer within 10 s"))?
            .map_err(|e| format!("{path}: {e}"))?;
        let status = String::from_utf8_lossy(&answer[..n.min(12)]).to_string();
        drop(reader);
        let sent = tokio::time::timeout(Duration::from_secs(10), writing)
            .await
            .map(|sent| sent.unwrap_or(0))
            .unwrap_or(size);
        if !(status.ends_with("413") || status.ends_with("400")) {
            return Err(format!("{path} answered {status:?} to {size} bytes"));
        }
        answers.push(format!("{path} {} after {} KiB", &status[9..], sent / 1024));
    }
    Ok(format!("{} MiB bodies: {}", size >> 20, answers.join(", ")))
}

/// The server started with 256 file descriptors; 300 clients take them all. It must not
/// spin meanwhile, and must serve again once they leave.
async fn out_of_files(binaries: &Binaries, scale: Scale) -> Row {
    eprintln!("xtask soak: out of file descriptors");
    let name = "out of file descriptors";
    let Some(demo) = Demo::start(
        &binaries.demo,
        &binaries.logs,
        "demo-emfile",
        &["prlimit", "--nofile=256:256", "--"],
    ) else {
        return failed_to_start("demo server under prlimit");
    };
    let hold = scale.pick(Duration::from_secs(8), Duration::from_secs(4));
    let clients = 300;
    let sampler = Sampler::start(demo.pid());
    let cpu_before = crate::proc::cpu_seconds(demo.pid()).unwrap_or(0.0);
    let mut sockets = Vec::new();
    for _ in 0..clients {
        let Ok(mut stream) = TcpStream::connect(&demo.addr).await else {
            continue;
        };
        let _ = stream
            .write_all(b"GET /events?interval_ms=3600000 HTTP/1.1\r\nHost: soak\r\n\r\n")
            .await;
        sockets.push(stream);
    }
    tokio::time::sleep(hold).await;
    let cpu_while_exhausted = crate::proc::cpu_seconds(demo.pid()).unwrap_or(0.0) - cpu_before;
    drop(sockets);
    // The back-off tops out at 1 s: give it that to notice.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let normal = normal_client(&demo.base, 100, Duration::from_secs(3), 1000.0).await;
    let sampled = sampler.finish(Duration::from_secs(1)).await;
    let panics = demo.panics();
    let mut verdict = Ok("recovered".to_owned());
    // A spinning accept loop burns the whole hold in CPU; backing off, a few percent.
    if cpu_while_exhausted > hold.as_secs_f64() * 0.25 {
        verdict = Err(format!(
            "{cpu_while_exhausted:.2} s of CPU in {} s out of descriptors",
            hold.as_secs()
        ));
    }
    if let Err(seen) = &normal {
        verdict = Err(format!("not served after the clients left ({seen})"));
    }
    if panics > 0 {
        verdict = Err(format!("{panics} panics"));
    }
    Row {
        attack: name.to_owned(),
        load: format!(
            "{clients} clients against 256 descriptors, held {} s; {cpu_while_exhausted:.2} s CPU meanwhile",
            hold.as_secs()
        ),
        memory: sampled.memory,
        cpu_seconds: sampled.cpu_seconds,
        sockets: format!(
            "{} → {} → {}",
            sampled.files_before, sampled.files_peak, sampled.files_after
        ),
        normal_client: normal
            .map(|ok| format!("after: {ok}"))
            .unwrap_or_else(|error| error),
        panics,
        verdict,
    }
}
