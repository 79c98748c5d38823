use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Read;

use serde_json::Value;

use super::*;

fn gunzip(bytes: &[u8]) -> Value {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .expect("valid gzip");
    serde_json::from_str(&text).expect("valid JSON")
}

fn small_files() -> Vec<LogFile> {
    generate(&Spec::small()).collect()
}

/// Every record of the sample set, with the key of its file.
fn small_records() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for f in small_files().into_iter().filter(|f| !f.is_digest) {
        let doc = gunzip(&f.body);
        for r in doc["Records"].as_array().expect("Records array") {
            out.push((f.key.clone(), r.clone()));
        }
    }
    out
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = small_files();
    let b = small_files();
    assert_eq!(a, b);
    let other = Spec {
        seed: 2,
        ..Spec::small()
    };
    let c: Vec<LogFile> = generate(&other).collect();
    assert_eq!(a.len(), c.len());
    assert_ne!(a[0].body, c[0].body);
}

#[test]
fn sample_set_counts() {
    let files = small_files();
    let logs: Vec<_> = files.iter().filter(|f| !f.is_digest).collect();
    assert_eq!(logs.len() as u64, Spec::small().log_files());
    assert_eq!(logs.len(), 36);
    assert_eq!(logs.iter().map(|f| f.events).sum::<u64>(), 900);
    assert!(files.iter().any(|f| f.is_digest));
    for f in &logs {
        let doc = gunzip(&f.body);
        assert_eq!(doc["Records"].as_array().unwrap().len() as u64, f.events);
    }
    let keys: HashSet<_> = files.iter().map(|f| &f.key).collect();
    assert_eq!(keys.len(), files.len(), "keys are unique");
}

/// Checks one key against CloudTrail's layout; returns (org?, account, region, date dir).
fn parse_key(key: &str, digest: bool) -> (Option<String>, String, String, String) {
    let parts: Vec<&str> = key.split('/').collect();
    assert_eq!(parts[0], "AWSLogs", "{key}");
    let (org, rest) = if parts[1].starts_with("o-") {
        (Some(parts[1].to_owned()), &parts[2..])
    } else {
        (None, &parts[1..])
    };
    assert_eq!(rest.len(), 7, "{key}");
    let account = rest[0];
    assert!(
        account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()),
        "{key}"
    );
    assert_eq!(
        rest[1],
        if digest {
            "CloudTrail-Digest"
        } else {
            "CloudTrail"
        }
    );
    let region = rest[2];
    let (y, m, d) = (rest[3], rest[4], rest[5]);
    assert!(y.len() == 4 && m.len() == 2 && d.len() == 2, "{key}");
    let name = rest[6];
    let stem = name.strip_suffix(".json.gz").expect("json.gz");
    let fields: Vec<&str> = stem.split('_').collect();
    assert_eq!(fields[0], account);
    if digest {
        assert_eq!(fields[1], "CloudTrail-Digest");
        assert_eq!(fields[2], region);
        assert_eq!(fields.len(), 6, "{key}");
        let ts = fields[5];
        assert!(
            ts.len() == 16 && ts.starts_with(&format!("{y}{m}{d}T")) && ts.ends_with('Z'),
            "{key}"
        );
    } else {
        assert_eq!(fields.len(), 5, "{key}");
        assert_eq!(fields[1], "CloudTrail");
        assert_eq!(fields[2], region);
        let ts = fields[3];
        assert!(
            ts.len() == 14 && ts.starts_with(&format!("{y}{m}{d}T")) && ts.ends_with('Z'),
            "{key}"
        );
        assert!(
            fields[4].len() == 16 && fields[4].bytes().all(|b| b.is_ascii_alphanumeric()),
            "{key}"
        );
    }
    (
        org,
        account.to_owned(),
        region.to_owned(),
        format!("{y}-{m}-{d}"),
    )
}

