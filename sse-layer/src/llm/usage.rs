//! [`Usage`]: the token counts a framer reports when the answer completes.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};

/// Token counts for one streamed answer, shared between the application (which knows
/// the prompt's count, and may count the answer's tokens with its tokenizer) and the
/// framer (which reports them at the end, in its convention's shape: OpenAI chat's final
/// chunk with empty `choices` and `usage`, the Responses API's `response.completed`
/// `usage`, Anthropic's `message_start` and `message_delta` `usage`).
///
/// Unless the application sets the completion's count, the framer counts one token per
/// piece of text it frames: exact when each piece is one token, an estimate after
/// [`coalesce`](super::coalesce).
///
/// ```
/// use sse_layer::llm::Usage;
///
/// let usage = Usage::new(12); // the prompt's tokens
/// usage.set_completion_tokens(40); // the answer's, from the model
/// assert_eq!((usage.prompt_tokens(), usage.completion_tokens(), usage.total_tokens()), (12, 40, 52));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Usage {
    counts: Arc<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    prompt: AtomicU64,
    completion: AtomicU64,
    /// The application set the completion's count: pieces are no longer counted.
    set: AtomicBool,
}

impl Usage {
    /// Counts for an answer to a prompt of `prompt_tokens` tokens.
    pub fn new(prompt_tokens: u64) -> Self {
        let usage = Self::default();
        usage.counts.prompt.store(prompt_tokens, Ordering::Relaxed);
        usage
    }

    /// The answer's token count, from the model or a tokenizer (the framer then stops
    /// counting pieces).
    pub fn set_completion_tokens(&self, tokens: u64) {
        self.counts.set.store(true, Ordering::Relaxed);
        self.counts.completion.store(tokens, Ordering::Relaxed);
    }

    /// The prompt's tokens.
    pub fn prompt_tokens(&self) -> u64 {
        self.counts.prompt.load(Ordering::Relaxed)
    }

    /// The answer's tokens so far.
    pub fn completion_tokens(&self) -> u64 {
        self.counts.completion.load(Ordering::Relaxed)
    }

    /// Prompt and answer together.
    pub fn total_tokens(&self) -> u64 {
        self.prompt_tokens() + self.completion_tokens()
    }

    /// One more piece framed: one token, unless the application counts.
    pub(super) fn count_piece(&self) {
        if !self.counts.set.load(Ordering::Relaxed) {
            self.counts.completion.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// OpenAI chat-completions' `usage` object.
    pub(super) fn openai_chat(&self) -> Value {
        json!({
            "prompt_tokens": self.prompt_tokens(),
            "completion_tokens": self.completion_tokens(),
            "total_tokens": self.total_tokens(),
        })
    }

    /// The Responses API's `usage` object.
    pub(super) fn openai_responses(&self) -> Value {
        json!({
            "input_tokens": self.prompt_tokens(),
            "input_tokens_details": { "cached_tokens": 0 },
            "output_tokens": self.completion_tokens(),
            "output_tokens_details": { "reasoning_tokens": 0 },
            "total_tokens": self.total_tokens(),
        })
    }
}
