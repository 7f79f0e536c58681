//! The broadcast [`Hub`]: publish an event once (encoded once, its bytes shared) to any
//! number of subscribers, by topic, with a replay log for resume and a bounded queue per
//! subscriber; in memory, or on a shared engine that several instances share.
//!
//! ```
//! use std::convert::Infallible;
//! use sse_layer::hub::{Hub, Subscribe};
//! use sse_layer::{Event, SseLayer};
//! use tower::{service_fn, Layer};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let hub = Hub::new();
//! let events = {
//!     let hub = hub.clone();
//!     // Each request subscribes; `resume_from` reads the Last-Event-ID the layer parsed.
//!     service_fn(move |request: http::Request<()>| {
//!         let subscription = hub.subscribe(Subscribe::topic("news").resume_from(&request));
//!         async move { Ok::<_, Infallible>(subscription.into_http_response()) }
//!     })
//! };
//! let service = SseLayer::new().layer(events);
//! // Elsewhere, as things happen:
//! hub.publish("news", Event::new().event(sse_layer::event_name!("headline")).data("SSE is easy")).await?;
//! # let _ = service;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! Where things are: publishing and subscribing in `hub.rs` ([`Hub`]), over this
//! instance's delivery in `local.rs` (which registers a subscriber's queue; the
//! [`Subscription`] around it is made above it); what a publish answers in
//! `published.rs`; how a hub is made, and its engine chosen, in
//! `builder.rs` ([`HubBuilder`]); what the clones of the delivery core share (the lock,
//! the subscriber lists, delivery, sweeping, idempotency keys) in `state.rs`, which the
//! other files build on; a subscriber's options in [`Subscribe`]; the queue, its
//! [`Overflow`] policies and the in-stream reset in `queue.rs`; the stream a subscriber
//! reads in [`Subscription`]. With a shared engine, `engine.rs` links the hub to it:
//! its `writer.rs`, its `follower.rs`, and for resumes the window cannot answer
//! `catch_up.rs` over the shared `pages.rs`; the engines themselves are in
//! [`replay`](crate::replay).

mod builder;
mod catch_up;
mod engine;
mod follower;
#[allow(clippy::module_inception)]
mod hub;
mod local;
mod pages;
mod published;
mod queue;
mod state;
mod subscribe;
mod subscription;
mod writer;

pub use builder::HubBuilder;
pub use hub::Hub;
pub use published::{PublishError, Published};
pub use queue::{Overflow, QueueLimits};
pub use subscribe::Subscribe;
pub use subscription::Subscription;
