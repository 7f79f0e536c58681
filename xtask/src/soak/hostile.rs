//! The checker against hostile servers: each must end in a report or a clear error, in
//! bounded memory and time, and credentials must not follow a redirect to another origin.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::case::{Binaries, Row, Scale};

/// The checker may use at most this much memory against any server.
const MEMORY_BOUND_MIB: f64 = 256.0;

/// What a hostile server sends after reading the request head.
#[derive(Clone, Copy)]
enum Behaviour {
    /// `data: xxxx…` with no line break, for ever.
    EndlessLine,
    /// `data: x` lines with no blank line, for ever.
    EndlessEvent,
    /// A gzip body of one small frame that inflates to 256 MiB.
    GzipBomb,
    /// `:` comment lines, as fast as the client reads.
    TinyLines,
    /// `data:` + blank line: an empty event every 7 bytes.
    TinyEvents,
    /// Header lines, for ever.
    EndlessHeaders,
}

impl Behaviour {
    fn name(self) -> &'static str {
        match self {
            Self::EndlessLine => "checker vs an endless line",
            Self::EndlessEvent => "checker vs an endless event",
            Self::GzipBomb => "checker vs a gzip bomb",
            Self::TinyLines => "checker vs a flood of tiny lines",
            Self::TinyEvents => "checker vs a flood of tiny events",
            Self::EndlessHeaders => "checker vs headers that never end",
        }
    }
}

pub(crate) async fn run_all(binaries: &Binaries, scale: Scale) -> Vec<Row> {
    let duration = scale.pick("5s", "3s");
    let bomb = Arc::new(gzip_bomb(256 << 20));
    let mut rows = Vec::new();
    for behaviour in [
        Behaviour::EndlessLine,
        Behaviour::EndlessEvent,
        Behaviour::GzipBomb,
        Behaviour::TinyLines,
        Behaviour::TinyEvents,
        Behaviour::EndlessHeaders,
    ] {
        eprintln!("xtask soak: {}", behaviour.name());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let url = format!(
            "http://{}/events",
            listener.local_addr().expect("an address")
        );
        let server = tokio::spawn(serve(listener, behaviour, bomb.clone()));
        let run = run_checker(binaries, &["check", &url, "--duration", duration]).await;
        server.abort();
        rows.push(run.into_row(behaviour.name(), String::new(), Ok(())));
    }
    rows.push(cross_origin_redirect(binaries).await);
    rows
}

async fn serve(listener: TcpListener, behaviour: Behaviour, bomb: Arc<Vec<u8>>) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(answer(stream, behaviour, bomb.clone()));
    }
}

async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 || head.len() > 64 * 1024 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

async fn answer(mut stream: TcpStream, behaviour: Behaviour, bomb: Arc<Vec<u8>>) {
    if read_head(&mut stream).await.is_none() {
        return;
    }
    let stream_head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n";
    let repeat = |unit: &[u8]| unit.repeat(64 * 1024 / unit.len());
    let (head, prefix, unit): (String, Vec<u8>, Vec<u8>) = match behaviour {
        Behaviour::EndlessLine => (stream_head.into(), b"data: ".to_vec(), repeat(b"x")),
        Behaviour::EndlessEvent => (stream_head.into(), Vec::new(), repeat(b"data: x\n")),
        Behaviour::TinyLines => (stream_head.into(), Vec::new(), repeat(b":\n")),
        Behaviour::TinyEvents => (stream_head.into(), Vec::new(), repeat(b"data:\n\n")),
        Behaviour::EndlessHeaders => (
            "HTTP/1.1 200 OK\r\n".into(),
            Vec::new(),
            repeat(b"x-h: v\r\n"),
        ),
        Behaviour::GzipBomb => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: gzip\r\ncontent-length: {}\r\n\r\n",
                bomb.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&bomb).await;
            let _ = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut [0u8; 1])).await;
            return;
        }
    };
    if stream.write_all(head.as_bytes()).await.is_err() || stream.write_all(&prefix).await.is_err()
    {
        return;
    }
    while stream.write_all(&unit).await.is_ok() {}
}

/// 256 MiB of `data: 0…` in one gzip member: about 250 KiB on the wire.
fn gzip_bomb(inflated: usize) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = encoder.write_all(b"data: ");
    let zeros = vec![b'0'; 1 << 20];
    for _ in 0..inflated >> 20 {
        let _ = encoder.write_all(&zeros);
    }
    encoder.finish().unwrap_or_default()
}

/// One run of the checker: exit code, peak memory, time.
struct CheckerRun {
    code: Option<i32>,
    peak_mib: f64,
    cpu_seconds: f64,
    took: Duration,
    output_tail: String,
}

