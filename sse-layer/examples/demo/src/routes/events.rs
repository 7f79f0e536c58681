//! `GET /events`: the shared ticker, with resume and the reconnect-test switches.

use http::Request;
use http_body_util::BodyExt;
use sse_layer::hub::Subscribe;
use sse_layer::LastEventId;

use super::answer::{bad_request, query_number, Answer, Refusal};
use crate::hubs::Hubs;

/// `GET /events?interval_ms=N`: `tick` events every N ms, from a hub shared by every
/// client of that interval, with ids `<epoch>-1`, `<epoch>-2`… and data `{"n": …}`.
/// After `Last-Event-ID: <epoch>-K` the stream replays from K+1 (the hub keeps the last
/// 1,000 ticks); an id the hub never issued (from before a restart, say), or one too old,
/// starts with a `reset` event, then the live ticks.
///
/// For reconnect tests: `close_after=C` ends each connection after C events (the client
/// reconnects and resumes), and `stop_after=S` answers `204 No Content` once the client
/// has event S (it stops reconnecting).
pub(crate) fn events(hubs: &Hubs, request: &Request<hyper::body::Incoming>) -> Answer {
    let interval_ms: u64 = query_number(request, "interval_ms")?.unwrap_or(1000);
    if !(1..=3_600_000).contains(&interval_ms) {
        return Err(bad_request("interval_ms must be between 1 and 3600000"));
    }
    let close_after: Option<u64> = query_number(request, "close_after")?;
    let stop_after: Option<u64> = query_number(request, "stop_after")?;
    // With --redis, ids are `<epoch>-<seq>`: the number is the part after the dash.
    let last = request.extensions().get::<LastEventId>().and_then(|id| {
        id.as_str()
            .rsplit_once('-')
            .map_or(id.as_str(), |(_, seq)| seq)
            .parse::<u64>()
            .ok()
    });
    if let (Some(stop), Some(last)) = (stop_after, last) {
        if last >= stop {
            return Ok(sse_layer::reconnect::stop());
        }
    }
    let mut subscription = hubs
        .subscribe_ticks(interval_ms, Subscribe::new().resume_from(request))
        .map_err(Refusal::from)?;
    if let Some(count) = close_after {
        subscription = subscription.limit(count);
    }
    Ok(subscription.into_http_response().map(BodyExt::boxed_unsync))
}
