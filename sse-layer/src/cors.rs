//! [`SseCors`]: the CORS preset an event stream needs, built on tower-http's `CorsLayer`.
//!
//! What browsers need for SSE (see the Fetch standard):
//! - a native `EventSource` sends a simple `GET` (no preflight) and reads the answer only
//!   if `Access-Control-Allow-Origin` matches; with `withCredentials: true` that must be
//!   the exact origin (never `*`) plus `Access-Control-Allow-Credentials: true`, and
//!   `Vary: Origin` keeps caches from mixing origins up;
//! - fetch-based clients send `Last-Event-ID` and `Authorization` themselves, which are not
//!   CORS-safelisted, so they preflight with `OPTIONS` first.

use std::fmt;
use std::time::Duration;

use http::{header, HeaderName, HeaderValue, Method, Uri};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Which origins may read the streams, and whether with credentials.
///
/// ```
/// use sse_layer::SseCors;
///
/// // Cookies (withCredentials) from one known front end:
/// let cors = SseCors::allow_origins(["https://app.example"])?.allow_credentials();
/// // Anyone, without credentials (`Access-Control-Allow-Origin: *`):
/// let public = SseCors::any_origin();
/// assert!(SseCors::allow_origins(["https://app.example/path"]).is_err());
/// # let _ = (cors, public);
/// # Ok::<(), sse_layer::InvalidOrigin>(())
/// ```
#[derive(Debug, Clone)]
pub struct SseCors {
    origins: Origins,
    credentials: bool,
    extra_headers: Vec<HeaderName>,
    max_age: Duration,
}

#[derive(Debug, Clone)]
enum Origins {
    Any,
    List(Vec<HeaderValue>),
}

/// An allowed origin that can never match a browser's `Origin` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidOrigin {
    origin: String,
}

impl fmt::Display for InvalidOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not an origin: expected scheme://host[:port] with no path, such as https://app.example",
            self.origin
        )
    }
}

impl std::error::Error for InvalidOrigin {}

/// Request headers a preflight allows: the ones fetch-based SSE clients send.
const ALLOWED_HEADERS: [HeaderName; 4] = [
    HeaderName::from_static("last-event-id"),
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    header::CACHE_CONTROL,
];

impl SseCors {
    /// Any origin may read streams. Without credentials this answers `*`; with
    /// [`allow_credentials`](Self::allow_credentials) it answers each request's own origin,
    /// since browsers refuse `*` with credentials.
    pub fn any_origin() -> Self {
        Self::with_origins(Origins::Any)
    }

    /// Only these origins (`scheme://host[:port]`, compared exactly) may read streams.
    ///
    /// # Errors
    /// [`InvalidOrigin`] for a value that is not an origin (a path, `*`, bad bytes).
    pub fn allow_origins<I, T>(origins: I) -> Result<Self, InvalidOrigin>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let origins = origins
            .into_iter()
            .map(|origin| parse_origin(origin.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::with_origins(Origins::List(origins)))
    }

    fn with_origins(origins: Origins) -> Self {
        Self {
            origins,
            credentials: false,
            extra_headers: Vec::new(),
            max_age: Duration::from_secs(600),
        }
    }

    /// Lets browsers send cookies (`withCredentials: true`):
    /// `Access-Control-Allow-Credentials: true` with the exact origin.
    pub fn allow_credentials(mut self) -> Self {
        self.credentials = true;
        self
    }

    /// Allows one more request header in preflights, beyond `last-event-id`,
    /// `authorization`, `content-type` and `cache-control`.
    ///
    /// ```
    /// let cors = sse_layer::SseCors::any_origin().allow_header(http::HeaderName::from_static("x-api-key"));
    /// # let _ = cors;
    /// ```
    pub fn allow_header(mut self, name: HeaderName) -> Self {
        self.extra_headers.push(name);
        self
    }

    /// How long browsers may cache a preflight answer (default 10 minutes).
    ///
    /// ```
    /// let cors = sse_layer::SseCors::any_origin().max_age(std::time::Duration::from_secs(60));
    /// # let _ = cors;
    /// ```
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The tower-http layer that does the work.
    pub(crate) fn to_layer(&self) -> CorsLayer {
        let allow_origin = match (&self.origins, self.credentials) {
            (Origins::Any, false) => AllowOrigin::any(),
            (Origins::Any, true) => AllowOrigin::mirror_request(),
            (Origins::List(origins), _) => AllowOrigin::list(origins.iter().cloned()),
        };
        let headers: Vec<HeaderName> = ALLOWED_HEADERS
            .iter()
            .chain(&self.extra_headers)
            .cloned()
            .collect();
        CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers(headers)
            .allow_credentials(self.credentials)
            .max_age(self.max_age)
    }
}

fn parse_origin(origin: &str) -> Result<HeaderValue, InvalidOrigin> {
    let invalid = || InvalidOrigin {
        origin: origin.to_owned(),
    };
    let uri: Uri = origin.parse().map_err(|_| invalid())?;
    let has_path = origin.splitn(4, '/').nth(3).is_some();
    if uri.scheme().is_none() || uri.authority().is_none() || has_path {
        return Err(invalid());
    }
    HeaderValue::from_str(origin).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked() {
        assert!(SseCors::allow_origins(["http://localhost:3000"]).is_ok());
        for bad in [
            "*",
            "localhost",
            "https://a.example/",
            "https://a.example/x",
            "null",
        ] {
            assert!(SseCors::allow_origins([bad]).is_err(), "{bad}");
        }
    }
}
