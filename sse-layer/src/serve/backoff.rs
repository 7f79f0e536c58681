//! How the accept loop waits after an error: at once for a connection that failed on its
//! own, with a growing pause when the process or the system is out of a resource (file
//! descriptors, socket buffers, memory), where retrying at once only spins the CPU.

use std::io;
use std::time::Duration;

/// The pause after an accept error; doubles while the errors last, resets on success.
#[derive(Debug, Clone)]
pub(crate) struct AcceptBackoff {
    first: Duration,
    most: Duration,
    next: Duration,
}

impl AcceptBackoff {
    pub(crate) fn new(first: Duration, most: Duration) -> Self {
        Self {
            first,
            most,
            next: first,
        }
    }

    /// How long to wait before the next accept, or `None` to go on at once.
    pub(crate) fn after(&mut self, error: &io::Error) -> Option<Duration> {
        if !is_exhaustion(error) {
            return None;
        }
        let pause = self.next;
        self.next = (self.next * 2).min(self.most);
        Some(pause)
    }

    /// An accept succeeded: the next error starts from the first pause again.
    pub(crate) fn reset(&mut self) {
        self.next = self.first;
    }
}

/// Out of file descriptors (EMFILE, ENFILE), buffers (ENOBUFS) or memory (ENOMEM): the
/// condition lasts until something else frees a resource.
fn is_exhaustion(error: &io::Error) -> bool {
    const ENOMEM: i32 = 12;
    const ENFILE: i32 = 23;
    const EMFILE: i32 = 24;
    const ENOBUFS: i32 = 105;
    matches!(
        error.raw_os_error(),
        Some(ENOMEM | ENFILE | EMFILE | ENOBUFS)
    ) || error.kind() == io::ErrorKind::OutOfMemory
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhaustion_waits_longer_and_longer_then_resets() {
        let mut backoff = AcceptBackoff::new(Duration::from_millis(10), Duration::from_millis(80));
        let emfile = io::Error::from_raw_os_error(24);
        let pauses: Vec<_> = (0..6).filter_map(|_| backoff.after(&emfile)).collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(pauses, [ms(10), ms(20), ms(40), ms(80), ms(80), ms(80)]);
        backoff.reset();
        assert_eq!(
            backoff.after(&io::Error::from_raw_os_error(23)),
            Some(ms(10))
        );
    }

    #[test]
    fn a_connection_that_failed_on_its_own_is_no_reason_to_wait() {
        let mut backoff = AcceptBackoff::new(Duration::from_millis(10), Duration::from_secs(1));
        for error in [
            io::Error::from(io::ErrorKind::ConnectionAborted),
            io::Error::from(io::ErrorKind::ConnectionReset),
            io::Error::from_raw_os_error(71), // EPROTO
        ] {
            assert_eq!(backoff.after(&error), None, "{error}");
        }
    }
}
