//! The old analyzer's eight keys, value by value: records with each legacy
//! field missing, null, empty, false, zero, a number and odd shapes go
//! through the engine and through `bench/reference_analyzer.py` (the old
//! loop itself), and every key must agree. Where the old loop raised, the
//! engine's documented reading is checked instead.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use analyzer_wasm::report::INSIGHTS_JSON;
use analyzer_wasm::session::Session;
use serde_json::{Value, json};

const LEGACY_KEYS: [&str; 8] = [
    "event_counts",
    "resource_counts",
    "account_counts",
    "region_counts",
    "source_ip_counts",
    "event_type_counts",
    "event_category_counts",
    "total_events",
];

/// Values a field may hold in the wild or by mistake; `None` leaves it out.
fn values() -> Vec<(&'static str, Option<Value>)> {
    vec![
        ("missing", None),
        ("null", Some(Value::Null)),
        ("empty", Some(json!(""))),
        ("false", Some(json!(false))),
        ("true", Some(json!(true))),
        ("zero", Some(json!(0))),
        ("zero-float", Some(json!(0.0))),
        ("int", Some(json!(7))),
        ("negative", Some(json!(-3))),
        ("float", Some(json!(1.5))),
        ("big-float", Some(json!(1e20))),
        ("tiny-float", Some(json!(0.00001))),
        ("string", Some(json!("x-value"))),
        ("null-text", Some(json!("null"))),
        ("empty-object", Some(json!({}))),
        ("empty-list", Some(json!([]))),
        ("object", Some(json!({"a": 1}))),
        ("list", Some(json!([1]))),
    ]
}

/// A complete, ordinary record to vary one field of.
fn base() -> Value {
    json!({
        "eventVersion": "1.08",
        "eventTime": "2026-11-01T00:00:00Z",
        "eventName": "GetObject",
        "eventSource": "s3.amazonaws.com",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "eventType": "AwsApiCall",
        "eventCategory": "Data",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/a"},
        "resources": [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::b/k"}],
    })
}

/// One case per (field, value), plus the odd shapes of the nested fields.
fn cases() -> Vec<(String, Value)> {
    let mut cases = Vec::new();
    for field in [
        "eventName",
        "awsRegion",
        "sourceIPAddress",
        "eventType",
        "eventCategory",
        "userIdentity.type",
        "resources[].type",
        "userIdentity",
        "resources",
    ] {
        for (label, value) in values() {
            let mut record = base();
            let (parent, key) = match field {
                "userIdentity.type" => (&mut record["userIdentity"], "type"),
                "resources[].type" => (&mut record["resources"][0], "type"),
                _ => (&mut record, field),
            };
            let map = parent.as_object_mut().unwrap();
            match value {
                Some(v) => map.insert(key.to_owned(), v),
                None => map.remove(key),
            };
            cases.push((format!("{field}={label}"), record));
        }
    }
    let mut mixed = base();
    mixed["resources"] = json!([{"type": "A"}, {}, {"type": null}, {"type": ""}, 5, "r", null]);
    cases.push(("resources=mixed-items".into(), mixed));
    cases
}

fn file_name(case: &str) -> String {
    case.replace(['[', ']', '.', '='], "_") + ".json"
}

fn legacy(insights: &Value) -> BTreeMap<&'static str, Value> {
    LEGACY_KEYS
        .iter()
        .map(|k| (*k, insights[k].clone()))
        .collect()
}

fn analyze(files: &[(String, Vec<u8>)]) -> Value {
    let mut session = Session::open("").unwrap();
    for (name, body) in files {
        session.add(name, &body[..]);
    }
    let report = session.finish();
    assert_eq!(report.summary.failed, 0, "{:?}", report.problems);
    serde_json::from_slice(&session.artifact(INSIGHTS_JSON).unwrap()).unwrap()
}

/// Runs the reference with `--keep-going`: its counts, and the files it raised on.
fn reference(dir: &Path) -> (Value, Vec<String>) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/reference_analyzer.py");
    let out = Command::new("python3")
        .arg(script)
        .arg("--keep-going")
        .arg(dir)
        .output()
        .expect("python3 runs the reference analyzer");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let raised = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("raised: "))
        .map(|l| {
            let path = l.split(": ").next().unwrap();
            Path::new(path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into()
        })
        .collect();
    (serde_json::from_slice(&out.stdout).unwrap(), raised)
}

/// What the engine counts for one record on its own.
fn alone(record: &Value) -> Value {
    let body = serde_json::to_vec(&json!({ "Records": [record] })).unwrap();
    analyze(&[("case.json".into(), body)])
}

