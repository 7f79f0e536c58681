//! The benches' shared engines: a hub on the engine a URL names.

use sse_layer::hub::Hub;
use sse_layer::replay::{LogError, NatsLog, RedisLog};

/// A hub on the Redis (`redis://…`) or the NATS JetStream (`nats://…`) at `url`, its log
/// named `name`; with `replicas`, each Redis append waits for that many replicas.
pub fn hub(url: &str, name: &str, replicas: usize) -> Result<Hub, LogError> {
    let builder = Hub::builder();
    let builder = if url.starts_with("nats://") {
        builder.engine(NatsLog::builder(url).name(name).build()?)
    } else {
        builder.engine(
            RedisLog::builder(url)
                .name(name)
                .wait_for_replicas(replicas, std::time::Duration::from_secs(1))
                .build()?,
        )
    };
    Ok(builder.build())
}
