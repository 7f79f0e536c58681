//! Reaching the stream: one client per log (it reconnects by itself), made on first use;
//! the stream created (or its limits brought up to date) on first use, and again after
//! any failure, so that a server that came back without its data gets the stream back.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use async_nats::Client;
use tokio::sync::Mutex;

use crate::replay::LogError;

/// How long a request may take before it counts as a failure (the server is away).
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// What one use of the log works with: cheap clones of the shared client.
#[derive(Clone)]
pub(super) struct Connected {
    pub(super) client: Client,
    pub(super) context: jetstream::Context,
    pub(super) stream: stream::Stream<()>,
}

pub(super) struct Link {
    url: String,
    config: stream::Config,
    /// The client and its JetStream context, made once: the context's limit on
    /// acknowledgements in flight is then one for the whole log.
    client: Mutex<Option<(Client, jetstream::Context)>>,
    stream: Mutex<Option<stream::Stream<()>>>,
}

impl Link {
    pub(super) fn new(url: String, config: stream::Config) -> Self {
        Self {
            url,
            config,
            client: Mutex::new(None),
            stream: Mutex::new(None),
        }
    }

    pub(super) async fn get(&self) -> Result<Connected, LogError> {
        let (client, context) = self.client().await?;
        let mut stream = self.stream.lock().await;
        if let Some(stream) = &*stream {
            return Ok(Connected {
                client,
                context,
                stream: stream.clone(),
            });
        }
        context
            .create_or_update_stream(self.config.clone())
            .await
            .map_err(|error| nats_error("cannot create or update the stream", error))?;
        let handle = context
            .get_stream_no_info(&self.config.name)
            .await
            .map_err(|error| nats_error("cannot open the stream", error))?;
        *stream = Some(handle.clone());
        Ok(Connected {
            client,
            context,
            stream: handle,
        })
    }

    async fn client(&self) -> Result<(Client, jetstream::Context), LogError> {
        let mut client = self.client.lock().await;
        if let Some(made) = &*client {
            return Ok(made.clone());
        }
        let connected = async_nats::ConnectOptions::new()
            .connection_timeout(CONNECT_TIMEOUT)
            .request_timeout(Some(RESPONSE_TIMEOUT))
            .connect(self.url.as_str())
            .await
            .map_err(|error| nats_error("cannot connect", error))?;
        let context = jetstream::ContextBuilder::new()
            .timeout(RESPONSE_TIMEOUT)
            .build(connected.clone());
        *client = Some((connected.clone(), context.clone()));
        Ok((connected, context))
    }

    /// After a failure: open (and if need be create) the stream again at the next use.
    pub(super) async fn reset(&self) {
        *self.stream.lock().await = None;
    }
}

pub(super) fn nats_error(doing: &str, error: impl std::fmt::Display) -> LogError {
    LogError::new(format!("NATS: {doing}: {error}"))
}
