#![no_main]

// The property lives in sse-fuzz, where the regression test replays the kept corpus.
libfuzzer_sys::fuzz_target!(|input: &[u8]| (sse_fuzz::find("transcript_load").expect("a target").run)(input));
