//! The fast event reader against serde's: on every record, both accept or
//! both refuse it, and what they read is the same. Hand-picked edge cases of
//! the JSON grammar and of serde's rules, the generator's records, and a few
//! thousand mutations of them (the `event_fields` fuzz target goes on from
//! there without a time limit).

use std::io::Read;

use analyzer_wasm::event::Event;

fn same(record: &[u8]) -> bool {
    let fast = Event::parse(record);
    let serde = Event::parse_with_serde(record);
    match (&fast, &serde) {
        (Ok(a), Ok(b)) => assert_eq!(
            format!("{a:?}"),
            format!("{b:?}"),
            "{}",
            String::from_utf8_lossy(record)
        ),
        (Err(_), Err(_)) => {}
        _ => panic!(
            "{}\nfast:  {fast:?}\nserde: {serde:?}",
            String::from_utf8_lossy(record)
        ),
    }
    fast.is_ok()
}

#[test]
fn edge_cases_read_as_serde_reads_them() {
    let cases: &[&[u8]] = &[
        br#"{}"#,
        br#" {"eventName" : "A" } "#,
        br#"{"eventName":"A",}"#,
        br#"{"eventName":"A" "awsRegion":"b"}"#,
        br#"{"eventName":"A"} x"#,
        br#"{"eventName":"A"}}"#,
        b"\x0c{\"eventName\":\"A\"}",
        b"{\"eventName\":\"A\"}\x0c",
        br#"{"eventName":"A","eventName":"B"}"#,
        br#"{"x":1,"x":2,"eventName":"A"}"#,
        br#"{"event\u004eame":"A"}"#,
        br#"{"eventName":"A","event\u004eame":"B"}"#,
        br#"{"\ud800":1}"#,
        br#"{"\udc00x":1}"#,
        br#"{"eventName":"\ud83d\ude00"}"#,
        br#"{"eventName":"\ud800"}"#,
        br#"{"other":"\ud800"}"#,
        br#"{"eventName":"a\"b\\c\/d\b\f\n\r\t"}"#,
        br#"{"eventName":"\x"}"#,
        br#"{"eventName":"\u12"}"#,
        br#"{"eventName":"\u12g4"}"#,
        br#"{"other":"\u12g4"}"#,
        b"{\"eventName\":\"a\x01\"}",
        b"{\"other\":\"a\x1f\"}",
        b"{\"other\":\"a\x7f\"}",
        b"{\"eventName\":\"\xff\"}",
        b"{\"other\":\"\xff\"}",
        b"{\"other\":{\"\xff\":1}}",
        b"{\"requestParameters\":{\"a\":\"\xff\"}}",
        b"{\"userIdentity\":{\"x\":\"\xc3\"}}",
        b"{\"\xc3\xa9\":1,\"eventName\":\"\xc3\xa9\"}",
        br#"{"awsRegion":0}"#,
        br#"{"awsRegion":-0.0e+0}"#,
        br#"{"awsRegion":01}"#,
        br#"{"other":01}"#,
        br#"{"other":1.}"#,
        br#"{"other":.5}"#,
        br#"{"other":1e}"#,
        br#"{"other":-}"#,
        br#"{"other":+1}"#,
        br#"{"awsRegion":1e400}"#,
        br#"{"other":1e400}"#,
        br#"{"awsRegion":18446744073709551616}"#,
        br#"{"awsRegion":-9223372036854775809}"#,
        br#"{"awsRegion":true,"readOnly":false,"eventType":null}"#,
        br#"{"awsRegion":tru}"#,
        br#"{"awsRegion":nul}"#,
        br#"{"other":[1,2,]}"#,
        br#"{"other":[,]}"#,
        br#"{"other":{"a":1,}}"#,
        br#"{"other":{"a" 1}}"#,
        br#"{"other":{1:1}}"#,
        br#"{"other":[[[[[[[]]]]]]],"eventName":"A"}"#,
        br#"{"other":[[[[[[[]]]]]]}"#,
        br#"{"other":{"a":[{"b":{}}]}}"#,
        br#"{"awsRegion":{"a":1},"eventType":[],"eventCategory":{}}"#,
        br#"{"awsRegion":{"a":1,"a":2}}"#,
        br#"{"userIdentity":"root"}"#,
        br#"{"userIdentity":null}"#,
        br#"{"userIdentity":[1]}"#,
        br#"{"userIdentity":{"type":"Root","type":"IAMUser"}}"#,
        br#"{"userIdentity":{"type":"\ud800"}}"#,
        br#"{"userIdentity":{"type":"IAMUser","other":"\ud800"}}"#,
        br#"{"userIdentity":{"type":1e400}}"#,
        br#"{"userIdentity":{"type":"IAMUser",}}"#,
        br#"{"userIdentity":{"sessionContext":{"sessionIssuer":{"userName":"r","arn":"a"}}}}"#,
        br#"{"userIdentity":{"sessionContext":{"sessionIssuer":{"userName":"r","userName":"s"}}}}"#,
        br#"{"userIdentity":{"sessionContext":{"sessionIssuer":"x"}}}"#,
        br#"{"userIdentity":{"sessionContext":[]}}"#,
        br#"{"userIdentity":{"sessionContext":{},"sessionContext":{}}}"#,
        br#"{"resources":[{"type":"A"},{"ARN":"x"},"s",null,[{"type":"B"}],{"type":"C","type":"D"}]}"#,
        br#"{"resources":[]}"#,
        br#"{"resources":[ ]}"#,
        br#"{"resources":{"type":"A"}}"#,
        br#"{"resources":"A"}"#,
        br#"{"resources":null}"#,
        br#"{"resources":[{"type":"\ud800"}]}"#,
        br#"{"resources":[1,]}"#,
        br#"{"resources":[],"resources":[]}"#,
        br#"{"requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":[1]}"#,
        br#"{"requestParameters":{"a":"\ud800"}}"#,
        br#"{"requestParameters":{},"requestParameters":{}}"#,
        br#"{"eventName":"A""#,
        br#"{"eventName":"A"#,
        br#"{"eventName":"#,
        br#"{"eventName""#,
        br#"{"eventName"#,
        br#"{"#,
        br#"{"other":[1,{"a":"#,
        br#"{"other":"\"#,
        br#"[1]"#,
        br#""#,
    ];
    let accepted = cases.iter().filter(|c| same(c)).count();
    // Both ways of failing and of succeeding are exercised.
    assert!(accepted > 30 && accepted < cases.len() - 30, "{accepted}");
}

