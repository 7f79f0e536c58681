//! The client harness judged on clients whose behaviour is known: the reference client
//! (the WHATWG rules, on this crate's parser) passes every scenario, each purpose-built
//! broken client fails exactly the scenarios that name its fault, and the `--exec`
//! driver runs a real process through the CLI.

use std::process::Command;

use sse_conformance::harness::reference::{Fault, Reference};
use sse_conformance::harness::{run_client, ClientRun, Level, Verdict, CATALOGUE};

async fn run(faults: &[Fault]) -> ClientRun {
    let client = Reference {
        faults: faults.to_vec(),
    };
    let scenarios: Vec<_> = CATALOGUE.iter().collect();
    run_client(&format!("{faults:?}"), &client, &scenarios, &mut |_| {})
        .await
        .expect("a loopback port")
}

fn failed(run: &ClientRun) -> Vec<&str> {
    run.results
        .iter()
        .filter(|result| result.verdict == Verdict::Fail)
        .map(|result| result.id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_reference_passes_and_each_broken_client_fails_exactly_its_scenarios() {
    let cases: [(&[Fault], &[&str]); 7] = [
        (&[], &[]),
        (
            &[Fault::NoLastEventId],
            &[
                "reconnect-after-end",
                "reconnect-after-network-error",
                "last-event-id-kept",
            ],
        ),
        (&[Fault::IgnoreRetry], &["retry-honoured"]),
        (&[Fault::ReconnectAfter204], &["status-204-stops"]),
        (&[Fault::KeepBom], &["bom-stripped"]),
        (&[Fault::CrNotLineEnd], &["cr-line-ends"]),
        (&[Fault::EventTypeNotReset], &["event-type-reset"]),
    ];
    // Side by side: each run has its own server, and the windows are real time.
    let runs = futures_util::future::join_all(cases.iter().map(|(faults, _)| run(faults))).await;
    for ((faults, expected), run) in cases.iter().zip(&runs) {
        assert_eq!(
            failed(run),
            *expected,
            "{faults:?}: {}",
            sse_conformance::harness::report::human(run)
        );
    }
    let reference = &runs[0];
    assert!(reference
        .results
        .iter()
        .filter(|result| result.level == Level::Must)
        .all(|result| result.verdict == Verdict::Pass));
    assert_eq!(reference.exit_code(), 0);
    assert_eq!(runs[1].exit_code(), 1);
}

#[test]
fn exec_drives_a_real_process_and_json_has_the_documented_shape() {
    let checker = env!("CARGO_BIN_EXE_sse-conformance");
    let output = Command::new(checker)
        .args([
            "client",
            "--exec",
            &format!("{checker} follow {{url}}"),
            "--name",
            "reference",
            "--only",
            "event-type-reset",
            "--only",
            "reconnect-after-end",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["client"], "reference");
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for result in results {
        let keys: Vec<&str> = result
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["detail", "id", "level", "spec", "title", "verdict"]);
        assert_eq!(result["verdict"], "pass", "{result}");
    }
    // A command that prints nothing fails, and an unknown scenario cannot run.
    let silent = Command::new(checker)
        .args(["client", "--exec", "sleep 5", "--only", "dispatch"])
        .output()
        .unwrap();
    assert_eq!(silent.status.code(), Some(1));
    let unknown = Command::new(checker)
        .args(["client", "--exec", "true", "--only", "no-such"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no scenario"));
}

/// A test service in the protocol of LaunchDarkly's SSE contract tests, around the
/// reference client: `POST /` creates a client (`Location: /clients/N`), which posts
/// what it sees to `callbackUrl/1`, `/2`…; `DELETE /clients/N` stops it.
async fn spawn_test_service() -> String {
    use std::collections::HashMap;
    use std::convert::Infallible;
    use std::sync::{Arc, Mutex};

    use http_body_util::{BodyExt, Full};
    use sse_conformance::harness::{ClientReport, Driver};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn post(url: &str, body: String) {
        let rest = url.trim_start_matches("http://");
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let Ok(mut socket) = tokio::net::TcpStream::connect(authority).await else {
            return;
        };
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = socket.write_all(request.as_bytes()).await;
        let _ = socket.read_to_end(&mut Vec::new()).await;
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let clients: Arc<Mutex<HashMap<String, tokio::task::JoinHandle<()>>>> = Arc::default();
    tokio::spawn(async move {
        let mut next = 0u64;
        while let Ok((socket, _)) = listener.accept().await {
            let clients = clients.clone();
            next += 1;
            let id = next;
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |request: http::Request<hyper::body::Incoming>| {
                        let clients = clients.clone();
                        async move {
                            let method = request.method().clone();
                            let path = request.uri().path().to_owned();
                            let body = request.into_body().collect().await.unwrap().to_bytes();
                            let mut response = http::Response::new(Full::new(bytes::Bytes::new()));
                            if method == http::Method::POST {
                                let spec: serde_json::Value =
                                    serde_json::from_slice(&body).unwrap();
                                let stream = spec["streamUrl"].as_str().unwrap().to_owned();
                                let callback = spec["callbackUrl"].as_str().unwrap().to_owned();
                                let task = tokio::spawn(async move {
                                    let (sender, mut receiver) =
                                        tokio::sync::mpsc::unbounded_channel();
                                    tokio::spawn(Reference::default().follow(stream, sender));
                                    let mut counter = 0;
                                    while let Some(Ok(report)) = receiver.recv().await {
                                        let body = match report {
                                            ClientReport::Event {
                                                event_type,
                                                data,
                                                id,
                                            } => serde_json::json!({
                                                "kind": "event",
                                                "event": {"type": event_type, "data": data, "id": id}
                                            }),
                                            ClientReport::Error { message } => {
                                                serde_json::json!({"kind": "error", "comment": message})
                                            }
                                            _ => continue,
                                        };
                                        counter += 1;
                                        post(&format!("{callback}/{counter}"), body.to_string())
                                            .await;
                                    }
                                });
                                let resource = format!("/clients/{id}");
                                clients.lock().unwrap().insert(resource.clone(), task);
                                *response.status_mut() = http::StatusCode::CREATED;
                                response
                                    .headers_mut()
                                    .insert(http::header::LOCATION, resource.parse().unwrap());
                            } else if method == http::Method::DELETE {
                                if let Some(task) = clients.lock().unwrap().remove(&path) {
                                    task.abort();
                                }
                            }
                            Ok::<_, Infallible>(response)
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(socket), service)
                    .await;
            });
        }
    });
    base
}

#[tokio::test]
async fn service_drives_a_client_behind_the_contract_tests_protocol() {
    let base = spawn_test_service().await;
    let driver = sse_conformance::harness::Service { url: base };
    passes_all(
        "test service",
        &driver,
        &[
            "event-type-reset",
            "id-kept-across-events",
            "crlf-split-across-chunks",
        ],
    )
    .await;
}

#[tokio::test]
async fn browser_drives_chromiums_own_event_source() {
    let chromium = std::path::PathBuf::from("/usr/bin/chromium");
    assert!(
        chromium.exists(),
        "Chromium is needed (xtask/interop/setup.sh installs it)"
    );
    let driver = sse_conformance::harness::Browser { chromium };
    passes_all(
        "Chromium",
        &driver,
        &[
            "event-type-reset",
            "reconnect-after-end",
            "status-204-stops",
        ],
    )
    .await;
}

/// Runs `ids` against the client `driver` drives: every one must pass.
async fn passes_all(name: &str, driver: &dyn sse_conformance::harness::Driver, ids: &[&str]) {
    let scenarios: Vec<_> = ids
        .iter()
        .map(|id| sse_conformance::harness::find(id).unwrap())
        .collect();
    let run = run_client(name, driver, &scenarios, &mut |_| {})
        .await
        .unwrap();
    assert!(
        run.results
            .iter()
            .all(|result| result.verdict == Verdict::Pass),
        "{}",
        sse_conformance::harness::report::human(&run)
    );
}
