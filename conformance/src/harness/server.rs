//! The scripted server: answers each request of the current scenario with its next
//! [`Answer`], and keeps every request it was sent. One server serves a whole run; each
//! scenario gets its own path, so a client still busy with an earlier one gets a 404.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::scenario::{Answer, End, SeenRequest};

/// The scenario being served.
struct Current {
    /// Requests to paths under it belong to it.
    prefix: String,
    answers: Vec<Answer>,
    start: Instant,
    requests: Vec<SeenRequest>,
}

/// The scripted server of a run.
pub(crate) struct ScriptedServer {
    addr: SocketAddr,
    current: Arc<Mutex<Option<Current>>>,
    /// Bumped when a scenario ends: held bodies end with it.
    generation: watch::Sender<u64>,
    scenarios: u64,
}

impl ScriptedServer {
    /// Binds a loopback port and serves on it until dropped (the task ends with the
    /// runtime).
    pub(crate) async fn start() -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let current = Arc::new(Mutex::new(None));
        let (generation, _) = watch::channel(0);
        let server = Self {
            addr,
            current: current.clone(),
            generation: generation.clone(),
            scenarios: 0,
        };
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (current, generation) = (current.clone(), generation.subscribe());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        answer(request, current.clone(), generation.clone())
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        Ok(server)
    }

    /// Starts serving a scenario; its URL.
    pub(crate) fn begin(&mut self, id: &str, answers: Vec<Answer>) -> String {
        self.scenarios += 1;
        let prefix = format!("/{}/{id}", self.scenarios);
        *self.current.lock().expect("not poisoned") = Some(Current {
            prefix: prefix.clone(),
            answers,
            start: Instant::now(),
            requests: Vec::new(),
        });
        // A trailing slash: a relative `Location` (a redirect) stays under the prefix.
        format!("http://{}{prefix}/", self.addr)
    }

    /// Ends the scenario: held bodies end, and later requests get a 404. The requests
    /// it was sent.
    pub(crate) fn finish(&mut self) -> Vec<SeenRequest> {
        self.generation.send_modify(|generation| *generation += 1);
        self.current
            .lock()
            .expect("not poisoned")
            .take()
            .map(|current| current.requests)
            .unwrap_or_default()
    }
}

async fn answer(
    request: Request<Incoming>,
    current: Arc<Mutex<Option<Current>>>,
    generation: watch::Receiver<u64>,
) -> Result<Response<ScriptBody>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |path| path.as_str())
        .to_owned();
    if let Some(query) = path.strip_prefix("/__page?") {
        return Ok(browser_page(query));
    }
    let answer = {
        let mut current = current.lock().expect("not poisoned");
        match current
            .as_mut()
            .filter(|current| path.starts_with(&current.prefix))
        {
            None => None,
            Some(current) => {
                let index = current.requests.len();
                current.requests.push(SeenRequest {
                    at: current.start.elapsed(),
                    method: parts.method.to_string(),
                    path: path.clone(),
                    headers: parts
                        .headers
                        .iter()
                        .map(|(name, value)| {
                            (
                                name.as_str().to_owned(),
                                String::from_utf8_lossy(value.as_bytes()).into_owned(),
                            )
                        })
                        .collect(),
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
                // Past the script: a stream that stays open and says nothing.
                Some(
                    current
                        .answers
                        .get(index)
                        .cloned()
                        .unwrap_or_else(|| Answer::stream(&[], End::Hold)),
                )
            }
        }
    };
    let Some(answer) = answer else {
        let mut response = Response::new(ScriptBody::empty());
        *response.status_mut() = StatusCode::NOT_FOUND;
        return Ok(response);
    };
    Ok(respond(answer, generation))
}

/// The page `--browser` opens, served from the streams' origin so its `EventSource`
/// needs no CORS: `/__page?stream=URL&report=URL`. It reports what the `EventSource`
/// does, one JSON object per POST, in order, to the report URL.
fn browser_page(query: &str) -> Response<ScriptBody> {
    let (sender, receiver) = mpsc::channel(1);
    let param = |name: &str| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    };
    let page = BROWSER_PAGE
        .replace(
            "STREAM_URL",
            &serde_json::to_string(&param("stream")).unwrap_or_default(),
        )
        .replace(
            "REPORT_URL",
            &serde_json::to_string(&param("report")).unwrap_or_default(),
        );
    let _ = sender.try_send(Ok(Bytes::from(page)));
    let mut response = Response::new(ScriptBody(Some(receiver)));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

const BROWSER_PAGE: &str = r#"<!doctype html><meta charset="utf-8"><title>sse-conformance client</title><script>
const stream = STREAM_URL, reportTo = REPORT_URL;
let chain = Promise.resolve();
const report = (line) => { chain = chain.then(() => fetch(reportTo, { method: 'POST', mode: 'no-cors', body: JSON.stringify(line) }).catch(() => {})); };
const source = new EventSource(stream);
source.onopen = () => report({ kind: 'open' });
source.onerror = () => { report({ kind: 'error', message: 'error' }); if (source.readyState === EventSource.CLOSED) report({ kind: 'closed' }); };
for (const type of ['message', 'tick']) source.addEventListener(type, (e) => report({ kind: 'event', type, data: e.data, id: e.lastEventId }));
</script>"#;

fn respond(answer: Answer, mut generation: watch::Receiver<u64>) -> Response<ScriptBody> {
    let (sender, receiver) = mpsc::channel(64);
    let mut response = Response::new(ScriptBody(Some(receiver)));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in &answer.headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::try_from(name.as_str()),
            http::HeaderValue::try_from(value.as_str()),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    generation.mark_unchanged();
    tokio::spawn(async move {
        for (delay, bytes) in answer.chunks {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if sender.send(Ok(bytes)).await.is_err() {
                return;
            }
        }
        match answer.end {
            End::Close => {}
            End::Abort => {
                // Give the last chunk time to leave before the connection breaks.
                tokio::time::sleep(Duration::from_millis(20)).await;
                let _ = sender
                    .send(Err(io::Error::other("scripted network error")))
                    .await;
            }
            End::Hold => {
                tokio::select! {
                    _ = generation.changed() => {}
                    _ = sender.closed() => {}
                }
            }
        }
    });
    response
}

/// A body fed by the answer's task: chunks, then its end (a clean end, or an error that
/// breaks the connection).
pub(crate) struct ScriptBody(Option<mpsc::Receiver<io::Result<Bytes>>>);

impl ScriptBody {
    fn empty() -> Self {
        Self(None)
    }
}

impl Body for ScriptBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let Some(receiver) = self.0.as_mut() else {
            return Poll::Ready(None);
        };
        receiver
            .poll_recv(cx)
            .map(|chunk| chunk.map(|chunk| chunk.map(Frame::data)))
    }
}
