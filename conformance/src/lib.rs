//! A black-box checker for Server-Sent Events endpoints, and a WHATWG-exact parser.
//!
//! - [`parser`]: the incremental parser (what an `EventSource` does with bytes).
//! - [`client`]: observes a live stream over HTTP/1.1 or HTTP/2 into a [`Transcript`].
//! - [`transcript`]: the observation model, also the fixture format.
//! - [`checks`]: the catalogue: each check an id, a spec section, the requests it needs
//!   (a probe it plans itself, or none) and a judgment of what came back.
//! - [`run`]: a whole live check (main stream, the probes the checks plan) into a
//!   [`report::Report`] (human, JSON, JUnit or HTML).
//! - [`testing`]: snapshot transcripts of a tower service or URL, for `insta`.
//! - [`harness`]: the other side: judges an SSE *client* against scripted scenarios.
//!
//! Everything but [`parser`] and [`transcript`] is the feature `checker` (on by default).
//! A program that only parses depends on
//! `sse-conformance = { version = "0.1", default-features = false }` and builds without
//! tokio, hyper, rustls, clap or proptest.

#![warn(missing_docs)]
// On docs.rs: a badge on every item behind a feature (what `doc_auto_cfg` was).
#![cfg_attr(docsrs, feature(doc_cfg))]

// This crate's README (its crates.io page) runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct CrateReadme;

#[cfg(feature = "checker")]
pub mod checks;
#[cfg(feature = "checker")]
pub mod client;
#[cfg(feature = "checker")]
pub mod echo;
#[cfg(feature = "checker")]
pub mod harness;
pub mod parser;
#[cfg(feature = "checker")]
mod record;
#[cfg(feature = "checker")]
pub mod report;
#[cfg(feature = "checker")]
pub mod run;
#[cfg(feature = "checker")]
pub mod serve;
#[cfg(feature = "checker")]
pub mod testing;
pub mod transcript;

pub use transcript::Transcript;
