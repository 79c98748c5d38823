//! The seed corpus of the fuzz targets in `fuzz/` (see "Fuzzing" in the
//! README), made from generated logs and the engine's own output so it
//! always matches the current formats: `FUZZ_SEEDS_DIR=fuzz/corpus cargo
//! test --release -p analyzer-wasm --test fuzz_seeds` writes one folder per
//! target there. Without `FUZZ_SEEDS_DIR` the test writes to a temporary
//! folder and checks that each seed is what it claims to be.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::Path;
use std::rc::Rc;

use analyzer_wasm::consolidate::Consolidator;
use analyzer_wasm::rules::sigma::RuleSet;
use analyzer_wasm::session::Session;
use analyzer_wasm::stats::Status;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

/// The fuzz targets, as named in `fuzz/Cargo.toml`.
const TARGETS: [&str; 7] = [
    "format_detection",
    "record_scanner",
    "event_fields",
    "config",
    "state_merge",
    "run_reader",
    "sigma_rules",
];
/// Separates the runs in a `run_reader` input.
const RUN_SEPARATOR: &[u8] = b"RUN\n";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[derive(Clone, Default)]
struct Scratch(Rc<RefCell<Vec<u8>>>);

impl Write for Scratch {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Generated logs (decompressed) and digests, from the sample set.
struct Generated {
    logs: Vec<Vec<u8>>,
    digest: Vec<u8>,
    /// Records of every log, each as its own JSON text.
    records: Vec<Value>,
}

fn generated() -> Generated {
    let mut logs = Vec::new();
    let mut digest = None;
    let mut records = Vec::new();
    for file in loggen::generate(&loggen::Spec::small()) {
        let text = gunzip(&file.body);
        if file.is_digest {
            digest.get_or_insert(text);
            continue;
        }
        let doc: Value = serde_json::from_slice(&text).unwrap();
        records.extend(doc["Records"].as_array().unwrap().iter().cloned());
        logs.push(text);
    }
    Generated {
        logs,
        digest: digest.expect("the sample set has digests"),
        records,
    }
}

/// A few records of each distinct event name, for small seeds.
fn varied(records: &[Value], n: usize) -> Vec<Value> {
    let mut names = BTreeSet::new();
    let mut picked = Vec::new();
    for r in records {
        let name = r["eventName"].to_string();
        if names.insert(name) {
            picked.push(r.clone());
        }
        if picked.len() == n {
            break;
        }
    }
    picked
}

fn log_of(records: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({ "Records": records })).unwrap()
}

