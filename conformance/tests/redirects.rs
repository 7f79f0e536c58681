//! Redirects: `Location` resolved by the URL rules, and no credentials carried to another
//! origin (as browsers and fetch do), on the main request and on the probes alike.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{HeaderName, HeaderValue};
use sse_conformance::client::{observe, Limits, Target};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server that answers every request with `answer(path)` and keeps each request head.
async fn server(
    answer: impl Fn(&str) -> String + Send + Sync + 'static,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let heads = Arc::new(Mutex::new(Vec::new()));
    let answer = Arc::new(answer);
    let seen = heads.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let (seen, answer) = (seen.clone(), answer.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                seen.lock().unwrap().push(head);
                let _ = socket.write_all(answer(&path).as_bytes()).await;
            });
        }
    });
    (base, heads)
}

fn redirect(location: &str) -> String {
    format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n")
}

const STREAM: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\nid: 1\ndata: x\n\n";

fn with_secrets(url: &str) -> Target {
    let header = |name: &'static str, value: &'static str| {
        (
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )
    };
    let mut target = Target::get(url).unwrap();
    target.headers = vec![
        header("authorization", "Bearer secret-token"),
        header("cookie", "session=secret-cookie"),
        header("proxy-authorization", "Basic c2VjcmV0"),
        header("x-trace", "kept"),
    ];
    target
}

fn quick() -> Limits {
    Limits {
        duration: Duration::from_secs(3),
        max_events: Some(1),
        ..Limits::default()
    }
}

#[tokio::test]
async fn credentials_never_follow_a_redirect_to_another_origin() {
    let (elsewhere, seen_elsewhere) = server(|_| STREAM.to_owned()).await;
    let location = format!("{elsewhere}/events");
    let (origin, seen_at_origin) = server(move |_| redirect(&location)).await;
    let transcript = observe(
        &with_secrets(&format!("{origin}/events")),
        &quick(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(transcript.status, 200);
    let first = seen_at_origin.lock().unwrap()[0].to_lowercase();
    assert!(
        first.contains("secret-token") && first.contains("secret-cookie"),
        "{first}"
    );
    let followed = seen_elsewhere.lock().unwrap()[0].to_lowercase();
    for secret in [
        "secret-token",
        "secret-cookie",
        "c2vjcmv0",
        "authorization",
        "cookie",
    ] {
        assert!(
            !followed.contains(secret),
            "{secret} leaked to another origin:\n{followed}"
        );
    }
    assert!(followed.contains("x-trace: kept"), "{followed}");
}

#[tokio::test]
async fn credentials_follow_a_redirect_within_the_origin() {
    let (base, seen) = server(|path| {
        if path == "/old" {
            redirect("/events")
        } else {
            STREAM.to_owned()
        }
    })
    .await;
    observe(&with_secrets(&format!("{base}/old")), &quick(), &mut |_| {})
        .await
        .unwrap();
    let heads = seen.lock().unwrap();
    assert_eq!(heads.len(), 2);
    assert!(
        heads[1].to_lowercase().contains("secret-token"),
        "{}",
        heads[1]
    );
}

#[tokio::test]
async fn locations_resolve_by_the_url_rules() {
    let (elsewhere, seen_elsewhere) = server(|_| STREAM.to_owned()).await;
    let authority = elsewhere.trim_start_matches("http://").to_owned();
    // Scheme-relative (`//host/path`) and query-only (`?x=1`) locations.
    let (origin, seen) = server(move |path| match path {
        "/a/b" => redirect("?x=1"),
        "/a/b?x=1" => redirect(&format!("//{authority}/c/d?y=2")),
        _ => STREAM.to_owned(),
    })
    .await;
    let transcript = observe(
        &Target::get(&format!("{origin}/a/b")).unwrap(),
        &quick(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(transcript.status, 200);
    assert_eq!(seen.lock().unwrap().len(), 2);
    let followed = &seen_elsewhere.lock().unwrap()[0];
    assert!(followed.starts_with("GET /c/d?y=2 HTTP/1.1"), "{followed}");
    assert_eq!(transcript.request.url, format!("{elsewhere}/c/d?y=2"));
}
