//! [`Subscribe`]: what a subscriber asks a hub for.

use std::fmt;
use std::sync::Arc;

use http::Request;

use crate::last_event_id::LastEventId;
use crate::replay::Record;

/// A subscriber's own test on each record.
pub(super) type Filter = Arc<dyn Fn(&Record) -> bool + Send + Sync>;

/// What a subscriber wants: its topics, a filter, and where to resume from.
///
/// ```
/// use sse_layer::hub::Subscribe;
///
/// let options = Subscribe::topic("orders")
///     .and_topic("refunds")
///     .filter(|record| record.key() != Some("internal"))
///     .last_event_id("42");
/// # let _ = options;
/// ```
#[derive(Clone, Default)]
pub struct Subscribe {
    pub(super) topics: Option<Vec<String>>,
    pub(super) filter: Option<Filter>,
    pub(super) last_event_id: Option<String>,
}

impl fmt::Debug for Subscribe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscribe")
            .field("topics", &self.topics)
            .field("filter", &self.filter.is_some())
            .field("last_event_id", &self.last_event_id)
            .finish()
    }
}

impl Subscribe {
    /// Every topic, from now on.
    pub fn new() -> Self {
        Self::default()
    }

    /// One topic.
    pub fn topic(topic: impl Into<String>) -> Self {
        Self::new().and_topic(topic)
    }

    /// One more topic.
    pub fn and_topic(mut self, topic: impl Into<String>) -> Self {
        self.topics.get_or_insert_with(Vec::new).push(topic.into());
        self
    }

    /// Only the events `accepts` says yes to (it sees the topic, the key and the bytes).
    /// It runs on the publisher's thread, under the hub's lock, for every event of the
    /// subscriber's topics: keep it quick, and do not call the hub from it.
    pub fn filter<F>(mut self, accepts: F) -> Self
    where
        F: Fn(&Record) -> bool + Send + Sync + 'static,
    {
        self.filter = Some(Arc::new(accepts));
        self
    }

    /// Resumes after this event id, given by hand: for an id that came from elsewhere
    /// than the request (a test, a cursor the application stored). Handlers use
    /// [`resume`](Self::resume) (axum) or [`resume_from`](Self::resume_from) (tower).
    pub fn last_event_id(mut self, id: impl Into<String>) -> Self {
        self.last_event_id = Some(id.into());
        self
    }

    /// Resumes after `last`, when the client sent one: the way for an axum handler, whose
    /// `Option<LastEventId>` argument (feature `axum`) is this.
    ///
    /// ```
    /// use sse_layer::{hub::Subscribe, LastEventId};
    /// let request = http::Request::get("/").header("last-event-id", "7").body(()).unwrap();
    /// let options = Subscribe::topic("news").resume(LastEventId::from_request(&request, None));
    /// # let _ = options;
    /// ```
    pub fn resume(mut self, last: Option<LastEventId>) -> Self {
        if let Some(id) = last {
            self.last_event_id = Some(id.into_string());
        }
        self
    }

    /// Resumes after the [`LastEventId`] that [`SseLayer`](crate::SseLayer) put in the
    /// request's extensions, if there is one: the way for a tower service behind the
    /// layer.
    pub fn resume_from<B>(mut self, request: &Request<B>) -> Self {
        if let Some(id) = request.extensions().get::<LastEventId>() {
            self.last_event_id = Some(id.as_str().to_owned());
        }
        self
    }

    pub(super) fn accepts(&self, record: &Record) -> bool {
        let topic_matches = self
            .topics
            .as_ref()
            .is_none_or(|topics| topics.iter().any(|topic| **topic == *record.topic));
        topic_matches && self.filter.as_ref().is_none_or(|accepts| accepts(record))
    }
}
