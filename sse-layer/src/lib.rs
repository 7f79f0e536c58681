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
//!     let ticks = stream::iter(start..).map(|n| Event::new().id(n.to_string()).map(|e| e.data("tick")));
//!     Ok::<_, Infallible>(EventStream::new(ticks).into_response())
//! });
//! // ...the layer owns the transport: headers, first byte, heartbeats, errors, resume, CORS.
//! let service = SseLayer::new().heartbeat(Duration::from_secs(15)).layer(handler);
//! # let _ = service;
//! ```
//!
//! Serve `service` with hyper (`hyper_util::service::TowerToHyperService`), or put the
//! layer on an axum `Router`; handlers can return [`EventStream::into_response`] or any
//! `200 text/event-stream` response (axum's own `Sse` included).
//!
//! Where things live: the wire format in [`Event`] and `encode.rs`; the body with the
//! heartbeat in [`SseBody`] (its one timer in `timer.rs`); headers in `headers.rs`; CORS
//! in [`SseCors`]; resume in [`LastEventId`]; when clients come back in [`reconnect`].
//! Delivery: broadcasting in [`hub`], the replay log in [`replay`], shutdown, lifetime,
//! write deadlines and disconnect reasons in [`lifecycle`], LLM stream conventions in
//! [`llm`], metric names in `metrics.rs`.

#![warn(missing_docs)]

mod body;
mod boundary;
mod cors;
mod encode;
mod event;
mod headers;
pub mod hub;
mod last_event_id;
mod layer;
pub mod lifecycle;
#[cfg(feature = "json")]
pub mod llm;
mod metrics;
pub mod reconnect;
pub mod replay;
#[cfg(feature = "serve")]
pub mod serve;
mod service;
mod stream;
mod timer;

pub use body::SseBody;
pub use cors::{InvalidOrigin, SseCors};
pub use event::{Event, EventError};
pub use last_event_id::LastEventId;
pub use layer::{SseLayer, DEFAULT_HEARTBEAT};
pub use service::{ResponseFuture, SseService};
pub use stream::{EventStream, StreamItem};

// The README's examples run as doctests, so they cannot drift from the code.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;

/// The error type of bodies and event streams: anything that is an error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
