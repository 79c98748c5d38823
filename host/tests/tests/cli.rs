//! The CLI on local files: reports, consolidation, bad inputs, the
//! component commands, and agreement with the `wasmtime` CLI and with the
//! old analyzer's algorithm.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use super::util::{self, bin, gzip, json, run, text, without_inputs};

fn analyze(inputs: &[&Path], out: &Path, extra: &[&str]) -> std::process::Output {
    let mut cmd = bin();
    cmd.arg("analyze")
        .args(inputs)
        .arg("--out")
        .arg(out)
        .args(extra);
    run(&mut cmd)
}

#[test]
fn analyzes_generated_logs_and_prints_where_the_report_is() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let summary = util::sample_logs(&logs);
    let out = dir.path().join("report");
    let result = analyze(&[&logs], &out, &[]);
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert!(text(&result.stdout).contains(&out.join("insights.json").display().to_string()));
    let insights = json(&fs::read(out.join("insights.json")).unwrap());
    assert_eq!(insights["total_events"], summary.events);
    assert_eq!(insights["summary"]["skipped"], summary.digests);
    assert_eq!(insights["summary"]["failed"], 0);
    let csv = fs::read_to_string(out.join("insights.csv")).unwrap();
    assert!(csv.starts_with("event_name,count\r\n"));
    assert!(out.join("dimensions.csv").exists());
    // Artifacts arrive through temporary files: none is left, and each
    // artifact has the mode any new file of this user gets.
    let mut names: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "dimensions.csv",
            "findings.csv",
            "findings.json",
            "insights.csv",
            "insights.json",
            "report.html"
        ]
    );
    let probe = dir.path().join("probe");
    fs::write(&probe, b"").unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&out.join("report.html")), mode(&probe));
}

#[test]
fn legacy_counts_equal_the_old_python_algorithm() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    util::sample_logs(&logs);
    let out = dir.path().join("report");
    assert!(analyze(&[&logs], &out, &[]).status.success());
    let ours = json(&fs::read(out.join("insights.json")).unwrap());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/reference_analyzer.py");
    let reference = Command::new("python3")
        .arg(script)
        .arg("--null-for-missing-event-name")
        .arg(&logs)
        .output()
        .unwrap();
    assert!(reference.status.success(), "{}", text(&reference.stderr));
    let reference = json(&reference.stdout);
    for key in util::LEGACY_KEYS {
        assert_eq!(
            ours[key], reference[key],
            "{key} differs from the old analyzer"
        );
    }
}