#[test]
fn layout_is_cloudtrails_with_both_org_and_account_trails() {
    let spec = Spec::small();
    let mut org_accounts = BTreeSet::new();
    let mut plain_accounts = BTreeSet::new();
    for f in small_files() {
        let (org, account, region, date) = parse_key(&f.key, f.is_digest);
        assert!(spec.regions.contains(&region));
        assert!(date == "2026-11-01" || date == "2026-11-02", "{}", f.key);
        match org {
            Some(o) => {
                assert_eq!(o, "o-exampleorg1");
                org_accounts.insert(account);
            }
            None => {
                plain_accounts.insert(account);
            }
        }
    }
    assert_eq!(
        org_accounts.len(),
        1,
        "exactly one account under the org trail"
    );
    assert_eq!(plain_accounts.len(), 2);
    assert!(org_accounts.is_disjoint(&plain_accounts));

    let prefixed = Spec {
        key_prefix: "trails".into(),
        ..Spec::small()
    };
    let first = generate(&prefixed).next().unwrap();
    assert!(first.key.starts_with("trails/AWSLogs/"), "{}", first.key);
}

#[test]
fn every_identity_type_and_rare_event_appears_in_the_sample() {
    let records = small_records();
    let types: BTreeSet<String> = records
        .iter()
        .filter_map(|(_, r)| r["userIdentity"]["type"].as_str().map(str::to_owned))
        .collect();
    for t in [
        "IAMUser",
        "AssumedRole",
        "Root",
        "AWSService",
        "FederatedUser",
        "AWSAccount",
        "SAMLUser",
        "WebIdentityUser",
        "IdentityCenterUser",
    ] {
        assert!(types.contains(t), "missing identity type {t}: {types:?}");
    }
    let names: BTreeSet<&str> = records
        .iter()
        .filter_map(|(_, r)| r["eventName"].as_str())
        .collect();
    for n in [
        "ConsoleLogin",
        "StopLogging",
        "PutEventSelectors",
        "DisableKey",
        "ScheduleKeyDeletion",
        "StopConfigurationRecorder",
        "DeleteDetector",
        "AuthorizeSecurityGroupIngress",
        "CreateRoute",
        "CreateNetworkAcl",
        "CreateVpc",
        "AttachInternetGateway",
        "PutUserPolicy",
        "CreateAccessKey",
        "AttachRolePolicy",
        "PutBucketPolicy",
        "PutBucketAcl",
        "DeletePublicAccessBlock",
        "AssumeRole",
        "GetCallerIdentity",
        "Decrypt",
        "GenerateDataKey",
        "LookupEvents",
        "GetObject",
        "PutObject",
        "Invoke",
    ] {
        assert!(names.contains(n), "missing event {n}");
    }
    let root_key = records
        .iter()
        .any(|(_, r)| r["eventName"] == "CreateAccessKey" && r["userIdentity"]["type"] == "Root");
    assert!(root_key, "CreateAccessKey by Root");
    let logins: BTreeSet<&str> = records
        .iter()
        .filter(|(_, r)| r["eventName"] == "ConsoleLogin")
        .filter_map(|(_, r)| r["responseElements"]["ConsoleLogin"].as_str())
        .collect();
    assert_eq!(logins, BTreeSet::from(["Failure", "Success"]));
    let categories: BTreeSet<&str> = records
        .iter()
        .filter_map(|(_, r)| r["eventCategory"].as_str())
        .collect();
    assert_eq!(
        categories,
        BTreeSet::from(["Data", "Insight", "Management"])
    );
    let event_types: BTreeSet<&str> = records
        .iter()
        .filter_map(|(_, r)| r["eventType"].as_str())
        .collect();
    for t in [
        "AwsApiCall",
        "AwsConsoleSignIn",
        "AwsServiceEvent",
        "AwsCloudTrailInsight",
    ] {
        assert!(event_types.contains(t), "missing eventType {t}");
    }
    // Records without a userIdentity type (service events, insights) exist too.
    assert!(
        records
            .iter()
            .any(|(_, r)| r["userIdentity"]["type"].is_null())
    );
}

