//! The layer itself: [`SseLayer`] (the builder), the [`SseService`] it makes, that
//! service's [`ResponseFuture`], and the [`SseBody`] of every response, with the one
//! timer per stream (`timer.rs`: heartbeats, lifetime, shutdown) and the event-boundary
//! tracking (`boundary.rs`) beside the body they serve. `config.rs` holds what they all
//! share; every import in this folder points down to it.
//!
//! ```
//! use std::{convert::Infallible, time::Duration};
//! use sse_layer::{Event, EventStream, SseLayer};
//! use tower::{service_fn, Layer};
//!
//! let handler = service_fn(|_request: http::Request<()>| async {
//!     let events = futures_util::stream::iter([Event::new().data("hello")]);
//!     Ok::<_, Infallible>(EventStream::new(events).into_http_response())
//! });
//! let service = SseLayer::new().heartbeat(Duration::from_secs(15)).layer(handler);
//! # let _ = service;
//! ```

mod body;
mod boundary;
mod config;
mod future;
#[allow(clippy::module_inception)]
mod layer;
mod service;
mod timer;

pub use body::SseBody;
pub use config::DEFAULT_HEARTBEAT;
pub use future::ResponseFuture;
pub use layer::SseLayer;
pub use service::SseService;
