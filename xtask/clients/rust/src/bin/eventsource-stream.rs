//! eventsource-stream 0.2, used the way its README shows: reqwest's `bytes_stream()`
//! through `.eventsource()`. A parser over one response: it does not reconnect.

use eventsource_stream::Eventsource;
use futures_util::StreamExt;

#[tokio::main]
async fn main() {
    let response = match reqwest::Client::new().get(sse_clients::url()).send().await {
        Ok(response) => response,
        Err(error) => {
            sse_clients::error(error);
            sse_clients::closed();
            return;
        }
    };
    sse_clients::open();
    let mut stream = response.bytes_stream().eventsource();
    while let Some(thing) = stream.next().await {
        match thing {
            Ok(event) => sse_clients::event(&event.event, &event.data, &event.id),
            Err(error) => sse_clients::error(error),
        }
    }
    sse_clients::error("the stream ended");
    sse_clients::closed();
}
