use super::*;

#[test]
fn chunks_round_trip_as_text_or_hex() {
    for bytes in [b"data: x\n\n".to_vec(), vec![0xff, b'\n', 0xc3]] {
        let chunk = Chunk { at_ms: 1.5, bytes };
        let json = serde_json::to_string(&chunk).unwrap();
        assert_eq!(
            serde_json::from_str::<Chunk>(&json).unwrap(),
            chunk,
            "{json}"
        );
    }
    assert!(serde_json::from_str::<Chunk>(r#"{"at_ms":0,"hex":"0"}"#).is_err());
}

fn transcript_of(chunks: &[&[u8]]) -> Transcript {
    let mut transcript: Transcript = serde_json::from_str(
        r#"{"request": {"method": "GET", "url": "http://x/"}, "version": "HTTP/1.1",
            "status": 200, "headers": [], "headers_at_ms": 0.0, "chunks": [],
            "end": {"kind": "eof"}, "observed_ms": 1.0}"#,
    )
    .unwrap();
    transcript.chunks = chunks
        .iter()
        .map(|bytes| Chunk {
            at_ms: 0.0,
            bytes: bytes.to_vec(),
        })
        .collect();
    transcript
}

#[test]
fn utf8_and_bom_are_found_however_the_body_is_cut() {
    let bodies: [&[u8]; 7] = [
        b"\xEF\xBB\xBFdata: \xE2\x82\xAC\n\n",
        b"data: \xF0\x9F\x98\x80 ok\n",
        b"data: \xE2\x82\n\n",
        b"data: \xF0\x9F\x98",
        b"\xEF\xBB",
        b"ok \xC3\xA9 \xFF more",
        b"\xED\xA0\x80 surrogate",
    ];
    for body in bodies {
        let expected = std::str::from_utf8(body).err().map(|e| e.valid_up_to());
        for first in 0..=body.len() {
            for second in first..=body.len() {
                let transcript =
                    transcript_of(&[&body[..first], &body[first..second], &body[second..]]);
                let analysis = transcript.analyze();
                assert_eq!(
                    analysis.invalid_utf8_at, expected,
                    "{body:?} cut {first}, {second}"
                );
                assert_eq!(analysis.bom, body.starts_with(b"\xEF\xBB\xBF"));
                assert_eq!(analysis.body_bytes, body.len());
            }
        }
    }
}

#[test]
fn a_flood_of_tiny_events_is_counted_not_kept() {
    let flood = b"data:\n\nretry: 1\n".repeat(Analysis::EVENT_SAMPLE + 500);
    let analysis = transcript_of(&[&flood]).analyze();
    assert_eq!(analysis.events, Analysis::EVENT_SAMPLE + 500);
    assert_eq!(analysis.retries, Analysis::EVENT_SAMPLE + 500);
    assert_eq!(analysis.events().count(), Analysis::EVENT_SAMPLE);
    assert_eq!(analysis.items.len(), 2 * Analysis::EVENT_SAMPLE);
}
