//! The rules component written in Python (`analyzer-py/`): its own unit
//! tests, then the component built by componentize-py, run by the host
//! (`--component`) and by the `wasmtime` CLI, beside the default one.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::util::{self, bin, json, run, text};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Generated logs, plus one file that is not a log.
fn logs(dir: &Path) -> PathBuf {
    let logs = dir.join("logs");
    util::sample_logs(&logs);
    fs::write(logs.join("broken.json"), b"{\"Records\": [").unwrap();
    logs
}

fn records_of(parts: &Path) -> Vec<serde_json::Value> {
    let mut names: Vec<_> = fs::read_dir(parts)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let mut records = Vec::new();
    for name in names {
        let mut text = String::new();
        let file = fs::File::open(&name).unwrap();
        std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(file), &mut text)
            .unwrap();
        let log = json(text.as_bytes());
        records.extend(log["Records"].as_array().unwrap().iter().cloned());
    }
    records
}

#[test]
fn its_unit_tests_pass() {
    let result = Command::new("python3")
        .current_dir(workspace())
        .args(["-m", "unittest", "discover", "-s", "analyzer-py/tests"])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run python3");
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert!(
        text(&result.stderr).contains("OK"),
        "{}",
        text(&result.stderr)
    );
}

#[test]
fn the_host_runs_it_and_its_counts_equal_the_default_components() {
    let python = util::python_component();
    let dir = tempfile::tempdir().unwrap();
    let logs = logs(dir.path());
    let analyze = |out: &Path, component: Option<&Path>| {
        let mut cmd = bin();
        cmd.arg("analyze").arg(&logs).arg("--out").arg(out);
        if let Some(component) = component {
            cmd.arg("--component").arg(component);
        }
        run(&mut cmd)
    };
    let ours = analyze(&dir.path().join("py"), Some(&python));
    // The broken file fails, names itself, and the rest is analyzed.
    assert_eq!(ours.status.code(), Some(1), "{}", text(&ours.stderr));
    assert!(text(&ours.stderr).contains("broken.json"));
    let default = analyze(&dir.path().join("rust"), None);
    assert_eq!(default.status.code(), Some(1), "{}", text(&default.stderr));

    let insights =
        |side: &str| json(&fs::read(dir.path().join(side).join("insights.json")).unwrap());
    let (py, rust) = (insights("py"), insights("rust"));
    assert!(py["total_events"].as_u64().unwrap() > 100, "{py}");
    for key in util::LEGACY_KEYS {
        assert_eq!(py[key], rust[key], "{key} differs");
    }
    let findings = json(&fs::read(dir.path().join("py/findings.json")).unwrap());
    let rules: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"PY.3"), "{rules:?}");

    let info = run(bin()
        .args(["component", "info", "--component"])
        .arg(&python));
    assert!(info.status.success(), "{}", text(&info.stderr));
    let info = text(&info.stdout);
    for expected in ["analyzer-py", "0.3.0", "PY.1", "PY.2", "PY.3"] {
        assert!(info.contains(expected), "{expected} missing from {info}");
    }
}

#[test]
fn the_wasmtime_cli_runs_it_on_the_samples() {
    let python = util::python_component();
    let samples = workspace().join("samples");
    let result = util::wasmtime_run(&python, &[(&samples, "/logs")], &["/logs"]);
    assert!(result.status.success(), "{}", text(&result.stderr));
    let from_cli = json(&result.stdout);

    let dir = tempfile::tempdir().unwrap();
    let result = run(bin()
        .arg("analyze")
        .arg(&samples)
        .arg("--out")
        .arg(dir.path())
        .arg("--component")
        .arg(&python));
    assert!(result.status.success(), "{}", text(&result.stderr));
    let from_host = json(&fs::read(dir.path().join("insights.json")).unwrap());
    assert_eq!(from_cli, from_host);
    assert!(from_cli["findings_by_rule"]["PY.1"].as_u64().unwrap() > 0);

    let bad = util::wasmtime_run(&python, &[], &["--bogus"]);
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("unknown option --bogus"));
}

#[test]
fn it_consolidates_through_the_host_over_scratch_runs() {
    let python = util::python_component();
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    util::sample_logs(&logs);
    let config = dir.path().join("small.json");
    fs::write(
        &config,
        r#"{"consolidate": {"max_buffer_bytes": 65536, "max_part_bytes": 262144}}"#,
    )
    .unwrap();
    let aggregate = |side: &str, component: Option<&Path>| {
        let out = dir.path().join(side);
        fs::create_dir_all(&out).unwrap();
        let mut cmd = bin();
        cmd.arg("aggregate")
            .arg(&logs)
            .arg("--out")
            .arg(out.join("day.json.gz"))
            .arg("--config")
            .arg(&config);
        if let Some(component) = component {
            cmd.arg("--component").arg(component);
        }
        let result = run(&mut cmd);
        assert!(result.status.success(), "{side}: {}", text(&result.stderr));
        out
    };
    let ours = records_of(&aggregate("py", Some(&python)));
    let default = records_of(&aggregate("rust", None));
    assert!(fs::read_dir(dir.path().join("py")).unwrap().count() > 1);
    let times: Vec<&str> = ours
        .iter()
        .map(|r| r["eventTime"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "not ordered by time"
    );
    // The same records (ties in time may be ordered otherwise).
    let sorted = |records: &[serde_json::Value]| {
        let mut texts: Vec<String> = records.iter().map(|r| r.to_string()).collect();
        texts.sort();
        texts
    };
    assert!(!ours.is_empty());
    assert_eq!(sorted(&ours), sorted(&default));
}
