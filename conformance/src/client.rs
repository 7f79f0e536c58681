//! The HTTP client that observes a stream: hyper 1.x over TCP or rustls, HTTP/1.1 or
//! HTTP/2 (ALPN, or prior knowledge for h2c), with a timestamp on the headers and on every
//! chunk. It produces a [`Transcript`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, Request, Response, Uri};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::{timeout, timeout_at, Instant};

use crate::record::{error_chain, millis, record_body, Decoder, Head};
pub use crate::record::{Limits, Progress};
use crate::transcript::{Header, RequestInfo, Transcript};

/// How long a TCP connect and TLS handshake may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Redirects followed, as browsers follow them for `EventSource`.
const MAX_REDIRECTS: usize = 5;

/// What to request.
#[derive(Debug, Clone)]
pub struct Target {
    /// The method (`GET` for `EventSource`; `POST` for fetch-based streams).
    pub method: Method,
    /// An absolute `http://` or `https://` URL.
    pub url: Uri,
    /// Extra request headers (they replace the defaults `Accept: text/event-stream` and
    /// `Cache-Control: no-cache` that browsers send).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// A request body.
    pub body: Option<Bytes>,
    /// Speak HTTP/2 without TLS (h2c) from the first byte.
    pub http2_prior_knowledge: bool,
    /// Extra CA certificates (PEM) to trust for `https://`, beyond the Mozilla roots.
    pub ca_pem: Option<Arc<Vec<u8>>>,
}

impl Target {
    /// A `GET` of `url` with no extra headers.
    ///
    /// # Errors
    /// A URL that is not absolute `http://` or `https://`.
    pub fn get(url: &str) -> Result<Self, ClientError> {
        Ok(Self {
            method: Method::GET,
            url: parse_url(url)?,
            headers: Vec::new(),
            body: None,
            http2_prior_knowledge: false,
            ca_pem: None,
        })
    }

    /// The same target with one more header (replacing one of the same name).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.retain(|(existing, _)| existing != name);
        self.headers.push((name, value));
        self
    }
}

/// Why nothing could be observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// Not an absolute http(s) URL.
    InvalidUrl(String),
    /// TCP connect or TLS handshake failed.
    Connect(String),
    /// The request could not be made or was refused by the transport.
    Request(String),
    /// No response headers within the observation time.
    NoResponse(Duration),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl(reason) => write!(f, "invalid URL: {reason}"),
            Self::Connect(reason) => write!(f, "cannot connect: {reason}"),
            Self::Request(reason) => write!(f, "request failed: {reason}"),
            Self::NoResponse(after) => {
                write!(f, "no response headers within {:.1} s", after.as_secs_f64())
            }
        }
    }
}

impl std::error::Error for ClientError {}

/// Parses an absolute `http://` or `https://` URL.
///
/// # Errors
/// [`ClientError::InvalidUrl`] with the reason.
pub fn parse_url(url: &str) -> Result<Uri, ClientError> {
    let uri: Uri = url
        .parse()
        .map_err(|e| ClientError::InvalidUrl(format!("{url:?}: {e}")))?;
    match uri.scheme_str() {
        Some("http" | "https") if uri.host().is_some() => Ok(uri),
        _ => Err(ClientError::InvalidUrl(format!(
            "{url:?}: expected an absolute http:// or https:// URL"
        ))),
    }
}

