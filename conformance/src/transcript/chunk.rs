//! A body [`Chunk`] and its form in fixtures: text when the bytes are UTF-8, hex when not.

use serde::{Deserialize, Serialize};

use super::hex::{from_hex, to_hex};

/// A body chunk: its bytes and its arrival time (ms since the request was sent).
///
/// Serialised as `{"at_ms": 1.5, "text": "data: x\n\n"}`, or with `"hex"` instead of
/// `"text"` when the bytes are not valid UTF-8.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// Arrival time in ms since the request was sent.
    pub at_ms: f64,
    /// The bytes.
    pub bytes: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct ChunkRepr {
    at_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hex: Option<String>,
}

impl Serialize for Chunk {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let repr = match std::str::from_utf8(&self.bytes) {
            Ok(text) => ChunkRepr {
                at_ms: self.at_ms,
                text: Some(text.to_owned()),
                hex: None,
            },
            Err(_) => ChunkRepr {
                at_ms: self.at_ms,
                text: None,
                hex: Some(to_hex(&self.bytes)),
            },
        };
        repr.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Chunk {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let repr = ChunkRepr::deserialize(deserializer)?;
        let bytes = match (repr.text, repr.hex) {
            (Some(text), None) => text.into_bytes(),
            (None, Some(hex)) => from_hex(&hex).map_err(serde::de::Error::custom)?,
            _ => {
                return Err(serde::de::Error::custom(
                    "a chunk has exactly one of \"text\" and \"hex\"",
                ))
            }
        };
        Ok(Chunk {
            at_ms: repr.at_ms,
            bytes,
        })
    }
}
