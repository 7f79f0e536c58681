//! The LLM conventions on the wire (parsed back by the WHATWG parser), the in-band errors,
//! and token coalescing under tokio's paused time.

use std::time::Duration;

use futures_util::{stream, StreamExt};
use serde_json::Value;
use sse_conformance::parser::{parse_all, Event as Parsed, Item};
use sse_layer::llm::{coalesce, frame, Anthropic, Framer, OpenAiChat, OpenAiResponses};
use sse_layer::BoxError;

type Piece = Result<&'static str, BoxError>;

/// The framed stream as a client sees it: encoded, then parsed.
async fn wire<F: Framer>(pieces: Vec<Piece>, framer: F) -> Vec<Parsed> {
    let mut bytes = Vec::new();
    let events: Vec<_> = frame(stream::iter(pieces), framer).collect().await;
    for event in events {
        bytes.extend_from_slice(&event.encode());
    }
    parse_all(&bytes)
        .unwrap()
        .into_iter()
        .filter_map(|item| match item {
            Item::Event(event) => Some(event),
            _ => None,
        })
        .collect()
}

fn names(events: &[Parsed]) -> Vec<&str> {
    events
        .iter()
        .map(|event| event.event_type.as_ref())
        .collect()
}

fn json(event: &Parsed) -> Value {
    serde_json::from_str(&event.data).unwrap()
}

fn failure() -> BoxError {
    "the backend went away".into()
}

