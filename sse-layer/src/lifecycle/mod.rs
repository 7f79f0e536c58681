//! The life of a stream: how it ends, and why.
//!
//! - [`Shutdown`]: a graceful-shutdown signal; every stream sends a final event and ends.
//! - Maximum lifetime with jitter: [`SseLayer::max_lifetime`](crate::SseLayer::max_lifetime).
//! - [`WriteDeadline`]: drops connections whose client stopped reading.
//! - A cap on open streams (503 + `Retry-After`): [`SseLayer::max_streams`](crate::SseLayer::max_streams).
//! - [`DisconnectReason`] / [`Disconnect`]: why each stream ended, for
//!   [`SseLayer::on_disconnect`](crate::SseLayer::on_disconnect), metrics and tracing.

mod disconnect;
mod shutdown;
mod write_deadline;

pub use disconnect::{Disconnect, DisconnectReason, EndReason};
pub use shutdown::Shutdown;
pub use write_deadline::{Stalled, WriteDeadline};
