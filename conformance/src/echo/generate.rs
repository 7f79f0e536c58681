//! Random hostile scripts for proptest: text built from the pieces that break encoders.

use proptest::prelude::*;

use super::contract::EchoEvent;

/// Text built from the pieces that break encoders.
fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[a-z]{1,4}",
        2 => Just("\r\n".to_owned()),
        2 => Just("\n".to_owned()),
        2 => Just("\r".to_owned()),
        2 => Just(" ".to_owned()),
        1 => Just(":".to_owned()),
        1 => Just("\t".to_owned()),
        1 => Just("data: x".to_owned()),
        1 => Just("\u{FEFF}".to_owned()),
        1 => Just("é日😀".to_owned()),
        1 => Just("\u{0}".to_owned()),
        2 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

fn data_text() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => hostile_text(),
        1 => (hostile_text(), 200usize..4000).prop_map(|(text, times)| format!("{text}x\r\n").repeat(times)),
    ]
}

fn echo_event() -> impl Strategy<Value = EchoEvent> {
    let no_breaks = |text: String| text.replace(['\r', '\n'], "");
    (
        prop::option::weighted(
            0.4,
            hostile_text().prop_map(|t| t.replace(['\r', '\n', '\0'], "")),
        ),
        prop::option::weighted(0.3, hostile_text().prop_map(no_breaks)),
        prop::option::weighted(0.85, data_text()),
        prop::option::weighted(0.15, 0u64..100_000),
        prop::option::weighted(0.2, hostile_text()),
    )
        .prop_map(|(id, event, data, retry, comment)| EchoEvent {
            id,
            event,
            data,
            retry,
            comment,
        })
}

/// Random valid scripts of one to five events.
pub fn echo_events() -> impl Strategy<Value = Vec<EchoEvent>> {
    prop::collection::vec(echo_event(), 1..6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::echo::invalid_cases;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn generated_scripts_are_valid() {
        let mut runner = TestRunner::default();
        for _ in 0..200 {
            let events = echo_events().new_tree(&mut runner).unwrap().current();
            assert!(events.iter().all(|event| !event.is_invalid()), "{events:?}");
        }
        assert!(invalid_cases()
            .iter()
            .all(|(_, events)| events.iter().any(EchoEvent::is_invalid)));
    }
}