#[test]
fn records_are_well_formed() {
    let records = small_records();
    let mut ids = HashSet::new();
    let mut errors = 0;
    let mut untyped_resource = false;
    for (key, r) in &records {
        assert!(
            ids.insert(r["eventID"].as_str().expect("eventID").to_owned()),
            "duplicate eventID"
        );
        let time = r["eventTime"].as_str().expect("eventTime");
        assert_eq!(time.len(), 20, "{time}");
        // Within the day of the file's folder.
        let (_, _, region, date) = parse_key(key, false);
        assert!(time.starts_with(&date), "{time} in {key}");
        assert_eq!(r["awsRegion"], region.as_str());
        let minor = minor_version(r);
        assert!(matches!(minor, 2..=6 | 8 | 9), "{}", r["eventVersion"]);
        if r["eventType"] == "AwsCloudTrailInsight" {
            assert!(r["insightDetails"].is_object());
            continue;
        }
        for k in ["eventSource", "eventName", "recipientAccountId"] {
            assert!(r[k].is_string(), "{k} in {r}");
        }
        // Only records made by services may lack a source (in older formats).
        let by_service = r["userIdentity"]["invokedBy"].is_string();
        for k in ["sourceIPAddress", "userAgent"] {
            assert!(
                r[k].is_string() || (minor < 7 && by_service && r.get(k).is_none()),
                "{k} in {r}"
            );
        }
        assert!(r["readOnly"].is_boolean());
        assert!(
            r["managementEvent"].is_boolean() || (minor < 6 && r.get("managementEvent").is_none())
        );
        if r.get("errorCode").is_some() || r.get("errorMessage").is_some() {
            errors += 1;
        }
        if let Some(res) = r.get("resources") {
            for x in res.as_array().unwrap() {
                assert!(x["ARN"].is_string());
                untyped_resource |= x.get("type").is_none();
            }
        }
        if r["eventCategory"] == "Data" {
            assert_eq!(r["managementEvent"], false);
        }
    }
    let rate = errors as f64 / records.len() as f64;
    assert!((0.04..0.10).contains(&rate), "error rate {rate}");
    assert!(untyped_resource, "some resource has no type");
}

/// The minor part of `eventVersion` (`"1.05"` is 5), 0 when missing.
fn minor_version(r: &Value) -> u32 {
    r["eventVersion"]
        .as_str()
        .and_then(|v| v.strip_prefix("1."))
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

/// What the older-format records of `records` hold, after checking that
/// each has only the fields its version had.
#[derive(Debug, Default)]
struct OldFormats {
    /// Older-format records (`eventVersion` 1.02 to 1.06, never an Insight).
    old: usize,
    versions: BTreeSet<String>,
    /// Records (not Insights) without `sourceIPAddress`, all formats.
    no_source_ip: usize,
    /// Records (not Insights) without `resources`, all formats, and only
    /// those in an older format.
    no_resources: usize,
    old_no_resources: usize,
    /// Records with a `userIdentity` that has no `type`, all formats, and
    /// only those in an older format.
    untyped_identity: usize,
    old_untyped_identity: usize,
}

fn old_formats<'a>(records: impl IntoIterator<Item = &'a Value>) -> OldFormats {
    let mut k = OldFormats::default();
    for r in records {
        let minor = minor_version(r);
        let insight = r["eventType"] == "AwsCloudTrailInsight";
        let identity = r.get("userIdentity");
        let untyped = identity.is_some_and(|i| i.get("type").is_none());
        k.untyped_identity += usize::from(untyped);
        if !insight {
            k.no_source_ip += usize::from(r.get("sourceIPAddress").is_none());
            k.no_resources += usize::from(r.get("resources").is_none());
        }
        if minor >= 7 {
            // Today's format: the category is always there.
            assert!(r["eventCategory"].is_string(), "{r}");
            continue;
        }
        assert!((2..=6).contains(&minor), "{r}");
        assert!(!insight, "Insights keep today's format: {r}");
        k.old += 1;
        k.versions
            .insert(r["eventVersion"].as_str().unwrap().to_owned());
        for later in [
            "eventCategory",
            "tlsDetails",
            "sessionCredentialFromConsole",
            "vpcEndpointAccountId",
        ] {
            assert!(r.get(later).is_none(), "{later} in {r}");
        }
        assert_eq!(r.get("managementEvent").is_some(), minor >= 6, "{r}");
        if minor < 3 {
            assert!(r.get("sharedEventID").is_none(), "{r}");
        }
        if minor < 4 {
            assert!(r.get("resources").is_none(), "{r}");
            assert!(r.get("vpcEndpointId").is_none(), "{r}");
        }
        if r.get("serviceEventDetails").is_some() {
            assert!(minor >= 5, "{r}");
        }
        if r["eventType"] == "AwsServiceEvent" {
            assert!(r.get("sourceIPAddress").is_none(), "{r}");
        }
        assert!(
            r["userIdentity"]["sessionContext"]
                .get("ec2RoleDelivery")
                .is_none(),
            "{r}"
        );
        k.old_no_resources += usize::from(r.get("resources").is_none());
        k.old_untyped_identity += usize::from(untyped);
    }
    k
}

