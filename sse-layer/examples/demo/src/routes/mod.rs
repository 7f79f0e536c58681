//! One file per endpoint's contract; `answer.rs` holds what they share (the body type,
//! refusals as JSON, query and body parsing).

pub(crate) mod answer;
pub(crate) mod bench;
pub(crate) mod chat;
pub(crate) mod echo;
pub(crate) mod events;
pub(crate) mod private;
pub(crate) mod topics;
pub(crate) mod vendors;
