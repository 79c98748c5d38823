//! Caps per severity and the alerts' own bound, through whole sessions: a
//! flood of cheap low findings earlier in the day never hides a later
//! critical one from the report or the alerts, analyzed at once or merged
//! from partial states.

use analyzer_wasm::report::FINDINGS_JSON;
use analyzer_wasm::session::{Report, Session};
use serde_json::{Value, json};

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";

fn record(i: u32, name: &str, identity: Value, extra: Value) -> Value {
    let mut r = json!({
        "eventVersion": "1.08",
        "eventID": format!("e{i:05}"),
        "eventTime": format!("2026-03-01T{:02}:{:02}:{:02}Z", i / 3600, i / 60 % 60, i % 60),
        "eventSource": "ec2.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333",
        "userIdentity": identity,
    });
    r.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    r
}

fn alice() -> Value {
    json!({"type": "IAMUser", "arn": ALICE, "accountId": "111122223333", "userName": "alice"})
}

/// An access-denied call: a low finding (CloudWatch.2).
fn denied(i: u32) -> Value {
    record(
        i,
        "DescribeInstances",
        alice(),
        json!({"errorCode": "Client.UnauthorizedOperation"}),
    )
}

/// The root user creating an access key for itself: critical (CTA.3), and
/// root activity (CloudWatch.1, high).
fn root_key(i: u32) -> Value {
    let root = json!({"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"});
    record(
        i,
        "CreateAccessKey",
        root,
        json!({"eventSource": "iam.amazonaws.com", "eventID": "root-key"}),
    )
}

fn log(records: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({ "Records": records })).unwrap()
}

/// 20,000 access-denied calls from midnight on, then the root key at 18:00.
fn flood() -> Vec<Value> {
    let mut records: Vec<Value> = (0..20_000).map(denied).collect();
    records.push(root_key(18 * 3600));
    records
}

fn findings_json(session: &Session) -> Value {
    serde_json::from_slice(&session.artifact(FINDINGS_JSON).unwrap()).unwrap()
}

fn alert_keys(report: &Report) -> Vec<&str> {
    report.alerts.iter().map(|a| a.key.as_str()).collect()
}

/// What a report says about findings and alerts, to compare reports.
fn outcome(session: &Session, report: &Report) -> (Value, Vec<(String, String, String)>) {
    let alerts = report
        .alerts
        .iter()
        .map(|a| (a.key.clone(), a.subject.clone(), a.body.clone()))
        .collect();
    (findings_json(session), alerts)
}

#[test]
fn a_critical_after_20000_low_findings_is_reported_and_alerted() {
    let mut session = Session::open("").unwrap();
    session.add("flood.json", &log(&flood())[..]);
    let report = session.finish();
    let doc = findings_json(&session);
    let findings = doc["findings"].as_array().unwrap();
    let critical: Vec<&Value> = findings
        .iter()
        .filter(|f| f["severity"] == "critical")
        .collect();
    assert_eq!(critical.len(), 1);
    assert_eq!(critical[0]["rule_id"], "CTA.3");
    assert_eq!(critical[0]["event_id"], "root-key");
    // The low findings kept their earliest 10,000 and say what they dropped.
    assert_eq!(
        doc["by_severity"]["low"],
        json!({"found": 20_000, "reported": 10_000, "dropped": 10_000, "cap": 10_000})
    );
    assert_eq!(doc["by_severity"]["critical"]["dropped"], 0);
    assert_eq!(doc["dropped"], 10_000);
    // Alerts: the critical first, then the high; no low or medium ones.
    assert_eq!(
        alert_keys(&report),
        ["CTA.3/root-key", "CloudWatch.1/root-key"]
    );
    assert!(report.alerts[0].subject.starts_with("[critical] "));
}

#[test]
fn merged_partial_states_keep_the_critical_too() {
    let records = flood();
    let mut together = Session::open("").unwrap();
    together.add("flood.json", &log(&records)[..]);
    let report = together.finish();
    let expected = outcome(&together, &report);

    // Split into files and sessions, merged in several orders.
    for (parts, files) in [(2, 2), (3, 7), (4, 21)] {
        let per_file = records.len().div_ceil(files);
        let chunks: Vec<&[Value]> = records.chunks(per_file).collect();
        let mut sessions: Vec<Session> = (0..parts).map(|_| Session::open("").unwrap()).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            sessions[(i * 5 + 1) % parts].add(&format!("part-{i:02}.json"), &log(chunk)[..]);
        }
        let states: Vec<Vec<u8>> = sessions.iter().map(Session::export_state).collect();
        for rotation in 0..parts {
            let mut merged = Session::open("").unwrap();
            for k in 0..parts {
                merged.merge_state(&states[(k + rotation) % parts]).unwrap();
            }
            let report = merged.finish();
            assert_eq!(
                alert_keys(&report),
                ["CTA.3/root-key", "CloudWatch.1/root-key"]
            );
            assert!(
                outcome(&merged, &report) == expected,
                "{parts} sessions, rotation {rotation}: the merged report differs"
            );
        }
    }
}

#[test]
fn more_high_findings_than_the_alert_bound_end_in_one_summary_alert() {
    // 150 StopLogging calls (high, CloudWatch.5), then a critical: the
    // critical goes first, 99 highs one by one, the other 51 in a summary.
    let mut records: Vec<Value> = (0..150)
        .map(|i| {
            record(
                i,
                "StopLogging",
                alice(),
                json!({"eventSource": "cloudtrail.amazonaws.com"}),
            )
        })
        .collect();
    records.push(root_key(200));
    let config = r#"{"rules":{"alerts":{"max_alerts":100},"disabled":["CloudWatch.1"]}}"#;
    let mut session = Session::open(config).unwrap();
    session.add("stop.json", &log(&records)[..]);
    let report = session.finish();
    assert_eq!(report.alerts.len(), 101);
    assert_eq!(report.alerts[0].key, "CTA.3/root-key");
    assert_eq!(report.alerts[1].key, "CloudWatch.5/e00000");
    assert_eq!(report.alerts[99].key, "CloudWatch.5/e00098");
    let summary = &report.alerts[100];
    assert_eq!(
        summary.key,
        "summary/51/CloudWatch.5/e00099/CloudWatch.5/e00149"
    );
    assert_eq!(summary.subject, "[high] 51 more findings (51 high)");
    let body: Value = serde_json::from_str(&summary.body).unwrap();
    assert_eq!(body["findings_not_sent_one_by_one"], 51);
    assert_eq!(body["by_rule"], json!({"CloudWatch.5": 51}));
    assert_eq!(body["first_event_time"], "2026-03-01T00:01:39Z");
    assert_eq!(body["last_event_time"], "2026-03-01T00:02:29Z");
    // Every high finding is still in the report.
    let doc = findings_json(&session);
    assert_eq!(doc["by_severity"]["high"]["reported"], 150);
}
