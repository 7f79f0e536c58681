//! The demo server's contract (other checks drive it), and the checker's verdict on it:
//! every check, CORS and echo included, over HTTP/1.1 and h2c, with no failure.

use std::time::Duration;

use bytes::Bytes;
use http::Method;
use sse_conformance::checks::{CheckOptions, Status};
use sse_conformance::client::{observe, Limits, Target};
use sse_conformance::parser::Item;
use sse_conformance::run::{run_endpoint, RunOptions};
use sse_demo::{app, hubs};
use sse_layer::{SseCors, SseLayer};

const ORIGIN: &str = "http://localhost:5173";

async fn start() -> String {
    let layer = SseLayer::new()
        .heartbeat(Duration::from_millis(500))
        .retry(Duration::from_millis(1000))
        .cors(
            SseCors::allow_origins([ORIGIN])
                .unwrap()
                .allow_credentials(),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(app::serve(listener, layer));
    base
}

async fn request(
    base: &str,
    method: Method,
    path: &str,
    body: Option<&str>,
    limits: Limits,
) -> sse_conformance::Transcript {
    let mut target = Target::get(&format!("{base}{path}")).unwrap();
    target.method = method;
    target.body = body.map(|b| Bytes::from(b.to_owned()));
    observe(&target, &limits, &mut |_| {}).await.unwrap()
}

fn quick() -> Limits {
    Limits {
        duration: Duration::from_secs(5),
        ..Limits::default()
    }
}

#[tokio::test]
async fn the_checker_passes_the_demo_over_http1_and_h2c() {
    let base = start().await;
    for h2 in [false, true] {
        // The signed-in ticker, so that auth-rejection applies too.
        let mut target = Target::get(&format!("{base}/private/events?interval_ms=100")).unwrap();
        target.http2_prior_knowledge = h2;
        let options = RunOptions {
            target,
            duration: Duration::from_millis(1200),
            checks: CheckOptions {
                origin: Some(ORIGIN.into()),
                echo: Some(format!("{base}/echo").parse().unwrap()),
                echo_cases: 32,
                auth_headers: vec![(
                    http::header::AUTHORIZATION,
                    http::HeaderValue::from_static("Bearer demo"),
                )],
                bad_auth: Some((
                    http::header::AUTHORIZATION,
                    http::HeaderValue::from_static("Bearer expired"),
                )),
                // Judged over this short run: the stream must stay open for all of it.
                min_lifetime: Duration::from_secs(1),
                ..CheckOptions::default()
            },
            allow: Vec::new(),
        };
        let report = run_endpoint(&options, &mut |_| {}).await.unwrap();
        let not_passed: Vec<_> = report
            .checks
            .iter()
            .filter(|c| c.status != Status::Pass)
            .collect();
        // Everything applies here, except the HTTP/2-only check over HTTP/1.1.
        let expected_skips = if h2 { 0 } else { 1 };
        assert_eq!(
            not_passed.len(),
            expected_skips,
            "h2: {h2}: {not_passed:#?}"
        );
        assert_eq!(report.exit_code(), 0);
    }
}

fn ids(transcript: &sse_conformance::Transcript) -> Vec<String> {
    transcript
        .analyze()
        .events()
        .map(|(_, e)| format!("{}:{}", e.event_type, e.last_event_id))
        .collect()
}

/// The ticks' sequence numbers (ids are `<epoch>-<seq>`).
fn numbers(transcript: &sse_conformance::Transcript) -> Vec<u64> {
    transcript
        .analyze()
        .events()
        .filter(|(_, e)| e.event_type == "tick")
        .map(|(_, e)| seq_of(&e.last_event_id))
        .collect()
}

fn seq_of(id: &str) -> u64 {
    id.rsplit_once('-').unwrap().1.parse().unwrap()
}

/// The ticks' ids.
fn tick_ids(transcript: &sse_conformance::Transcript) -> Vec<String> {
    transcript
        .analyze()
        .events()
        .filter(|(_, e)| e.event_type == "tick")
        .map(|(_, e)| e.last_event_id.clone())
        .collect()
}

#[tokio::test]
async fn events_come_from_a_shared_ticker_and_resume_from_its_replay_log() {
    let base = start().await;
    let limits = Limits {
        max_events: Some(3),
        ..quick()
    };
    let mut target = Target::get(&format!("{base}/events?interval_ms=10")).unwrap();
    let fresh = observe(&target, &limits, &mut |_| {}).await.unwrap();
    let first = numbers(&fresh);
    assert_eq!(first.len(), 3);
    assert!(
        first.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "{first:?}"
    );
    // Each tick's data is its number on the wall clock (one per interval since the Unix
    // epoch), so instances that share a hub agree on it: consecutive too.
    let ticks: Vec<u64> = fresh
        .analyze()
        .events()
        .map(|(_, e)| {
            let data: serde_json::Value = serde_json::from_str(&e.data).unwrap();
            data["n"].as_u64().unwrap()
        })
        .collect();
    assert!(
        ticks.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "{ticks:?}"
    );

    // Resume from the first one: the replay has the next ones, whatever was published since.
    target.headers.push((
        "last-event-id".parse().unwrap(),
        tick_ids(&fresh)[0].parse().unwrap(),
    ));
    let resumed = observe(&target, &limits, &mut |_| {}).await.unwrap();
    assert_eq!(
        numbers(&resumed),
        [first[0] + 1, first[0] + 2, first[0] + 3]
    );

    // An id the ticker never issued: a reset event moving the cursor to now, then ticks.
    target.headers[0].1 = "abc".parse().unwrap();
    let garbage = observe(&target, &limits, &mut |_| {}).await.unwrap();
    assert_eq!(garbage.status, 200);
    let seen = ids(&garbage);
    let reset_at = seq_of(seen[0].strip_prefix("reset:").expect("a reset event first"));
    assert!(reset_at >= first[2]);
    assert_eq!(
        numbers(&garbage)[0],
        reset_at + 1,
        "live ticks right after the cursor"
    );

    let bad = request(&base, Method::GET, "/events?interval_ms=0", None, quick()).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn close_after_ends_the_connection_and_stop_after_answers_204() {
    let base = start().await;
    let mut target = Target::get(&format!("{base}/events?interval_ms=10&close_after=3")).unwrap();
    let first = observe(&target, &quick(), &mut |_| {}).await.unwrap();
    assert_eq!(first.end, sse_conformance::transcript::End::Eof);
    let got = numbers(&first);
    assert_eq!(got.len(), 3);
    let last_id = tick_ids(&first)[2].clone();
    target
        .headers
        .push(("last-event-id".parse().unwrap(), last_id.parse().unwrap()));
    let second = observe(&target, &quick(), &mut |_| {}).await.unwrap();
    assert_eq!(
        numbers(&second),
        [got[2] + 1, got[2] + 2, got[2] + 3],
        "resumes, then closes again"
    );
    let stop = got[2] + 3;
    let mut stopped =
        Target::get(&format!("{base}/events?interval_ms=10&stop_after={stop}")).unwrap();
    stopped.headers.push((
        "last-event-id".parse().unwrap(),
        tick_ids(&second)[2].parse().unwrap(),
    ));
    let stopped = observe(&stopped, &quick(), &mut |_| {}).await.unwrap();
    assert_eq!(
        stopped.status, 204,
        "the client has event {stop}: stop reconnecting"
    );
}

#[tokio::test]
async fn private_events_need_the_token_and_refuse_with_401() {
    let base = start().await;
    let refused = request(&base, Method::GET, "/private/events", None, quick()).await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.header("www-authenticate"), Some("Bearer"));
    let body: serde_json::Value = serde_json::from_slice(&refused.body()).unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("Bearer demo"),
        "{body}"
    );

    let mut target = Target::get(&format!("{base}/private/events?interval_ms=50")).unwrap();
    target.headers.push((
        http::header::AUTHORIZATION,
        http::HeaderValue::from_static("Bearer demo"),
    ));
    let limits = Limits {
        max_events: Some(2),
        ..quick()
    };
    let signed_in = observe(&target, &limits, &mut |_| {}).await.unwrap();
    assert!(signed_in.is_event_stream());
    assert_eq!(numbers(&signed_in).len(), 2, "the /events ticker");
}

