//! Partial-state merging (`Session::merge_state`): the fuzzer's bytes are a
//! state a worker exported. A state is merged whole or refused with nothing
//! changed; a merged session exports a state that merges again, to the same
//! state; and the report renders, whatever the counts and names held.
#![no_main]

use analyzer_wasm::report::INSIGHTS_JSON;
use analyzer_wasm::session::Session;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn report(session: &mut Session) {
    let report = session.finish();
    for artifact in &report.artifacts {
        let bytes = session.artifact(artifact.name).expect("every listed artifact");
        assert_eq!(bytes.len() as u64, artifact.bytes, "{} as long as listed", artifact.name);
    }
    let insights = session.artifact(INSIGHTS_JSON).expect("insights.json");
    serde_json::from_slice::<Value>(&insights).expect("insights.json is JSON");
}

fuzz_target!(|data: &[u8]| {
    // The default limits, and a max_keys that a state's counts overflow.
    for config in [
        "",
        r#"{"limits":{"max_keys":2},"rules":{"max_findings":1}}"#,
    ] {
        let mut session = Session::open(config).expect("a valid configuration");
        let empty = session.export_state();
        if session.merge_state(data).is_err() {
            assert_eq!(
                session.export_state(),
                empty,
                "a refused state changed nothing"
            );
            continue;
        }
        let once = session.export_state();
        let mut again = Session::open(config).expect("a valid configuration");
        again.merge_state(&once).expect("an exported state merges");
        let twice = again.export_state();
        let (once_value, twice_value): (Value, Value) = (
            serde_json::from_slice(&once).expect("a state is JSON"),
            serde_json::from_slice(&twice).expect("a state is JSON"),
        );
        assert_eq!(once_value, twice_value, "a merged state merges to itself");
        session.merge_state(data).expect("merges a second time");
        report(&mut session);
        report(&mut again);
    }
});
