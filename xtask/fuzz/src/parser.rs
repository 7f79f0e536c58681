//! `parser_chunks`: the parser's output never depends on how the bytes are split, and it
//! agrees with [`reference`], the WHATWG rules written the plain way.

use sse_conformance::parser::{
    parse_chunked, Event, Item, ItemRef, Leftover, ParseError, Parser, ParserOptions,
};

/// The first byte seeds the chunking and the limits; the rest is the stream.
pub fn parser_chunks(input: &[u8]) {
    let Some((&seed, stream)) = input.split_first() else {
        return;
    };
    let cuts = cuts(seed, stream.len());

    let diagnostics = ParserOptions::diagnostics();
    let whole = parse_chunked(diagnostics, stream, &[]);
    assert_eq!(
        whole,
        parse_chunked(diagnostics, stream, &cuts),
        "cuts {cuts:?}"
    );
    let every_byte: Vec<usize> = (1..stream.len()).collect();
    assert_eq!(whole, parse_chunked(diagnostics, stream, &every_byte));
    assert_eq!(whole, parse_borrowed(diagnostics, stream, &cuts));

    let (items, _) = parse_chunked(ParserOptions::default(), stream, &cuts)
        .expect("inputs this small are within the default limits");
    assert_eq!(
        items,
        reference(stream),
        "the parser and the reference disagree"
    );

    // Tight limits: the same verdict however the stream is split.
    let tight = ParserOptions {
        max_line_len: 1 + usize::from(seed % 32),
        max_event_len: 1 + usize::from(seed / 8),
        ..diagnostics
    };
    assert_eq!(
        verdict(parse_chunked(tight, stream, &[])),
        verdict(parse_chunked(tight, stream, &cuts)),
        "limits {tight:?}, cuts {cuts:?}"
    );
}

/// Items and leftover, or the error alone (items before an error are not compared: a
/// parser that refuses a stream has refused it).
fn verdict(result: Result<(Vec<Item>, Leftover), ParseError>) -> Result<Vec<Item>, ParseError> {
    result.map(|(items, _)| items)
}

/// Up to eight cut points, spread over the stream by a small generator seeded from `seed`.
fn cuts(seed: u8, len: usize) -> Vec<usize> {
    if len == 0 {
        return Vec::new();
    }
    let mut state = u32::from(seed).wrapping_mul(2_654_435_761) ^ (len as u32);
    let mut cuts: Vec<usize> = (0..seed % 9)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as usize % (len + 1)
        })
        .collect();
    cuts.sort_unstable();
    cuts
}

/// The borrowed path, made owned, must give what [`Parser::feed`] gives.
fn parse_borrowed(
    options: ParserOptions,
    stream: &[u8],
    cuts: &[usize],
) -> Result<(Vec<Item>, Leftover), ParseError> {
    let mut parser = Parser::with_options(options);
    let mut items = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&stream.len())) {
        parser.feed_borrowed(&stream[start..cut], |item: ItemRef<'_>| {
            items.push(item.into_owned());
        })?;
        start = cut;
    }
    Ok((items, parser.finish()))
}

/// The "interpreting an event stream" rules of the HTML standard, read literally: decode
/// the whole stream (one leading BOM dropped), cut it into lines at CRLF, LF or CR, drop
/// the last line if nothing ended it, and interpret each line. Slow and plainly right.
///
/// ```
/// use sse_conformance::parser::Item;
/// let items = sse_fuzz::parser::reference(b"retry: 5\rdata: a\r\n\n");
/// assert_eq!(items[0], Item::Retry(5));
/// ```
pub fn reference(stream: &[u8]) -> Vec<Item> {
    let decoded = String::from_utf8_lossy(stream);
    let mut rest = decoded.strip_prefix('\u{FEFF}').unwrap_or(&decoded);
    let mut items = Vec::new();
    let mut data = String::new();
    let mut event_type = String::new();
    let mut id_buffer = String::new();
    while let Some(end) = rest.find(['\r', '\n']) {
        let line = &rest[..end];
        rest = &rest[end..];
        rest = rest.strip_prefix("\r\n").unwrap_or_else(|| &rest[1..]);
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
        let (name, value) = match line.split_once(':') {
            Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match name {
            "event" => event_type = value.to_owned(),
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "id" if !value.contains('\0') => id_buffer = value.to_owned(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                let ms = value.bytes().fold(0u64, |ms, digit| {
                    ms.saturating_mul(10)
                        .saturating_add(u64::from(digit - b'0'))
                });
                items.push(Item::Retry(ms));
            }
            _ => {}
        }
    }
    items
}
