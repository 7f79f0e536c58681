//! The WHATWG "interpreting an event stream" rules, written the plain way, as the oracle
//! the real parser is tested against: by the property tests here, and by the
//! `parser_chunks` fuzz target (`xtask/fuzz`), which includes this file.

use sse_conformance::parser::{Event, Item};

/// The spec, read top to bottom: decode everything (lossy UTF-8, one leading BOM off),
/// split into lines, interpret. Written apart from the real parser on purpose.
pub fn reference(bytes: &[u8]) -> Vec<Item> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut current));
            }
            '\n' => lines.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    // `current` is an unterminated line: discarded.
    // The last-event-id string is the id buffer as of each dispatch.
    let (mut data, mut event_type, mut id_buffer) = (String::new(), String::new(), String::new());
    let mut items = Vec::new();
    for line in lines {
        if line.is_empty() {
            if data.is_empty() {
                event_type.clear();
                continue;
            }
            if data.ends_with('\n') {
                data.pop();
            }
            let kind = if event_type.is_empty() {
                "message".to_owned()
            } else {
                std::mem::take(&mut event_type)
            };
            items.push(Item::Event(Event {
                event_type: kind.into(),
                data: std::mem::take(&mut data),
                last_event_id: id_buffer.clone(),
            }));
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (name, value) = match line.find(':') {
            Some(i) => {
                let value = &line[i + 1..];
                (&line[..i], value.strip_prefix(' ').unwrap_or(value))
            }
            None => (line.as_str(), ""),
        };
        match name {
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "event" => event_type = value.to_owned(),
            "id" if !value.contains('\0') => id_buffer = value.to_owned(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                items.push(Item::Retry(value.parse().unwrap_or(u64::MAX)));
            }
            _ => {}
        }
    }
    items
}