async fn run_checker(binaries: &Binaries, args: &[&str]) -> CheckerRun {
    let started = Instant::now();
    let child = tokio::process::Command::new(&binaries.checker)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => {
            return CheckerRun {
                code: None,
                peak_mib: 0.0,
                cpu_seconds: 0.0,
                took: started.elapsed(),
                output_tail: format!("cannot start the checker: {error}"),
            }
        }
    };
    let pid = child.id().unwrap_or(0);
    let mut peak: f64 = 0.0;
    let mut cpu: f64 = 0.0;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let reading = tokio::spawn(async move {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out).await;
        let _ = stderr.read_to_end(&mut out).await;
        out
    });
    let deadline = started + Duration::from_secs(60);
    let status = loop {
        if let Some(hwm) = crate::proc::peak_rss_bytes(pid) {
            peak = peak.max(hwm / (1024.0 * 1024.0));
        }
        if let Some(seconds) = crate::proc::cpu_seconds(pid) {
            cpu = seconds;
        }
        if let Ok(Some(status)) = child.try_wait() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill().await;
            break None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let output = reading.await.unwrap_or_default();
    let text = String::from_utf8_lossy(&output);
    let tail = text
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("")
        .to_owned();
    CheckerRun {
        code: status.and_then(|status| status.code()),
        peak_mib: peak,
        cpu_seconds: cpu,
        took: started.elapsed(),
        output_tail: tail,
    }
}

impl CheckerRun {
    /// A row; `extra` is a further verdict of the caller's.
    fn into_row(self, attack: &str, load: String, extra: Result<(), String>) -> Row {
        let mut verdict = match self.code {
            Some(0..=2) => Ok(format!("exit {}", self.code.unwrap_or(0))),
            Some(code) => Err(format!("exit code {code} (a panic?): {}", self.output_tail)),
            None => Err(format!(
                "killed or timed out after {:.0} s",
                self.took.as_secs_f64()
            )),
        };
        if verdict.is_ok() && self.peak_mib > MEMORY_BOUND_MIB {
            verdict = Err(format!("peak memory {:.0} MiB", self.peak_mib));
        }
        if let (Ok(_), Err(why)) = (&verdict, extra) {
            verdict = Err(why);
        }
        let panics = usize::from(self.output_tail.contains("panicked") || self.code == Some(101));
        Row {
            attack: attack.to_owned(),
            load: if load.is_empty() {
                format!("{:.1} s run", self.took.as_secs_f64())
            } else {
                load
            },
            memory: (0.0, self.peak_mib, 0.0),
            cpu_seconds: self.cpu_seconds,
            sockets: "—".into(),
            normal_client: "—".into(),
            panics,
            verdict,
        }
    }
}

/// 127.0.0.1 redirects to 127.0.0.2 (another origin); the checker sends credentials to
/// the first, and the second must see none of them, on the main request or a probe.
async fn cross_origin_redirect(binaries: &Binaries) -> Row {
    let name = "checker vs a redirect to another origin";
    eprintln!("xtask soak: {name}");
    let other = match TcpListener::bind("127.0.0.2:0").await {
        Ok(listener) => listener,
        Err(error) => {
            return CheckerRun {
                code: None,
                peak_mib: 0.0,
                cpu_seconds: 0.0,
                took: Duration::ZERO,
                output_tail: String::new(),
            }
            .into_row(
                name,
                "—".into(),
                Err(format!("cannot listen on 127.0.0.2: {error}")),
            )
        }
    };
    let other_addr = other.local_addr().expect("an address");
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let other_server = tokio::spawn({
        let seen = seen.clone();
        async move {
            while let Ok((mut stream, _)) = other.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let Some(head) = read_head(&mut stream).await else {
                        return;
                    };
                    seen.lock().expect("not poisoned").push(head);
                    let _ = stream
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\ndata: hello\n\n")
                        .await;
                });
            }
        }
    });
    let first = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let first_url = format!("http://{}/events", first.local_addr().expect("an address"));
    let location = format!("http://{other_addr}/events");
    let first_server = tokio::spawn(async move {
        while let Ok((mut stream, _)) = first.accept().await {
            let location = location.clone();
            tokio::spawn(async move {
                if read_head(&mut stream).await.is_some() {
                    let answer = format!(
                        "HTTP/1.1 307 Temporary Redirect\r\nlocation: {location}\r\ncontent-length: 0\r\n\r\n"
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                }
            });
        }
    });
    let run = run_checker(
        binaries,
        &[
            "check",
            &first_url,
            "--duration",
            "2s",
            "--header",
            "Authorization: Bearer soak-secret",
            "--header",
            "Cookie: session=soak",
        ],
    )
    .await;
    first_server.abort();
    other_server.abort();
    let heads = seen.lock().expect("not poisoned").clone();
    let leaked = heads
        .iter()
        .filter(|head| {
            let lower = head.to_ascii_lowercase();
            lower.contains("\r\nauthorization:") || lower.contains("\r\ncookie:")
        })
        .count();
    let extra = if heads.is_empty() {
        Err("the redirect was not followed".to_owned())
    } else if leaked > 0 {
        Err(format!(
            "{leaked} of {} requests carried credentials",
            heads.len()
        ))
    } else {
        Ok(())
    };
    let load = format!(
        "307 to 127.0.0.2 with Authorization and Cookie; {} requests arrived there, {leaked} with credentials",
        heads.len()
    );
    run.into_row(name, load, extra)
}
