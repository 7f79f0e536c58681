//! Knowing whether the bytes sent so far end at an event boundary, so that a heartbeat or
//! an error event is only ever written between events.

/// Tracks the line breaks at the end of everything written so far.
///
/// Only the trailing run of CR/LF bytes of each frame is looked at, so the cost does not
/// grow with frame size. A lone CR counts as a line break; an LF right after it is the
/// same break (CRLF), which is why a boundary that ends in a bare CR still counts: the
/// blank line it made was already dispatched, and an LF after a heartbeat is a harmless
/// blank line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BoundaryTracker {
    /// Line breaks since the last non-break byte, saturated at 2.
    breaks: u8,
    last_was_cr: bool,
}

impl Default for BoundaryTracker {
    fn default() -> Self {
        // The start of a stream is a boundary.
        Self {
            breaks: 2,
            last_was_cr: false,
        }
    }
}

impl BoundaryTracker {
    /// True when the last line written was blank: no event is half-written.
    pub(crate) fn at_boundary(&self) -> bool {
        self.breaks >= 2
    }

    /// True when the last line was ended by LF (or nothing was written): a comment line
    /// may go here, even inside an event, since clients ignore comment lines. After a bare
    /// CR it may not: an LF arriving next would end a blank line early.
    pub(crate) fn at_line_start(&self) -> bool {
        self.breaks >= 1 && !self.last_was_cr
    }

    /// Accounts for bytes just written.
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        let run_start = bytes
            .iter()
            .rposition(|&b| b != b'\r' && b != b'\n')
            .map_or(0, |last_text| {
                self.breaks = 0;
                self.last_was_cr = false;
                last_text + 1
            });
        for &byte in &bytes[run_start..] {
            if byte == b'\n' && self.last_was_cr {
                self.last_was_cr = false;
                continue;
            }
            self.last_was_cr = byte == b'\r';
            self.breaks = (self.breaks + 1).min(2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BoundaryTracker;

    fn after(chunks: &[&[u8]]) -> bool {
        let mut tracker = BoundaryTracker::default();
        for chunk in chunks {
            tracker.update(chunk);
        }
        tracker.at_boundary()
    }

    #[test]
    fn boundaries() {
        assert!(after(&[]));
        assert!(after(&[b"data: a\n\n"]));
        assert!(after(&[b"data: a\r\n\r\n"]));
        assert!(after(&[b"data: a\r\r"]));
        assert!(after(&[b"data: a\n", b"\n"]));
        assert!(after(&[b"data: a\r", b"\n", b"\r\n"]));
        assert!(!after(&[b"data: a\n"]));
        assert!(!after(&[b"data: a\r\n"]));
        assert!(
            !after(&[b"data: a\r", b"\n"]),
            "CRLF split across frames is one break"
        );
        assert!(!after(&[b"data: a\n\ndata: b"]));
        assert!(!after(&[b"data: a\n\n", b"id: 1\n"]));
    }

    #[test]
    fn line_starts() {
        let mut tracker = BoundaryTracker::default();
        assert!(tracker.at_line_start());
        tracker.update(b"data: a\n");
        assert!(tracker.at_line_start() && !tracker.at_boundary());
        tracker.update(b"data: b\r");
        assert!(!tracker.at_line_start(), "an LF may still complete this CR");
        tracker.update(b"\n");
        assert!(tracker.at_line_start());
        tracker.update(b"data: c");
        assert!(!tracker.at_line_start());
    }
}
