//! `parser_chunks`: the parser's output never depends on how the bytes are split, and it
//! agrees with [`reference`], the WHATWG rules written the plain way (the oracle the
//! parser's property tests use too).

use sse_conformance::parser::{
    parse_chunked, Item, ItemRef, Leftover, ParseError, Parser, ParserOptions,
};

// The same oracle the parser's property tests use: one reading of the spec, not two.
#[path = "../../../conformance/tests/support/reference.rs"]
mod oracle;
/// The spec read literally: decode the whole stream, cut lines, interpret.
///
/// ```
/// use sse_conformance::parser::Item;
/// let items = sse_fuzz::parser::reference(b"retry: 5\rdata: a\r\n\n");
/// assert_eq!(items[0], Item::Retry(5));
/// ```
pub use oracle::reference;

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
