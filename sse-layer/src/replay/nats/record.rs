//! How the log's messages look in the stream, and how they are read back.
//!
//! Every message says where the log stood when it was written, in its headers:
//! `Sse-Epoch` (the epoch), `Sse-Seq` (an event's number, or a fence's top),
//! `Sse-Forks` (the earlier epochs and the last number each kept: `a:0 b:36`) and
//! `Sse-Server` (the server that held the stream). So the newest message alone says
//! where the log stands, whatever the stream's limits have trimmed before it.
//!
//! An event's payload holds its topic, its key, its once-key and its body, each
//! length-prefixed: topics and keys are any text, which headers could not carry.

use std::sync::Arc;

use async_nats::HeaderMap;
use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::replay::engine::{Append, Entry};
use crate::replay::id::is_valid_epoch;
use crate::replay::LogError;
use crate::replay::{Fork, Head};

const EPOCH: &str = "Sse-Epoch";
const SEQ: &str = "Sse-Seq";
const FORKS: &str = "Sse-Forks";
const SERVER: &str = "Sse-Server";

/// Where the log stood when a message was written: every message carries one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Stamp {
    pub(super) head: Head,
    /// The server (or, in a cluster, the stream's leader) that held the stream.
    pub(super) server: String,
}

impl Stamp {
    pub(super) fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(EPOCH, &*self.head.epoch);
        headers.insert(SEQ, self.head.top.to_string().as_str());
        if !self.head.forks.is_empty() {
            let forks: Vec<String> = self
                .head
                .forks
                .iter()
                .map(|fork| format!("{}:{}", fork.epoch, fork.through))
                .collect();
            headers.insert(FORKS, forks.join(" ").as_str());
        }
        headers.insert(SERVER, self.server.as_str());
        headers
    }

    /// The stamp a message's headers state.
    pub(super) fn read(headers: &HeaderMap) -> Result<Self, LogError> {
        let text = |name: &str| headers.get(name).map(|value| value.as_str().to_owned());
        let epoch = text(EPOCH).filter(|epoch| is_valid_epoch(epoch));
        let top = text(SEQ).and_then(|seq| seq.parse::<u64>().ok());
        let (Some(epoch), Some(top)) = (epoch, top) else {
            return Err(malformed());
        };
        let forks = text(FORKS)
            .unwrap_or_default()
            .split_ascii_whitespace()
            .map(|fork| {
                let (epoch, through) = fork.split_once(':')?;
                Some(Fork {
                    epoch: Arc::from(epoch),
                    through: through.parse().ok()?,
                })
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(malformed)?;
        let head = Head {
            epoch: Arc::from(epoch),
            top,
            forks,
        };
        if !head.is_valid() {
            return Err(malformed());
        }
        Ok(Self {
            head,
            server: text(SERVER).unwrap_or_default(),
        })
    }
}

/// An event's payload: its topic, key and once-key, then its body.
pub(super) fn payload(event: &Append) -> Bytes {
    let mut buf = BytesMut::with_capacity(event.topic.len() + event.body.len() + 32);
    put_text(&mut buf, Some(&event.topic));
    put_text(&mut buf, event.key.as_deref());
    put_text(&mut buf, event.once.as_deref());
    buf.put_slice(&event.body);
    buf.freeze()
}

/// An event read back: the entry, and its once-key.
pub(super) fn entry(
    headers: &HeaderMap,
    payload: &Bytes,
) -> Result<(Entry, Option<String>), LogError> {
    let stamp = Stamp::read(headers)?;
    let mut rest = payload.clone();
    let topic = take_text(&mut rest)?.ok_or_else(malformed)?;
    let key = take_text(&mut rest)?;
    let once = take_text(&mut rest)?;
    Ok((
        Entry {
            epoch: stamp.head.epoch,
            seq: stamp.head.top,
            topic,
            key,
            body: rest,
        },
        once,
    ))
}

/// `0` for none, or `1`, a 4-byte length and the text.
fn put_text(buf: &mut BytesMut, text: Option<&str>) {
    match text {
        None => buf.put_u8(0),
        Some(text) => {
            buf.put_u8(1);
            buf.put_u32(u32::try_from(text.len()).unwrap_or(u32::MAX));
            buf.put_slice(text.as_bytes());
        }
    }
}

fn take_text(buf: &mut Bytes) -> Result<Option<String>, LogError> {
    if !buf.has_remaining() {
        return Err(malformed());
    }
    match buf.get_u8() {
        0 => Ok(None),
        1 if buf.remaining() >= 4 => {
            let len = buf.get_u32() as usize;
            if buf.remaining() < len {
                return Err(malformed());
            }
            let text = buf.split_to(len);
            String::from_utf8(text.to_vec())
                .map(Some)
                .map_err(|_| malformed())
        }
        _ => Err(malformed()),
    }
}

fn malformed() -> LogError {
    LogError::new("a message in the NATS stream is not one this log wrote")
}

/// The subject token of a once-key: 128 bits of two FNV-1a hashes, so that any key (of
/// any length or characters) makes a valid subject. A collision of two keys is told apart
/// by the key the message itself holds.
pub(super) fn once_token(once: &str) -> String {
    let fnv = |basis: u64| {
        once.bytes().fold(basis, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x6c62_272e_07bb_0142)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_reads_back_as_written() {
        let stamp = Stamp {
            head: Head {
                epoch: Arc::from("k3x9"),
                top: 41,
                forks: vec![Fork {
                    epoch: Arc::from("a1"),
                    through: 7,
                }],
            },
            server: "NABC".into(),
        };
        let event = Append {
            topic: "news\nwith: anything".into(),
            key: None,
            body: Bytes::from_static(b"data: x\n\n"),
            once: Some("order 42".into()),
        };
        let headers = stamp.headers();
        assert_eq!(Stamp::read(&headers).unwrap(), stamp);
        let (entry, once) = entry(&headers, &payload(&event)).unwrap();
        assert_eq!(
            (
                entry.seq,
                &*entry.epoch,
                entry.topic.as_str(),
                entry.key,
                &entry.body[..]
            ),
            (
                41,
                "k3x9",
                "news\nwith: anything",
                None,
                &b"data: x\n\n"[..]
            )
        );
        assert_eq!(once.as_deref(), Some("order 42"));
    }

    #[test]
    fn foreign_messages_are_refused_not_misread() {
        let mut headers = HeaderMap::new();
        headers.insert(EPOCH, "not an epoch!");
        headers.insert(SEQ, "3");
        assert!(Stamp::read(&headers).is_err());
        let good = Stamp {
            head: Head {
                epoch: Arc::from("e1"),
                top: 1,
                forks: Vec::new(),
            },
            server: String::new(),
        };
        for payload in [&b""[..], b"\x01\x00\x00\x00\x09ab", b"\x02"] {
            assert!(entry(&good.headers(), &Bytes::copy_from_slice(payload)).is_err());
        }
    }

    #[test]
    fn once_tokens_are_subject_safe_and_distinct() {
        let (a, b) = (once_token("order.42 >*"), once_token("order.43 >*"));
        assert_ne!(a, b);
        assert!(a.bytes().all(|byte| byte.is_ascii_hexdigit()) && a.len() == 32);
    }
}