#[tokio::test]
async fn openai_chat_streams_chunks_then_done() {
    let events = wire(
        vec![Ok("Hel"), Ok("lo")],
        OpenAiChat::new("c1", "m").created(7),
    )
    .await;
    assert_eq!(events.len(), 5);
    assert!(
        events.iter().all(|event| event.event_type == "message"),
        "data-only events"
    );
    let first = json(&events[0]);
    assert_eq!(first["object"], "chat.completion.chunk");
    assert_eq!(first["choices"][0]["delta"]["role"], "assistant");
    let text: String = events[1..3]
        .iter()
        .map(|event| {
            json(event)["choices"][0]["delta"]["content"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(text, "Hello");
    assert_eq!(json(&events[3])["choices"][0]["finish_reason"], "stop");
    assert_eq!(events[4].data, "[DONE]");
    for event in &events[..4] {
        let chunk = json(event);
        assert_eq!(
            (
                chunk["id"].as_str(),
                chunk["model"].as_str(),
                chunk["created"].as_u64()
            ),
            (Some("c1"), Some("m"), Some(7))
        );
    }
}

#[tokio::test]
async fn openai_chat_reports_a_failure_in_band_without_done() {
    let events = wire(vec![Ok("Hel"), Err(failure())], OpenAiChat::new("c1", "m")).await;
    let last = events.last().unwrap();
    assert_eq!(json(last)["error"]["message"], "the backend went away");
    assert_eq!(json(last)["error"]["type"], "server_error");
    assert!(events.iter().all(|event| event.data != "[DONE]"));
}

#[tokio::test]
async fn openai_responses_names_and_numbers_every_event() {
    let events = wire(
        vec![Ok("Hi"), Ok(" there")],
        OpenAiResponses::new("r1", "m"),
    )
    .await;
    let names = names(&events);
    assert_eq!(
        names,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    for (index, event) in events.iter().enumerate() {
        let value = json(event);
        assert_eq!(
            value["type"],
            event.event_type.as_ref(),
            "type matches the event name"
        );
        assert_eq!(value["sequence_number"], index as u64);
    }
    assert_eq!(json(&events[6])["text"], "Hi there");
    let completed = json(&events[9]);
    assert_eq!(completed["response"]["status"], "completed");
    assert_eq!(
        completed["response"]["output"][0]["content"][0]["text"],
        "Hi there"
    );
}

#[tokio::test]
async fn openai_responses_fails_with_error_then_the_terminal_failed_event() {
    let events = wire(
        vec![Ok("Hi"), Err(failure())],
        OpenAiResponses::new("r1", "m"),
    )
    .await;
    let names: Vec<&str> = events
        .iter()
        .rev()
        .take(2)
        .map(|event| event.event_type.as_ref())
        .collect();
    assert_eq!(names, ["response.failed", "error"]);
    let failed = json(events.last().unwrap());
    assert_eq!(failed["response"]["status"], "failed");
    assert_eq!(
        failed["response"]["error"]["message"],
        "the backend went away"
    );
    let numbers: Vec<u64> = events
        .iter()
        .map(|event| json(event)["sequence_number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, (0..events.len() as u64).collect::<Vec<_>>());
}

#[tokio::test]
async fn anthropic_names_its_events_pings_and_reports_errors() {
    let events = wire(vec![Ok("Hi")], Anthropic::new("msg_1", "m")).await;
    let names = names(&events);
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    for event in &events {
        assert_eq!(json(event)["type"], event.event_type.as_ref());
    }
    assert_eq!(json(&events[3])["delta"]["text"], "Hi");
    assert_eq!(json(&events[5])["delta"]["stop_reason"], "end_turn");
    assert_eq!(json(&events[5])["usage"]["output_tokens"], 1);

    let events = wire(vec![Ok("Hi"), Err(failure())], Anthropic::new("msg_1", "m")).await;
    let last = events.last().unwrap();
    assert_eq!(last.event_type, "error");
    assert_eq!(json(last)["error"]["type"], "api_error");
    assert!(events
        .iter()
        .all(|event| event.event_type != "message_stop"));
}

#[tokio::test]
async fn error_events_carry_no_id_even_if_the_framer_sets_one() {
    struct WithIds;
    impl Framer for WithIds {
        fn start(&mut self) -> Vec<sse_layer::Event> {
            Vec::new()
        }
        fn delta(&mut self, text: &str) -> sse_layer::Event {
            sse_layer::Event::new()
                .try_id("7")
                .unwrap()
                .data(text.to_owned())
        }
        fn finish(&mut self) -> Vec<sse_layer::Event> {
            Vec::new()
        }
        fn error(&mut self, _: &BoxError) -> Vec<sse_layer::Event> {
            vec![sse_layer::Event::new()
                .try_id("8")
                .unwrap()
                .event(sse_layer::event_name!("error"))
                .data("x")]
        }
    }
    let events = wire(vec![Ok("a"), Err(failure())], WithIds).await;
    assert_eq!(events[1].event_type, "error");
    assert_eq!(
        events[1].last_event_id, "7",
        "the cursor stays on the last real event"
    );
}

#[tokio::test(start_paused = true)]
async fn coalescing_flushes_after_the_delay_or_at_the_size_whichever_first() {
    // A token every 10 ms; flush every 35 ms or at 10 bytes.
    let tokens =
        stream::iter(["ab", "cd", "ef", "gh", "ij", "klmnopqr", "s"]).then(|token| async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            Ok::<_, BoxError>(token)
        });
    let start = tokio::time::Instant::now();
    let merged: Vec<(String, u128)> = coalesce(tokens, Duration::from_millis(35), 10)
        .map(|piece| (piece.unwrap(), start.elapsed().as_millis()))
        .collect()
        .await;
    assert_eq!(
        merged,
        [
            // "ab" came at 10 ms: flushed 35 ms later, holding what came by then.
            ("abcdefgh".to_owned(), 45),
            // "ij" at 50 ms, then the 8-byte token at 60 ms makes it big enough.
            ("ijklmnopqr".to_owned(), 60),
            // The end flushes the rest at once.
            ("s".to_owned(), 70),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn coalescing_passes_errors_on_after_the_text_before_them() {
    let pieces = stream::iter([Ok("a"), Ok("b"), Err(failure())]);
    let out: Vec<Result<String, BoxError>> = coalesce(pieces, Duration::from_secs(1), 100)
        .collect()
        .await;
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].as_ref().unwrap(), "ab");
    assert_eq!(
        out[1].as_ref().unwrap_err().to_string(),
        "the backend went away"
    );
}
