//! `serve::Server` out of file descriptors: with the process's open-file limit lowered
//! and connections piling up, `accept` fails with EMFILE again and again. The loop must
//! back off instead of spinning a core, and serve again once descriptors are freed.
//! (A test binary of its own: the limit is the whole process's.)

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
use sse_layer::serve::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::service_fn;

/// CPU time this process has used (user + system), in clock ticks, from
/// /proc/self/stat opened beforehand (out of descriptors, it could not be opened).
fn cpu_ticks(stat: &mut std::fs::File) -> u64 {
    use std::io::{Read, Seek};
    stat.rewind().unwrap();
    let mut text = String::new();
    stat.read_to_string(&mut text).unwrap();
    let stat = text;
    // The fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn open_files() -> u64 {
    std::fs::read_dir("/proc/self/fd").unwrap().count() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_file_descriptors_the_loop_backs_off_and_recovers() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = service_fn(|_request: Request<Incoming>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
    });
    tokio::spawn(Server::new().serve(listener, app));

    let mut stat = std::fs::File::open("/proc/self/stat").unwrap();
    let before = getrlimit(Resource::Nofile);
    let limit = open_files() + 40;
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(limit),
            maximum: before.maximum,
        },
    )
    .unwrap();
    // Connect until this process has no descriptor left: the server side of the last
    // ones cannot be accepted (EMFILE), and stays in the backlog.
    let mut clients = Vec::new();
    while clients.len() < 200 {
        match TcpStream::connect(addr).await {
            Ok(client) => clients.push(client),
            Err(_) => break,
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (ticks, started) = (cpu_ticks(&mut stat), std::time::Instant::now());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let used = cpu_ticks(&mut stat) - ticks;
    let elapsed = started.elapsed();
    // Spinning on EMFILE burns a whole core: ~100 ticks a second.
    assert!(
        used < 25,
        "{used} ticks of CPU in {elapsed:?} while out of descriptors"
    );

    // Free descriptors: the loop accepts again (within its longest pause, 1 s).
    clients.truncate(clients.len() / 2);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), client.read_to_end(&mut answer))
        .await
        .expect("served again after descriptors were freed")
        .unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    setrlimit(Resource::Nofile, before).unwrap();
}