#[test]
fn same_insights_as_the_exported_component_under_the_wasmtime_cli() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    util::sample_logs(&logs);
    let wasm = dir.path().join("analyzer.wasm");
    assert!(
        run(bin().args(["component", "export"]).arg(&wasm))
            .status
            .success()
    );

    let out = dir.path().join("report");
    assert!(analyze(&[&logs], &out, &["--jobs", "2"]).status.success());
    let host = json(&fs::read(out.join("insights.json")).unwrap());

    let cli = util::wasmtime_run(&wasm, &[(&logs, "/logs")], &["/logs"]);
    assert!(cli.status.success(), "{}", text(&cli.stderr));
    let standalone = json(&cli.stdout);
    assert_eq!(
        without_inputs(host.clone()),
        without_inputs(standalone.clone())
    );
    let names = |v: &serde_json::Value, prefix: &str| -> Vec<String> {
        v["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                i["name"]
                    .as_str()
                    .unwrap()
                    .strip_prefix(prefix)
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(
        names(&host, &logs.display().to_string()),
        names(&standalone, "/logs")
    );
}

#[test]
fn bad_inputs_are_named_and_good_ones_still_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = br#"{"Records":[{"eventName":"GetObject","eventID":"1"},{"eventName":"PutObject","eventID":"2"}]}"#;
    fs::write(d.join("good.json"), good).unwrap();
    fs::write(d.join("good2.json.gz"), gzip(good)).unwrap();
    let gz = gzip(good);
    fs::write(d.join("truncated.json.gz"), &gz[..gz.len() / 2]).unwrap();
    fs::write(d.join("not-json.json"), "hello, world").unwrap();
    fs::write(d.join("no-records.json"), r#"{"Items":[]}"#).unwrap();
    fs::write(d.join("records-not-list.json"), r#"{"Records":{"a":1}}"#).unwrap();
    fs::write(d.join("empty.json"), "").unwrap();
    // 64 MiB of spaces inside a valid log, against a 16 MiB input limit.
    let mut bomb = b"{\"Records\":[".to_vec();
    bomb.extend(vec![b' '; 64 << 20]);
    bomb.extend(b"]}");
    fs::write(d.join("bomb.json.gz"), gzip(&bomb)).unwrap();
    let deep = format!("{{\"Records\":[{}]}}", "[".repeat(100_000));
    fs::write(d.join("deep.json"), deep).unwrap();
    fs::write(
        d.join("bad-utf8.json"),
        b"{\"Records\":[{\"eventName\":\"\xff\xfe\"}]}",
    )
    .unwrap();
    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("config.json");
    fs::write(&config, r#"{"limits":{"max_input_bytes":16777216}}"#).unwrap();

    let out = config_dir.path().join("out");
    let result = analyze(&[d], &out, &["--config", config.to_str().unwrap()]);
    assert_eq!(result.status.code(), Some(1), "{}", text(&result.stderr));
    let stderr = text(&result.stderr);
    for (file, reason) in [
        ("truncated.json.gz", "invalid gzip data"),
        ("not-json.json", "not JSON"),
        ("no-records.json", "no \"Records\" list"),
        ("records-not-list.json", "\"Records\" is not a list"),
        ("empty.json", "empty input"),
        ("bomb.json.gz", "input limit"),
        ("deep.json", "nested deeper"),
        ("bad-utf8.json", "invalid event JSON"),
    ] {
        let line = stderr
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("{file} not named in:\n{stderr}"));
        assert!(
            line.contains(reason),
            "{file}: expected {reason:?} in {line:?}"
        );
    }
    let insights = json(&fs::read(out.join("insights.json")).unwrap());
    assert_eq!(insights["total_events"], 4);
    assert_eq!(insights["summary"]["failed"], 8);
    assert_eq!(insights["summary"]["analyzed"], 2);
}

#[test]
fn missing_paths_are_errors_that_do_not_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.json"), r#"[{"eventName":"A"}]"#).unwrap();
    let missing = dir.path().join("nope");
    let out = dir.path().join("out");
    let result = analyze(&[&dir.path().join("a.json"), &missing], &out, &[]);
    assert_eq!(result.status.code(), Some(1));
    assert!(text(&result.stderr).contains("nope"));
    let insights = json(&fs::read(out.join("insights.json")).unwrap());
    assert_eq!(insights["total_events"], 1);
}

#[test]
fn aggregate_dedups_and_orders() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let summary = util::sample_logs(&logs);
    let out = dir.path().join("day.json.gz");
    // The same logs twice: every record is a duplicate once.
    let result = run(bin()
        .arg("aggregate")
        .arg(&logs)
        .arg(&logs)
        .arg("--out")
        .arg(&out));
    assert!(result.status.success(), "{}", text(&result.stderr));
    let stderr = text(&result.stderr);
    assert!(
        stderr.contains(&format!(
            "{} records in, {} duplicates removed, {} records out",
            summary.events * 2,
            summary.events,
            summary.events
        )),
        "{stderr}"
    );
    let mut text_out = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::MultiGzDecoder::new(fs::File::open(&out).unwrap()),
        &mut text_out,
    )
    .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text_out).unwrap();
    let records = doc["Records"].as_array().unwrap();
    assert_eq!(records.len() as u64, summary.events);
    let times: Vec<&str> = records
        .iter()
        .map(|r| r["eventTime"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "records are ordered by eventTime"
    );
}

#[test]
fn component_info_and_export() {
    let result = run(bin().args(["component", "info"]));
    assert!(result.status.success(), "{}", text(&result.stderr));
    let stdout = text(&result.stdout);
    assert!(
        stdout.contains("cloudtrail-analyzer-rules") && stdout.contains("contract: 0.3.0"),
        "{stdout}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.wasm");
    assert!(
        run(bin().args(["component", "export"]).arg(&file))
            .status
            .success()
    );
    assert!(fs::read(&file).unwrap().starts_with(b"\0asm"));
}

#[test]
fn usage_errors_exit_with_2() {
    assert_eq!(run(bin().arg("analyze")).status.code(), Some(2));
    assert_eq!(
        run(bin().args(["analyze", "x", "--out", "y", "--memory-limit-mb", "1"]))
            .status
            .code(),
        Some(2)
    );
}

/// Every `--help` the issue named: the top level and each subcommand.
const HELPS: [&[&str]; 6] = [
    &[],
    &["analyze"],
    &["aggregate"],
    &["component", "info"],
    &["component", "export"],
    &["verify"],
];

/// One command of an "Examples:" section: `VAR=value` assignments before
/// the program, and the arguments after it.
struct Example {
    env: Vec<String>,
    args: Vec<String>,
}

/// The `--help` text of `subcommand`, split at its "Examples:" heading.
fn help_and_examples(subcommand: &[&str]) -> (String, Vec<Example>) {
    let result = run(bin().args(subcommand).arg("--help"));
    assert!(result.status.success(), "{}", text(&result.stderr));
    let help = text(&result.stdout);
    let (options, section) = help
        .split_once("\nExamples:\n")
        .unwrap_or_else(|| panic!("no Examples section in {subcommand:?}:\n{help}"));
    // Comments start with `#`; a command may go on after a trailing `\`.
    let mut commands = Vec::new();
    let mut pending = String::new();
    for line in section.lines().map(str::trim) {
        if line.starts_with('#') || (pending.is_empty() && !line.contains("cloudtrail-analyzer ")) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(start) => pending.push_str(start),
            None => commands.push(std::mem::take(&mut pending) + line),
        }
    }
    let examples = commands
        .iter()
        .map(|command| {
            let words: Vec<String> = command.split_whitespace().map(String::from).collect();
            let program = words
                .iter()
                .position(|w| w == "cloudtrail-analyzer")
                .unwrap_or_else(|| panic!("{command:?} does not run cloudtrail-analyzer"));
            assert!(
                words[..program].iter().all(|w| w.contains('=')),
                "{command:?}"
            );
            Example {
                env: words[..program].to_vec(),
                args: words[program + 1..].to_vec(),
            }
        })
        .collect();
    (options.to_owned(), examples)
}

