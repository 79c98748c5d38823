//! Test helpers shared by the rules' and the findings' unit tests: records
//! built from a template, and checking them through a findings state.

use serde_json::{Value, json};

use crate::event::Event;
use crate::findings::{Finding, Findings};
use crate::rules::{BURST_RULE, BurstConfig, RulesConfig};

pub(crate) const ALICE: &str = "arn:aws:iam::111122223333:user/alice";

/// A successful API call by the IAM user alice.
pub(crate) fn api(source: &str, name: &str) -> Value {
    json!({
        "eventVersion": "1.08",
        "eventID": "e-1",
        "eventTime": "2026-03-01T10:00:00Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333",
        "userIdentity": {
            "type": "IAMUser",
            "arn": ALICE,
            "accountId": "111122223333",
            "userName": "alice"
        }
    })
}

/// Sets a dotted path, creating objects on the way.
pub(crate) fn set(mut record: Value, path: &str, value: Value) -> Value {
    let mut cur = &mut record;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let obj = cur.as_object_mut().unwrap();
        if parts.peek().is_none() {
            obj.insert(part.into(), value);
            break;
        }
        cur = obj.entry(part).or_insert_with(|| json!({}));
    }
    record
}

pub(crate) fn unset(mut record: Value, path: &str) -> Value {
    let (parent, last) = path.rsplit_once('.').map_or(("", path), |(p, l)| (p, l));
    let pointer = if parent.is_empty() {
        String::new()
    } else {
        format!("/{}", parent.replace('.', "/"))
    };
    record
        .pointer_mut(&pointer)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove(last);
    record
}

pub(crate) fn root(record: Value) -> Value {
    set(
        record,
        "userIdentity",
        json!({"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"}),
    )
}

pub(crate) fn check_all(records: &[Value], config: &RulesConfig) -> Findings {
    let mut findings = Findings::default();
    for r in records {
        let text = r.to_string();
        findings.check(
            &Event::parse(text.as_bytes()).unwrap(),
            text.as_bytes(),
            config,
        );
    }
    findings
}

pub(crate) fn fired_with(record: &Value, config: &RulesConfig) -> Vec<String> {
    let report = check_all(std::slice::from_ref(record), config).report(config);
    report.into_iter().map(|f| f.rule_id).collect()
}

pub(crate) fn fired(record: &Value) -> Vec<String> {
    fired_with(record, &RulesConfig::default())
}

#[track_caller]
pub(crate) fn fires(record: Value, id: &str) {
    let ids = fired(&record);
    assert!(
        ids.iter().any(|i| i == id),
        "{id} should fire on {record}: {ids:?}"
    );
}

#[track_caller]
pub(crate) fn quiet(record: Value, id: &str) {
    let ids = fired(&record);
    assert!(
        !ids.iter().any(|i| i == id),
        "{id} should not fire on {record}: {ids:?}"
    );
}

pub(crate) fn console_login(result: &str, mfa: &str) -> Value {
    let record = api("signin.amazonaws.com", "ConsoleLogin");
    let record = set(record, "responseElements", json!({"ConsoleLogin": result}));
    set(
        record,
        "additionalEventData",
        json!({"MFAUsed": mfa, "LoginTo": "https://console"}),
    )
}

pub(crate) fn denied(principal: &str, time: &str, id: &str) -> Value {
    let record = set(
        api("ec2.amazonaws.com", "DescribeInstances"),
        "errorCode",
        json!("Client.UnauthorizedOperation"),
    );
    let record = set(record, "userIdentity.arn", json!(principal));
    let record = set(record, "eventTime", json!(time));
    set(record, "eventID", json!(id))
}

pub(crate) fn burst_config() -> RulesConfig {
    RulesConfig {
        access_denied_burst: BurstConfig {
            threshold: 3,
            window_minutes: 5,
        },
        ..RulesConfig::default()
    }
}

pub(crate) fn bursts(records: &[Value], config: &RulesConfig) -> Vec<Finding> {
    let report = check_all(records, config).report(config);
    report
        .into_iter()
        .filter(|f| f.rule_id == BURST_RULE)
        .collect()
}
