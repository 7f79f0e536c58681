//! Reaching the Redis primary: a fixed address (`redis://`), or whichever server the
//! Sentinels name now (`redis+sentinel://`); and one connection per job, made on first use
//! and made again (asking the Sentinels again) after any failure.

use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
use redis::{AsyncConnectionConfig, Client, IntoConnectionInfo};
use tokio::sync::Mutex;

use crate::replay::LogError;

/// Where the primary is.
pub(super) enum Target {
    Direct(Client),
    /// `SentinelClient` asks the Sentinels for the primary's address and checks that the
    /// server there says it is the primary, at every connection.
    Sentinel(Mutex<SentinelClient>),
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Direct(_) => "Direct",
            Self::Sentinel(_) => "Sentinel",
        })
    }
}

impl Target {
    /// `redis://[user:password@]host:port[/db]`, or
    /// `redis+sentinel://host:port[,host:port…]/service[/db]` (credentials before the first
    /// host are the primary's).
    pub(super) fn parse(url: &str) -> Result<Self, LogError> {
        let invalid = |why: String| LogError::new(format!("invalid Redis URL {url:?}: {why}"));
        let Some(rest) = url.strip_prefix("redis+sentinel://") else {
            return Client::open(url)
                .map(Self::Direct)
                .map_err(|error| invalid(error.to_string()));
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (credentials, hosts) = match authority.rsplit_once('@') {
            Some((credentials, hosts)) => (Some(credentials), hosts),
            None => (None, authority),
        };
        let mut path = path.trim_end_matches('/').splitn(2, '/');
        let service = path.next().unwrap_or_default();
        let db = path.next().unwrap_or("0");
        if service.is_empty() {
            return Err(invalid(
                "a Sentinel URL names the service after the hosts: redis+sentinel://HOST:PORT/SERVICE".into(),
            ));
        }
        let sentinels: Vec<String> = hosts
            .split(',')
            .filter(|host| !host.is_empty())
            .map(|host| format!("redis://{host}/"))
            .collect();
        if sentinels.is_empty() {
            return Err(invalid("no Sentinel host".into()));
        }
        // The primary's own settings (password, database), read the way redis-rs reads a
        // plain URL.
        let node = match credentials {
            Some(credentials) => format!("redis://{credentials}@localhost/{db}"),
            None => format!("redis://localhost/{db}"),
        }
        .into_connection_info()
        .map_err(|error| invalid(error.to_string()))?;
        let node = SentinelNodeConnectionInfo::default()
            .set_redis_connection_info(node.redis_settings().clone());
        SentinelClient::build(
            sentinels,
            service.to_owned(),
            Some(node),
            SentinelServerType::Master,
        )
        .map(|client| Self::Sentinel(Mutex::new(client)))
        .map_err(|error| invalid(error.to_string()))
    }

    async fn client(&self) -> Result<Client, LogError> {
        match self {
            Self::Direct(client) => Ok(client.clone()),
            Self::Sentinel(sentinel) => sentinel
                .lock()
                .await
                .async_get_client()
                .await
                .map_err(|error| LogError::new(format!("Redis Sentinel: {error}"))),
        }
    }
}

/// After a failed connect, callers fail at once for this long instead of each trying
/// again: a thousand resumes waiting for Redis make one attempt, not a thousand.
const CONNECT_BACKOFF: Duration = Duration::from_millis(100);

/// One connection for one job (appending, reading, following), so that a slow command of
/// one job never waits behind another's.
pub(super) struct Link {
    config: AsyncConnectionConfig,
    slot: Mutex<Slot>,
}

#[derive(Default)]
struct Slot {
    connection: Option<MultiplexedConnection>,
    /// When the last attempt to connect failed, and why.
    failed: Option<(Instant, LogError)>,
}

impl Link {
    /// A link whose commands fail after `response_timeout` (the engine counts as away).
    pub(super) fn new(connect_timeout: Duration, response_timeout: Duration) -> Self {
        Self {
            config: AsyncConnectionConfig::new()
                .set_connection_timeout(Some(connect_timeout))
                .set_response_timeout(Some(response_timeout)),
            slot: Mutex::new(Slot::default()),
        }
    }

    /// The connection, made now if there is none (unless an attempt failed a moment ago:
    /// then its error, at once).
    pub(super) async fn get(&self, target: &Target) -> Result<MultiplexedConnection, LogError> {
        let mut slot = self.slot.lock().await;
        if let Some(connection) = &slot.connection {
            return Ok(connection.clone());
        }
        if let Some((at, error)) = &slot.failed {
            if at.elapsed() < CONNECT_BACKOFF {
                return Err(error.clone());
            }
        }
        let connected = match target.client().await {
            Ok(client) => client
                .get_multiplexed_async_connection_with_config(&self.config)
                .await
                .map_err(redis_error),
            Err(error) => Err(error),
        };
        match connected {
            Ok(connection) => {
                *slot = Slot {
                    connection: Some(connection.clone()),
                    failed: None,
                };
                Ok(connection)
            }
            Err(error) => {
                slot.failed = Some((Instant::now(), error.clone()));
                Err(error)
            }
        }
    }

    /// Forgets the connection after a failure: the next command connects again (to the
    /// primary the Sentinels name then). A command still in flight on the old one is
    /// abandoned with it.
    pub(super) async fn reset(&self) {
        self.slot.lock().await.connection = None;
    }

    /// As [`reset`](Self::reset), from a destructor: skipped if a connect is under way
    /// (it makes a fresh connection anyway).
    pub(super) fn forget_now(&self) {
        if let Ok(mut slot) = self.slot.try_lock() {
            slot.connection = None;
        }
    }
}

pub(super) fn redis_error(error: redis::RedisError) -> LogError {
    LogError::new(format!("Redis: {error}"))
}

#[cfg(test)]
mod tests {
    use super::Target;

    #[test]
    fn urls() {
        assert!(matches!(
            Target::parse("redis://127.0.0.1:6379/"),
            Ok(Target::Direct(_))
        ));
        assert!(matches!(
            Target::parse("redis+sentinel://127.0.0.1:26379,127.0.0.1:26380/mymaster"),
            Ok(Target::Sentinel(_))
        ));
        assert!(matches!(
            Target::parse("redis+sentinel://:secret@127.0.0.1:26379/mymaster/2"),
            Ok(Target::Sentinel(_))
        ));
        for bad in [
            "http://x",
            "redis+sentinel://127.0.0.1:26379",
            "redis+sentinel://127.0.0.1:26379/",
            "redis+sentinel:///mymaster",
        ] {
            let error = Target::parse(bad).unwrap_err().to_string();
            assert!(error.contains("invalid Redis URL"), "{bad}: {error}");
        }
    }
}
