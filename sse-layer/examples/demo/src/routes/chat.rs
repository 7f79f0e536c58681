//! `POST /chat`: an LLM-style stream of tokens in one of four conventions.

use std::pin::Pin;
use std::time::Duration;

use futures_util::{stream, Stream, StreamExt};
use http::{Request, StatusCode};
use serde::Deserialize;
use sse_layer::llm::{self, Anthropic, Framer, OpenAiChat, OpenAiResponses};
use sse_layer::{BoxError, Event};

use super::answer::{bad_request, json_body, sse_answer, Answer, Refusal};

/// A chat prompt longer than this (in bytes) gets a 413: what a stream holds is bounded.
pub const MAX_PROMPT: usize = 16 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatRequest {
    prompt: String,
    /// `tokens` (default), `openai-chat`, `openai-responses` or `anthropic`.
    format: Option<String>,
    /// Fail after this many pieces: shows the convention's in-band error event.
    fail_after: Option<usize>,
    /// Merge pieces for up to this many milliseconds (or 256 bytes).
    coalesce_ms: Option<u64>,
}

/// `POST /chat {"prompt": "..."}`: an LLM-style stream, one piece of text every 25 ms.
/// By default each event's data is `{"token": "..."}` and the last is `[DONE]`; with
/// `"format"` it follows the OpenAI chat-completions, OpenAI Responses or Anthropic
/// convention instead (see `sse_layer::llm`).
pub(crate) async fn chat(request: Request<hyper::body::Incoming>) -> Answer {
    let ChatRequest {
        prompt,
        format,
        fail_after,
        coalesce_ms,
    } = json_body(request).await?;
    let framer: Box<dyn Framer + Send> = match format.as_deref().unwrap_or("tokens") {
        "tokens" => Box::new(TokenJson),
        "openai-chat" => Box::new(OpenAiChat::new("chatcmpl-demo", "sse-layer-demo")),
        "openai-responses" => Box::new(OpenAiResponses::new("resp_demo", "sse-layer-demo")),
        "anthropic" => Box::new(Anthropic::new("msg_demo", "sse-layer-demo")),
        other => {
            return Err(bad_request(&format!(
                "unknown format {other:?}: use tokens, openai-chat, openai-responses or anthropic"
            )))
        }
    };
    check_prompt(&prompt)?;
    let pieces = answer_pieces(&prompt, fail_after, coalesce_ms);
    Ok(sse_answer(llm::frame(pieces, framer).boxed()))
}

/// A prompt the demo answers: at most [`MAX_PROMPT`] bytes, else a 413.
pub(crate) fn check_prompt(prompt: &str) -> Result<(), Refusal> {
    if prompt.len() > MAX_PROMPT {
        return Err(Refusal {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            body: serde_json::json!({
                "error": format!("the prompt is {} bytes; at most {MAX_PROMPT}", prompt.len())
            }),
        });
    }
    Ok(())
}

/// The pieces a framer frames: the demo's answer to `prompt`.
pub(crate) type Pieces = Pin<Box<dyn Stream<Item = Result<String, BoxError>> + Send>>;

/// The demo's answer to `prompt`, one word at a time every 25 ms; failing after
/// `fail_after` pieces when set; merged for up to `coalesce_ms` (or 256 bytes) when set.
pub(crate) fn answer_pieces(
    prompt: &str,
    fail_after: Option<usize>,
    coalesce_ms: Option<u64>,
) -> Pieces {
    let answer = format!(
        "You said: {prompt}\nThis reply streams one token at a time, the way a language model answers."
    );
    // One token at a time from the one string (a token is a word and its space): what a
    // stream holds is the answer, never a copy per token.
    let tokens = stream::unfold(
        (answer, 0usize, 0usize),
        move |(answer, at, index)| async move {
            if at >= answer.len() {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
            let end = answer[at..]
                .find(' ')
                .map_or(answer.len(), |space| at + space + 1);
            let piece = match fail_after {
                Some(limit) if index >= limit => Err(BoxError::from("the model backend went away")),
                _ => Ok(answer[at..end].to_owned()),
            };
            Some((piece, (answer, end, index + 1)))
        },
    );
    match coalesce_ms {
        Some(ms) => llm::coalesce(tokens, Duration::from_millis(ms), 256).boxed(),
        None => tokens.boxed(),
    }
}

/// The demo's own convention, as a [`Framer`]: `{"token": "..."}` per piece, then
/// `[DONE]`; an error is `event: error` with `{"error": "..."}`.
struct TokenJson;

impl Framer for TokenJson {
    fn start(&mut self) -> Vec<Event> {
        Vec::new()
    }

    fn delta(&mut self, text: &str) -> Event {
        Event::new()
            .json_data(&serde_json::json!({ "token": text }))
            .expect("a JSON string")
    }

    fn finish(&mut self) -> Vec<Event> {
        vec![Event::new().data("[DONE]")]
    }

    fn error(&mut self, error: &BoxError) -> Vec<Event> {
        let event = Event::new()
            .event(sse_layer::event_name!("error"))
            .data(serde_json::json!({ "error": error.to_string() }).to_string());
        vec![event]
    }
}
