//! A black-box checker for Server-Sent Events endpoints, and a WHATWG-exact parser.
//!
//! - [`parser`]: the incremental parser (what an `EventSource` does with bytes).
//! - [`client`]: observes a live stream over HTTP/1.1 or HTTP/2 into a [`Transcript`].
//! - [`transcript`]: the observation model, also the fixture format.
//! - [`checks`]: the catalogue, each check a pure function of transcripts.
//! - [`run`]: a whole live check (main stream + probes) into a [`report::Report`].
//! - [`testing`]: snapshot transcripts of a tower service or URL, for `insta`.

#![warn(missing_docs)]

pub mod checks;
pub mod client;
pub mod echo;
pub mod parser;
mod record;
pub mod report;
pub mod run;
pub mod serve;
pub mod testing;
pub mod transcript;

pub use transcript::Transcript;
