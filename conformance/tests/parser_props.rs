//! Property tests of the parser: it agrees with a straightforward whole-stream reference
//! implementation of the WHATWG rules, whatever the chunking, and never panics.

use proptest::prelude::*;
use sse_conformance::parser::{parse_chunked, Item, Parser, ParserOptions};

#[path = "support/reference.rs"]
mod reference;
use reference::reference;

fn incremental(bytes: &[u8], cuts: &[usize]) -> Vec<Item> {
    parse_chunked(ParserOptions::default(), bytes, cuts)
        .unwrap()
        .0
}

/// Streams built from the bytes that matter to SSE, plus arbitrary bytes.
fn sse_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        3 => Just(b"data".to_vec()),
        2 => Just(b"data: ".to_vec()),
        1 => Just(b"event".to_vec()),
        1 => Just(b"id".to_vec()),
        1 => Just(b"retry".to_vec()),
        1 => Just(b"retry: 120".to_vec()),
        3 => Just(b":".to_vec()),
        2 => Just(b" ".to_vec()),
        4 => Just(b"\n".to_vec()),
        3 => Just(b"\r".to_vec()),
        3 => Just(b"\r\n".to_vec()),
        1 => Just(b"\0".to_vec()),
        1 => Just("\u{FEFF}".as_bytes().to_vec()),
        1 => Just("é😀".as_bytes().to_vec()),
        2 => "[a-z0-9]{1,3}".prop_map(String::into_bytes),
        2 => prop::collection::vec(any::<u8>(), 1..4),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn agrees_with_the_reference(bytes in sse_bytes()) {
        prop_assert_eq!(incremental(&bytes, &[]), reference(&bytes));
    }

    #[test]
    fn chunking_never_changes_the_result(bytes in sse_bytes(), mut cuts in prop::collection::vec(0usize..400, 0..12)) {
        cuts.sort_unstable();
        let options = ParserOptions::diagnostics();
        // Items (comments and notices included) and what is left over at the end.
        prop_assert_eq!(parse_chunked(options, &bytes, &cuts).unwrap(), parse_chunked(options, &bytes, &[]).unwrap());
    }

    #[test]
    fn limits_do_not_depend_on_chunking(bytes in sse_bytes(), mut cuts in prop::collection::vec(0usize..400, 0..12)) {
        cuts.sort_unstable();
        let options = ParserOptions { max_line_len: 12, max_event_len: 20, ..ParserOptions::diagnostics() };
        let outcome = |cuts: &[usize]| {
            let mut parser = Parser::with_options(options);
            let mut items = Vec::new();
            let mut start = 0;
            for &cut in cuts.iter().chain(std::iter::once(&bytes.len())) {
                let cut = cut.clamp(start, bytes.len());
                if let Err(error) = parser.feed(&bytes[start..cut], |item| items.push(item)) {
                    return (items, Some(error));
                }
                start = cut;
            }
            (items, None)
        };
        prop_assert_eq!(outcome(&cuts), outcome(&[]));
    }

    #[test]
    fn byte_by_byte_equals_whole(bytes in sse_bytes()) {
        let cuts: Vec<usize> = (1..bytes.len()).collect();
        prop_assert_eq!(incremental(&bytes, &cuts), incremental(&bytes, &[]));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), cut in 0usize..512) {
        let items = incremental(&bytes, &[cut]);
        prop_assert_eq!(items, reference(&bytes));
    }
}
