//! [`OpenAiResponses`]: the Responses API streaming convention.

use serde_json::{json, Value};

use super::framer::{json_event, unix_now, Framer};
use super::usage::Usage;
use crate::error::BoxError;
use crate::event::Event;

/// Frames text as OpenAI Responses API events. Each event is named, and its JSON has the
/// same `type` and a `sequence_number` counting from 0:
///
/// `response.created`, `response.in_progress`, `response.output_item.added`,
/// `response.content_part.added`, one `response.output_text.delta` per piece, then
/// `response.output_text.done`, `response.content_part.done`,
/// `response.output_item.done` and the terminal `response.completed`. A failure is
/// `error` followed by the terminal `response.failed`.
///
/// ```
/// use sse_layer::llm::{Framer, OpenAiResponses};
///
/// let mut responses = OpenAiResponses::new("resp_1", "demo-model");
/// let start = responses.start();
/// assert_eq!(start[0].event_str(), Some("response.created"));
/// let delta: serde_json::Value =
///     serde_json::from_str(responses.delta("Hi").data_str().unwrap()).unwrap();
/// assert_eq!((delta["type"].as_str(), delta["sequence_number"].as_u64()),
///            (Some("response.output_text.delta"), Some(4)));
/// ```
#[derive(Debug, Clone)]
pub struct OpenAiResponses {
    id: String,
    item_id: String,
    model: String,
    created_at: u64,
    sequence: u64,
    text: String,
    usage: Option<Usage>,
}

impl OpenAiResponses {
    /// Events for the response with this id and model.
    pub fn new(id: impl Into<String>, model: impl Into<String>) -> Self {
        let id = id.into();
        Self {
            item_id: format!("msg_{id}"),
            id,
            model: model.into(),
            created_at: unix_now(),
            sequence: 0,
            text: String::new(),
            usage: None,
        }
    }

    /// Reports token counts in `response.completed`'s `usage` (`input_tokens`,
    /// `output_tokens`, `total_tokens`, and their details).
    ///
    /// ```
    /// use sse_layer::llm::{Framer, OpenAiResponses, Usage};
    ///
    /// let usage = Usage::new(3);
    /// let mut responses = OpenAiResponses::new("resp_1", "demo-model").usage(usage.clone());
    /// responses.start();
    /// responses.delta("Hi");
    /// let end = responses.finish();
    /// let completed: serde_json::Value =
    ///     serde_json::from_str(end.last().unwrap().data_str().unwrap()).unwrap();
    /// assert_eq!(completed["response"]["usage"]["output_tokens"], 1);
    /// assert_eq!(completed["response"]["usage"]["total_tokens"], 4);
    /// ```
    pub fn usage(mut self, usage: Usage) -> Self {
        self.usage = Some(usage);
        self
    }

    /// One event: `type` and `sequence_number` added to `fields`.
    fn event(&mut self, event_type: &'static str, mut fields: Value) -> Event {
        fields["type"] = json!(event_type);
        fields["sequence_number"] = json!(self.sequence);
        self.sequence += 1;
        json_event(Some(event_type), &fields)
    }

    fn response(&self, status: &str, output: Value) -> Value {
        json!({
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "model": self.model,
            "output": output,
        })
    }

    fn message(&self, status: &str, content: Value) -> Value {
        json!({
            "id": self.item_id,
            "type": "message",
            "status": status,
            "role": "assistant",
            "content": content,
        })
    }

    fn text_part(&self) -> Value {
        json!({ "type": "output_text", "text": self.text, "annotations": [] })
    }
}

impl Framer for OpenAiResponses {
    fn start(&mut self) -> Vec<Event> {
        let in_progress = self.response("in_progress", json!([]));
        let item = self.message("in_progress", json!([]));
        let part = self.text_part();
        let location = json!({ "item_id": self.item_id, "output_index": 0, "content_index": 0 });
        let mut added_part = location;
        added_part["part"] = part;
        vec![
            self.event("response.created", json!({ "response": in_progress })),
            self.event("response.in_progress", json!({ "response": in_progress })),
            self.event(
                "response.output_item.added",
                json!({ "output_index": 0, "item": item }),
            ),
            self.event("response.content_part.added", added_part),
        ]
    }

    fn delta(&mut self, text: &str) -> Event {
        if let Some(usage) = &self.usage {
            usage.count_piece();
        }
        self.text.push_str(text);
        let fields = json!({
            "item_id": self.item_id,
            "output_index": 0,
            "content_index": 0,
            "delta": text,
        });
        self.event("response.output_text.delta", fields)
    }

    fn finish(&mut self) -> Vec<Event> {
        let part = self.text_part();
        let item = self.message("completed", json!([part]));
        let mut completed = self.response("completed", json!([item]));
        if let Some(usage) = &self.usage {
            completed["usage"] = usage.openai_responses();
        }
        let location = |extra: (&str, Value)| {
            let mut fields =
                json!({ "item_id": self.item_id, "output_index": 0, "content_index": 0 });
            fields[extra.0] = extra.1;
            fields
        };
        let text_done = location(("text", json!(self.text)));
        let part_done = location(("part", part));
        vec![
            self.event("response.output_text.done", text_done),
            self.event("response.content_part.done", part_done),
            self.event(
                "response.output_item.done",
                json!({ "output_index": 0, "item": item }),
            ),
            self.event("response.completed", json!({ "response": completed })),
        ]
    }

    fn error(&mut self, error: &BoxError) -> Vec<Event> {
        let message = error.to_string();
        let mut failed = self.response("failed", json!([]));
        failed["error"] = json!({ "code": "server_error", "message": message });
        vec![
            self.event(
                "error",
                json!({ "code": "server_error", "message": message, "param": null }),
            ),
            self.event("response.failed", json!({ "response": failed })),
        ]
    }
}
