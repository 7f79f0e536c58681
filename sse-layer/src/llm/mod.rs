//! LLM stream conventions.
