//! Sigma rules as data: read by the host from a folder, a file or an S3
//! prefix, handed to the real component, evaluated there; and the same
//! rules under the `wasmtime` CLI.

use std::fs;
use std::path::Path;

use super::util::{self, bin, gzip, json, run, text};

/// Two events: one the test rule matches (a role's trust policy opened to
/// another account), one it does not.
const LOG: &str = r#"{"Records":[
 {"eventVersion":"1.09","eventID":"hit-1","eventTime":"2026-11-30T10:00:00Z",
  "eventSource":"iam.amazonaws.com","eventName":"UpdateAssumeRolePolicy","awsRegion":"us-east-1",
  "sourceIPAddress":"198.51.100.7","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory"},
  "requestParameters":{"roleName":"ops","policyDocument":"{\"Principal\":{\"AWS\":\"arn:aws:iam::999999999999:root\"}}"}},
 {"eventVersion":"1.09","eventID":"quiet-1","eventTime":"2026-11-30T10:01:00Z",
  "eventSource":"iam.amazonaws.com","eventName":"UpdateAssumeRolePolicy","awsRegion":"us-east-1",
  "sourceIPAddress":"198.51.100.7","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice"},
  "requestParameters":{"roleName":"ops","policyDocument":"{\"Principal\":{\"Service\":\"ec2.amazonaws.com\"}}"}}
]}"#;

const RULE: &str = "\
title: Role trust opened to account 999999999999
id: test.trust-opened
level: critical
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventName: UpdateAssumeRolePolicy
        requestParameters.policyDocument|contains: ':999999999999:'
    condition: selection
";

const UNSUPPORTED: &str = "\
title: Many denied calls
id: test.aggregation
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        errorCode: AccessDenied
    condition: selection | count() by userIdentity.arn > 10
";

const BROKEN: &str = "\
title: Typo
id: test.typo
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventName|contians: Delete
    condition: selection
";

fn logs(dir: &Path) -> std::path::PathBuf {
    let logs = dir.join("logs");
    fs::create_dir_all(&logs).unwrap();
    fs::write(logs.join("trail.json.gz"), gzip(LOG.as_bytes())).unwrap();
    logs
}

fn rules(dir: &Path, files: &[(&str, &str)]) -> std::path::PathBuf {
    let rules = dir.join("rules");
    fs::create_dir_all(rules.join("nested")).unwrap();
    for (name, text) in files {
        fs::write(rules.join(name), text).unwrap();
    }
    rules
}

/// The Sigma findings of a report, as (rule id, event id, severity, title).
fn findings(report: &Path, rule: &str) -> Vec<(String, String, String, String)> {
    let all = json(&fs::read(report.join("findings.json")).unwrap());
    let list = all
        .as_array()
        .or_else(|| all["findings"].as_array())
        .unwrap()
        .clone();
    list.iter()
        .filter(|f| f["rule_id"] == rule)
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_owned();
            (s("rule_id"), s("event_id"), s("severity"), s("title"))
        })
        .collect()
}

