//! `https://`: rustls with ALPN (h2 preferred), an extra CA for private certificates, and a
//! clear error for an untrusted one.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sse_conformance::client::{observe, ClientError, Limits, Target};

/// An https server on localhost offering `alpn`; returns its URL and its certificate (PEM).
async fn https_server(alpn: &[&[u8]]) -> (String, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let pem = certified.cert.pem();
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
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(socket).await else {
                    return;
                };
                let service = hyper::service::service_fn(|_request| async {
                    let response = Response::builder()
                        .header("content-type", "text/event-stream")
                        .body(Full::new(Bytes::from("id: 1\ndata: over tls\n\n")))
                        .unwrap();
                    Ok::<_, Infallible>(response)
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (format!("https://localhost:{port}/events"), pem)
}

fn limits() -> Limits {
    Limits {
        duration: Duration::from_secs(5),
        ..Limits::default()
    }
}

#[tokio::test]
async fn https_negotiates_h2_or_http1_by_alpn() {
    for (alpn, version) in [
        (&[&b"h2"[..], b"http/1.1"][..], "HTTP/2"),
        (&[&b"http/1.1"[..]][..], "HTTP/1.1"),
    ] {
        let (url, pem) = https_server(alpn).await;
        let mut target = Target::get(&url).unwrap();
        target.ca_pem = Some(Arc::new(pem.into_bytes()));
        let transcript = observe(&target, &limits(), &mut |_| {}).await.unwrap();
        assert_eq!(transcript.version, version);
        assert_eq!(transcript.status, 200);
        let events: Vec<String> = transcript
            .analyze()
            .events()
            .map(|(_, e)| e.data.clone())
            .collect();
        assert_eq!(events, ["over tls"]);
    }
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_clear_error() {
    let (url, _pem) = https_server(&[b"h2"]).await;
    let error = observe(&Target::get(&url).unwrap(), &limits(), &mut |_| {})
        .await
        .unwrap_err();
    let ClientError::Connect(message) = error else {
        panic!("{error:?}")
    };
    assert!(message.contains("certificate"), "{message}");
}

#[tokio::test]
async fn a_ca_file_that_is_not_pem_is_a_clear_error() {
    let (url, _pem) = https_server(&[b"h2"]).await;
    let mut target = Target::get(&url).unwrap();
    target.ca_pem = Some(Arc::new(
        b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n".to_vec(),
    ));
    let error = observe(&target, &limits(), &mut |_| {}).await.unwrap_err();
    assert!(error.to_string().contains("CA file"), "{error}");
}
