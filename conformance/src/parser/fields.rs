//! Fields into an event: the spec's "process the field" and "dispatch the event" steps,
//! on the data, event type and last-event-id buffers.
//!
//! Lines reach this module split into a name and a value by `decode.rs`, which also
//! strips line breaks; only a long `data` line comes in pieces (`data_piece`, then
//! `end_data_line`), so that its value is copied once.

use std::borrow::Cow;

use super::item::{EventRef, ItemRef, Notice};
use super::options::{Leftover, ParseError, ParserOptions};
use super::scan::{find_byte, push_lossy, valid_utf8};

/// Data buffers are shrunk back to this between events: enough for 64 KiB lines without
/// regrowing every event, bounded for parsers that once saw a huge event.
const RETAINED_DATA_CAPACITY: usize = 256 * 1024;
/// For owned events, data at least this large is handed over instead of copied.
const HAND_OVER_DATA: usize = 4 * 1024;

/// The event being built, and the last-event-id string that outlives it.
#[derive(Debug, Clone)]
pub(super) struct EventBuffers {
    /// [`ParserOptions::max_event_len`], copied here so that the hot paths take no
    /// options argument (that costs the small-event benchmark 6 instructions a line).
    max_event_len: usize,
    /// [`ParserOptions::notices`].
    notices: bool,
    /// Complete data lines, each followed by LF; then the value of an unfinished data line.
    data: Vec<u8>,
    /// Length of `data` up to the last complete data line.
    data_complete: usize,
    /// Emit owned data (hand large buffers over) rather than borrowed.
    pub(super) owned: bool,
    event_type: String,
    id_buffer: String,
    /// An `id` field was seen since the last dispatch (so the last-event-id may change).
    /// A flag rather than comparing the strings: no `memcmp` call on every event.
    id_seen: bool,
    /// An `event` field was seen since the last dispatch (only tracked with notices).
    event_seen: bool,
    /// An event carrying the current last-event-id was dispatched (only tracked with
    /// notices).
    id_dispatched: bool,
    last_event_id: String,
    /// Field lines seen since the last blank line (for [`Leftover`]).
    field_lines: usize,
}

impl EventBuffers {
    /// Empty buffers, as at the start of a stream.
    pub(super) fn new(options: &ParserOptions) -> Self {
        Self {
            max_event_len: options.max_event_len,
            notices: options.notices,
            data: Vec::new(),
            data_complete: 0,
            owned: false,
            event_type: String::new(),
            id_buffer: String::new(),
            id_seen: false,
            event_seen: false,
            id_dispatched: false,
            last_event_id: String::new(),
            field_lines: 0,
        }
    }

    /// Buffers for a stream a client reconnected to with this `Last-Event-ID`.
    pub(super) fn resuming(options: &ParserOptions, last_event_id: &str) -> Self {
        Self {
            last_event_id: last_event_id.to_owned(),
            id_buffer: last_event_id.to_owned(),
            ..Self::new(options)
        }
    }

    pub(super) fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    pub(super) fn field_lines(&self) -> usize {
        self.field_lines
    }

    /// The end of a stream: what the unfinished event held, then a fresh start that keeps
    /// the last-event-id string, as an `EventSource` keeps it across a reconnect.
    pub(super) fn finish(&mut self, partial_line: usize) -> Leftover {
        let leftover = Leftover {
            field_lines: self.field_lines,
            partial_line,
            had_data: self.data_complete > 0,
        };
        self.data.clear();
        self.data_complete = 0;
        self.event_type.clear();
        self.field_lines = 0;
        self.id_buffer.clone_from(&self.last_event_id);
        self.id_seen = false;
        self.event_seen = false;
        leftover
    }

    #[inline]
    fn check_event_len(&self, more: usize) -> Result<(), ParseError> {
        if self.data.len() + more > self.max_event_len {
            return Err(ParseError::EventTooLarge {
                limit: self.max_event_len,
            });
        }
        Ok(())
    }

    /// One more field line in the event being built: counted before it is judged, so a
    /// line that breaks a limit is in the [`Leftover`] too.
    #[inline]
    pub(super) fn count_field_line(&mut self) {
        self.field_lines += 1;
    }

    /// A whole `data` line's value, its optional leading space already stripped (the
    /// caller counted the line).
    #[inline]
    pub(super) fn data_line(&mut self, value: &[u8]) -> Result<(), ParseError> {
        self.check_event_len(value.len() + 1)?;
        self.data.extend_from_slice(value);
        self.data.push(b'\n');
        self.data_complete = self.data.len();
        Ok(())
    }

    /// A piece of a `data` line that continues in a later chunk. The event's size is
    /// judged when the line ends ([`EventBuffers::end_data_line`]), as for a line that
    /// came in one piece, so that which limit a stream breaks never depends on its
    /// chunking; until then the line limit bounds what the buffer can grow by.
    #[inline]
    pub(super) fn data_piece(&mut self, piece: &[u8]) {
        self.data.extend_from_slice(piece);
    }

