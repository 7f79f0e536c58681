//! `--service URL`: a client that ships a test service in the protocol of LaunchDarkly's
//! SSE contract tests, driven unchanged. For each scenario the harness asks the service
//! to create a client (`POST URL` with `streamUrl`, `callbackUrl` and `tag`; the answer's
//! `Location` names it), receives what the client sees as numbered callbacks
//! (`POST callbackUrl/N` with `{"kind":"event","event":{"type","data","id"}}`,
//! `{"kind":"comment",…}` or `{"kind":"error","comment"}`), and deletes the client when
//! the scenario is over. The protocol has no "open" or "closed" report.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Method};
use http_body_util::BodyExt;
use tokio::net::TcpListener;
use tokio::sync::mpsc::UnboundedSender;

use super::driver::{receive_posts, AbortOnDrop, Driver, Line};
use super::scenario::ClientReport;
use crate::client::{open, Target};

/// A test service at `url` (LaunchDarkly's `sse-contract-tests` protocol).
#[derive(Debug, Clone)]
pub struct Service {
    /// The service's base URL.
    pub url: String,
}

impl Driver for Service {
    fn follow(
        &self,
        url: String,
        reports: UnboundedSender<Line>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        let service = self.url.clone();
        Box::pin(async move {
            let fail = |why: String| {
                let _ = reports.send(Err(why));
            };
            let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else {
                return fail("cannot receive callbacks".into());
            };
            let Ok(addr) = listener.local_addr() else {
                return;
            };
            let _callbacks = AbortOnDrop(tokio::spawn(callbacks(listener, reports.clone())));
            let body = serde_json::json!({
                "streamUrl": url,
                "callbackUrl": format!("http://{addr}/callback"),
                "tag": url.rsplit('/').nth(1).unwrap_or(""),
            });
            let Ok(target) = Target::get(&service) else {
                return fail(format!("not a URL: {service}"));
            };
            let create = Target {
                method: Method::POST,
                body: Some(Bytes::from(body.to_string())),
                ..target
            }
            .with_header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            let created = match request(&create).await {
                Ok(created) => created,
                Err(why) => return fail(format!("the service did not create a client: {why}")),
            };
            let _client = DeleteOnDrop(created);
            std::future::pending::<()>().await;
        })
    }
}

/// Sends a request and returns the resource its `Location` names.
async fn request(target: &Target) -> Result<Option<String>, String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let opened = open(target, deadline)
        .await
        .map_err(|error| error.to_string())?;
    let status = opened.response.status().as_u16();
    let location = opened
        .response
        .headers()
        .get(header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let _ = opened.response.into_body().collect().await;
    opened.connection.abort();
    if !(200..300).contains(&status) {
        return Err(format!("answered {status}"));
    }
    Ok(location.map(|location| {
        if location.starts_with("http") {
            location
        } else {
            let base = target.url.to_string();
            let origin: String = base.split('/').take(3).collect::<Vec<_>>().join("/");
            format!("{origin}{location}")
        }
    }))
}

/// Deletes the service's client when the scenario is over.
struct DeleteOnDrop(Option<String>);

impl Drop for DeleteOnDrop {
    fn drop(&mut self) {
        let Some(resource) = self.0.take() else {
            return;
        };
        if let Ok(target) = Target::get(&resource) {
            let delete = Target {
                method: Method::DELETE,
                ..target
            };
            tokio::spawn(async move {
                let _ = request(&delete).await;
            });
        }
    }
}

/// Receives the numbered callbacks and passes them on in their order.
async fn callbacks(listener: TcpListener, reports: UnboundedSender<Line>) {
    /// Callbacks that came early, by number, and the next one to pass on. A comment
    /// (not reported) holds its place as `None`.
    struct Order {
        next: u64,
        waiting: BTreeMap<u64, Option<Line>>,
    }
    let order = Arc::new(Mutex::new(Order {
        next: 1,
        waiting: BTreeMap::new(),
    }));
    receive_posts(listener, move |path, body| {
        let mut order = order.lock().expect("not poisoned");
        let number = path
            .rsplit('/')
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(order.next);
        order.waiting.insert(number, callback_line(body));
        loop {
            let next = order.next;
            let Some(line) = order.waiting.remove(&next) else {
                break;
            };
            order.next += 1;
            if let Some(line) = line {
                let _ = reports.send(line);
            }
        }
    })
    .await;
}

/// One callback as a report: `None` for a comment (not reported).
fn callback_line(body: &[u8]) -> Option<Line> {
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(_) => return Some(Err(String::from_utf8_lossy(body).into_owned())),
    };
    let text = |value: &serde_json::Value| value.as_str().unwrap_or("").to_owned();
    match value["kind"].as_str() {
        Some("event") => {
            let event = &value["event"];
            let event_type = text(&event["type"]);
            Some(Ok(ClientReport::Event {
                event_type: if event_type.is_empty() {
                    "message".into()
                } else {
                    event_type
                },
                data: text(&event["data"]),
                id: text(&event["id"]),
            }))
        }
        Some("error") => Some(Ok(ClientReport::Error {
            message: text(&value["comment"]),
        })),
        Some("comment") => None,
        _ => Some(Err(value.to_string())),
    }
}
