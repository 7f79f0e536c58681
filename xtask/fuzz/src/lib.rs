//! The properties behind `cargo xtask fuzz`: one function per fuzz target, each taking
//! the fuzzer's bytes and panicking when a property breaks.
//!
//! The libFuzzer binaries in `xtask/fuzz/libfuzzer/` are one line each: they call these
//! functions. `tests/corpus.rs` calls the same functions with every input kept under
//! `fixtures/fuzz/<target>/` (the inputs that found new code paths, and any input that
//! once broke a property), so the normal test suite replays the whole corpus on stable
//! Rust, without libFuzzer.
//!
//! ```
//! // Any bytes are a valid input: a property either holds or panics with the reason.
//! for target in sse_fuzz::TARGETS {
//!     (target.run)(b"\x07data: a\r\n\r\nid: 1\n\n");
//! }
//! ```

pub mod encode;
pub mod hub;
pub mod parser;
pub mod transcript;

/// One fuzz target: its name (the libFuzzer binary and the corpus folder) and its property.
pub struct Target {
    /// The name used by `cargo xtask fuzz TARGET` and `fixtures/fuzz/TARGET/`.
    pub name: &'static str,
    /// What must hold, in one line.
    pub property: &'static str,
    /// Runs one input; panics when the property breaks.
    pub run: fn(&[u8]),
}

/// Every target, in the order `cargo xtask fuzz` runs them.
pub static TARGETS: &[Target] = &[
    Target {
        name: "parser_chunks",
        property: "any chunking parses like one chunk, and like a plain reading of the WHATWG rules",
        run: parser::parser_chunks,
    },
    Target {
        name: "encode_roundtrip",
        property: "every event the builder accepts parses back to itself; every event it refuses is one the spec cannot carry",
        run: encode::encode_roundtrip,
    },
    Target {
        name: "echo_json",
        property: "any echo-contract JSON either is refused or round-trips through the encoder",
        run: encode::echo_json,
    },
    Target {
        name: "transcript_load",
        property: "any fixture that loads saves back to itself and every offline check judges it without panicking",
        run: transcript::transcript_load,
    },
    Target {
        name: "hub_resume",
        property: "any Last-Event-ID resumes exactly after a retained event or gets one reset event, and live delivery follows without gap or duplicate",
        run: hub::hub_resume,
    },
];

/// Looks a target up by name.
///
/// ```
/// assert!(sse_fuzz::find("parser_chunks").is_some());
/// assert!(sse_fuzz::find("nope").is_none());
/// ```
pub fn find(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|target| target.name == name)
}