/// Values Python's `Counter` would treat as one key (`False == 0 == 0.0`,
/// `True == 1`) are kept in separate runs: the old analyzer's count under
/// such a key depended on which came first, and ours keys each by its JSON
/// text (documented in the README).
#[test]
fn every_value_and_shape_counts_as_the_old_analyzer_did() {
    let root = std::env::temp_dir().join(format!("legacy-parity-{}", std::process::id()));
    let cases = cases();
    let mut raised = Vec::new();
    for (label, _) in values().into_iter().chain([("mixed-items", None)]) {
        let files: Vec<(String, Vec<u8>)> = cases
            .iter()
            .filter(|(case, _)| case.ends_with(&format!("={label}")))
            .map(|(case, record)| {
                let body = serde_json::to_vec(&json!({ "Records": [record] })).unwrap();
                (file_name(case), body)
            })
            .collect();
        let dir = root.join(label);
        fs::create_dir_all(&dir).unwrap();
        for (name, body) in &files {
            fs::write(dir.join(name), body).unwrap();
        }
        let (expected, raised_here) = reference(&dir);
        // Where the old loop ran, every key agrees, over those records at once.
        let counted: Vec<_> = files
            .iter()
            .filter(|(name, _)| !raised_here.contains(name))
            .cloned()
            .collect();
        assert_eq!(
            legacy(&analyze(&counted)),
            legacy(&expected),
            "records whose fields are {label}"
        );
        raised.extend(raised_here);
    }
    fs::remove_dir_all(&root).unwrap();

    // Where it raised, our documented reading (README, "Lenient, documented readings").
    let mut raised_cases: Vec<&str> = Vec::new();
    for (case, record) in &cases {
        if !raised.contains(&file_name(case)) {
            continue;
        }
        raised_cases.push(case);
        let ours = alone(record);
        assert_eq!(ours["total_events"], 1, "{case}: the record still counts");
        let (field, label) = case.split_once('=').unwrap();
        let expected_key = |unhashable: &'static str| match label {
            "object" | "empty-object" => "{}",
            "list" | "empty-list" => "[]",
            _ => unhashable,
        };
        match field {
            "eventName" => {
                let key = if label == "missing" {
                    "null"
                } else {
                    expected_key("?")
                };
                assert_eq!(ours["event_counts"], json!({ key: 1 }), "{case}");
            }
            "awsRegion" | "sourceIPAddress" | "eventType" | "eventCategory" => {
                let dimension = match field {
                    "awsRegion" => "region_counts",
                    "sourceIPAddress" => "source_ip_counts",
                    "eventType" => "event_type_counts",
                    _ => "event_category_counts",
                };
                assert_eq!(ours[dimension], json!({ expected_key("?"): 1 }), "{case}");
            }
            "userIdentity.type" => {
                assert_eq!(
                    ours["account_counts"],
                    json!({ expected_key("?"): 1 }),
                    "{case}"
                );
            }
            "resources[].type" => {
                assert_eq!(
                    ours["resource_counts"],
                    json!({ expected_key("?"): 1 }),
                    "{case}"
                );
            }
            // A userIdentity that is not an object has no type: `Unknown`.
            "userIdentity" => assert_eq!(ours["account_counts"], json!({"Unknown": 1}), "{case}"),
            // Resources that are not a list count nothing; an element that is
            // not an object is a resource without a type: `null`.
            "resources" => {
                let expected = match label {
                    "mixed-items" => json!({"A": 1, "null": 5, "": 1}),
                    "list" => json!({"null": 1}),
                    _ => json!({}),
                };
                assert_eq!(ours["resource_counts"], expected, "{case}");
            }
            _ => panic!("{case}: the old loop raised on an unexpected case"),
        }
    }
    // The cases where the old analyzer crashed are exactly the known ones.
    raised_cases.sort();
    let expected_raises = [
        "awsRegion=list",
        "resources[].type=empty-list",
        "resources[].type=empty-object",
        "userIdentity.type=empty-list",
        "userIdentity.type=empty-object",
        "eventName=empty-list",
        "eventName=empty-object",
        "awsRegion=object",
        "eventCategory=list",
        "eventCategory=object",
        "eventName=list",
        "eventName=missing",
        "eventName=object",
        "eventType=list",
        "eventType=object",
        "resources=false",
        "resources=float",
        "resources=int",
        "resources=list",
        "resources=mixed-items",
        "resources=negative",
        "resources=null",
        "resources=object",
        "resources=string",
        "resources=true",
        "resources=zero",
        "resources=null-text",
        "resources=big-float",
        "resources=tiny-float",
        "resources=zero-float",
        "resources[].type=list",
        "resources[].type=object",
        "sourceIPAddress=list",
        "sourceIPAddress=object",
        "userIdentity.type=list",
        "userIdentity.type=object",
        "userIdentity=empty",
        "userIdentity=false",
        "userIdentity=float",
        "userIdentity=int",
        "userIdentity=list",
        "userIdentity=negative",
        "userIdentity=null",
        "userIdentity=string",
        "userIdentity=true",
        "userIdentity=zero",
        "userIdentity=null-text",
        "userIdentity=big-float",
        "userIdentity=tiny-float",
        "userIdentity=zero-float",
        "userIdentity=empty-list",
    ];
    let mut expected_raises = expected_raises.to_vec();
    expected_raises.sort();
    assert_eq!(raised_cases, expected_raises);
}

#[test]
fn merged_partial_states_keep_the_legacy_readings() {
    // The truthy-only keys must survive export and merge: a state holds no
    // `null` key for a record without a category.
    let old = json!({"eventName": "A", "eventVersion": "1.04", "awsRegion": "us-east-1"});
    let new = base();
    let mut merged = Session::open("").unwrap();
    for record in [old, new] {
        let mut part = Session::open("").unwrap();
        let body = serde_json::to_vec(&json!({ "Records": [record] })).unwrap();
        part.add("part.json", &body[..]);
        merged.merge_state(&part.export_state()).unwrap();
    }
    merged.finish();
    let insights: Value = serde_json::from_slice(&merged.artifact(INSIGHTS_JSON).unwrap()).unwrap();
    assert_eq!(insights["event_category_counts"], json!({"Data": 1}));
    assert_eq!(insights["source_ip_counts"], json!({"198.51.100.7": 1}));
    assert_eq!(insights["region_counts"], json!({"us-east-1": 2}));
    assert_eq!(
        insights["account_counts"],
        json!({"IAMUser": 1, "Unknown": 1})
    );
    assert_eq!(insights["resource_counts"], json!({"AWS::S3::Object": 1}));
    assert_eq!(insights["total_events"], 2);
}