#[tokio::test]
async fn chat_streams_json_tokens_then_done() {
    let base = start().await;
    let chat = request(
        &base,
        Method::POST,
        "/chat",
        Some(r#"{"prompt":"hello there"}"#),
        quick(),
    )
    .await;
    assert!(chat.is_event_stream());
    let data: Vec<String> = chat
        .analyze()
        .events()
        .map(|(_, e)| e.data.clone())
        .collect();
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let text: String = data[..data.len() - 1]
        .iter()
        .map(|d| {
            serde_json::from_str::<serde_json::Value>(d).unwrap()["token"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(text.starts_with("You said: hello there\n"), "{text}");
    assert!(data.len() > 5, "one token per event");
    // The demo's layer sends `retry: 1000` to its feeds; an answer to one POST is not
    // something to reconnect to, so it overrides that with no hint at all.
    assert_eq!(chat.analyze().retries, 0, "{:?}", chat.analyze().items);

    let malformed = request(&base, Method::POST, "/chat", Some("{nope"), quick()).await;
    assert_eq!(malformed.status, 400);
}

#[tokio::test]
async fn a_chat_prompt_is_bounded_so_a_stream_holds_little() {
    let base = start().await;
    let prompt = |bytes: usize| format!(r#"{{"prompt":"{}"}}"#, "a ".repeat(bytes / 2));
    let too_long = request(
        &base,
        Method::POST,
        "/chat",
        Some(&prompt(app::MAX_PROMPT + 2)),
        quick(),
    )
    .await;
    assert_eq!(too_long.status, 413);
    let body: Vec<u8> = too_long
        .chunks
        .iter()
        .flat_map(|c| c.bytes.clone())
        .collect();
    let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(
        error["error"].as_str().unwrap().contains("at most"),
        "{error}"
    );
    let limits = Limits {
        max_events: Some(3),
        ..quick()
    };
    let longest = request(
        &base,
        Method::POST,
        "/chat",
        Some(&prompt(app::MAX_PROMPT)),
        limits,
    )
    .await;
    assert!(longest.is_event_stream());
    assert_eq!(longest.analyze().events().count(), 3);
}

/// The vendors' endpoints answer their SDKs' request bodies in their conventions, with
/// the token counts each reports; a request that does not stream gets the vendor's own
/// error shape. (The official SDKs themselves run in `cargo xtask interop`.)
#[tokio::test]
async fn the_vendor_endpoints_speak_each_convention_with_usage() {
    let base = start().await;
    let data = |transcript: &sse_conformance::Transcript| -> Vec<serde_json::Value> {
        transcript
            .analyze()
            .events()
            .filter(|(_, e)| e.data != "[DONE]")
            .map(|(_, e)| serde_json::from_str(&e.data).unwrap())
            .collect()
    };
    let chat = r#"{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"two words"}],"stream":true,"stream_options":{"include_usage":true}}"#;
    let chat = request(
        &base,
        Method::POST,
        "/v1/chat/completions",
        Some(chat),
        quick(),
    )
    .await;
    let chunks = data(&chat);
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"], serde_json::json!([]));
    assert_eq!(
        last["usage"]["prompt_tokens"], 2,
        "the user's words: {last}"
    );
    assert_eq!(
        chat.analyze().events().last().unwrap().1.data,
        "[DONE]",
        "the usage chunk comes before [DONE]"
    );
    let text: String = chunks
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert!(text.starts_with("You said: two words"), "{text}");
    let completion = last["usage"]["completion_tokens"].as_u64().unwrap();
    assert_eq!(completion, text.split(' ').count() as u64);

    let responses = r#"{"model":"m","input":"hello","stream":true}"#;
    let responses = request(
        &base,
        Method::POST,
        "/v1/responses",
        Some(responses),
        quick(),
    )
    .await;
    let completed = data(&responses).pop().unwrap();
    assert_eq!(completed["type"], "response.completed");
    assert_eq!(completed["response"]["usage"]["input_tokens"], 1);

    let messages = r#"{"model":"m","max_tokens":64,"messages":[{"role":"user","content":[{"type":"text","text":"a b c"}]}],"stream":true}"#;
    let messages = request(&base, Method::POST, "/v1/messages", Some(messages), quick()).await;
    let events = data(&messages);
    assert_eq!(events[0]["message"]["usage"]["input_tokens"], 3);
    let delta = events
        .iter()
        .find(|event| event["type"] == "message_delta")
        .unwrap();
    assert!(delta["usage"]["output_tokens"].as_u64().unwrap() > 0);

    let not_streaming =
        r#"{"model":"m","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}"#;
    let refused = request(
        &base,
        Method::POST,
        "/v1/messages",
        Some(not_streaming),
        quick(),
    )
    .await;
    assert_eq!(refused.status, 400);
    let body: serde_json::Value = serde_json::from_slice(&refused.body()).unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn echo_streams_exactly_the_script_or_400s_before_anything() {
    let base = start().await;
    let script = r#"{"events":[{"id":"7","event":"a","data":"x\r\ny","retry":250,"comment":"c"},{"data":""}]}"#;
    let echo = request(&base, Method::POST, "/echo", Some(script), quick()).await;
    assert_eq!(
        echo.end,
        sse_conformance::transcript::End::Eof,
        "the stream ends after the script"
    );
    let items: Vec<Item> = echo
        .analyze()
        .items
        .into_iter()
        .map(|t| t.item)
        .filter(|i| !matches!(i, Item::Comment(_)))
        .collect();
    let json: Vec<String> = items
        .iter()
        .filter_map(|i| i.to_json())
        .map(|v| v.to_string())
        .collect();
    assert_eq!(
        json,
        [
            r#"{"kind":"retry","ms":1000}"#,
            r#"{"kind":"retry","ms":250}"#,
            r#"{"data":"x\ny","kind":"event","last_event_id":"7","type":"a"}"#,
            r#"{"data":"","kind":"event","last_event_id":"7","type":"message"}"#,
        ]
    );

    let invalid = request(
        &base,
        Method::POST,
        "/echo",
        Some(r#"{"events":[{"data":"ok"},{"id":"1\n2"}]}"#),
        quick(),
    )
    .await;
    assert_eq!(invalid.status, 400);
    let error: serde_json::Value = serde_json::from_slice(&invalid.body()).unwrap();
    assert_eq!(error["index"], 1);
    assert!(error["error"].as_str().unwrap().contains("id"), "{error}");

    for bad in [
        "not json",
        r#"{"events":[{"data":1}]}"#,
        r#"{"events":[{"dta":"x"}]}"#,
        r#"{"events":[{"retry":-1}]}"#,
    ] {
        let answer = request(&base, Method::POST, "/echo", Some(bad), quick()).await;
        assert_eq!(answer.status, 400, "{bad}");
        assert!(
            serde_json::from_slice::<serde_json::Value>(&answer.body()).unwrap()["error"]
                .is_string()
        );
    }
}

#[tokio::test]
async fn bench_sends_n_events_of_size_s() {
    let base = start().await;
    let bench = request(&base, Method::GET, "/bench?n=500&size=64", None, quick()).await;
    let events: Vec<_> = bench.analyze().events().map(|(_, e)| e.clone()).collect();
    assert_eq!(events.len(), 500);
    assert!(events
        .iter()
        .all(|e| e.data.len() == 64 && e.event_type == "bench"));
    assert_eq!(events[499].last_event_id, "499");
    assert_eq!(
        request(&base, Method::GET, "/bench?n=x", None, quick())
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn the_page_and_the_rest() {
    let base = start().await;
    let page = request(&base, Method::GET, "/", None, quick()).await;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(String::from_utf8(page.body())
        .unwrap()
        .contains("new EventSource('/events')"));
    assert_eq!(
        request(&base, Method::GET, "/nope", None, quick())
            .await
            .status,
        404
    );
    assert_eq!(
        request(&base, Method::DELETE, "/events", None, quick())
            .await
            .status,
        405
    );
}

fn chat_events(transcript: &sse_conformance::Transcript) -> Vec<(String, String)> {
    transcript
        .analyze()
        .events()
        .map(|(_, e)| (e.event_type.to_string(), e.data.clone()))
        .collect()
}

#[tokio::test]
async fn chat_speaks_each_llm_convention_and_reports_failures_in_band() {
    let base = start().await;
    let chat = |body: &'static str| {
        let base = base.clone();
        async move { request(&base, Method::POST, "/chat", Some(body), quick()).await }
    };
    let openai = chat_events(&chat(r#"{"prompt":"hi","format":"openai-chat"}"#).await);
    assert_eq!(openai.last().unwrap().1, "[DONE]");
    let text: String = openai[1..openai.len() - 2]
        .iter()
        .map(|(_, data)| {
            let chunk: serde_json::Value = serde_json::from_str(data).unwrap();
            chunk["choices"][0]["delta"]["content"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(text.starts_with("You said: hi\n"), "{text}");

    let responses = chat_events(&chat(r#"{"prompt":"hi","format":"openai-responses"}"#).await);
    assert_eq!(responses.first().unwrap().0, "response.created");
    assert_eq!(responses.last().unwrap().0, "response.completed");

    let anthropic =
        chat_events(&chat(r#"{"prompt":"hi","format":"anthropic","fail_after":2}"#).await);
    assert_eq!(
        anthropic
            .iter()
            .filter(|(name, _)| name == "content_block_delta")
            .count(),
        2
    );
    assert_eq!(
        anthropic.last().unwrap().0,
        "error",
        "the failure, in band, after a 200"
    );

    let merged = chat_events(&chat(r#"{"prompt":"hi","coalesce_ms":60}"#).await);
    assert!(
        merged.len() < openai.len() - 3,
        "fewer, larger events: {}",
        merged.len()
    );
    assert_eq!(merged.last().unwrap().1, "[DONE]");

    let unknown = chat(r#"{"prompt":"hi","format":"smoke-signals"}"#).await;
    assert_eq!(unknown.status, 400);
}

/// Graceful shutdown over real sockets: 1,000 open streams all get the final event, and
/// the server's graceful shutdown completes within the grace period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_with_1000_open_streams_completes_within_the_grace_period() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let grace = Duration::from_secs(5);
    let shutdown = sse_layer::lifecycle::Shutdown::new();
    let layer = SseLayer::new()
        .retry(Duration::from_millis(1000))
        .shutdown(shutdown.clone(), grace);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(app::serve_until(
        listener,
        layer,
        hubs::Hubs::memory(),
        shutdown.clone(),
        grace,
    ));
    let (opened_tx, mut opened_rx) = tokio::sync::mpsc::channel(1000);
    let mut clients = Vec::new();
    for _ in 0..1000 {
        let opened_tx = opened_tx.clone();
        clients.push(tokio::spawn(async move {
            let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
            socket
                .write_all(b"GET /events?interval_ms=3600000 HTTP/1.1\r\nhost: demo\r\n\r\n")
                .await
                .unwrap();
            let mut received = Vec::new();
            let mut buf = [0; 4096];
            let mut told = false;
            loop {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                received.extend_from_slice(&buf[..n]);
                if !told && received.windows(4).any(|w| w == b"\r\n\r\n") {
                    told = true;
                    opened_tx.send(()).await.unwrap();
                }
            }
            String::from_utf8(received).unwrap()
        }));
    }
    for _ in 0..1000 {
        opened_rx.recv().await.unwrap();
    }
    let started = std::time::Instant::now();
    shutdown.trigger();
    tokio::time::timeout(grace, server)
        .await
        .expect("graceful shutdown completed within the grace period")
        .unwrap();
    assert!(started.elapsed() < grace);
    for client in clients {
        let text = client.await.unwrap();
        assert!(
            text.contains("event: shutdown\r\n") || text.contains("event: shutdown\n"),
            "{text}"
        );
        assert!(text.contains("retry: 1000"), "{text}");
    }
}

/// `POST /publish`, with an `Idempotency-Key` when one is given.
async fn publish_with_key(
    base: &str,
    body: &str,
    key: Option<&str>,
) -> (u16, Option<String>, String) {
    let mut target = Target::get(&format!("{base}/publish")).unwrap();
    target.method = Method::POST;
    target.body = Some(Bytes::from(body.to_owned()));
    if let Some(key) = key {
        target = target.with_header("idempotency-key".parse().unwrap(), key.parse().unwrap());
    }
    let answer = observe(&target, &quick(), &mut |_| {}).await.unwrap();
    let text: Vec<u8> = answer
        .chunks
        .iter()
        .flat_map(|chunk| chunk.bytes.iter().copied())
        .collect();
    let replayed = answer.header("idempotent-replayed").map(str::to_owned);
    (answer.status, replayed, String::from_utf8(text).unwrap())
}

#[tokio::test]
async fn publish_with_an_idempotency_key_publishes_once() {
    let base = start().await;
    let body = r#"{"topic":"orders","data":"order 42 shipped"}"#;
    let (status, replayed, first) = publish_with_key(&base, body, Some("order-42")).await;
    assert_eq!((status, replayed), (202, None));
    // The retry (the first answer was lost, or was a 503) publishes nothing new.
    let (status, replayed, again) = publish_with_key(&base, body, Some("order-42")).await;
    assert_eq!((status, replayed.as_deref()), (202, Some("true")));
    assert_eq!(again, first, "the same id");
    let other = r#"{"topic":"orders","data":"order 42 cancelled"}"#;
    let (status, _, refused) = publish_with_key(&base, other, Some("order-42")).await;
    assert_eq!(status, 422, "{refused}");
    let (status, _, _) = publish_with_key(&base, body, Some("bad key")).await;
    assert_eq!(status, 400, "a space is not allowed");
    // Without a key, a retry is a second event.
    let (_, _, next) = publish_with_key(&base, body, None).await;
    assert_ne!(next, first);
    // A subscriber resuming from before sees the keyed event once.
    let id: serde_json::Value = serde_json::from_str(&first).unwrap();
    let first_id = id["id"].as_str().unwrap();
    let zero = format!("{}-0", first_id.rsplit_once('-').unwrap().0);
    let mut target = Target::get(&format!("{base}/subscribe?topic=orders")).unwrap();
    target = target.with_header("last-event-id".parse().unwrap(), zero.parse().unwrap());
    let limits = Limits {
        max_events: Some(2),
        ..quick()
    };
    let resumed = observe(&target, &limits, &mut |_| {}).await.unwrap();
    let data: Vec<String> = resumed
        .analyze()
        .events()
        .map(|(_, event)| event.data.clone())
        .collect();
    assert_eq!(
        data,
        ["order 42 shipped", "order 42 shipped"],
        "the keyed one, then the unkeyed one"
    );
}
