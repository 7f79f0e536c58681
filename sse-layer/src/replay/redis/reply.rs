//! Redis's answers, read into the log's types; anything of another shape is a typed error.

use std::sync::Arc;

use bytes::Bytes;
use redis::Value;

use crate::replay::lineage::{Fork, Head};
use crate::replay::{Entry, LogError};

/// `[id, [field, value, ...]]` → the entry.
pub(super) fn parse_entry(value: Value) -> Result<Entry, LogError> {
    let mut pair = as_array(value)?.into_iter();
    let id = as_string(pair.next().ok_or_else(malformed)?)?;
    let seq = id
        .strip_suffix("-0")
        .and_then(|seq| seq.parse().ok())
        .ok_or_else(|| {
            LogError::new(format!(
                "a stream entry id that is not a sequence number: {id:?}"
            ))
        })?;
    let mut fields = as_array(pair.next().ok_or_else(malformed)?)?.into_iter();
    let (mut epoch, mut topic, mut key, mut body) = (None, None, None, None);
    while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
        match as_bytes(name)?.as_ref() {
            b"e" => epoch = Some(as_string(value)?),
            b"t" => topic = Some(as_string(value)?),
            b"k" => key = Some(as_string(value)?),
            b"d" => body = Some(as_bytes(value)?),
            _ => {}
        }
    }
    let (Some(epoch), Some(topic), Some(body)) = (epoch, topic, body) else {
        return Err(LogError::new(format!("stream entry {id} lacks a field")));
    };
    Ok(Entry {
        epoch: Arc::from(epoch),
        seq,
        topic,
        key,
        body,
    })
}

/// `epoch, top, "epoch:through,…"` (the preamble's answer) → the head.
pub(super) fn parse_head(reply: &mut impl Iterator<Item = Value>) -> Result<Head, LogError> {
    let epoch = as_string(reply.next().ok_or_else(malformed)?)?;
    let top = as_u64(reply.next().ok_or_else(malformed)?)?;
    let forks = as_string(reply.next().ok_or_else(malformed)?)?;
    let forks = forks
        .split(',')
        .filter(|fork| !fork.is_empty())
        .map(|fork| {
            let (epoch, through) = fork.rsplit_once(':').ok_or_else(malformed)?;
            Ok(Fork {
                epoch: Arc::from(epoch),
                through: through.parse().map_err(|_| malformed())?,
            })
        })
        .collect::<Result<_, LogError>>()?;
    Ok(Head {
        epoch: Arc::from(epoch),
        top,
        forks,
    })
}

pub(super) fn as_array(value: Value) -> Result<Vec<Value>, LogError> {
    match value {
        Value::Array(values) | Value::Set(values) => Ok(values),
        Value::Map(pairs) => Ok(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect()),
        _ => Err(malformed()),
    }
}

pub(super) fn as_bytes(value: Value) -> Result<Bytes, LogError> {
    match value {
        Value::BulkString(bytes) => Ok(Bytes::from(bytes)),
        Value::SimpleString(text) => Ok(Bytes::from(text)),
        Value::Okay => Ok(Bytes::from_static(b"OK")),
        _ => Err(malformed()),
    }
}

pub(super) fn as_string(value: Value) -> Result<String, LogError> {
    String::from_utf8(as_bytes(value)?.to_vec()).map_err(|_| malformed())
}

pub(super) fn as_u64(value: Value) -> Result<u64, LogError> {
    match value {
        Value::Int(n) => u64::try_from(n).map_err(|_| malformed()),
        value => as_string(value)?.parse().map_err(|_| malformed()),
    }
}

pub(super) fn malformed() -> LogError {
    LogError::new("Redis answered in an unexpected shape")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    #[test]
    fn heads() {
        let mut reply = vec![bulk("c"), Value::Int(40), bulk("a:0,b:36")].into_iter();
        let head = parse_head(&mut reply).unwrap();
        assert_eq!((&*head.epoch, head.top, head.forks.len()), ("c", 40, 2));
        assert_eq!((&*head.forks[1].epoch, head.forks[1].through), ("b", 36));
        let mut none = vec![bulk("c"), Value::Int(0), bulk("")].into_iter();
        assert!(parse_head(&mut none).unwrap().forks.is_empty());
        let mut bad = vec![bulk("c"), Value::Int(1), bulk("a")].into_iter();
        assert!(parse_head(&mut bad).is_err());
        assert!(parse_head(&mut std::iter::empty()).is_err());
    }

    #[test]
    fn entries() {
        let entry = Value::Array(vec![
            bulk("7-0"),
            Value::Array(vec![
                bulk("e"),
                bulk("ep"),
                bulk("t"),
                bulk("news"),
                bulk("d"),
                bulk("data: x\n\n"),
            ]),
        ]);
        let entry = parse_entry(entry).unwrap();
        assert_eq!(
            (&*entry.epoch, entry.seq, entry.topic.as_str()),
            ("ep", 7, "news")
        );
        let lacking = Value::Array(vec![bulk("7-0"), Value::Array(vec![bulk("e"), bulk("ep")])]);
        assert!(parse_entry(lacking).is_err());
        let odd_id = Value::Array(vec![bulk("7-1"), Value::Array(vec![])]);
        assert!(parse_entry(odd_id).is_err());
    }
}
