//! Every parser fixture in `fixtures/parse/`, under every chunking: whole, 1, 2 and 3 bytes
//! at a time, and split right before and right after every CR and LF. The result must be
//! the fixture's expectation every time; insta keeps a readable copy of the results.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use sse_conformance::parser::{parse_chunked, Item, Parser, ParserOptions};
use sse_conformance::transcript::from_hex;

#[derive(Deserialize)]
struct FixtureFile {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    #[serde(default)]
    input: Option<String>,
    #[serde(default)]
    input_hex: Option<String>,
    expected: Vec<Value>,
}

impl Case {
    fn bytes(&self) -> Vec<u8> {
        match (&self.input, &self.input_hex) {
            (Some(text), None) => text.clone().into_bytes(),
            (None, Some(hex)) => from_hex(hex).unwrap(),
            _ => panic!("{}: exactly one of input and input_hex", self.name),
        }
    }
}

fn fixture_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/parse");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no parser fixtures in {}", dir.display());
    files
}

/// Parses `bytes` cut at `cuts` (sorted offsets) and returns the JSON items.
fn parse_cut(bytes: &[u8], cuts: &[usize]) -> Vec<Value> {
    let (items, _) = parse_chunked(ParserOptions::default(), bytes, cuts).unwrap();
    items.iter().filter_map(Item::to_json).collect()
}

/// Every chunking the suite promises, labelled.
fn chunkings(bytes: &[u8]) -> Vec<(String, Vec<usize>)> {
    let mut all = vec![("whole".to_owned(), Vec::new())];
    for size in 1..=3 {
        all.push((
            format!("{size}-byte chunks"),
            (size..bytes.len()).step_by(size).collect(),
        ));
    }
    for (at, byte) in bytes.iter().enumerate() {
        if matches!(byte, b'\r' | b'\n') {
            all.push((format!("cut before byte {at}"), vec![at]));
            all.push((format!("cut after byte {at}"), vec![at + 1]));
        }
    }
    all
}

#[test]
fn every_fixture_under_every_chunking() {
    let mut checked = 0;
    for file in fixture_files() {
        let fixture: FixtureFile =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let mut snapshot = String::new();
        for case in &fixture.cases {
            let bytes = case.bytes();
            for (label, cuts) in chunkings(&bytes) {
                let got = parse_cut(&bytes, &cuts);
                assert_eq!(
                    got,
                    case.expected,
                    "{}: case {:?} ({label}) parsed differently",
                    file.display(),
                    case.name
                );
                checked += 1;
            }
            snapshot.push_str(&format!("{}\n", case.name));
            for item in parse_cut(&bytes, &[]) {
                snapshot.push_str(&format!("  {item}\n"));
            }
        }
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(name, snapshot);
    }
    assert!(checked > 800, "only {checked} parses ran");
}

#[test]
fn fixture_names_are_unique() {
    let mut names = Vec::new();
    for file in fixture_files() {
        let fixture: FixtureFile =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        names.extend(fixture.cases.into_iter().map(|case| case.name));
    }
    let count = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), count);
}

#[test]
fn large_events_and_limits() {
    // A 1 MiB data line in 4 KiB chunks parses whole.
    let big = "x".repeat(1 << 20);
    let stream = format!("data: {big}\n\n");
    let cuts: Vec<usize> = (4096..stream.len()).step_by(4096).collect();
    let items = parse_cut(stream.as_bytes(), &cuts);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["data"].as_str().unwrap().len(), 1 << 20);

    // Over the limit: a clear error, not growth.
    let mut parser = Parser::with_options(sse_conformance::parser::ParserOptions {
        max_event_len: 1000,
        ..Default::default()
    });
    let error = (0..100)
        .find_map(|_| {
            parser
                .feed(b"data: 0123456789012345678901234567890123456789\n", |_| {})
                .err()
        })
        .expect("the limit is hit");
    assert_eq!(
        error.to_string(),
        "an event's data is larger than 1000 bytes"
    );
}
