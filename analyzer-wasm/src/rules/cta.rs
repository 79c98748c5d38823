//! This analyzer's own rules, `CTA.*`: what the CIS metric filters miss.
//! Like those, they look at one event each and report failed calls too;
//! `CTA.6` alone counts events (a burst of access-denied calls), and its
//! findings are made from those counts when a state is reported.

use serde_json::Value;

use super::{BURST_RULE, RuleInfo, Test, identity_type_is, is};
use crate::event::Event;

/// Our rules, in the order `info` lists them.
pub(super) const RULES: &[RuleInfo] = &[
    // CTA.1: what the trail records can be narrowed without touching the
    // trail API that CloudWatch.5 watches: event and Insights selectors, and
    // CloudTrail Lake event data stores.
    RuleInfo {
        id: "CTA.1",
        title: "CloudTrail event selection or event data store change",
        severity: "high",
        test: Test::Names {
            sources: &["cloudtrail.amazonaws.com"],
            names: &[
                "PutEventSelectors",
                "PutInsightSelectors",
                "DeleteEventDataStore",
                "StopEventDataStoreIngestion",
                "UpdateEventDataStore",
            ],
        },
    },
    // CTA.2: GuardDuty turned off or blinded: detector deleted or disabled
    // (UpdateDetector with `enable: false`), member accounts detached from
    // the administrator, or a filter created/updated with `action: ARCHIVE`
    // (a suppression rule, which auto-archives matching findings).
    RuleInfo {
        id: "CTA.2",
        title: "GuardDuty disabled or suppressed",
        severity: "high",
        test: Test::Custom(guardduty_tampering),
    },
    // CTA.3: the root user creating an access key for itself: IAM's
    // CreateAccessKey without `userName` creates a key for the caller
    // (with `userName`, it is some IAM user's key, and only CloudWatch.1 fires).
    RuleInfo {
        id: "CTA.3",
        title: "Root user access key creation",
        severity: "critical",
        test: Test::Custom(root_access_key),
    },
    // CTA.4: S3 Block Public Access removed, for a bucket (s3) or the whole
    // account (s3-control, which CloudTrail may also log under s3).
    RuleInfo {
        id: "CTA.4",
        title: "S3 Block Public Access removed",
        severity: "high",
        test: Test::Names {
            sources: &["s3.amazonaws.com", "s3-control.amazonaws.com"],
            names: &["DeletePublicAccessBlock", "DeleteAccountPublicAccessBlock"],
        },
    },
    // CTA.5: a bucket or object ACL granting the AllUsers or
    // AuthenticatedUsers group, by grant or by a public canned ACL.
    RuleInfo {
        id: "CTA.5",
        title: "S3 ACL grants public access",
        severity: "high",
        test: Test::Custom(public_acl),
    },
    // CTA.6: at least `threshold` calls matching CloudWatch.2 by one principal
    // within one fixed window; one finding per (principal, window), made at
    // report time from exact, mergeable counts.
    RuleInfo {
        id: BURST_RULE,
        title: "Burst of access-denied calls",
        severity: "medium",
        test: Test::Burst,
    },
];

const GUARDDUTY_DETACH: &[&str] = &[
    "DeleteDetector",
    "DisassociateFromMasterAccount",
    "DisassociateFromAdministratorAccount",
    "DeleteMembers",
    "DisassociateMembers",
    "StopMonitoringMembers",
];

fn guardduty_tampering(e: &Event) -> bool {
    if !is(&e.event_source, "guardduty.amazonaws.com") {
        return false;
    }
    let param = |key| Event::nested_str(e.request_parameters, key);
    match e.event_name.as_str() {
        Some(name) if GUARDDUTY_DETACH.contains(&name) => true,
        Some("UpdateDetector") => param("enable").as_deref() == Some("false"),
        Some("CreateFilter" | "UpdateFilter") => {
            param("action").is_some_and(|a| a.eq_ignore_ascii_case("ARCHIVE"))
        }
        _ => false,
    }
}

fn root_access_key(e: &Event) -> bool {
    is(&e.event_source, "iam.amazonaws.com")
        && is(&e.event_name, "CreateAccessKey")
        && identity_type_is(e, "Root")
        && Event::nested_str(e.request_parameters, "userName").is_none()
}

pub(crate) const PUBLIC_GRANTEES: [&str; 2] = [
    "acs.amazonaws.com/groups/global/AllUsers",
    "acs.amazonaws.com/groups/global/AuthenticatedUsers",
];
const PUBLIC_CANNED_ACLS: [&str; 3] = ["public-read", "public-read-write", "authenticated-read"];

