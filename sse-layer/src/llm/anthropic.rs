//! [`Anthropic`]: the Messages streaming convention.

use serde_json::json;

use super::framer::{json_event, Framer};
use super::usage::Usage;
use crate::error::BoxError;
use crate::event::Event;

/// Frames text as Anthropic Messages stream events, each named and with a JSON `type`
/// equal to its name:
///
/// `message_start`, `content_block_start`, `ping`, then one `content_block_delta` (a
/// `text_delta`) per piece, then `content_block_stop`, `message_delta` (with the
/// `stop_reason` and the output token count) and `message_stop`. A failure is
/// `event: error` with `{"type":"error","error":{"type":"api_error","message":…}}`.
///
/// ```
/// use sse_layer::llm::{Anthropic, Framer};
///
/// let mut messages = Anthropic::new("msg_1", "demo-model");
/// let names: Vec<_> = messages.start().iter().map(|e| e.event_str().unwrap().to_owned()).collect();
/// assert_eq!(names, ["message_start", "content_block_start", "ping"]);
/// assert_eq!(messages.delta("Hi").event_str(), Some("content_block_delta"));
/// ```
#[derive(Debug, Clone)]
pub struct Anthropic {
    id: String,
    model: String,
    usage: Usage,
    stop_reason: String,
}

impl Anthropic {
    /// Events for the message with this id and model.
    pub fn new(id: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            model: model.into(),
            usage: Usage::default(),
            stop_reason: "end_turn".to_owned(),
        }
    }

    /// Token counts for `message_start`'s `usage.input_tokens` and `message_delta`'s
    /// `usage.output_tokens` (by default: no input, one output token per piece).
    ///
    /// ```
    /// use sse_layer::llm::{Anthropic, Framer, Usage};
    ///
    /// let mut message = Anthropic::new("msg_1", "demo-model").usage(Usage::new(9));
    /// let start: serde_json::Value =
    ///     serde_json::from_str(message.start()[0].data_str().unwrap()).unwrap();
    /// assert_eq!(start["message"]["usage"]["input_tokens"], 9);
    /// message.delta("Hi");
    /// let delta: serde_json::Value =
    ///     serde_json::from_str(message.finish()[1].data_str().unwrap()).unwrap();
    /// assert_eq!(delta["usage"]["output_tokens"], 1);
    /// ```
    pub fn usage(mut self, usage: Usage) -> Self {
        self.usage = usage;
        self
    }

    /// The `stop_reason` of `message_delta` (default `end_turn`).
    pub fn stop_reason(mut self, reason: impl Into<String>) -> Self {
        self.stop_reason = reason.into();
        self
    }
}

impl Framer for Anthropic {
    fn start(&mut self) -> Vec<Event> {
        vec![
            json_event(
                Some("message_start"),
                &json!({
                    "type": "message_start",
                    "message": {
                        "id": self.id,
                        "type": "message",
                        "role": "assistant",
                        "content": [],
                        "model": self.model,
                        "stop_reason": null,
                        "stop_sequence": null,
                        "usage": { "input_tokens": self.usage.prompt_tokens(), "output_tokens": 0 },
                    }
                }),
            ),
            json_event(
                Some("content_block_start"),
                &json!({
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": { "type": "text", "text": "" },
                }),
            ),
            json_event(Some("ping"), &json!({ "type": "ping" })),
        ]
    }

    fn delta(&mut self, text: &str) -> Event {
        // One piece is counted as one token unless the application counts: the framer
        // sees text, not the tokenizer.
        self.usage.count_piece();
        json_event(
            Some("content_block_delta"),
            &json!({
                "type": "content_block_delta",
                "index": 0,
                "delta": { "type": "text_delta", "text": text },
            }),
        )
    }

    fn finish(&mut self) -> Vec<Event> {
        vec![
            json_event(
                Some("content_block_stop"),
                &json!({ "type": "content_block_stop", "index": 0 }),
            ),
            json_event(
                Some("message_delta"),
                &json!({
                    "type": "message_delta",
                    "delta": { "stop_reason": self.stop_reason, "stop_sequence": null },
                    "usage": {
                        "input_tokens": self.usage.prompt_tokens(),
                        "output_tokens": self.usage.completion_tokens(),
                    },
                }),
            ),
            json_event(Some("message_stop"), &json!({ "type": "message_stop" })),
        ]
    }

    fn error(&mut self, error: &BoxError) -> Vec<Event> {
        vec![json_event(
            Some("error"),
            &json!({
                "type": "error",
                "error": { "type": "api_error", "message": error.to_string() },
            }),
        )]
    }
}
