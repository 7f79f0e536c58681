//! Event ids as the hub writes them: `<epoch>-<seq>`, and the epochs in them.
//!
//! The epoch names one history. A log that may lose what it holds (a process restart, an
//! engine flushed or restored from an older copy) starts a new epoch instead of counting
//! again from a number it already used, so an id from before the loss can never name an
//! event it was not.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// An id split into its epoch and sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LogId<'a> {
    pub(crate) epoch: &'a str,
    pub(crate) seq: u64,
}

impl<'a> LogId<'a> {
    /// Parses `<epoch>-<seq>`: the epoch is 1 to 64 ASCII letters and digits, the sequence
    /// number decimal without sign or leading zero (`0` itself is the position before the
    /// first event).
    pub(crate) fn parse(id: &'a str) -> Option<Self> {
        let (epoch, seq) = id.rsplit_once('-')?;
        if epoch.is_empty() || !is_valid_epoch(epoch) {
            return None;
        }
        let seq = if seq == "0" { 0 } else { parse_seq(seq)? };
        Some(Self { epoch, seq })
    }
}

/// The id of event `seq` of `epoch` on the wire: `<epoch>-<seq>`.
pub(crate) fn log_id(epoch: &str, seq: u64) -> String {
    format!("{epoch}-{seq}")
}

/// Parses a decimal sequence number the way the hub writes them: digits only, no sign, no
/// leading zero (so that one event has exactly one id).
pub(crate) fn parse_seq(id: &str) -> Option<u64> {
    let bytes = id.as_bytes();
    if bytes.is_empty()
        || bytes.len() > 20
        || (bytes[0] == b'0')
        || !bytes.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    id.parse().ok()
}

/// Whether an epoch can go into an id: 1 to 64 ASCII letters and digits (or empty: the
/// engine holds nothing). Anything else (a corrupted or hostile store) is refused before
/// it can reach the wire.
pub(crate) fn is_valid_epoch(epoch: &str) -> bool {
    epoch.len() <= 64 && epoch.bytes().all(|byte| byte.is_ascii_alphanumeric())
}

/// A fresh epoch: 12 base-36 characters from the process's random hasher keys, the clock
/// and a counter, so that two processes (or two calls) racing to make one pick different
/// values.
pub(crate) fn new_epoch() -> String {
    let mut value = random_u64();
    let mut epoch = String::with_capacity(12);
    for _ in 0..12 {
        epoch.push(char::from_digit((value % 36) as u32, 36).expect("a base-36 digit"));
        value /= 36;
    }
    epoch
}

/// 64 unpredictable-enough bits (not for cryptography): the standard library's randomly
/// keyed hasher over the clock and a process-wide counter.
pub(crate) fn random_u64() -> u64 {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos()),
    );
    hasher.write_u64(CALLS.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(
            LogId::parse("k3x9-42"),
            Some(LogId {
                epoch: "k3x9",
                seq: 42
            })
        );
        assert_eq!(LogId::parse("k3x9-0").map(|id| id.seq), Some(0));
        for bad in [
            "42", "-42", "k3x9-", "k3x9-00", "k3x9-042", "k-3-x", "é-1", "k 3-1", "k3x9-+1",
        ] {
            assert_eq!(LogId::parse(bad), None, "{bad:?}");
        }
        assert_eq!(log_id("ab", 7), "ab-7");
    }

    #[test]
    fn sequence_numbers() {
        assert_eq!(parse_seq("1"), Some(1));
        assert_eq!(parse_seq("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            "0",
            "01",
            "+1",
            "-1",
            " 1",
            "1 ",
            "1e3",
            "18446744073709551616",
            "abc",
        ] {
            assert_eq!(parse_seq(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn epochs() {
        assert!(is_valid_epoch("k3x9a0"));
        assert!(is_valid_epoch(""));
        for bad in ["a\nb", "a-b", "a b", &"x".repeat(65), "é"] {
            assert!(!is_valid_epoch(bad), "{bad:?}");
        }
        let (a, b) = (new_epoch(), new_epoch());
        assert_eq!(a.len(), 12);
        assert!(is_valid_epoch(&a));
        assert_ne!(a, b, "two calls in a row differ");
    }
}
