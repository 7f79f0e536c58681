//! The vendors' own streaming endpoints, so that the official `openai` and `anthropic`
//! SDKs can be pointed at the demo unchanged (only their base URL): `POST
//! /v1/chat/completions` and `POST /v1/responses` (OpenAI), `POST /v1/messages`
//! (Anthropic), each with its request body and `"stream": true`. The answer is the
//! demo's (`You said: …`), in the vendor's convention, with the token counts each
//! reports (chat completions when `stream_options.include_usage` is true). A header
//! `X-Demo-Fail-After: N` makes the answer fail after N pieces, in-band, as a model
//! backend that goes away would.

use futures_util::StreamExt;
use http::{Request, StatusCode};
use serde_json::{json, Value};
use sse_layer::llm::{self, Anthropic, Framer, OpenAiChat, OpenAiResponses, Usage};

use super::answer::{json_body, sse_answer, Answer, Refusal};
use super::chat::{answer_pieces, check_prompt};

/// Which vendor endpoint.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Vendor {
    OpenAiChat,
    OpenAiResponses,
    Anthropic,
}

pub(crate) async fn stream(vendor: Vendor, request: Request<hyper::body::Incoming>) -> Answer {
    let fail_after = request
        .headers()
        .get("x-demo-fail-after")
        .and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
    let body: Value = json_body(request).await?;
    if body["stream"] != Value::Bool(true) {
        return Err(refusal(
            vendor,
            "this demo only streams: send \"stream\": true",
        ));
    }
    let model = body["model"]
        .as_str()
        .unwrap_or("sse-layer-demo")
        .to_owned();
    let prompt = match vendor {
        Vendor::OpenAiResponses => input_text(&body["input"]),
        Vendor::OpenAiChat | Vendor::Anthropic => last_user_text(&body["messages"]),
    }
    .ok_or_else(|| refusal(vendor, "no user message with text to answer"))?;
    check_prompt(&prompt)?;
    // The demo's tokens are words: the prompt's count is its words'.
    let usage = Usage::new(prompt.split_whitespace().count() as u64);
    let framer: Box<dyn Framer + Send> = match vendor {
        Vendor::OpenAiChat => {
            let chat = OpenAiChat::new("chatcmpl-demo", model);
            if body["stream_options"]["include_usage"] == Value::Bool(true) {
                Box::new(chat.usage(usage))
            } else {
                Box::new(chat)
            }
        }
        Vendor::OpenAiResponses => Box::new(OpenAiResponses::new("resp_demo", model).usage(usage)),
        Vendor::Anthropic => Box::new(Anthropic::new("msg_demo", model).usage(usage)),
    };
    let pieces = answer_pieces(&prompt, fail_after, None);
    Ok(sse_answer(llm::frame(pieces, framer).boxed()))
}

/// The text of the last user message: `content` as a string, or its text parts.
fn last_user_text(messages: &Value) -> Option<String> {
    let message = messages
        .as_array()?
        .iter()
        .rev()
        .find(|message| message["role"] == "user")?;
    content_text(&message["content"])
}

/// The Responses API's `input`: a string, or messages (the last user one's text).
fn input_text(input: &Value) -> Option<String> {
    match input {
        Value::String(text) => Some(text.clone()),
        messages => last_user_text(messages),
    }
}

fn content_text(content: &Value) -> Option<String> {
    match content {
        Value::String(text) => Some(text.clone()),
        Value::Array(parts) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter_map(|part| part["text"].as_str())
                .collect();
            (!texts.is_empty()).then(|| texts.join(""))
        }
        _ => None,
    }
}

/// A 400 in the vendor's own error shape, which its SDK turns into its error type.
fn refusal(vendor: Vendor, message: &str) -> Refusal {
    let body = match vendor {
        Vendor::Anthropic => json!({
            "type": "error",
            "error": { "type": "invalid_request_error", "message": message },
        }),
        Vendor::OpenAiChat | Vendor::OpenAiResponses => json!({
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": null,
                "code": null,
            }
        }),
    };
    Refusal {
        status: StatusCode::BAD_REQUEST,
        body,
    }
}
