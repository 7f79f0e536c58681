//! Every recorded server stream in `fixtures/servers/` through the offline checks: each
//! fixture names the verdicts it must get (`"expect"`), and insta keeps the full report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sse_conformance::checks::{judge_all, CheckOptions, Probes};
use sse_conformance::Transcript;

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/servers");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

/// The default options, except what a fixture's `"check_options"` sets:
/// `duration_ms` (as if recorded for that long) and `min_lifetime_ms`.
fn options_of(fixture: &serde_json::Value) -> CheckOptions {
    let ms = |key: &str| {
        fixture["check_options"][key]
            .as_u64()
            .map(std::time::Duration::from_millis)
    };
    let defaults = CheckOptions::default();
    CheckOptions {
        duration: ms("duration_ms"),
        min_lifetime: ms("min_lifetime_ms").unwrap_or(defaults.min_lifetime),
        ..defaults
    }
}

#[test]
fn every_fixture_gets_its_expected_verdicts() {
    let files = fixtures();
    assert!(
        files.len() >= 15,
        "expected the anti-pattern fixtures, found {}",
        files.len()
    );
    for file in files {
        let raw: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let expect: BTreeMap<String, String> = serde_json::from_value(raw["expect"].clone())
            .expect("every server fixture has an \"expect\" map");
        assert!(!expect.is_empty());
        let transcript = Transcript::load(&file).unwrap();
        let results = judge_all(&transcript, &options_of(&raw), &Probes::offline(), &[]);
        let mut snapshot = String::new();
        for result in &results {
            snapshot.push_str(&format!(
                "{:22} {:4} {}\n",
                result.id,
                result.status.as_str(),
                result.message
            ));
        }
        for (id, want) in &expect {
            let result = results
                .iter()
                .find(|result| result.id == id)
                .unwrap_or_else(|| panic!("{}: no check {id}", file.display()));
            assert_eq!(
                result.status.as_str(),
                want,
                "{}: {id}: {}",
                file.display(),
                result.message
            );
        }
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(name, snapshot);
    }
}

#[test]
fn fixtures_round_trip_through_serde() {
    for file in fixtures() {
        let transcript = Transcript::load(&file).unwrap();
        let again: Transcript =
            serde_json::from_str(&serde_json::to_string(&transcript).unwrap()).unwrap();
        assert_eq!(again, transcript, "{}", file.display());
    }
}
