//! [`Error`]: one error for handlers that both build events and publish them, so that `?`
//! works on either in one function.

use std::fmt;

use crate::field::EventError;
use crate::hub::PublishError;

/// Any error of this crate a handler meets: an event that could not be built, or one
/// that could not be published. Both convert with `?`; with the feature `axum` it is
/// `IntoResponse`, answering as each error does (see [`axum`](crate::axum)'s table).
///
/// ```
/// use sse_layer::hub::Hub;
/// use sse_layer::{Error, Event};
///
/// async fn notify(hub: &Hub, kind: &str) -> Result<String, Error> {
///     let event = Event::new().try_event(kind.to_owned())?; // an EventError
///     let published = hub.publish("notes", event.data("hello")).await?; // a PublishError
///     Ok(published.id)
/// }
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let hub = Hub::new();
/// assert!(notify(&hub, "note").await.is_ok());
/// assert!(matches!(notify(&hub, "bad\ntype").await, Err(Error::Event(_))));
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// An event could not be built.
    Event(EventError),
    /// An event could not be published.
    Publish(PublishError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Event(error) => error.fmt(f),
            Self::Publish(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Event(error) => Some(error),
            Self::Publish(error) => Some(error),
        }
    }
}

impl From<EventError> for Error {
    fn from(error: EventError) -> Self {
        Self::Event(error)
    }
}

impl From<PublishError> for Error {
    fn from(error: PublishError) -> Self {
        Self::Publish(error)
    }
}