/// Requests `target` and records the response until the limits or the end of the body.
///
/// ```no_run
/// # async fn run() -> Result<(), sse_conformance::client::ClientError> {
/// use sse_conformance::client::{observe, Limits, Target};
/// let transcript = observe(&Target::get("http://127.0.0.1:8080/events")?, &Limits::default(), &mut |_| {}).await?;
/// println!("{} events", transcript.analyze().events().count());
/// # Ok(()) }
/// ```
///
/// # Errors
/// When no response could be had at all; anything after the headers (a reset, a
/// protocol error) is recorded in the transcript's [`End`](crate::transcript::End) instead.
pub async fn observe(
    target: &Target,
    limits: &Limits,
    progress: &mut dyn FnMut(Progress),
) -> Result<Transcript, ClientError> {
    let start = Instant::now();
    let deadline = start + limits.duration;
    let Opened {
        response,
        connection,
        url,
        method,
    } = open(target, deadline).await.map_err(|error| match error {
        ClientError::NoResponse(_) => ClientError::NoResponse(limits.duration),
        other => other,
    })?;
    let headers_at = start.elapsed();

    let version = match response.version() {
        http::Version::HTTP_2 => "HTTP/2",
        http::Version::HTTP_10 => "HTTP/1.0",
        _ => "HTTP/1.1",
    };
    let status = response.status().as_u16();
    let headers = Header::list(response.headers());
    let decoder = Decoder::for_encoding(response.headers().get(header::CONTENT_ENCODING)).map_err(|encoding| {
        ClientError::Request(format!(
            "the response is compressed with {encoding:?}, which was not asked for (Accept-Encoding: gzip, deflate)"
        ))
    })?;
    let recorded = record_body(
        response.into_body(),
        decoder,
        start,
        deadline,
        limits,
        progress,
    )
    .await;
    let observed = start.elapsed();
    connection.abort();

    let request = RequestInfo {
        method: method.to_string(),
        url: url.to_string(),
        headers: target
            .headers
            .iter()
            .map(|(name, value)| Header::new(name, value))
            .collect(),
    };
    let head = Head {
        version: version.to_owned(),
        status,
        headers,
        at_ms: millis(headers_at),
    };
    Ok(recorded.into_transcript(request, head, millis(observed)))
}

/// A response whose body is still to be read, after any redirects.
pub(crate) struct Opened {
    /// The response.
    pub(crate) response: Response<Incoming>,
    /// The connection's task: abort it when done with the body.
    pub(crate) connection: JoinHandle<()>,
    /// The URL that answered (after redirects).
    pub(crate) url: Uri,
    /// The method of the request that was answered (a 301, 302 or 303 makes it GET).
    pub(crate) method: Method,
}

/// Sends the target's request and follows redirects (at most [`MAX_REDIRECTS`]; the
/// credentials stay behind when a redirect leaves the origin), until `deadline`.
pub(crate) async fn open(target: &Target, deadline: Instant) -> Result<Opened, ClientError> {
    let mut url = target.url.clone();
    let mut method = target.method.clone();
    let mut body = target.body.clone();
    let mut redirects = 0;
    // What is sent: the target's headers, less its credentials once a redirect has left
    // the target's origin.
    let mut sent = std::borrow::Cow::Borrowed(target);
    loop {
        let (response, connection) = timeout_at(deadline, send(&sent, &url, &method, body.clone()))
            .await
            .map_err(|_| ClientError::NoResponse(Duration::ZERO))??;
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|value| value.to_str().ok());
        match (response.status().as_u16(), location) {
            (301 | 302 | 303 | 307 | 308, Some(location)) if redirects < MAX_REDIRECTS => {
                url = resolve(&url, location)?;
                if !same_origin(&url, &target.url) && carries_credentials(&sent) {
                    sent = std::borrow::Cow::Owned(without_credentials(target));
                }
                if response.status().as_u16() <= 303 {
                    method = Method::GET;
                    body = None;
                }
                redirects += 1;
                connection.abort();
            }
            _ => {
                return Ok(Opened {
                    response,
                    connection,
                    url,
                    method,
                })
            }
        }
    }
}

/// Where a `Location` points, resolved against the URL that answered with it (the WHATWG
/// URL rules, by the `url` crate: `//host/path`, `?query`, `../x` and the rest).
fn resolve(base: &Uri, location: &str) -> Result<Uri, ClientError> {
    let base = url::Url::parse(&base.to_string())
        .map_err(|e| ClientError::InvalidUrl(format!("{base}: {e}")))?;
    let next = base.join(location).map_err(|e| {
        ClientError::Request(format!(
            "the redirect Location {location:?} is not a URL: {e}"
        ))
    })?;
    parse_url(next.as_str())
}

/// The request headers a browser (and fetch) never carries across origins on a redirect:
/// a server that redirects elsewhere must not receive the target's credentials. (The
/// same list as tower-http's `FilterCredentials`; this client opens a connection per
/// request and timestamps every chunk, so it follows redirects itself.)
const CREDENTIALS: [header::HeaderName; 3] = [
    header::AUTHORIZATION,
    header::COOKIE,
    header::PROXY_AUTHORIZATION,
];

fn same_origin(a: &Uri, b: &Uri) -> bool {
    let origin = |uri: &Uri| {
        url::Url::parse(&uri.to_string())
            .ok()
            .map(|url| url.origin())
    };
    matches!((origin(a), origin(b)), (Some(a), Some(b)) if a == b)
}

