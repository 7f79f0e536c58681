//! reqwest-eventsource 0.6, used the way its README shows: `EventSource::get(url)`, and
//! `es.close()` on the first error (the README's loop), which includes the end of the
//! stream.

use futures_util::StreamExt;
use reqwest_eventsource::{Event, EventSource};

#[tokio::main]
async fn main() {
    let mut es = EventSource::get(sse_clients::url());
    while let Some(event) = es.next().await {
        match event {
            Ok(Event::Open) => sse_clients::open(),
            Ok(Event::Message(message)) => {
                sse_clients::event(&message.event, &message.data, &message.id)
            }
            Err(err) => {
                sse_clients::error(&err);
                es.close();
            }
        }
    }
    sse_clients::closed();
}
