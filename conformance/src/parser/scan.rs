//! Byte scanning: the BOM, line breaks, a field's colon, UTF-8.

/// The UTF-8 byte order mark, stripped once at the very start of a stream.
pub(super) const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// Lines are scanned byte by byte this far before `memchr2` takes over: its SIMD set-up
/// does not pay off on short lines (`event: tick`, `id: 7`, blank lines).
const SCALAR_SCAN: usize = 16;

/// The first CR or LF in `bytes`.
#[inline]
pub(super) fn find_line_break(bytes: &[u8]) -> Option<usize> {
    let head = &bytes[..bytes.len().min(SCALAR_SCAN)];
    if let Some(at) = head.iter().position(|&b| b == b'\r' || b == b'\n') {
        return Some(at);
    }
    memchr::memchr2(b'\r', b'\n', &bytes[head.len()..]).map(|at| at + head.len())
}

/// The first `byte` in `bytes`: scalar over a short head, `memchr` beyond it.
#[inline]
pub(super) fn find_byte(byte: u8, bytes: &[u8]) -> Option<usize> {
    let head = &bytes[..bytes.len().min(SCALAR_SCAN)];
    if let Some(at) = head.iter().position(|&b| b == byte) {
        return Some(at);
    }
    memchr::memchr(byte, &bytes[head.len()..]).map(|at| at + head.len())
}

/// Below this, SIMD validation costs more to set up than it saves.
const SIMD_UTF8_FROM: usize = 256;

/// `bytes` as text, if valid UTF-8 (SIMD-validated when long).
#[inline]
pub(super) fn valid_utf8(bytes: &[u8]) -> Option<&str> {
    if bytes.len() >= SIMD_UTF8_FROM {
        simdutf8::basic::from_utf8(bytes).ok()
    } else {
        std::str::from_utf8(bytes).ok()
    }
}

/// Appends `bytes` decoded as UTF-8, with U+FFFD for invalid sequences.
pub(super) fn push_lossy(out: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => out.push_str(text),
        Err(_) => out.push_str(&String::from_utf8_lossy(bytes)),
    }
}
