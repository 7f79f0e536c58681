//! What an application usually needs, in one import: `use sse_layer::prelude::*;`.
//!
//! ```
//! use std::{convert::Infallible, time::Duration};
//! use sse_layer::prelude::*;
//! use tower::{service_fn, Layer};
//!
//! let hub = Hub::new();
//! let events = {
//!     let hub = hub.clone();
//!     service_fn(move |request: http::Request<()>| {
//!         let subscription = hub.subscribe(Subscribe::topic("news").resume_from(&request));
//!         async move { Ok::<_, Infallible>(subscription.into_response()) }
//!     })
//! };
//! let service = SseLayer::new().heartbeat(Duration::from_secs(15)).layer(events);
//! hub.publish("news", Event::new().event(sse_layer::event_name!("headline")).data("hello"))?;
//! # let _ = service;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use crate::cors::SseCors;
pub use crate::error::BoxError;
pub use crate::event::Event;
pub use crate::event_name;
pub use crate::field::{EventError, EventId, EventName};
pub use crate::hub::{Hub, PublishError, SharedHub, Subscribe, Subscription};
pub use crate::last_event_id::LastEventId;
pub use crate::layer::SseLayer;
pub use crate::lifecycle::Shutdown;
pub use crate::overrides::StreamOverrides;
#[cfg(feature = "serve")]
pub use crate::serve::Server;
pub use crate::stream::EventStream;
