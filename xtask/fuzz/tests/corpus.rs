//! Replays every kept fuzz input (`fixtures/fuzz/<target>/`) through its target's
//! property: the corpus libFuzzer grew, plus any input that ever broke a property.

use std::path::{Path, PathBuf};

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/fuzz")
        .join(target)
}

#[test]
fn every_kept_input_still_holds_its_property() {
    for target in sse_fuzz::TARGETS {
        let dir = corpus_dir(target.name);
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
            .map(|entry| entry.expect("a readable entry").path())
            .filter(|path| path.is_file())
            .collect();
        inputs.sort();
        assert!(
            inputs.len() >= 2,
            "{}: the corpus of {} holds {} inputs",
            dir.display(),
            target.name,
            inputs.len()
        );
        for input in &inputs {
            let bytes = std::fs::read(input).expect("a readable input");
            let outcome = std::panic::catch_unwind(|| (target.run)(&bytes));
            assert!(
                outcome.is_ok(),
                "{} broke its property on {}",
                target.name,
                input.display()
            );
        }
    }
}

#[test]
fn the_libfuzzer_binaries_are_the_targets() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("libfuzzer/Cargo.toml"))
            .expect("the libFuzzer manifest");
    for target in sse_fuzz::TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{}\"", target.name)),
            "{} has no libFuzzer binary",
            target.name
        );
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("libfuzzer/fuzz_targets")
            .join(format!("{}.rs", target.name));
        let text = std::fs::read_to_string(&source).expect("the target's source");
        assert!(text.contains(&format!("sse_fuzz::find(\"{}\")", target.name)));
    }
}
