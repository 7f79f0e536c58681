//! [`Shutdown`]: one signal that ends every open stream with a final event.

use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

/// A graceful-shutdown signal for every stream of the layers it is given to.
///
/// When [`trigger`](Self::trigger)ed, each open stream finishes the event it is writing,
/// sends the layer's shutdown event (with a `retry:` hint, so clients come back after the
/// restart, not all at once) and ends. Streams that cannot reach an event boundary within
/// the grace period end anyway. That is what lets hyper's and axum's graceful shutdown
/// complete: without it, they wait for streams that never end.
///
/// ```
/// use std::time::Duration;
/// use sse_layer::{lifecycle::Shutdown, SseLayer};
///
/// let shutdown = Shutdown::new();
/// let layer = SseLayer::new().shutdown(shutdown.clone(), Duration::from_secs(5));
/// // ... serve; on SIGTERM:
/// shutdown.trigger();
/// assert!(shutdown.is_triggered());
/// # let _ = layer;
/// ```
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    token: CancellationToken,
}

impl Shutdown {
    /// A signal not yet triggered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts the shutdown of every stream. Idempotent.
    pub fn trigger(&self) {
        self.token.cancel();
    }

    /// True once triggered.
    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Completes when triggered (for the server's own graceful shutdown).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let shutdown = sse_layer::lifecycle::Shutdown::new();
    /// shutdown.trigger();
    /// shutdown.triggered().await;
    /// # });
    /// ```
    pub async fn triggered(&self) {
        self.token.cancelled().await;
    }

    pub(crate) fn wait(&self) -> WaitForCancellationFutureOwned {
        self.token.clone().cancelled_owned()
    }
}