/// Every kind of older record the analyzer's legacy paths read.
fn assert_every_old_kind(k: &OldFormats) {
    assert!(k.old > 0, "no record in an older format: {k:?}");
    assert!(
        k.no_source_ip > 0,
        "no record without sourceIPAddress: {k:?}"
    );
    assert!(k.no_resources > 0, "no record without resources: {k:?}");
    assert!(
        k.old_no_resources > 0,
        "no older record without resources: {k:?}"
    );
    assert!(k.untyped_identity > 0, "no identity without type: {k:?}");
    assert!(
        k.old_untyped_identity > 0,
        "no older identity without type: {k:?}"
    );
}

#[test]
fn older_formats_appear_in_the_sample() {
    let records = small_records();
    let k = old_formats(records.iter().map(|(_, r)| r));
    assert_every_old_kind(&k);
    // The scheduled file is in the oldest format.
    assert!(k.versions.contains("1.02"), "{k:?}");
    // A minority: a file or two of 36.
    assert!(k.old * 10 < records.len(), "{k:?}");
}

#[test]
fn older_formats_appear_at_a_low_rate_in_a_bigger_spec() {
    let spec = Spec {
        seed: 7,
        accounts: Spec::account_ids(4),
        regions: Spec::region_names(4),
        files_per_partition_day: 24,
        events_per_file: 20,
        digest_files: false,
        ..Spec::small()
    };
    let mut records = Vec::new();
    let mut old_files = 0;
    let files: Vec<LogFile> = generate(&spec).collect();
    assert_eq!(files.len(), 768);
    for f in &files {
        let doc = gunzip(&f.body);
        let recs = doc["Records"].as_array().unwrap();
        // A file is written in one format (Insights and service events aside).
        let old = recs.iter().filter(|r| minor_version(r) < 7).count();
        let insights = recs
            .iter()
            .filter(|r| r["eventType"] == "AwsCloudTrailInsight")
            .count();
        assert!(old == 0 || old + insights == recs.len(), "{}", f.key);
        old_files += usize::from(old > 0);
        records.extend(recs.iter().cloned());
    }
    let k = old_formats(&records);
    assert_every_old_kind(&k);
    let versions: Vec<&str> = k.versions.iter().map(String::as_str).collect();
    assert_eq!(versions, ["1.02", "1.03", "1.04", "1.05", "1.06"]);
    // About 3% of the files.
    let rate = old_files as f64 / files.len() as f64;
    assert!((0.01..0.06).contains(&rate), "older-format files: {rate}");
    // Service events, not Insights or errors, are what lose the source.
    assert!(k.no_source_ip * 100 < records.len(), "{k:?}");

    // The consolidated file has them too.
    let mut out = Vec::new();
    consolidated_stats(&spec, 2_000_000, &mut out, 1).unwrap();
    let doc = gunzip(&out);
    let k = old_formats(doc["Records"].as_array().unwrap());
    assert_every_old_kind(&k);
}

