//! Byte facts about a body, found chunk by chunk without joining it: where it stops being
//! UTF-8, and whether it starts with a BOM.

/// Finds where a body stops being UTF-8, chunk by chunk, as `str::from_utf8` over the
/// whole body would (an unfinished sequence at the end counts), without joining it.
#[derive(Default)]
pub(super) struct Utf8Scan {
    /// Bytes before the current chunk.
    offset: usize,
    /// The start of a sequence the previous chunk left unfinished (at most 3 bytes).
    pending: Vec<u8>,
    invalid_at: Option<usize>,
}

impl Utf8Scan {
    pub(super) fn feed(&mut self, bytes: &[u8]) {
        if self.invalid_at.is_none() {
            let start = self.offset - self.pending.len();
            let joined;
            let data = if self.pending.is_empty() {
                bytes
            } else {
                let mut with_pending = std::mem::take(&mut self.pending);
                with_pending.extend_from_slice(bytes);
                joined = with_pending;
                &joined[..]
            };
            if let Err(error) = std::str::from_utf8(data) {
                match error.error_len() {
                    Some(_) => self.invalid_at = Some(start + error.valid_up_to()),
                    None => self.pending = data[error.valid_up_to()..].to_vec(),
                }
            }
        }
        self.offset += bytes.len();
    }

    pub(super) fn finish(self) -> Option<usize> {
        self.invalid_at
            .or((!self.pending.is_empty()).then(|| self.offset - self.pending.len()))
    }
}

/// Whether a body starts with the UTF-8 byte order mark, however it is chunked.
#[derive(Default)]
pub(super) struct Bom {
    start: Vec<u8>,
}

impl Bom {
    pub(super) fn feed(&mut self, bytes: &[u8]) {
        let missing = 3usize.saturating_sub(self.start.len());
        self.start
            .extend_from_slice(&bytes[..missing.min(bytes.len())]);
    }

    pub(super) fn found(&self) -> bool {
        self.start == b"\xEF\xBB\xBF"
    }
}