#[test]
fn rules_from_a_folder_make_findings_and_unsupported_ones_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let logs = logs(dir.path());
    let rules = rules(
        dir.path(),
        &[
            ("nested/trust.yml", RULE),
            ("aggregation.yaml", UNSUPPORTED),
            (
                "README.md",
                "not a rule: only *.yml and *.yaml are read from a folder",
            ),
        ],
    );
    let out = dir.path().join("report");
    let result = run(bin()
        .arg("analyze")
        .arg(&logs)
        .arg("--out")
        .arg(&out)
        .arg("--sigma")
        .arg(&rules));
    let stderr = text(&result.stderr);
    assert!(result.status.success(), "{stderr}");
    assert!(
        stderr.contains("aggregation.yaml test.aggregation: detection.condition")
            && stderr.contains("not loaded"),
        "{stderr}"
    );
    assert_eq!(
        findings(&out, "test.trust-opened"),
        [(
            "test.trust-opened".to_owned(),
            "hit-1".to_owned(),
            "critical".to_owned(),
            "Role trust opened to account 999999999999".to_owned()
        )]
    );
    // The finding is in the CSV and the HTML report too.
    let csv = fs::read_to_string(out.join("findings.csv")).unwrap();
    assert!(csv.contains("test.trust-opened"), "{csv}");
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("test.trust-opened"));

    // The rules configuration applies to Sigma ids: severity, then disabled.
    let config = dir.path().join("config.json");
    fs::write(
        &config,
        r#"{"rules":{"severity":{"test.trust-opened":"low"}}}"#,
    )
    .unwrap();
    let out2 = dir.path().join("report2");
    let result = run(bin()
        .arg("analyze")
        .arg(&logs)
        .args(["--out".as_ref(), out2.as_os_str()])
        .args([
            "--sigma".as_ref(),
            rules.join("nested/trust.yml").as_os_str(),
        ])
        .args(["--config".as_ref(), config.as_os_str()]));
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert_eq!(findings(&out2, "test.trust-opened")[0].2, "low");
    fs::write(&config, r#"{"rules":{"disabled":["test.trust-opened"]}}"#).unwrap();
    let out3 = dir.path().join("report3");
    let result = run(bin()
        .arg("analyze")
        .arg(&logs)
        .args(["--out".as_ref(), out3.as_os_str()])
        .args(["--sigma".as_ref(), rules.as_os_str()])
        .args(["--config".as_ref(), config.as_os_str()]));
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert!(findings(&out3, "test.trust-opened").is_empty());
}

#[test]
fn a_broken_rule_stops_the_run_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let logs = logs(dir.path());
    let rules = rules(dir.path(), &[("trust.yml", RULE), ("typo.yml", BROKEN)]);
    let out = dir.path().join("report");
    let result = run(bin()
        .arg("analyze")
        .arg(&logs)
        .arg("--out")
        .arg(&out)
        .arg("--sigma")
        .arg(&rules));
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "typo.yml test.typo: detection.selection: field \"eventName|contians\": \
             unknown modifier \"contians\""
        ),
        "{stderr}"
    );
    assert!(!out.join("findings.json").exists());

    // A path with no rule file is an error, not an empty rule set.
    let empty = dir.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    let result = run(bin()
        .arg("analyze")
        .arg(&logs)
        .arg("--out")
        .arg(&out)
        .arg("--sigma")
        .arg(&empty));
    assert_eq!(result.status.code(), Some(2));
    assert!(text(&result.stderr).contains("no .yml or .yaml file"));
}

#[test]
fn component_info_lists_loaded_and_refused_rules() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules(
        dir.path(),
        &[
            ("trust.yml", RULE),
            ("typo.yml", BROKEN),
            ("agg.yml", UNSUPPORTED),
        ],
    );
    let result = run(bin().args(["component", "info", "--sigma"]).arg(&rules));
    let stdout = text(&result.stdout);
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert!(
        stdout.contains("test.trust-opened critical  Role trust opened to account 999999999999"),
        "{stdout}"
    );
    assert!(stdout.contains("refused:  2"), "{stdout}");
    assert!(stdout.contains("agg.yml test.aggregation (unsupported): detection.condition"));
    assert!(stdout.contains("typo.yml test.typo (broken): detection.selection: field"));
}

#[test]
fn a_component_without_the_rule_files_interface_is_refused_with_rules() {
    let dir = tempfile::tempdir().unwrap();
    let logs = logs(dir.path());
    let rules = rules(dir.path(), &[("trust.yml", RULE)]);
    let component = util::test_component("test-alt-rules");
    let result = run(bin()
        .arg("analyze")
        .arg(&logs)
        .args(["--out".as_ref(), dir.path().join("report").as_os_str()])
        .args(["--sigma".as_ref(), rules.as_os_str()])
        .args(["--component".as_ref(), component.as_os_str()]));
    assert_eq!(result.status.code(), Some(2));
    assert!(
        text(&result.stderr).contains("does not take rule files"),
        "{}",
        text(&result.stderr)
    );
}

