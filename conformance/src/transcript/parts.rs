//! The request and response parts of a [`Transcript`](super::Transcript) besides its
//! body: [`RequestInfo`], [`Header`], and how the observation ended ([`End`]).

use serde::{Deserialize, Serialize};

/// The request side of a transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestInfo {
    /// The method.
    pub method: String,
    /// The URL (or the request path for an in-process service).
    pub url: String,
    /// Headers sent, beyond the transport's own.
    #[serde(default)]
    pub headers: Vec<Header>,
}

/// One header line; in fixtures a `["name", "value"]` pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "(String, String)", into = "(String, String)")]
pub struct Header {
    /// Lower-case name.
    pub name: String,
    /// The value.
    pub value: String,
}

impl Header {
    /// A header as received (the value decoded as UTF-8 with replacement).
    pub fn new(name: &http::HeaderName, value: &http::HeaderValue) -> Self {
        Self {
            name: name.as_str().to_owned(),
            value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
        }
    }

    /// Every header of a map, in order.
    pub fn list(headers: &http::HeaderMap) -> Vec<Self> {
        headers
            .iter()
            .map(|(name, value)| Self::new(name, value))
            .collect()
    }
}

impl From<(String, String)> for Header {
    fn from((name, value): (String, String)) -> Self {
        Self { name, value }
    }
}

impl From<Header> for (String, String) {
    fn from(header: Header) -> Self {
        (header.name, header.value)
    }
}

/// Why the observation stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum End {
    /// The server ended the body cleanly.
    Eof,
    /// The observation time ran out with the stream still open.
    Timeout,
    /// Enough events were seen for the purpose (a probe).
    Enough,
    /// The connection broke (reset, truncated chunked encoding, protocol error).
    Error {
        /// What the transport said.
        message: String,
    },
}
