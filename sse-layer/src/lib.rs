//! Server-Sent Events for any tower stack: a stream of events in, a correct SSE response
//! out.
//!
//! ```
//! use std::{convert::Infallible, time::Duration};
//! use futures_util::{stream, StreamExt};
//! use sse_layer::{Event, EventStream, LastEventId, SseLayer};
//! use tower::{service_fn, Layer};
//!
//! // The handler only produces events...
//! let handler = service_fn(|request: http::Request<()>| async move {
//!     let start = request
//!         .extensions()
//!         .get::<LastEventId>()
//!         .and_then(|id| id.parse::<u64>())
//!         .map_or(1, |last| last + 1);
//!     let ticks = stream::iter(start..).map(|n| Event::new().id(n).data("tick"));
//!     Ok::<_, Infallible>(EventStream::new(ticks).into_http_response())
//! });
//! // ...the layer owns the transport: headers, first byte, heartbeats, errors, resume, CORS.
//! let service = SseLayer::new().heartbeat(Duration::from_secs(15)).layer(handler);
//! # let _ = service;
//! ```
//!
//! Serve `service` with hyper (`hyper_util::service::TowerToHyperService`), or put the
//! layer on an axum `Router`; handlers can return [`EventStream::into_http_response`] (or,
//! under axum, the `EventStream` itself) or any `200 text/event-stream` response (axum's
//! own `Sse` included).
//!
//! Where things live: what an event is in [`Event`], how it is written in `encode.rs`;
//! the layer, its service, response future and body in `layer/` (the heartbeat's timer
//! in `layer/timer.rs`, the shared settings in `layer/config.rs`); headers in `headers.rs`; CORS
//! in [`SseCors`]; resume in [`LastEventId`]; when clients come back in [`reconnect`].
//! Delivery: broadcasting in [`hub`], the replay log in [`replay`], shutdown, lifetime,
//! write deadlines and disconnect reasons in [`lifecycle`], LLM stream conventions in
//! [`llm`], metric names in [`metrics`].

#![warn(missing_docs)]
// On docs.rs: a badge on every item behind a feature (what `doc_auto_cfg` was).
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "axum")]
pub mod axum;
mod cors;
mod encode;
mod error;
mod event;
mod field;
mod handler_error;
mod headers;
pub mod hub;
mod last_event_id;
mod layer;
pub mod lifecycle;
#[cfg(feature = "json")]
pub mod llm;
pub mod metrics;
mod overrides;
pub mod reconnect;
pub mod replay;
#[cfg(feature = "serve")]
pub mod serve;
mod stream;

pub use cors::{InvalidOrigin, SseCors};
pub use error::BoxError;
pub use event::Event;
pub use field::{EventError, EventId, EventName};
pub use handler_error::Error;
pub use last_event_id::LastEventId;
pub use layer::{ResponseFuture, SseBody, SseLayer, SseService, DEFAULT_HEARTBEAT};
pub use overrides::StreamOverrides;
pub use stream::{EventStream, StreamItem};

// The READMEs' examples run as doctests, so they cannot drift from the code: this crate's
// own (its crates.io page), and the repository's (with the `axum` feature, which its axum
// snippet uses; `cargo xtask ci` turns it on; it lies outside the package, so only a
// checkout runs it).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct CrateReadme;

#[cfg(all(doctest, feature = "axum"))]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;