fn carries_credentials(target: &Target) -> bool {
    target
        .headers
        .iter()
        .any(|(name, _)| CREDENTIALS.contains(name))
}

fn without_credentials(target: &Target) -> Target {
    let mut target = target.clone();
    target
        .headers
        .retain(|(name, _)| !CREDENTIALS.contains(name));
    target
}

type Sent = (Response<Incoming>, JoinHandle<()>);

async fn send(
    target: &Target,
    url: &Uri,
    method: &Method,
    body: Option<Bytes>,
) -> Result<Sent, ClientError> {
    let host = url
        .host()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_owned();
    let https = url.scheme_str() == Some("https");
    let port = url.port_u16().unwrap_or(if https { 443 } else { 80 });
    let tcp = timeout(CONNECT_TIMEOUT, TcpStream::connect((host.as_str(), port)))
        .await
        .map_err(|_| ClientError::Connect(format!("{host}:{port}: timed out")))?
        .map_err(|e| ClientError::Connect(format!("{host}:{port}: {e}")))?;
    let _ = tcp.set_nodelay(true);

    if https {
        let (tls, h2) =
            tls_connect(tcp, &host, target.ca_pem.as_deref().map(Vec::as_slice)).await?;
        handshake_and_send(TokioIo::new(tls), h2, target, url, method, body).await
    } else {
        handshake_and_send(
            TokioIo::new(tcp),
            target.http2_prior_knowledge,
            target,
            url,
            method,
            body,
        )
        .await
    }
}

async fn tls_connect(
    tcp: TcpStream,
    host: &str,
    ca_pem: Option<&[u8]>,
) -> Result<(tokio_rustls::client::TlsStream<TcpStream>, bool), ClientError> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(pem) = ca_pem {
        for certificate in rustls::pki_types::CertificateDer::pem_slice_iter(pem) {
            let certificate = certificate.map_err(|e| {
                ClientError::Connect(format!("the CA file is not PEM certificates: {e:?}"))
            })?;
            roots.add(certificate).map_err(|e| {
                ClientError::Connect(format!("the CA file holds an unusable certificate: {e}"))
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Connect(format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| ClientError::InvalidUrl(format!("{host:?} is not a TLS server name: {e}")))?;
    let tls = timeout(
        CONNECT_TIMEOUT,
        tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp),
    )
    .await
    .map_err(|_| ClientError::Connect(format!("{host}: TLS handshake timed out")))?
    .map_err(|e| ClientError::Connect(format!("{host}: TLS: {e}")))?;
    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
    Ok((tls, h2))
}

async fn handshake_and_send<IO>(
    io: TokioIo<IO>,
    h2: bool,
    target: &Target,
    url: &Uri,
    method: &Method,
    body: Option<Bytes>,
) -> Result<Sent, ClientError>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let request = build_request(target, url, method, body, h2)?;
    let failed = |e: hyper::Error| ClientError::Request(error_chain(&e));
    if h2 {
        let (mut sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                .await
                .map_err(failed)?;
        let task = tokio::spawn(async move {
            let _ = connection.await;
        });
        let response = sender.send_request(request).await.map_err(failed)?;
        Ok((response, task))
    } else {
        let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(failed)?;
        let task = tokio::spawn(async move {
            let _ = connection.await;
        });
        let response = sender.send_request(request).await.map_err(failed)?;
        Ok((response, task))
    }
}

fn build_request(
    target: &Target,
    url: &Uri,
    method: &Method,
    body: Option<Bytes>,
    h2: bool,
) -> Result<Request<Full<Bytes>>, ClientError> {
    let path = url.path_and_query().map_or("/", |p| p.as_str());
    let mut builder = Request::builder().method(method.clone());
    builder = if h2 {
        builder.uri(url.clone())
    } else {
        builder
            .uri(path)
            .header(header::HOST, url.authority().map_or("", |a| a.as_str()))
    };
    let mut request = builder
        .body(Full::new(body.unwrap_or_default()))
        .map_err(|e| ClientError::Request(e.to_string()))?;
    let headers = request.headers_mut();
    headers.insert(
        header::ACCEPT,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Like a browser: servers that compress streams must be caught doing it.
    headers.insert(
        header::ACCEPT_ENCODING,
        HeaderValue::from_static("gzip, deflate"),
    );
    for (name, value) in &target.headers {
        headers.insert(name.clone(), value.clone());
    }
    Ok(request)
}
