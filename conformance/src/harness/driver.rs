//! How a client under test is driven: [`Driver`], and `--exec` ([`Exec`]): any program
//! that prints one JSON object per line for what it dispatched.

use std::future::Future;
use std::pin::Pin;
use std::process::Stdio;

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc::UnboundedSender;

use super::scenario::ClientReport;

/// A line a client printed: a report of the contract, or something else (kept as is).
pub type Line = Result<ClientReport, String>;

/// A client under test: told a scenario's URL, it follows the stream there and sends
/// what it sees. The harness drops the future when the scenario's window is over.
pub trait Driver: Send + Sync {
    /// How long the client takes to start, added to every scenario's window.
    fn startup(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }

    /// Follows `url` until dropped, sending each report.
    fn follow(
        &self,
        url: String,
        reports: UnboundedSender<Line>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
}

/// `--exec 'COMMAND {url}'`: the command runs through `sh -c` with `{url}` replaced by
/// the scenario's URL, in its own process group (ended, children included, when the
/// scenario is over), and prints one JSON object per line on stdout.
#[derive(Debug, Clone)]
pub struct Exec {
    /// The command, with `{url}` where the URL goes.
    pub command: String,
}

/// A line of the `--exec` contract, as printed.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Printed {
    Open,
    Event {
        #[serde(rename = "type", default)]
        event_type: Option<String>,
        #[serde(default)]
        data: String,
        #[serde(default)]
        id: Option<String>,
    },
    Error {
        #[serde(default)]
        message: String,
    },
    Closed,
}

/// Reads one line of the contract: a report, or the line itself when it is not one.
///
/// ```
/// use sse_conformance::harness::{parse_line, ClientReport};
///
/// let line = parse_line(r#"{"kind":"event","type":"tick","data":"1","id":"7"}"#);
/// assert_eq!(
///     line,
///     Ok(ClientReport::Event { event_type: "tick".into(), data: "1".into(), id: "7".into() })
/// );
/// assert_eq!(parse_line("npm WARN something"), Err("npm WARN something".into()));
/// ```
pub fn parse_line(line: &str) -> Line {
    match serde_json::from_str::<Printed>(line) {
        Ok(Printed::Open) => Ok(ClientReport::Open),
        Ok(Printed::Event {
            event_type,
            data,
            id,
        }) => Ok(ClientReport::Event {
            event_type: event_type.unwrap_or_else(|| "message".into()),
            data,
            id: id.unwrap_or_default(),
        }),
        Ok(Printed::Error { message }) => Ok(ClientReport::Error { message }),
        Ok(Printed::Closed) => Ok(ClientReport::Closed),
        Err(_) => Err(line.to_owned()),
    }
}

impl Driver for Exec {
    fn follow(
        &self,
        url: String,
        reports: UnboundedSender<Line>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        let command = self.command.replace("{url}", &url);
        Box::pin(async move {
            let child = tokio::process::Command::new("sh")
                .arg("-c")
                .arg(&command)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .process_group(0)
                .kill_on_drop(true)
                .spawn();
            let mut child = match child {
                Ok(child) => child,
                Err(error) => {
                    let _ = reports.send(Err(format!("cannot run `{command}`: {error}")));
                    return;
                }
            };
            let group = child.id();
            let _guard = GroupGuard(group);
            let Some(stdout) = child.stdout.take() else {
                return;
            };
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if !line.trim().is_empty() && reports.send(parse_line(line.trim())).is_err() {
                    break;
                }
            }
            let _ = child.wait().await;
        })
    }
}

/// Ends a process group when dropped: the client and whatever it started (`sh -c`
/// runs the command as a child, and an interpreter may start more).
pub(super) struct GroupGuard(pub(super) Option<u32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(group) = self.0 {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{group}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Serves `listener`, calling `on_post(path, body)` for every request a driver's helper
/// receives (a page's reports, a test service's callbacks), and answers `200` empty.
pub(super) async fn receive_posts<F>(listener: tokio::net::TcpListener, on_post: F)
where
    F: Fn(&str, &[u8]) + Clone + Send + Sync + 'static,
{
    use http_body_util::BodyExt;
    while let Ok((socket, _)) = listener.accept().await {
        let on_post = on_post.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let on_post = on_post.clone();
                    async move {
                        let path = request.uri().path().to_owned();
                        let body = request
                            .into_body()
                            .collect()
                            .await
                            .map(|body| body.to_bytes())
                            .unwrap_or_default();
                        on_post(&path, &body);
                        let empty = http_body_util::Full::new(bytes::Bytes::new());
                        Ok::<_, std::convert::Infallible>(http::Response::new(empty))
                    }
                });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(socket), service)
                .await;
        });
    }
}

/// Aborts a task when dropped: a driver's helper task (a receiver of reports) holds a
/// sender, and the harness waits for every sender to go.
pub(super) struct AbortOnDrop(pub(super) tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_lines_are_read_and_others_kept() {
        assert_eq!(
            parse_line(r#"{"kind":"event","type":"tick","data":"1","id":"7"}"#),
            Ok(ClientReport::Event {
                event_type: "tick".into(),
                data: "1".into(),
                id: "7".into()
            })
        );
        assert_eq!(
            parse_line(r#"{"kind":"event","data":"x"}"#),
            Ok(ClientReport::Event {
                event_type: "message".into(),
                data: "x".into(),
                id: String::new()
            })
        );
        assert_eq!(parse_line(r#"{"kind":"closed"}"#), Ok(ClientReport::Closed));
        assert_eq!(parse_line("hello"), Err("hello".into()));
    }
}
