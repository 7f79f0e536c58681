//! The errors of reading and writing fixtures: [`FixtureError`] for files,
//! [`HexError`] for the hex that chunks may be written in.

use std::fmt;
use std::path::PathBuf;

/// A fixture file (or folder of them) that could not be read, parsed or written.
///
/// ```
/// use sse_conformance::Transcript;
/// use sse_conformance::transcript::FixtureError;
///
/// let missing = Transcript::load(std::path::Path::new("/no/such/fixture.json"));
/// assert!(matches!(missing, Err(FixtureError::Read { .. })));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum FixtureError {
    /// The file or folder could not be read.
    Read {
        /// What was read.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The file is not a fixture (the JSON is invalid, or not a transcript's).
    Invalid {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        source: serde_json::Error,
    },
    /// The file could not be written.
    Write {
        /// The file.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A folder with no `*.json` fixture in it.
    NoFixtures {
        /// The folder.
        path: PathBuf,
    },
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Self::Invalid { path, source } => {
                write!(f, "{} is not a fixture: {source}", path.display())
            }
            Self::Write { path, source } => {
                write!(f, "cannot write {}: {source}", path.display())
            }
            Self::NoFixtures { path } => write!(f, "no *.json fixtures in {}", path.display()),
        }
    }
}

impl std::error::Error for FixtureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } | Self::Write { source, .. } => Some(source),
            Self::Invalid { source, .. } => Some(source),
            Self::NoFixtures { .. } => None,
        }
    }
}

/// Hex that is not bytes.
///
/// ```
/// use sse_conformance::transcript::{from_hex, HexError};
///
/// assert_eq!(from_hex("0a0"), Err(HexError::OddLength));
/// assert!(matches!(from_hex("zz"), Err(HexError::NotHex(_))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HexError {
    /// An odd number of digits.
    OddLength,
    /// A pair of characters that is not a hex byte.
    NotHex(String),
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OddLength => f.write_str("hex has an odd number of digits"),
            Self::NotHex(pair) => write!(f, "{pair:?} is not a hex byte"),
        }
    }
}

impl std::error::Error for HexError {}
