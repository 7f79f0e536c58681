//! [`LastEventId`]: the resume point a reconnecting client sends, as a typed request
//! extension.

use std::str::FromStr;

use http::request::Parts;
use http::{HeaderMap, Uri};

/// The `Last-Event-ID` a reconnecting client sent: the id of the last event it received.
///
/// The layer puts it in the request's extensions when the client sent a non-empty one.
/// It is an opaque string: the server decides what it means. A value the server does not
/// know must never become a 4xx/5xx, because browsers stop reconnecting for good on any
/// non-200 answer; start from the beginning (or send a reset event) instead.
///
/// ```
/// use sse_layer::LastEventId;
///
/// let request = http::Request::builder()
///     .header("last-event-id", "41")
///     .body(())
///     .unwrap();
/// let id = LastEventId::from_request(&request, None).unwrap();
/// assert_eq!(id.as_str(), "41");
/// assert_eq!(id.parse::<u64>(), Some(41));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LastEventId(String);

impl LastEventId {
    /// Reads it from the `Last-Event-ID` header, else (if `query` names one) from that
    /// query parameter. Empty values count as absent.
    pub fn from_request<B>(request: &http::Request<B>, query: Option<&str>) -> Option<Self> {
        Self::from_headers_and_uri(request.headers(), request.uri(), query)
    }

    /// As [`from_request`](Self::from_request), for code that holds request [`Parts`].
    ///
    /// ```
    /// let (parts, ()) = http::Request::get("/events?lastEventId=9").body(()).unwrap().into_parts();
    /// let id = sse_layer::LastEventId::from_parts(&parts, Some("lastEventId"));
    /// assert_eq!(id.unwrap().as_str(), "9");
    /// ```
    pub fn from_parts(parts: &Parts, query: Option<&str>) -> Option<Self> {
        Self::from_headers_and_uri(&parts.headers, &parts.uri, query)
    }

    pub(crate) fn from_headers_and_uri(
        headers: &HeaderMap,
        uri: &Uri,
        query: Option<&str>,
    ) -> Option<Self> {
        let from_header = headers
            .get("last-event-id")
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        let from_query = || {
            let name = query?;
            form_urlencoded::parse(uri.query()?.as_bytes())
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.into_owned())
        };
        from_header
            .filter(|id| !id.is_empty())
            .or_else(|| from_query().filter(|id| !id.is_empty()))
            .map(Self)
    }

    /// The id as the client sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as a `T` (often a number), or `None` if it is not one: treat that as unknown.
    pub fn parse<T: FromStr>(&self) -> Option<T> {
        self.0.parse().ok()
    }

    /// The id as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl AsRef<str> for LastEventId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}
