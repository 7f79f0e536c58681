//! Redirects: `Location` resolved by the URL rules, and no credentials carried to another
//! origin (as browsers and fetch do), on the main request and on the probes alike.

#[path = "support/raw_server.rs"]
mod raw_server;

use std::time::Duration;

use http::{HeaderName, HeaderValue};
use raw_server::server;
use sse_conformance::client::{observe, Limits, Target};

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
    let (elsewhere, seen_elsewhere) = server(|_| STREAM.into()).await;
    let location = format!("{elsewhere}/events");
    let (origin, seen_at_origin) = server(move |_| redirect(&location).into_bytes()).await;
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
            redirect("/events").into_bytes()
        } else {
            STREAM.into()
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
    let (elsewhere, seen_elsewhere) = server(|_| STREAM.into()).await;
    let authority = elsewhere.trim_start_matches("http://").to_owned();
    // Scheme-relative (`//host/path`) and query-only (`?x=1`) locations.
    let (origin, seen) = server(move |path| match path {
        "/a/b" => redirect("?x=1").into_bytes(),
        "/a/b?x=1" => redirect(&format!("//{authority}/c/d?y=2")).into_bytes(),
        _ => STREAM.into(),
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
