//! The engine on generated logs: golden output, and the merge property
//! (analyzing parts apart and merging equals analyzing everything at once).

use analyzer_wasm::report::INSIGHTS_JSON;
use analyzer_wasm::session::Session;

fn insights(session: &mut Session) -> Vec<u8> {
    session.finish();
    session.artifact(INSIGHTS_JSON).unwrap()
}

fn sample_files() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = loggen::generate(&loggen::Spec::small())
        .map(|f| (f.key, f.body))
        .collect();
    // A broken input belongs in every split too: failures must merge as well.
    files.push(("broken.json".into(), b"{\"Records\": [".to_vec()));
    files
}

/// splitmix64: a deterministic sequence of splits, no dependency needed.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[test]
fn golden_insights_for_the_sample_set() {
    let mut session = Session::open("").unwrap();
    for (name, body) in sample_files() {
        session.add(&name, &body[..]);
    }
    let actual = insights(&mut session);
    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/small-insights.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &actual).unwrap();
    }
    let expected = std::fs::read(&golden).expect("golden file (regenerate with UPDATE_GOLDEN=1)");
    assert!(
        actual == expected,
        "insights.json changed for the sample set; if intended, rerun with UPDATE_GOLDEN=1 and review the diff"
    );
}

/// Caps small enough that the sample set's findings overflow them.
const SMALL_CAPS: &str = r#"{"rules":{"max_findings":{"low":7,"medium":2,"high":5,"critical":1}}}"#;

#[test]
fn merging_partial_states_equals_analyzing_together() {
    merge_property("");
}

/// The merge property holds with per-severity caps dropping findings too.
#[test]
fn merging_partial_states_equals_analyzing_together_under_caps() {
    let dropped = merge_property(SMALL_CAPS);
    assert_eq!(
        dropped,
        serde_json::json!({
            "critical": {"cap": 1, "dropped": 0, "found": 1, "reported": 1},
            "high": {"cap": 5, "dropped": 13, "found": 18, "reported": 5},
            "low": {"cap": 7, "dropped": 29, "found": 36, "reported": 7},
            "medium": {"cap": 2, "dropped": 3, "found": 5, "reported": 2},
        })
    );
}

/// Analyzes the sample set together, then split at random into sessions
/// merged in rotating orders; returns `findings_by_severity`.
fn merge_property(config: &str) -> serde_json::Value {
    let files = sample_files();
    let mut together = Session::open(config).unwrap();
    for (name, body) in &files {
        together.add(name, &body[..]);
    }
    let expected = insights(&mut together);

    let mut seed = 42u64;
    for round in 0..12 {
        let parts = 2 + (round % 3) as usize;
        let mut sessions: Vec<Session> =
            (0..parts).map(|_| Session::open(config).unwrap()).collect();
        for (name, body) in &files {
            let i = (next(&mut seed) % parts as u64) as usize;
            sessions[i].add(name, &body[..]);
        }
        // Merge in a rotating order: the result must not depend on it.
        let mut merged = Session::open(config).unwrap();
        for k in 0..parts {
            let state = sessions[(k + round as usize) % parts].export_state();
            merged.merge_state(&state).unwrap();
        }
        assert!(
            insights(&mut merged) == expected,
            "round {round}: merged report differs"
        );
    }
    let doc: serde_json::Value = serde_json::from_slice(&expected).unwrap();
    doc["findings_by_severity"].clone()
}

#[test]
fn every_generated_event_is_counted_and_digests_skipped() {
    let spec = loggen::Spec::small();
    let mut session = Session::open("").unwrap();
    let (mut events, mut digests) = (0, 0);
    for f in loggen::generate(&spec) {
        events += f.events;
        digests += u64::from(f.is_digest);
        session.add(&f.key, &f.body[..]);
    }
    let summary = session.summary();
    assert_eq!(summary.events, events);
    assert_eq!(summary.skipped, digests);
    assert_eq!(summary.failed, 0);
    assert!(digests > 0);
}
