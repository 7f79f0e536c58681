//! `GET /private/events`: the `/events` ticker for signed-in clients only.

use http::{header, HeaderValue, Request, StatusCode};

use super::answer::{full, Answer};
use crate::hubs::Hubs;

/// The one credential the demo accepts.
pub(crate) const TOKEN: &str = "Bearer demo";

/// With `Authorization: Bearer demo`, exactly `GET /events`. Without it, or with another
/// value, `401` with `WWW-Authenticate: Bearer` and a JSON message: the answer that
/// makes every client stop instead of reconnecting forever (never a 200 that ends).
pub(crate) fn events(hubs: &Hubs, request: &Request<hyper::body::Incoming>) -> Answer {
    let signed_in = request
        .headers()
        .get(header::AUTHORIZATION)
        .is_some_and(|value| value == TOKEN);
    if signed_in {
        return super::events::events(hubs, request);
    }
    let message = serde_json::json!({
        "error": "sign in first: send Authorization: Bearer demo"
    });
    let mut response = full(
        StatusCode::UNAUTHORIZED,
        "application/json",
        message.to_string(),
    );
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    Ok(response)
}
