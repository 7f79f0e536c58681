//! Small types the whole crate shares, below every other module.

/// The error type of bodies and event streams: anything that is an error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