/// Every record of the generator's sample set, one JSON text each.
fn sample_records() -> Vec<Vec<u8>> {
    let mut records = Vec::new();
    for file in loggen::generate(&loggen::Spec::small()) {
        if file.is_digest {
            continue;
        }
        let mut json = Vec::new();
        flate2::read::MultiGzDecoder::new(&file.body[..])
            .read_to_end(&mut json)
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&json).unwrap();
        for record in doc["Records"].as_array().unwrap() {
            records.push(serde_json::to_vec(record).unwrap());
        }
    }
    records
}

#[test]
fn generated_records_and_their_mutations_read_as_serde_reads_them() {
    let records = sample_records();
    assert!(records.len() > 100);
    for record in &records {
        assert!(same(record), "a generated record is valid");
    }
    // Bytes that change a record's structure, or its validity.
    const BYTES: &[u8] = b"\"\\{}[],: 0-e.u\x01\xff\xc3nt1";
    let mut rng = loggen::Rng::new(7);
    let mut below = |n: usize| rng.below(n as u64) as usize;
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..20_000 {
        let mut record = records[below(records.len())].clone();
        for _ in 0..1 + below(3) {
            let at = below(record.len());
            let byte = BYTES[below(BYTES.len())];
            match below(4) {
                0 => record[at] = byte,
                1 => record.insert(at, byte),
                2 => {
                    record.remove(at);
                }
                _ => {
                    // A piece of the record again: repeated keys, mostly.
                    let len = below(40).min(record.len() - at);
                    let piece = record[at..at + len].to_vec();
                    let to = below(record.len());
                    record.splice(to..to, piece);
                }
            }
            if record.is_empty() {
                break;
            }
        }
        if same(&record) {
            accepted += 1;
        } else {
            refused += 1;
        }
    }
    assert!(
        accepted > 1_000 && refused > 1_000,
        "{accepted} / {refused}"
    );
}
