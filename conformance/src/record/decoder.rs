//! Content decoding (gzip, deflate) of a body as it arrives, bounded against bombs.

use bytes::Bytes;
use http::HeaderValue;

/// Decompresses a body chunk by chunk, as a browser does before its SSE parser sees it.
/// Chunks keep their arrival times, so a compressor that buffers shows as a burst.
pub(crate) enum Decoder {
    Identity,
    Gzip(flate2::write::GzDecoder<Vec<u8>>),
    Deflate(flate2::write::ZlibDecoder<Vec<u8>>),
}

impl Decoder {
    /// The decoder for a `Content-Encoding`, or the encoding it cannot decode.
    pub(crate) fn for_encoding(encoding: Option<&HeaderValue>) -> Result<Self, String> {
        let Some(encoding) = encoding else {
            return Ok(Self::Identity);
        };
        let encoding = String::from_utf8_lossy(encoding.as_bytes())
            .trim()
            .to_ascii_lowercase();
        match encoding.as_str() {
            "" | "identity" => Ok(Self::Identity),
            "gzip" | "x-gzip" => Ok(Self::Gzip(flate2::write::GzDecoder::new(Vec::new()))),
            "deflate" => Ok(Self::Deflate(flate2::write::ZlibDecoder::new(Vec::new()))),
            _ => Err(encoding),
        }
    }

    /// Decodes `data`, producing at most `room` bytes: input goes in small steps and
    /// stops once the output fills the room, so a bomb (a few KiB that inflate to GiB)
    /// never allocates more than the room plus one step's output (about 0.5 MiB at
    /// deflate's largest ratio).
    pub(crate) fn decode(&mut self, data: Bytes, room: usize) -> Result<Bytes, String> {
        use std::io::Write;
        /// Input fed per step.
        const STEP: usize = 512;
        fn bounded<W: Write>(
            decoder: &mut W,
            output: impl Fn(&mut W) -> &mut Vec<u8>,
            data: &[u8],
            room: usize,
        ) -> std::io::Result<Vec<u8>> {
            for piece in data.chunks(STEP) {
                decoder.write_all(piece)?;
                decoder.flush()?;
                if output(decoder).len() >= room {
                    break;
                }
            }
            let mut out = std::mem::take(output(decoder));
            out.truncate(room);
            Ok(out)
        }
        let output = match self {
            Self::Identity => return Ok(data.slice(..data.len().min(room))),
            Self::Gzip(decoder) => bounded(decoder, |d| d.get_mut(), &data, room),
            Self::Deflate(decoder) => bounded(decoder, |d| d.get_mut(), &data, room),
        };
        output
            .map(Bytes::from)
            .map_err(|e| format!("cannot decompress the body: {e}"))
    }
}
