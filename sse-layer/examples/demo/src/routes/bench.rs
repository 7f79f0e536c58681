//! `GET /bench`: events as fast as the client reads, for the wire benchmark.

use futures_util::{stream, StreamExt};
use http::Request;
use sse_layer::Event;

use super::answer::{bad_request, query_number, sse, Answer};

/// `GET /bench?n=N&size=S`: N events with an id, a name and S bytes of data, as fast as
/// the client reads.
pub(crate) fn bench(request: &Request<hyper::body::Incoming>) -> Answer {
    let n: u64 = query_number(request, "n")?.unwrap_or(1000);
    let size: usize = query_number(request, "size")?.unwrap_or(64);
    if n > 100_000_000 || size > 1 << 20 {
        return Err(bad_request(
            "n must be at most 100000000 and size at most 1048576",
        ));
    }
    let payload: std::sync::Arc<str> = "x".repeat(size).into();
    let events = stream::iter(0..n).map(move |i| {
        Event::new()
            .event(sse_layer::event_name!("bench"))
            .id(i)
            .data(payload.to_string())
    });
    Ok(sse(events.boxed()))
}