#[test]
fn every_help_ends_with_examples_that_use_existing_flags() {
    // The check below relies on clap refusing an unknown flag (or a value it
    // cannot parse) met before `--help`, and on `--help` then stopping.
    for refused in [
        &["analyze", "./AWSLogs", "--no-such-flag", "--help"][..],
        &["analyze", "./AWSLogs", "--jobs", "many", "--help"],
    ] {
        assert_eq!(
            run(bin().args(refused)).status.code(),
            Some(2),
            "{refused:?}"
        );
    }
    for subcommand in HELPS {
        let (_, examples) = help_and_examples(subcommand);
        assert!(
            (2..=3).contains(&examples.len()),
            "{subcommand:?}: {} examples",
            examples.len()
        );
        for example in examples {
            let args = &example.args;
            // Every flag is parsed (a typo or an unknown flag exits with 2) …
            let parsed = run(bin().args(args).arg("--help"));
            assert!(
                parsed.status.success(),
                "{subcommand:?}: {args:?} does not parse:\n{}",
                text(&parsed.stderr)
            );
            // … and is one the subcommand's own options list.
            let (options, _) = help_and_examples(
                &args
                    .iter()
                    .take_while(|a| {
                        [
                            "analyze",
                            "aggregate",
                            "verify",
                            "component",
                            "info",
                            "export",
                        ]
                        .contains(&a.as_str())
                    })
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            );
            for flag in args.iter().filter(|a| a.starts_with("--")) {
                assert!(
                    options.contains(&format!("{flag} ")),
                    "{subcommand:?}: {flag} is not an option of {args:?}"
                );
            }
        }
    }
}

#[test]
fn local_help_examples_run_as_written() {
    let dir = tempfile::tempdir().unwrap();
    util::sample_logs(
        &dir.path()
            .join("AWSLogs/123456789012/CloudTrail/us-east-1/2024/06/01"),
    );
    // In the order a new user would follow them: export first, then use it.
    let order = [HELPS[4], HELPS[3], HELPS[1], HELPS[2], HELPS[0]];
    let mut ran = 0;
    for subcommand in order {
        for example in help_and_examples(subcommand).1 {
            // S3 examples need a bucket and credentials; the S3 tests cover those paths.
            if !example.env.is_empty() || example.args.iter().any(|a| a.contains("://")) {
                continue;
            }
            let result = run(bin().current_dir(dir.path()).args(&example.args));
            assert!(
                result.status.success(),
                "{:?} failed:\n{}",
                example.args,
                text(&result.stderr)
            );
            ran += 1;
        }
    }
    assert!(ran >= 5, "only {ran} local examples");
    for made in ["rules.wasm", "report/insights.json", "2024-06-01.json.gz"] {
        assert!(dir.path().join(made).exists(), "{made} was not written");
    }
}

/// The elapsed time at the end of a summary line: `done in 0.42s`, `3m 07s`, ….
fn elapsed_in(stderr: &str, summary_starts: &str) -> String {
    let line = stderr
        .lines()
        .find(|l| l.contains(summary_starts))
        .unwrap_or_else(|| panic!("no summary line in:\n{stderr}"));
    let (_, elapsed) = line
        .split_once("; done in ")
        .unwrap_or_else(|| panic!("no elapsed time in {line:?}"));
    let elapsed = elapsed.split(" (").next().unwrap().to_owned();
    let seconds = elapsed.rsplit(' ').next().unwrap();
    assert!(
        seconds
            .strip_suffix('s')
            .is_some_and(|n| n.parse::<f64>().is_ok()),
        "{line:?}"
    );
    line.to_owned()
}

#[test]
fn summary_lines_give_the_elapsed_time_and_throughput() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    util::sample_logs(&logs);
    let result = analyze(&[&logs], &dir.path().join("report"), &[]);
    assert!(result.status.success(), "{}", text(&result.stderr));
    let stderr = text(&result.stderr);
    let line = elapsed_in(&stderr, " inputs: ");
    assert!(
        line.contains(" events/s, ") && line.ends_with(" MB/s)"),
        "{line:?}"
    );
    // Not a terminal: the summary is all there is, no progress bar.
    assert_eq!(stderr.trim_end(), line, "{stderr}");

    let result = run(bin()
        .arg("aggregate")
        .arg(&logs)
        .arg("--out")
        .arg(dir.path().join("day.json.gz")));
    assert!(result.status.success(), "{}", text(&result.stderr));
    elapsed_in(&text(&result.stderr), " records in, ");
}