#[test]
fn digests_chain_and_list_their_logs() {
    let files = small_files();
    let logs: HashSet<&str> = files
        .iter()
        .filter(|f| !f.is_digest)
        .map(|f| f.key.as_str())
        .collect();
    let mut listed = HashSet::new();
    let mut first_of_chain = BTreeMap::new();
    for f in files.iter().filter(|f| f.is_digest) {
        let d = gunzip(&f.body);
        assert!(d.get("Records").is_none());
        assert_eq!(d["digestS3Object"], f.key.as_str());
        for k in [
            "digestStartTime",
            "digestEndTime",
            "digestS3Bucket",
            "digestPublicKeyFingerprint",
            "awsAccountId",
        ] {
            assert!(d[k].is_string(), "{k}");
        }
        let chain = f
            .key
            .rsplit_once('/')
            .unwrap()
            .0
            .split("/20")
            .next()
            .unwrap()
            .to_owned();
        let starts = d["previousDigestS3Object"].is_null();
        if starts {
            assert!(
                first_of_chain.insert(chain, f.key.clone()).is_none(),
                "one chain start per trail region"
            );
        } else {
            assert_eq!(d["previousDigestHashValue"].as_str().unwrap().len(), 64);
            assert_eq!(d["previousDigestSignature"].as_str().unwrap().len(), 512);
        }
        for l in d["logFiles"].as_array().unwrap() {
            let key = l["s3Object"].as_str().unwrap();
            assert!(logs.contains(key), "{key}");
            assert!(listed.insert(key.to_owned()), "listed twice");
            assert_eq!(l["hashValue"].as_str().unwrap().len(), 64);
        }
    }
    assert_eq!(listed.len(), logs.len(), "every log file is in a digest");
    assert_eq!(first_of_chain.len(), 9, "3 accounts x 3 regions");
    let no_digests = Spec {
        digest_files: false,
        ..Spec::small()
    };
    assert!(generate(&no_digests).all(|f| !f.is_digest));
}

#[test]
fn consolidated_is_one_records_document_of_at_least_the_target() {
    let mut out = Vec::new();
    let (summary, raw) = consolidated_stats(&Spec::small(), 3_000_000, &mut out, 1).unwrap();
    assert!(raw >= 3_000_000);
    assert_eq!(summary.bytes, out.len() as u64);
    let doc = gunzip(&out);
    let records = doc["Records"].as_array().unwrap();
    assert_eq!(records.len() as u64, summary.events);
    let ids: HashSet<&str> = records
        .iter()
        .map(|r| r["eventID"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), records.len(), "event ids unique across rounds");

    let mut empty = Vec::new();
    let s = consolidated(&Spec::small(), 0, &mut empty).unwrap();
    assert_eq!(s.events, 0);
    assert_eq!(gunzip(&empty)["Records"].as_array().unwrap().len(), 0);
}

#[test]
fn degenerate_specs_do_not_hang() {
    let none = Spec {
        files_per_partition_day: 0,
        ..Spec::small()
    };
    assert_eq!(generate(&none).count(), 0);
    let empty = Spec {
        events_per_file: 0,
        ..Spec::small()
    };
    for f in generate(&empty).filter(|f| !f.is_digest) {
        assert_eq!(gunzip(&f.body)["Records"].as_array().unwrap().len(), 0);
    }
    let mut out = Vec::new();
    assert_eq!(consolidated(&empty, 1000, &mut out).unwrap().events, 0);
}

#[test]
fn write_to_dir_writes_the_keys() {
    let dir = std::env::temp_dir().join(format!("loggen-test-{}", std::process::id()));
    let summary = write_to_dir(&Spec::small(), &dir).unwrap();
    let files: Vec<LogFile> = small_files();
    assert_eq!(summary.files, files.len() as u64);
    assert_eq!(summary.events, 900);
    assert_eq!(
        summary.digests,
        files.iter().filter(|f| f.is_digest).count() as u64
    );
    for f in &files {
        assert_eq!(std::fs::read(dir.join(&f.key)).unwrap(), f.body);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn thread_count_does_not_change_the_bytes() {
    let spec = Spec {
        days: 1,
        files_per_partition_day: 12,
        events_per_file: 7,
        ..Spec::small()
    };
    let one: Vec<LogFile> = Generator::with_threads(&spec, 1).collect();
    let three: Vec<LogFile> = Generator::with_threads(&spec, 3).collect();
    assert_eq!(one, three);
    assert_eq!(
        one.iter().filter(|f| !f.is_digest).count() as u64,
        spec.log_files()
    );
    // Dropping a threaded generator half-way must not hang.
    assert_eq!(Generator::with_threads(&spec, 2).take(5).count(), 5);

    let mut a = Vec::new();
    let mut b = Vec::new();
    let ra = consolidated_stats(&spec, 2_000_000, &mut a, 1).unwrap();
    let rb = consolidated_stats(&spec, 2_000_000, &mut b, 3).unwrap();
    assert_eq!(ra, rb);
    assert!(a == b, "consolidated bytes differ with the thread count");
}