fn format_seeds(g: &Generated) -> Vec<(String, Vec<u8>)> {
    let few = varied(&g.records, 3);
    let lines: Vec<u8> = few
        .iter()
        .flat_map(|r| {
            let mut line = serde_json::to_vec(r).unwrap();
            line.push(b'\n');
            line
        })
        .collect();
    let lookup_items: Vec<Value> = few
        .iter()
        .map(|r| json!({"EventId": r["eventID"], "CloudTrailEvent": r.to_string()}))
        .collect();
    let lookup_lines: Vec<u8> = lookup_items
        .iter()
        .flat_map(|item| {
            let mut line = serde_json::to_vec(item).unwrap();
            line.push(b'\n');
            line
        })
        .collect();
    let log = log_of(&few);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(&log);
    let (a, b) = log.split_at(log.len() / 2);
    let mut two_members = gzip(a);
    two_members.extend(gzip(b));
    let pretty = serde_json::to_vec_pretty(&json!({"Records": few[..1]})).unwrap();
    vec![
        ("log.json".into(), log.clone()),
        ("log-pretty.json".into(), pretty),
        ("log.json.gz".into(), gzip(&log)),
        ("log-two-members.json.gz".into(), two_members),
        ("log-bom.json".into(), bom),
        ("event-array.json".into(), serde_json::to_vec(&few).unwrap()),
        ("event-lines.jsonl".into(), lines),
        (
            "lookup-events.json".into(),
            serde_json::to_vec(&json!({ "Events": lookup_items })).unwrap(),
        ),
        ("lookup-event-lines.jsonl".into(), lookup_lines),
        ("digest.json".into(), g.digest.clone()),
        ("empty-log.json".into(), br#"{"Records":[]}"#.to_vec()),
        (
            "other-keys.json".into(),
            br#"{"x":{"y":[1,"]"]},"Records":[{"eventName":"A","eventTime":"t"}],"z":null}"#
                .to_vec(),
        ),
        ("generated-log.json.gz".into(), gzip(&g.logs[0])),
    ]
}

fn scanner_seeds(g: &Generated) -> Vec<(String, Vec<u8>)> {
    // The first byte sets the limits and read sizes (fuzz_targets/record_scanner.rs).
    let with = |knobs: u8, text: &[u8]| {
        let mut seed = vec![knobs];
        seed.extend_from_slice(text);
        seed
    };
    let log = log_of(&varied(&g.records, 2));
    let tricky = br#"{"a":"}\"]\\"} [1,[2,{"b":[]}]] "x\\\"" 12, true: null -1.5e3 {}"#;
    vec![
        ("log".into(), with(0xef, &log)),
        ("log-small-reads".into(), with(0x0f, &log)),
        ("tricky".into(), with(0xff, tricky)),
        ("tricky-limits".into(), with(0x13, tricky)),
        ("deep".into(), with(0x04, b"[[[[[[{\"a\":[[1]]}]]]]]]")),
        (
            "strings".into(),
            with(0x8f, br#""\u00e9\n" "\\" "" "a\"b""#),
        ),
    ]
}

fn event_seeds(g: &Generated) -> Vec<(String, Vec<u8>)> {
    let mut seeds: Vec<(String, Vec<u8>)> = varied(&g.records, 24)
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                format!("generated-{i:02}.json"),
                serde_json::to_vec(r).unwrap(),
            )
        })
        .collect();
    let hand = [
        r#"{"eventName":7,"awsRegion":false,"sourceIPAddress":1.5e20,"eventType":0.0,"eventCategory":[],"readOnly":{"a":1}}"#,
        r#"{"eventName":null,"userIdentity":"root","resources":{"type":"x"}}"#,
        r#"{"userIdentity":{"type":null,"sessionContext":{"sessionIssuer":{"userName":"r"}}},"resources":[null,{"type":1e-7},7]}"#,
        r#"{"eventName":"ConsoleLogin","userIdentity":{"type":"IAMUser","userName":"a"},"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"}}"#,
        r#"{"eventName":"\u00e9\ud83d\ude00","errorCode":"AccessDenied","eventTime":"2026-02-29T00:00:00.5Z"}"#,
        r#"{"eventName":"PutBucketAcl","requestParameters":{"x-amz-acl":["public-read"]},"userIdentity":{"type":"Root","invokedBy":"s3"}}"#,
    ];
    for (i, text) in hand.iter().enumerate() {
        seeds.push((format!("hand-{i}.json"), text.as_bytes().to_vec()));
    }
    seeds
}

/// The default pack's rules and the examples, one file each.
fn sigma_seeds() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let mut seeds = Vec::new();
    for folder in ["default", "examples"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(folder))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        for path in paths {
            let name = format!("{folder}-{}", path.file_name().unwrap().to_string_lossy());
            seeds.push((name, std::fs::read(&path).unwrap()));
        }
    }
    seeds
}

