//! The response headers an SSE stream needs, and how the layer recognises one.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Response, StatusCode};

/// `Cache-Control` for streams: no caching, and no transformation (compression) by proxies.
const CACHE_CONTROL: HeaderValue = HeaderValue::from_static("no-cache, no-transform");

/// Headers that belong to one HTTP/1.x connection. HTTP/2 and HTTP/3 forbid them; Safari
/// drops streams carrying them, and hyper strips them with a warning.
const CONNECTION_SPECIFIC: [HeaderName; 4] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// `X-Accel-Buffering`: tells nginx (and proxies that copy it) not to buffer the stream.
pub(crate) static X_ACCEL_BUFFERING: HeaderName = HeaderName::from_static("x-accel-buffering");

/// Sets every SSE header on a fresh response.
pub(crate) fn set_sse_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, CACHE_CONTROL);
    headers.insert(X_ACCEL_BUFFERING.clone(), HeaderValue::from_static("no"));
}

/// `200 OK` with every SSE header, around `body`: the one way this crate's bodies
/// ([`EventStream`](crate::EventStream), [`Subscription`](crate::hub::Subscription))
/// become responses.
pub(crate) fn sse_response<B>(body: B) -> Response<B> {
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    set_sse_headers(response.headers_mut());
    response
}

/// A response the layer treats as an event stream: `200` with `text/event-stream`
/// (parameters such as `charset=utf-8` allowed). Anything else passes through untouched.
pub(crate) fn is_event_stream<B>(response: &Response<B>) -> bool {
    response.status() == StatusCode::OK
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("text/event-stream"))
}

/// Makes the headers of an event-stream response right, keeping what the handler set
/// (cookies, custom headers) unless it breaks streaming.
pub(crate) fn fix_stream_headers(headers: &mut HeaderMap) {
    // A length makes intermediaries wait for the whole body; a stream has none.
    headers.remove(header::CONTENT_LENGTH);
    for name in &CONNECTION_SPECIFIC {
        headers.remove(name);
    }
    let keeps_transform_off = headers
        .get(header::CACHE_CONTROL)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.to_ascii_lowercase().contains("no-transform"));
    if !keeps_transform_off {
        headers.insert(header::CACHE_CONTROL, CACHE_CONTROL);
    }
    if !headers.contains_key(&X_ACCEL_BUFFERING) {
        headers.insert(X_ACCEL_BUFFERING.clone(), HeaderValue::from_static("no"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_media_type_with_parameters() {
        let response = Response::builder()
            .header("content-type", "Text/Event-Stream; charset=utf-8")
            .body(())
            .unwrap();
        assert!(is_event_stream(&response));
        let response = Response::builder()
            .status(401)
            .header("content-type", "text/event-stream")
            .body(())
            .unwrap();
        assert!(!is_event_stream(&response));
    }

    #[test]
    fn fixing_keeps_handler_headers_and_drops_length() {
        let mut headers = HeaderMap::new();
        headers.insert("set-cookie", HeaderValue::from_static("a=b"));
        headers.insert("content-length", HeaderValue::from_static("10"));
        headers.insert("connection", HeaderValue::from_static("keep-alive"));
        headers.insert("cache-control", HeaderValue::from_static("no-cache"));
        fix_stream_headers(&mut headers);
        assert_eq!(headers["set-cookie"], "a=b");
        assert!(!headers.contains_key("content-length"));
        assert!(!headers.contains_key("connection"));
        assert_eq!(headers["cache-control"], "no-cache, no-transform");
        assert_eq!(headers["x-accel-buffering"], "no");
    }
}
