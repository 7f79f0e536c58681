//! Hex for the bytes of chunks that are not UTF-8.

use super::error::HexError;

/// Lower-case hex, two digits a byte.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Parses hex written by [`to_hex`] (white space allowed between bytes).
///
/// # Errors
/// Odd length or a non-hex digit.
pub fn from_hex(hex: &str) -> Result<Vec<u8>, HexError> {
    let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(HexError::OddLength);
    }
    digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| HexError::NotHex(String::from_utf8_lossy(pair).into_owned()))
        })
        .collect()
}