    /// The line break after [`EventBuffers::data_piece`]s.
    pub(super) fn end_data_line(&mut self) -> Result<(), ParseError> {
        self.check_event_len(1)?;
        self.field_lines += 1;
        self.data.push(b'\n');
        self.data_complete = self.data.len();
        Ok(())
    }

    /// Any field other than a `data` line that took the fast path. Always inlined into
    /// `Parser::process_line`, its one caller, as it was written there before: a call
    /// per field line costs the ticker benchmark 5% more instructions.
    #[inline(always)]
    pub(super) fn field(
        &mut self,
        name: &[u8],
        value: &[u8],
        emit: &mut impl FnMut(ItemRef<'_>),
    ) -> Result<(), ParseError> {
        // A retry line takes effect at once and belongs to no event: it is not pending.
        if name != b"retry" {
            self.count_field_line();
        }
        match name {
            b"data" => self.data_line(value)?,
            b"event" => {
                if self.notices {
                    if self.event_seen {
                        emit(ItemRef::Notice(Notice::RepeatedField {
                            name: "event",
                            replaced: self.event_type.clone(),
                            value: String::from_utf8_lossy(value).into_owned(),
                        }));
                    }
                    self.event_seen = true;
                }
                self.event_type.clear();
                push_lossy(&mut self.event_type, value);
            }
            b"id" => {
                if find_byte(0, value).is_some() {
                    if self.notices {
                        let value = String::from_utf8_lossy(value).into_owned();
                        emit(ItemRef::Notice(Notice::IdWithNul { value }));
                    }
                } else {
                    if self.id_seen && self.notices {
                        emit(ItemRef::Notice(Notice::RepeatedField {
                            name: "id",
                            replaced: self.id_buffer.clone(),
                            value: String::from_utf8_lossy(value).into_owned(),
                        }));
                    }
                    self.id_buffer.clear();
                    push_lossy(&mut self.id_buffer, value);
                    self.id_seen = true;
                }
            }
            b"retry" => {
                if !value.is_empty() && value.iter().all(u8::is_ascii_digit) {
                    let ms = value.iter().fold(0u64, |acc, digit| {
                        acc.saturating_mul(10)
                            .saturating_add(u64::from(digit - b'0'))
                    });
                    emit(ItemRef::Retry(ms));
                } else if self.notices {
                    let value = String::from_utf8_lossy(value).into_owned();
                    emit(ItemRef::Notice(Notice::InvalidRetry { value }));
                }
            }
            _ => {
                if self.notices {
                    let name = String::from_utf8_lossy(name).into_owned();
                    emit(ItemRef::Notice(Notice::UnknownField { name }));
                }
            }
        }
        Ok(())
    }

    /// A blank line: the resume point moves, and an event fires if there is data.
    pub(super) fn dispatch(&mut self, emit: &mut impl FnMut(ItemRef<'_>)) {
        self.field_lines = 0;
        self.event_seen = false;
        let shared_id = self.notices
            && self.id_seen
            && self.data_complete > 0
            && self.id_dispatched
            && !self.id_buffer.is_empty()
            && self.id_buffer == self.last_event_id;
        if self.id_seen {
            self.id_seen = false;
            // Compared only for the notice: a `memcmp` on every event with an id is what
            // the flag above saves.
            if self.notices && self.id_buffer != self.last_event_id {
                self.id_dispatched = false;
            }
            self.last_event_id.clone_from(&self.id_buffer);
        }
        if self.data_complete == 0 {
            self.event_type.clear();
            return;
        }
        if shared_id {
            emit(ItemRef::Notice(Notice::SharedId {
                id: self.last_event_id.clone(),
            }));
        }
        self.id_dispatched = true;
        self.data.pop(); // the one trailing LF
        let data =
            if self.owned && self.data.len() >= HAND_OVER_DATA {
                // Hand the buffer over (copying 64 KiB events into fresh allocations makes
                // glibc trim and refault the heap on every event), and start the next event
                // with as much room. `String::from_utf8` validates again: the price of no
                // `unsafe`.
                let capacity = self.data.capacity().min(RETAINED_DATA_CAPACITY);
                let bytes = std::mem::replace(&mut self.data, Vec::with_capacity(capacity));
                Cow::Owned(String::from_utf8(bytes).unwrap_or_else(|invalid| {
                    String::from_utf8_lossy(invalid.as_bytes()).into_owned()
                }))
            } else {
                match valid_utf8(&self.data) {
                    Some(text) => Cow::Borrowed(text),
                    None => Cow::Owned(String::from_utf8_lossy(&self.data).into_owned()),
                }
            };
        let event_type = if self.event_type.is_empty() {
            "message"
        } else {
            self.event_type.as_str()
        };
        emit(ItemRef::Event(EventRef {
            event_type,
            data,
            last_event_id: &self.last_event_id,
        }));
        self.data.clear();
        self.data_complete = 0;
        if self.data.capacity() > RETAINED_DATA_CAPACITY {
            self.data.shrink_to(RETAINED_DATA_CAPACITY);
        }
        self.event_type.clear();
    }
}