fn config_seeds() -> Vec<(String, Vec<u8>)> {
    let configs = [
        "",
        "{}",
        r#"{"limits":{"max_keys":10000,"max_record_bytes":16777216,"max_input_bytes":8589934592,"max_depth":100},"consolidate":{"max_part_bytes":268435456,"max_buffer_bytes":268435456}}"#,
        r#"{"limits":{"max_keys":1,"max_record_bytes":1024,"max_input_bytes":2000,"max_depth":2},"consolidate":{"max_part_bytes":1024,"max_buffer_bytes":1024}}"#,
        r#"{"rules":{"disabled":["CTA.1","CloudWatch.2"],"allow_principals":["arn:aws:iam::111122223333:user/*"],"allow_cidrs":["10.0.0.0/8","2001:db8::/32","203.0.113.7"],"severity":{"CloudWatch.1":"critical","CTA.6":"low"},"access_denied_burst":{"threshold":2,"window_minutes":1},"max_findings":3}}"#,
        r#"{"rules":{"access_denied_burst":{"threshold":1,"window_minutes":18446744073709551615},"max_findings":0}}"#,
        r#"{"rules":{"max_findings":{"low":1,"medium":0,"critical":2},"alerts":{"min_severity":"low","max_alerts":1}}}"#,
        r#"{"limits":{"max_kyes":5}}"#,
    ];
    configs
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("config-{i}.json"), c.as_bytes().to_vec()))
        .collect()
}

fn state_seeds(g: &Generated) -> Vec<(String, Vec<u8>)> {
    let small = log_of(&varied(&g.records, 6));
    let mut seeds = Vec::new();
    let empty = Session::open("").unwrap();
    seeds.push(("empty.json".into(), empty.export_state()));
    let mut one = Session::open("").unwrap();
    one.add("small.json", &small[..]);
    one.add("broken.json", &b"{\"Records\":["[..]);
    one.add("digest.json", &g.digest[..]);
    seeds.push(("small.json".into(), one.export_state()));
    let mut truncated = Session::open(r#"{"limits":{"max_keys":2}}"#).unwrap();
    truncated.add("small.json", &small[..]);
    seeds.push(("truncated.json".into(), truncated.export_state()));
    let mut findings = Session::open("").unwrap();
    let risky = [
        json!({"eventName":"ConsoleLogin","eventTime":"2026-11-01T10:00:00Z","eventID":"1","userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root"},"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"}}),
        json!({"eventName":"StopLogging","eventTime":"2026-11-01T10:01:00Z","eventID":"2","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"}}),
        json!({"eventName":"GetObject","eventTime":"2026-11-01T10:02:00Z","eventID":"3","errorCode":"AccessDenied","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"}}),
    ];
    findings.add("risky.json", &log_of(&risky)[..]);
    seeds.push(("findings.json".into(), findings.export_state()));
    seeds
}

/// The runs a consolidation spills to its scratch, read back through
/// `merge` to check them; returns the runs and the records written out.
fn spill(config: &str, logs: &[Vec<u8>]) -> (Vec<Vec<u8>>, u64) {
    let scratch = Scratch::default();
    let mut c = Consolidator::open(config, Box::new(scratch.clone())).unwrap();
    for (i, log) in logs.iter().enumerate() {
        let outcome = c.add(&format!("{i}.json"), &log[..]);
        assert_eq!(outcome.status, Status::Analyzed, "{}", outcome.detail);
    }
    let lengths = c.runs().unwrap();
    let bytes = scratch.0.borrow().clone();
    let mut runs = Vec::new();
    let mut offset = 0;
    for len in lengths {
        runs.push(bytes[offset..offset + len as usize].to_vec());
        offset += len as usize;
    }
    let streams: Vec<Box<dyn Read>> = runs
        .iter()
        .map(|r| Box::new(std::io::Cursor::new(r.clone())) as Box<dyn Read>)
        .collect();
    c.merge(streams).unwrap();
    let mut out = 0;
    while let Some(part) = c.next_part().unwrap() {
        out += part.records;
    }
    assert_eq!(c.finish().unwrap().records_out, out);
    (runs, out)
}

/// The log the `run_reader` target consolidates (`padded_log` in
/// `fuzz/src/lib.rs`): `n` records, each spilled to a run of its own.
fn padded_log(n: usize) -> Vec<u8> {
    let records: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"eventID":"{i}","eventTime":"2026-11-01T00:00:0{i}Z","pad":"{}"}}"#,
                "x".repeat(1100)
            )
        })
        .collect();
    format!(r#"{{"Records":[{}]}}"#, records.join(",")).into_bytes()
}

