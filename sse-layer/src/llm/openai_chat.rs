//! [`OpenAiChat`]: the chat-completions streaming convention.

use serde_json::{json, Value};

use super::framer::{json_event, unix_now, Framer};
use crate::error::BoxError;
use crate::event::Event;

/// Frames text as OpenAI chat-completion chunks:
///
/// ```text
/// data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":…,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}
/// data: {…"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}
/// data: {…"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}
/// data: [DONE]
/// ```
///
/// A failure is one in-band `data: {"error":{"message":…,"type":"server_error",…}}`, and
/// no `[DONE]` follows it.
///
/// ```
/// use sse_layer::llm::{Framer, OpenAiChat};
///
/// let mut chat = OpenAiChat::new("chatcmpl-1", "demo-model").created(1_700_000_000);
/// let chunk: serde_json::Value = serde_json::from_str(chat.delta("Hel").data_str().unwrap()).unwrap();
/// assert_eq!(chunk["choices"][0]["delta"]["content"], "Hel");
/// assert_eq!(chunk["created"], 1_700_000_000);
/// ```
#[derive(Debug, Clone)]
pub struct OpenAiChat {
    id: String,
    model: String,
    created: u64,
    finish_reason: String,
}

impl OpenAiChat {
    /// Chunks with this completion id and model; `created` is now.
    pub fn new(id: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            model: model.into(),
            created: unix_now(),
            finish_reason: "stop".to_owned(),
        }
    }

    /// The `created` timestamp (seconds since the Unix epoch).
    pub fn created(mut self, created: u64) -> Self {
        self.created = created;
        self
    }

    /// The `finish_reason` of the last chunk (default `stop`).
    pub fn finish_reason(mut self, reason: impl Into<String>) -> Self {
        self.finish_reason = reason.into();
        self
    }

    fn chunk(&self, delta: Value, finish_reason: Option<&str>) -> Event {
        json_event(
            None,
            &json!({
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "choices": [{ "index": 0, "delta": delta, "finish_reason": finish_reason }],
            }),
        )
    }
}

impl Framer for OpenAiChat {
    fn start(&mut self) -> Vec<Event> {
        vec![self.chunk(json!({ "role": "assistant", "content": "" }), None)]
    }

    fn delta(&mut self, text: &str) -> Event {
        self.chunk(json!({ "content": text }), None)
    }

    fn finish(&mut self) -> Vec<Event> {
        vec![
            self.chunk(json!({}), Some(&self.finish_reason)),
            Event::new().data("[DONE]"),
        ]
    }

    fn error(&mut self, error: &BoxError) -> Vec<Event> {
        vec![json_event(
            None,
            &json!({
                "error": {
                    "message": error.to_string(),
                    "type": "server_error",
                    "param": null,
                    "code": null,
                }
            }),
        )]
    }
}
