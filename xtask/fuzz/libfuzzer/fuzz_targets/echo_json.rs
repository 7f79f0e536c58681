#![no_main]

// The property lives in sse-fuzz, where the regression test replays the kept corpus.
libfuzzer_sys::fuzz_target!(|input: &[u8]| (sse_fuzz::find("echo_json").expect("a target").run)(input));
