//! [`OpenAiChat`]: the chat-completions streaming convention.

use serde_json::{json, Value};

use super::framer::{json_event, unix_now, Framer};
use super::usage::Usage;
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
    usage: Option<Usage>,
}

impl OpenAiChat {
    /// Chunks with this completion id and model; `created` is now.
    pub fn new(id: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            model: model.into(),
            created: unix_now(),
            finish_reason: "stop".to_owned(),
            usage: None,
        }
    }

    /// Ends with a usage chunk, as OpenAI does for `stream_options: {"include_usage":
    /// true}`: after the chunk with the finish reason, one with empty `choices` and
    /// `usage` (`prompt_tokens`, `completion_tokens`, `total_tokens`), then `[DONE]`.
    ///
    /// ```
    /// use sse_layer::llm::{Framer, OpenAiChat, Usage};
    ///
    /// let mut chat = OpenAiChat::new("chatcmpl-1", "demo-model").usage(Usage::new(5));
    /// chat.delta("Hel");
    /// chat.delta("lo");
    /// let end = chat.finish();
    /// let last: serde_json::Value = serde_json::from_str(end[1].data_str().unwrap()).unwrap();
    /// assert_eq!(last["choices"], serde_json::json!([]));
    /// assert_eq!(last["usage"]["total_tokens"], 7);
    /// assert_eq!(end[2].data_str(), Some("[DONE]"));
    /// ```
    pub fn usage(mut self, usage: Usage) -> Self {
        self.usage = Some(usage);
        self
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
        self.chunk_of(json!([{ "index": 0, "delta": delta, "finish_reason": finish_reason }]))
    }

    fn chunk_of(&self, choices: Value) -> Event {
        let mut chunk = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        });
        if self.usage.is_some() {
            // With usage on, every chunk carries the field, null until the last.
            chunk["usage"] = Value::Null;
        }
        json_event(None, &chunk)
    }
}

impl Framer for OpenAiChat {
    fn start(&mut self) -> Vec<Event> {
        vec![self.chunk(json!({ "role": "assistant", "content": "" }), None)]
    }

    fn delta(&mut self, text: &str) -> Event {
        if let Some(usage) = &self.usage {
            usage.count_piece();
        }
        self.chunk(json!({ "content": text }), None)
    }

    fn finish(&mut self) -> Vec<Event> {
        let mut events = vec![self.chunk(json!({}), Some(&self.finish_reason))];
        if let Some(usage) = &self.usage {
            let mut last = json!({
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "choices": [],
            });
            last["usage"] = usage.openai_chat();
            events.push(json_event(None, &last));
        }
        events.push(Event::new().data("[DONE]"));
        events
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