#[test]
fn the_wasmtime_cli_finds_the_same_with_the_same_rules() {
    let dir = tempfile::tempdir().unwrap();
    let logs = logs(dir.path());
    let rules = rules(dir.path(), &[("trust.yml", RULE)]);
    let wasm = dir.path().join("analyzer.wasm");
    assert!(
        run(bin().args(["component", "export"]).arg(&wasm))
            .status
            .success()
    );
    let host_out = dir.path().join("host");
    let result = run(bin()
        .arg("analyze")
        .arg(&logs)
        .args(["--out".as_ref(), host_out.as_os_str()])
        .args(["--sigma".as_ref(), rules.as_os_str()]));
    assert!(result.status.success(), "{}", text(&result.stderr));

    let cli_out = dir.path().join("cli");
    fs::create_dir_all(&cli_out).unwrap();
    let result = util::wasmtime_run(
        &wasm,
        &[(&logs, "/logs"), (&rules, "/rules"), (&cli_out, "/out")],
        &["--sigma", "/rules", "--out", "/out", "/logs"],
    );
    assert!(result.status.success(), "{}", text(&result.stderr));
    let from_host = findings(&host_out, "test.trust-opened");
    assert_eq!(from_host.len(), 1);
    assert_eq!(findings(&cli_out, "test.trust-opened"), from_host);
}

#[tokio::test]
async fn rules_from_an_s3_prefix() {
    let moto = util::moto();
    let client = moto.client().await;
    let bucket = util::bucket(&client, "sigma").await;
    util::put(
        &client,
        &bucket,
        "rules/trust.yml",
        RULE.as_bytes().to_vec(),
    )
    .await;
    util::put(&client, &bucket, "rules/notes.txt", b"ignored".to_vec()).await;
    util::put(
        &client,
        &bucket,
        "AWSLogs/1/CloudTrail/us-east-1/2026/11/30/trail.json.gz",
        gzip(LOG.as_bytes()),
    )
    .await;
    let result = run(moto.bin().args([
        "analyze",
        &format!("s3://{bucket}/AWSLogs/"),
        "--out",
        &format!("s3://{bucket}/reports/sigma"),
        "--sigma",
        &format!("s3://{bucket}/rules/"),
    ]));
    assert!(result.status.success(), "{}", text(&result.stderr));
    let findings = json(&util::get(&client, &bucket, "reports/sigma/findings.json").await);
    let ours: Vec<&str> = findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "test.trust-opened")
        .map(|f| f["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ours, ["hit-1"]);
}

#[test]
fn the_default_pack_is_on_and_the_configuration_can_disable_its_rules() {
    let dir = tempfile::tempdir().unwrap();
    let logs = logs(dir.path());
    let pack_rule = "cta.iam-role-trust-policy-changed";
    let out = dir.path().join("report");
    let result = run(bin().arg("analyze").arg(&logs).arg("--out").arg(&out));
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert_eq!(
        findings(&out, pack_rule).len(),
        2,
        "both trust policy changes"
    );
    let info = text(&run(bin().args(["component", "info"])).stdout);
    assert!(info.contains(pack_rule), "{info}");

    // The same configuration for a session and a consolidator.
    let config = dir.path().join("config.json");
    fs::write(
        &config,
        format!(r#"{{"rules":{{"disabled":["{pack_rule}"]}}}}"#),
    )
    .unwrap();
    let out = dir.path().join("quiet");
    let result = run(bin()
        .arg("analyze")
        .arg(&logs)
        .args(["--out".as_ref(), out.as_os_str()])
        .args(["--config".as_ref(), config.as_os_str()]));
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert!(findings(&out, pack_rule).is_empty());
    let result = run(bin()
        .arg("aggregate")
        .arg(&logs)
        .args(["--out".as_ref(), dir.path().join("day.json.gz").as_os_str()])
        .args(["--config".as_ref(), config.as_os_str()]));
    assert!(result.status.success(), "{}", text(&result.stderr));
}