/// Runs as the consolidator writes them to its scratch: those of the
/// `run_reader` target's own consolidation of 1 to 4 runs, which read back
/// whole, and those of generated logs, which hold other records.
fn run_seeds(g: &Generated) -> Vec<(String, Vec<u8>)> {
    let target_config = r#"{"consolidate":{"max_buffer_bytes":1024,"max_part_bytes":2048}}"#;
    // The first byte's high bit: clear, the harness gzips each run itself.
    let join = |knobs: u8, runs: &[Vec<u8>]| {
        let mut seed = vec![knobs];
        for (i, run) in runs.iter().enumerate() {
            if i > 0 {
                seed.extend_from_slice(RUN_SEPARATOR);
            }
            seed.extend_from_slice(run);
        }
        seed
    };
    let mut seeds = Vec::new();
    for n in [1, 2, 4] {
        let (runs, out) = spill(target_config, &[padded_log(n)]);
        assert_eq!((runs.len(), out), (n, n as u64));
        let frames: Vec<Vec<u8>> = runs.iter().map(|r| gunzip(r)).collect();
        seeds.push((format!("frames-{n}"), join(0x00, &frames)));
        seeds.push((format!("gzip-{n}"), join(0x80, &runs)));
    }
    let records = varied(&g.records, 8);
    let logs = [log_of(&records[..5]), log_of(&records[3..])];
    let (runs, out) = spill(r#"{"consolidate":{"max_buffer_bytes":4096}}"#, &logs);
    assert_eq!(out, 8);
    let runs = &runs[..runs.len().min(4)];
    let frames: Vec<Vec<u8>> = runs.iter().map(|r| gunzip(r)).collect();
    seeds.push(("frames-generated".into(), join(0x00, &frames)));
    seeds.push(("gzip-generated".into(), join(0x80, runs)));
    seeds
}

fn write(dir: &Path, target: &str, seeds: &[(String, Vec<u8>)]) {
    let dir = dir.join(target);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, data) in seeds {
        std::fs::write(dir.join(name), data).unwrap();
    }
}

#[test]
fn fuzz_seed_corpus() {
    let g = generated();
    let seeds = [
        format_seeds(&g),
        scanner_seeds(&g),
        event_seeds(&g),
        config_seeds(),
        state_seeds(&g),
        run_seeds(&g),
        sigma_seeds(),
    ];

    // Each seed is what it claims to be.
    for (name, data) in &seeds[0] {
        let mut session = Session::open("").unwrap();
        let outcome = session.add(name, &data[..]);
        let want = if name.starts_with("digest") {
            Status::Skipped
        } else {
            Status::Analyzed
        };
        assert_eq!(outcome.status, want, "{name}: {}", outcome.detail);
    }
    for (name, data) in &seeds[4] {
        let mut session = Session::open("").unwrap();
        session
            .merge_state(data)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for (name, data) in &seeds[2] {
        let mut session = Session::open("").unwrap();
        let log = [&b"["[..], data, b"]"].concat();
        let outcome = session.add(name, &log[..]);
        assert_eq!(outcome.events, 1, "{name}: {}", outcome.detail);
    }
    for (name, data) in &seeds[6] {
        let (set, refused) = RuleSet::load([(name.as_str(), &data[..])], |_| false);
        assert!(
            refused.is_empty() && set.rules().len() == 1,
            "{name}: {refused:?}"
        );
    }
    for seed in seeds.iter().flatten() {
        assert!(
            seed.1.len() <= 16 << 10,
            "{}: {} bytes",
            seed.0,
            seed.1.len()
        );
    }

    let (dir, temporary) = match std::env::var_os("FUZZ_SEEDS_DIR") {
        Some(dir) => (std::path::PathBuf::from(dir), false),
        None => (
            std::env::temp_dir().join(format!("fuzz-seeds-{}", std::process::id())),
            true,
        ),
    };
    for (target, seeds) in TARGETS.iter().zip(&seeds) {
        assert!(!seeds.is_empty(), "{target}");
        write(&dir, target, seeds);
    }
    if temporary {
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
