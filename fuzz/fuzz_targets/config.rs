//! The configuration (`config.rs` and the rules' part of it): the fuzzer's
//! bytes are the document a host passes. A session and a consolidator must
//! accept or refuse it alike, and with any configuration they accept, a
//! session must analyze, export, merge and report the sample log, and a
//! consolidator must write it out, without panicking.
#![no_main]

use analyzer_fuzz::{SAMPLE_LOG, Scratch, drain, gzip};
use analyzer_wasm::consolidate::Consolidator;
use analyzer_wasm::report::INSIGHTS_JSON;
use analyzer_wasm::session::Session;
use analyzer_wasm::stats::Status;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let scratch = Scratch::default();
    let session = Session::open(text);
    let consolidator = Consolidator::open(text, Box::new(scratch.clone()));
    match (&session, &consolidator) {
        (Ok(_), Ok(_)) => {}
        (Err(a), Err(b)) => {
            assert_eq!(a, b);
            assert!(a.starts_with("invalid configuration"), "{a}");
            return;
        }
        _ => panic!("a session and a consolidator disagree on {text:?}"),
    }
    let (Ok(mut session), Ok(mut consolidator)) = (session, consolidator) else {
        unreachable!()
    };

    let plain = session.add("sample.json", SAMPLE_LOG.as_bytes());
    let zipped = session.add("sample.json.gz", &gzip(SAMPLE_LOG.as_bytes())[..]);
    // max_input_bytes, max_depth or max_record_bytes may fail the sample;
    // gzip or not, the answer is the same.
    assert_eq!(plain.status, zipped.status, "{plain:?} {zipped:?}");
    let state = session.export_state();
    let mut merged = Session::open(text).expect("accepted once");
    merged
        .merge_state(&state)
        .expect("a state merges into its own kind");
    merged.merge_state(&state).expect("twice, too");
    assert_eq!(merged.summary().events, 2 * session.summary().events);
    for mut s in [session, merged] {
        s.finish();
        let insights = s.artifact(INSIGHTS_JSON).expect("insights.json");
        serde_json::from_slice::<serde_json::Value>(&insights).expect("insights.json is JSON");
    }

    let outcome = consolidator.add("sample.json", SAMPLE_LOG.as_bytes());
    assert_eq!(outcome.status, plain.status, "{outcome:?}");
    if outcome.status == Status::Analyzed {
        assert_eq!(outcome.events, 10);
    }
    drain(consolidator, &scratch).expect("a consolidation in memory");
});