fn public_acl(e: &Event) -> bool {
    if !is(&e.event_source, "s3.amazonaws.com")
        || !matches!(e.event_name.as_str(), Some("PutBucketAcl" | "PutObjectAcl"))
    {
        return false;
    }
    let Some(raw) = e.request_parameters else {
        return false;
    };
    serde_json::from_str::<Value>(raw.get()).is_ok_and(|v| grants_public(&v, None))
}

/// Looks through `requestParameters` for a public grantee URI (in an
/// `AccessControlPolicy` grant or an `x-amz-grant-*` header) or a public
/// canned ACL in `x-amz-acl` (a string or a list of strings).
fn grants_public(value: &Value, key: Option<&str>) -> bool {
    match value {
        Value::String(s) => {
            PUBLIC_GRANTEES.iter().any(|g| s.contains(g))
                || (key.is_some_and(|k| k.eq_ignore_ascii_case("x-amz-acl"))
                    && PUBLIC_CANNED_ACLS.contains(&s.trim()))
        }
        Value::Array(items) => items.iter().any(|v| grants_public(v, key)),
        Value::Object(map) => map.iter().any(|(k, v)| grants_public(v, Some(k))),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::rules::RulesConfig;
    use crate::rules::testing::*;

    // --- CTA rules ---------------------------------------------------------

    #[test]
    fn cta1_cloudtrail_selectors_and_lake() {
        fires(
            api("cloudtrail.amazonaws.com", "PutEventSelectors"),
            "CTA.1",
        );
        fires(
            api("cloudtrail.amazonaws.com", "StopEventDataStoreIngestion"),
            "CTA.1",
        );
        quiet(
            api("cloudtrail.amazonaws.com", "GetEventSelectors"),
            "CTA.1",
        );
        quiet(api("cloudtrail.amazonaws.com", "StopLogging"), "CTA.1");
    }

    #[test]
    fn cta2_guardduty_tampering() {
        let gd = |name: &str| api("guardduty.amazonaws.com", name);
        fires(gd("DeleteDetector"), "CTA.2");
        fires(gd("DisassociateFromAdministratorAccount"), "CTA.2");
        fires(gd("StopMonitoringMembers"), "CTA.2");
        fires(
            set(
                gd("UpdateDetector"),
                "requestParameters",
                json!({"detectorId": "d", "enable": false}),
            ),
            "CTA.2",
        );
        fires(
            set(
                gd("CreateFilter"),
                "requestParameters",
                json!({"name": "x", "action": "ARCHIVE"}),
            ),
            "CTA.2",
        );
        quiet(
            set(
                gd("UpdateDetector"),
                "requestParameters",
                json!({"detectorId": "d", "enable": true}),
            ),
            "CTA.2",
        );
        quiet(
            set(
                gd("UpdateDetector"),
                "requestParameters",
                json!({"findingPublishingFrequency": "SIX_HOURS"}),
            ),
            "CTA.2",
        );
        quiet(
            set(
                gd("CreateFilter"),
                "requestParameters",
                json!({"name": "x", "action": "NOOP"}),
            ),
            "CTA.2",
        );
        quiet(gd("ListDetectors"), "CTA.2");
        quiet(api("securityhub.amazonaws.com", "DeleteDetector"), "CTA.2");
    }

    #[test]
    fn cta3_root_access_key() {
        let key = root(api("iam.amazonaws.com", "CreateAccessKey"));
        assert_eq!(fired(&key), ["CTA.3", "CloudWatch.1"]);
        fires(set(key.clone(), "requestParameters", Value::Null), "CTA.3");
        // Root creating a key for an IAM user: root activity, not a root key.
        let for_user = set(key, "requestParameters", json!({"userName": "bob"}));
        assert_eq!(fired(&for_user), ["CloudWatch.1"]);
        quiet(api("iam.amazonaws.com", "CreateAccessKey"), "CTA.3");
        quiet(root(api("iam.amazonaws.com", "UpdateAccessKey")), "CTA.3");
    }

    #[test]
    fn cta4_public_access_block_removed() {
        fires(api("s3.amazonaws.com", "DeletePublicAccessBlock"), "CTA.4");
        fires(
            api("s3-control.amazonaws.com", "DeletePublicAccessBlock"),
            "CTA.4",
        );
        fires(
            api("s3.amazonaws.com", "DeleteAccountPublicAccessBlock"),
            "CTA.4",
        );
        quiet(api("s3.amazonaws.com", "PutPublicAccessBlock"), "CTA.4");
        quiet(api("s3.amazonaws.com", "GetPublicAccessBlock"), "CTA.4");
    }

    #[test]
    fn cta5_public_acl() {
        let acl = |name: &str, params: Value| {
            set(api("s3.amazonaws.com", name), "requestParameters", params)
        };
        let grant = |uri: &str| {
            json!({"bucketName": "b", "AccessControlPolicy": {"AccessControlList": {"Grant": [
                {"Grantee": {"xsi:type": "CanonicalUser", "ID": "abc"}, "Permission": "FULL_CONTROL"},
                {"Grantee": {"xsi:type": "Group", "URI": uri}, "Permission": "READ"}
            ]}}})
        };
        let all_users = format!("http://{}", PUBLIC_GRANTEES[0]);
        let authenticated = format!("http://{}", PUBLIC_GRANTEES[1]);
        assert_eq!(
            fired(&acl("PutBucketAcl", grant(&all_users))),
            ["CTA.5", "CloudWatch.8"]
        );
        fires(acl("PutObjectAcl", grant(&authenticated)), "CTA.5");
        fires(
            acl(
                "PutBucketAcl",
                json!({"bucketName": "b", "x-amz-acl": ["public-read"]}),
            ),
            "CTA.5",
        );
        fires(
            acl(
                "PutObjectAcl",
                json!({"key": "k", "x-amz-acl": "authenticated-read"}),
            ),
            "CTA.5",
        );
        let header = format!("uri=\"{all_users}\"");
        fires(
            acl(
                "PutBucketAcl",
                json!({"bucketName": "b", "x-amz-grant-read": header}),
            ),
            "CTA.5",
        );

        quiet(
            acl(
                "PutBucketAcl",
                json!({"bucketName": "b", "x-amz-acl": ["private"]}),
            ),
            "CTA.5",
        );
        quiet(
            acl(
                "PutBucketAcl",
                grant("http://acs.amazonaws.com/groups/s3/LogDelivery"),
            ),
            "CTA.5",
        );
        quiet(
            acl("PutBucketAcl", json!({"bucketName": "public-read"})),
            "CTA.5",
        );
        quiet(api("s3.amazonaws.com", "PutBucketAcl"), "CTA.5");
        quiet(acl("PutBucketPolicy", grant(&all_users)), "CTA.5");
        quiet(
            set(
                acl("PutBucketAcl", grant(&all_users)),
                "eventSource",
                json!("s3-control.amazonaws.com"),
            ),
            "CTA.5",
        );
    }

    #[test]
    fn cta6_burst_in_one_window() {
        let config = burst_config();
        let records = [
            denied(ALICE, "2026-03-01T10:04:59.999Z", "c"),
            denied(ALICE, "2026-03-01T10:00:00Z", "a"),
            denied(ALICE, "2026-03-01T10:02:30Z", "b"),
        ];
        let found = bursts(&records, &config);
        assert_eq!(found.len(), 1, "{found:?}");
        let burst = &found[0];
        // The window's first event, whatever order the events came in.
        assert_eq!(
            (burst.event_id.as_str(), burst.event_time.as_str()),
            ("a", "2026-03-01T10:00:00Z")
        );
        assert_eq!(burst.principal, ALICE);
        assert_eq!(
            burst.title,
            "Burst of access-denied calls: 3 in a 5-minute window"
        );
        assert_eq!(burst.severity, "medium");
        // Each call is still a CloudWatch.2 finding of its own.
        assert_eq!(check_all(&records, &config).report(&config).len(), 4);
    }

    #[test]
    fn cta6_needs_threshold_calls_by_one_principal_in_one_window() {
        let config = burst_config();
        let bob = "arn:aws:iam::111122223333:user/bob";
        // Fixed windows: 10:04:59 and 10:05:00 fall in different ones.
        let split = [
            denied(ALICE, "2026-03-01T10:03:00Z", "a"),
            denied(ALICE, "2026-03-01T10:04:59Z", "b"),
            denied(ALICE, "2026-03-01T10:05:00Z", "c"),
        ];
        assert!(bursts(&split, &config).is_empty());
        let two_people = [
            denied(ALICE, "2026-03-01T10:01:00Z", "a"),
            denied(ALICE, "2026-03-01T10:02:00Z", "b"),
            denied(bob, "2026-03-01T10:03:00Z", "c"),
        ];
        assert!(bursts(&two_people, &config).is_empty());
        // Successful calls and calls without a readable time do not count.
        let mixed = [
            denied(ALICE, "2026-03-01T10:01:00Z", "a"),
            denied(ALICE, "2026-03-01T10:02:00Z", "b"),
            unset(denied(ALICE, "2026-03-01T10:03:00Z", "c"), "errorCode"),
            denied(ALICE, "yesterday", "d"),
        ];
        assert!(bursts(&mixed, &config).is_empty());
        // The default threshold is 20.
        let many: Vec<Value> = (0..20)
            .map(|i| denied(ALICE, &format!("2026-03-01T10:00:{i:02}Z"), &i.to_string()))
            .collect();
        assert!(bursts(&many[..19], &RulesConfig::default()).is_empty());
        assert_eq!(bursts(&many, &RulesConfig::default()).len(), 1);
    }
}
