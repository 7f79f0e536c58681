//! `--browser`: a real browser's native `EventSource`. For each scenario the harness
//! opens, in headless Chromium, a page served from the streams' own origin
//! (`/__page`), whose `EventSource` follows the scenario's URL and POSTs each report, in
//! order, to a receiver of this driver's.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::Stdio;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::mpsc::UnboundedSender;

use super::driver::{parse_line, receive_posts, AbortOnDrop, Driver, GroupGuard, Line};

/// Headless Chromium with its native `EventSource`.
#[derive(Debug, Clone)]
pub struct Browser {
    /// The Chromium binary.
    pub chromium: PathBuf,
}

impl Driver for Browser {
    fn startup(&self) -> Duration {
        // A browser takes a moment to start and load the page.
        Duration::from_secs(2)
    }

    fn follow(
        &self,
        url: String,
        reports: UnboundedSender<Line>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        let chromium = self.chromium.clone();
        Box::pin(async move {
            let listener = match TcpListener::bind("127.0.0.1:0").await {
                Ok(listener) => listener,
                Err(error) => {
                    let _ = reports.send(Err(format!("cannot receive reports: {error}")));
                    return;
                }
            };
            let report_url = match listener.local_addr() {
                Ok(addr) => format!("http://{addr}/"),
                Err(_) => return,
            };
            // Aborted when the scenario is over, however it ends: it holds a sender, and
            // the harness waits for every sender to go.
            let _receiver = AbortOnDrop(tokio::spawn(receive(listener, reports.clone())));
            let origin = url.split('/').take(3).collect::<Vec<_>>().join("/");
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("stream", &url)
                .append_pair("report", &report_url)
                .finish();
            let page = format!("{origin}/__page?{query}");
            let profile = std::env::temp_dir().join(format!(
                "sse-conformance-chromium-{}-{}",
                std::process::id(),
                report_url.len() + url.len() + rand_suffix()
            ));
            let child = tokio::process::Command::new(&chromium)
                .args([
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ])
                .arg(format!("--user-data-dir={}", profile.display()))
                .arg(&page)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .kill_on_drop(true)
                .spawn();
            let mut child = match child {
                Ok(child) => child,
                Err(error) => {
                    let _ =
                        reports.send(Err(format!("cannot start {}: {error}", chromium.display())));
                    return;
                }
            };
            let _guard = GroupGuard(child.id());
            let _profile = RemoveOnDrop(profile);
            let _ = child.wait().await;
        })
    }
}

/// A number that differs between scenarios of one process (profiles must not be shared
/// by two browsers at once).
fn rand_suffix() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Removes the browser's profile when the scenario is over.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Receives the page's reports, one JSON object per POST body.
async fn receive(listener: TcpListener, reports: UnboundedSender<Line>) {
    receive_posts(listener, move |_, body| {
        let text = String::from_utf8_lossy(body);
        if !text.trim().is_empty() {
            let _ = reports.send(parse_line(text.trim()));
        }
    })
    .await;
}
