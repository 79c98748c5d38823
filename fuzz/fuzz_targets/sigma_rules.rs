//! Sigma rule files (`rules::sigma`): the fuzzer's bytes are one rule file
//! as a host hands it over. Loading never panics, whatever the YAML; every
//! rule is either loaded or refused with a reason; and a session with the
//! rules that loaded analyzes and reports the sample log.
#![no_main]

use std::sync::Arc;

use analyzer_fuzz::SAMPLE_LOG;
use analyzer_wasm::report::FINDINGS_JSON;
use analyzer_wasm::rules::rule;
use analyzer_wasm::rules::sigma::RuleSet;
use analyzer_wasm::session::Session;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (set, refused) = RuleSet::load([("fuzz.yml", data)], |id| rule(id).is_some());
    for r in &refused {
        assert!(!r.refusal.reason.is_empty(), "{r:?}");
        assert_eq!(r.file, "fuzz.yml");
    }
    if set.is_empty() {
        return;
    }
    let mut session = Session::open_with_sigma("", Arc::new(set)).expect("no configuration");
    session.add("sample.json", SAMPLE_LOG.as_bytes());
    session.finish();
    let findings = session.artifact(FINDINGS_JSON).expect("findings.json");
    serde_json::from_slice::<serde_json::Value>(&findings).expect("findings.json is JSON");
});
