//! `transcript_load`: any fixture that loads saves back to itself, and every offline check
//! and every report format handles it without panicking.

use sse_conformance::checks::{judge_all, CheckOptions, Probes, CATALOGUE};
use sse_conformance::report::{human, junit, Report};
use sse_conformance::Transcript;

/// The fuzzer's bytes as a fixture file.
pub fn transcript_load(input: &[u8]) {
    let Ok(transcript) = serde_json::from_slice::<Transcript>(input) else {
        return;
    };
    let saved = serde_json::to_string_pretty(&transcript).expect("a transcript serialises");
    let loaded: Transcript = serde_json::from_str(&saved).expect("a saved fixture loads");
    assert_eq!(loaded, transcript, "saving and loading changed the fixture");

    // The analysis reads the chunks one by one; the body as a whole must agree.
    let body = transcript.body();
    let analysis = transcript.analyze();
    assert_eq!(
        analysis.invalid_utf8_at,
        std::str::from_utf8(&body).err().map(|e| e.valid_up_to())
    );
    assert_eq!(analysis.body_bytes, body.len());
    assert_eq!(analysis.bom, body.starts_with(b"\xEF\xBB\xBF"));

    let results = judge_all(
        &transcript,
        &CheckOptions::default(),
        &Probes::offline(),
        &[],
    );
    assert_eq!(results.len(), CATALOGUE.len());
    let report = Report::new(transcript.request.url.clone(), results);
    let json: serde_json::Value =
        serde_json::from_str(&sse_conformance::report::json(&report)).expect("JSON report");
    assert!(json.is_object());
    assert!(!human(&report, false).is_empty());
    assert!(junit(&report).starts_with("<?xml"));
}
