//! `serve::Server::tls`: https with the user's rustls configuration, HTTP/2 and HTTP/1.1 by
//! ALPN, judged by the checker's own https client (which trusts the test's private CA).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream;
use http::Request;
use hyper::body::Incoming;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sse_conformance::client::{observe, Limits, Target};
use sse_layer::serve::Server;
use sse_layer::{Event, EventStream, SseLayer};
use tokio::io::AsyncWriteExt;
use tower::{service_fn, Layer};

/// A certificate for localhost and a server configuration offering `alpn`.
fn tls(alpn: &[&[u8]]) -> (Arc<rustls::ServerConfig>, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(certified.cert.der().to_vec())],
            key,
        )
        .unwrap();
    config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
    (Arc::new(config), certified.cert.pem())
}

async fn start(config: Arc<rustls::ServerConfig>) -> u16 {
    let app = SseLayer::new().layer(service_fn(|_request: Request<Incoming>| async {
        let events = stream::iter([Event::new().try_id("1").unwrap().data("over tls")]);
        Ok::<_, Infallible>(EventStream::new(events).into_http_response())
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(
        Server::new()
            .header_read_timeout(Duration::from_secs(2))
            .tls(config)
            .serve(listener, app),
    );
    port
}

#[tokio::test]
async fn https_by_alpn_h2_or_http1() {
    for (alpn, version) in [
        (&[b"h2".as_slice(), b"http/1.1".as_slice()][..], "HTTP/2"),
        (&[b"http/1.1".as_slice()][..], "HTTP/1.1"),
    ] {
        let (config, pem) = tls(alpn);
        let port = start(config).await;
        let mut target = Target::get(&format!("https://localhost:{port}/events")).unwrap();
        target.ca_pem = Some(Arc::new(pem.into_bytes()));
        let limits = Limits {
            duration: Duration::from_secs(5),
            ..Limits::default()
        };
        let transcript = observe(&target, &limits, &mut |_| {}).await.unwrap();
        assert_eq!(transcript.status, 200);
        assert_eq!(transcript.version, version);
        let data: Vec<String> = transcript
            .analyze()
            .events()
            .map(|(_, event)| event.data.clone())
            .collect();
        assert_eq!(data, ["over tls"]);
    }
}

#[tokio::test]
async fn a_handshake_that_never_completes_is_dropped() {
    let (config, _) = tls(&[b"http/1.1"]);
    let port = start(config).await;
    let mut stalled = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    // The first bytes of a ClientHello, then silence.
    stalled.write_all(&[0x16, 0x03, 0x01, 0x00]).await.unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        use tokio::io::AsyncReadExt;
        stalled.read_to_end(&mut rest).await
    })
    .await;
    assert!(closed.is_ok(), "the half handshake was never dropped");
}
