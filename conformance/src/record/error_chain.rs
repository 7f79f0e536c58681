//! Transport errors as one line, causes included: what a transcript's `End::Error` says.

use std::error::Error;

/// An error and its sources, one line.
pub(crate) fn error_chain(error: &dyn Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
