//! LaunchDarkly's eventsource-client 0.18, used the way its README shows:
//! `ClientBuilder::for_url(url)?.build_with_transport(HyperTransport…)` and
//! `client.stream()` with its default reconnect options.

use eventsource_client::{Client, ClientBuilder, SSE};
use futures_util::TryStreamExt;
use launchdarkly_sdk_transport::HyperTransport;

#[tokio::main]
async fn main() {
    let transport = HyperTransport::builder().build_http();
    let built = transport
        .map_err(|error| format!("{error:?}"))
        .and_then(|transport| {
            ClientBuilder::for_url(&sse_clients::url())
                .map(|builder| builder.build_with_transport(transport))
                .map_err(|error| format!("{error:?}"))
        });
    let client = match built {
        Ok(client) => client,
        Err(error) => {
            sse_clients::error(error);
            sse_clients::closed();
            return;
        }
    };
    let mut stream = client.stream();
    loop {
        match stream.try_next().await {
            Ok(Some(SSE::Connected(_))) => sse_clients::open(),
            Ok(Some(SSE::Event(event))) => sse_clients::event(
                &event.event_type,
                &event.data,
                event.id.as_deref().unwrap_or(""),
            ),
            Ok(Some(SSE::Comment(_))) => {}
            Ok(None) => break,
            // The stream reports an error and goes on (it reconnects) until it gives up.
            Err(error) => sse_clients::error(format!("{error:?}")),
        }
    }
    sse_clients::closed();
}
