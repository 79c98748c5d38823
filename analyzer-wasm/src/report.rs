//! Renders a session's counts into the artifacts a host writes out.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value, json};

use crate::counter::Counter;
use crate::csv;
use crate::findings::{Finding, SeverityCount, findings_csv};
use crate::html;
use crate::session::Summary;
use crate::stats::Stats;

/// A named output held in memory: a consolidated log part.
pub struct Artifact {
    pub name: String,
    pub media_type: String,
    pub data: Vec<u8>,
}

/// An artifact as `finish` lists it. Its bytes are rendered only when it is
/// written, one artifact at a time, so a report never holds all of them in
/// memory at once (on the benchmark corpus they are 34 MB together).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactInfo {
    pub name: &'static str,
    pub media_type: &'static str,
    /// The exact length `write` will produce.
    pub bytes: u64,
}

pub const INSIGHTS_JSON: &str = "insights.json";
pub const INSIGHTS_CSV: &str = "insights.csv";
pub const DIMENSIONS_CSV: &str = "dimensions.csv";
pub const FINDINGS_JSON: &str = "findings.json";
pub const FINDINGS_CSV: &str = "findings.csv";
pub const REPORT_HTML: &str = "report.html";

/// Every artifact of a report, in order, with its media type.
const ARTIFACTS: [(&str, &str); 6] = [
    (INSIGHTS_JSON, "application/json"),
    (INSIGHTS_CSV, "text/csv"),
    (DIMENSIONS_CSV, "text/csv"),
    (FINDINGS_JSON, "application/json"),
    (FINDINGS_CSV, "text/csv"),
    (REPORT_HTML, "text/html; charset=utf-8"),
];

/// Findings counts that did not make it into the list.
pub struct FindingsExtra {
    /// Findings past their severity's cap (`rules.max_findings`), in all.
    pub dropped: u64,
    /// Per severity: found, reported, dropped and the cap.
    pub by_severity: BTreeMap<String, SeverityCount>,
    /// Access-denied events past the burst rule's bounded memory.
    pub burst_untracked: u64,
}

/// What `finish` fixed, besides the counts, that the artifacts render.
pub struct Finished {
    pub summary: Summary,
    pub findings: Vec<Finding>,
    pub extra: FindingsExtra,
}

/// Lists the artifacts with their lengths, each measured by rendering it
/// into a byte counter: rendering twice costs far less than holding every
/// artifact until the host asks for it.
pub fn describe(stats: &Stats, finished: &Finished) -> Vec<ArtifactInfo> {
    ARTIFACTS
        .iter()
        .map(|&(name, media_type)| {
            let mut counted = ByteCount::default();
            write(name, stats, finished, &mut counted).expect("counting bytes cannot fail");
            ArtifactInfo {
                name,
                media_type,
                bytes: counted.bytes(),
            }
        })
        .collect()
}

/// Renders the artifact `name` into `out`; `Ok(false)` when a report has no
/// such artifact. The same counts give the same bytes every time.
pub fn write(
    name: &str,
    stats: &Stats,
    finished: &Finished,
    out: &mut dyn Write,
) -> io::Result<bool> {
    let Finished {
        summary,
        findings,
        extra,
    } = finished;
    match name {
        INSIGHTS_JSON => insights_json(stats, summary, findings, extra, out)?,
        INSIGHTS_CSV => out.write_all(event_csv(&stats.dims.event_counts).as_bytes())?,
        DIMENSIONS_CSV => out.write_all(dimensions_csv(stats).as_bytes())?,
        FINDINGS_JSON => {
            // Serialized from the list itself, never through a `Value` tree:
            // that would take several times the memory of the list, which
            // per-severity caps let hold 100,000s of findings.
            let doc = FindingsDoc {
                burst_untracked: extra.burst_untracked,
                by_severity: &extra.by_severity,
                dropped: extra.dropped,
                findings,
            };
            serde_json::to_writer_pretty(out, &doc)?;
        }
        FINDINGS_CSV => out.write_all(findings_csv(findings).as_bytes())?,
        REPORT_HTML => {
            let page = html::render(stats, findings, &extra.by_severity, "CloudTrail report");
            out.write_all(page.as_bytes())?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// A writer that only counts what it is given.
#[derive(Default)]
pub struct ByteCount(u64);

impl ByteCount {
    pub fn bytes(&self) -> u64 {
        self.0
    }
}

impl Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn counts_object(counter: &Counter) -> Value {
    let map: Map<String, Value> = counter
        .sorted_by_key()
        .into_iter()
        .map(|(k, n)| (k.to_owned(), Value::from(n)))
        .collect();
    Value::Object(map)
}

/// `findings.json`; fields in the order of their names, as `json!` gave them.
#[derive(Serialize)]
struct FindingsDoc<'a> {
    burst_untracked: u64,
    by_severity: &'a BTreeMap<String, SeverityCount>,
    dropped: u64,
    #[serde(serialize_with = "sorted_findings")]
    findings: &'a [Finding],
}

/// A finding's fields in the order of their names, as reports list them.
#[derive(Serialize)]
struct SortedFinding<'a> {
    account_id: &'a str,
    event_id: &'a str,
    event_name: &'a str,
    event_source: &'a str,
    event_time: &'a str,
    principal: &'a str,
    region: &'a str,
    rule_id: &'a str,
    severity: &'a str,
    source_ip: &'a str,
    title: &'a str,
}

fn sorted_findings<S: Serializer>(findings: &&[Finding], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(findings.iter().map(|f| SortedFinding {
        account_id: &f.account_id,
        event_id: &f.event_id,
        event_name: &f.event_name,
        event_source: &f.event_source,
        event_time: &f.event_time,
        principal: &f.principal,
        region: &f.region,
        rule_id: &f.rule_id,
        severity: &f.severity,
        source_ip: &f.source_ip,
        title: &f.title,
    }))
}

/// A document whose key `findings` is a list serialized where it lies.
struct WithFindings<'a> {
    doc: &'a Map<String, Value>,
    findings: &'a [Finding],
}

struct Sorted<'a>(&'a [Finding]);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        sorted_findings(&self.0, s)
    }
}

impl Serialize for WithFindings<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.doc.len() + 1))?;
        let mut pending = true;
        for (key, value) in self.doc {
            // Where the key sorts, as in the rest of the document.
            if pending && key.as_str() > "findings" {
                map.serialize_entry("findings", &Sorted(self.findings))?;
                pending = false;
            }
            map.serialize_entry(key, value)?;
        }
        if pending {
            map.serialize_entry("findings", &Sorted(self.findings))?;
        }
        map.end()
    }
}

/// `insights.json`: the old analyzer's eight keys at the top level, with
/// their old meaning, and everything newer beside them.
fn insights_json(
    stats: &Stats,
    summary: &Summary,
    findings: &[Finding],
    extra: &FindingsExtra,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut doc = Map::new();
    let mut distinct = Map::new();
    let mut truncated = Map::new();
    for (name, counter) in stats.dims.iter() {
        doc.insert(name.into(), counts_object(counter));
        distinct.insert(name.into(), Value::from(counter.distinct_keys()));
        if counter.is_truncated() {
            truncated.insert(
                name.into(),
                json!({"kept_keys": counter.distinct_keys(), "other_events": counter.other()}),
            );
        }
    }
    doc.insert("total_events".into(), Value::from(stats.total_events));
    doc.insert("first_event_time".into(), json!(stats.first_event_time));
    doc.insert("last_event_time".into(), json!(stats.last_event_time));
    doc.insert("distinct_counts".into(), Value::Object(distinct));
    // A dimension listed here kept only its first (or, after a merge, its
    // largest) keys; `other_events` counts the events of the keys it dropped.
    doc.insert("truncated_dimensions".into(), Value::Object(truncated));
    doc.insert("inputs".into(), json!(stats.inputs));
    doc.insert(
        "summary".into(),
        json!({
            "inputs": summary.inputs,
            "analyzed": summary.analyzed,
            "skipped": summary.skipped,
            "failed": summary.failed,
            "events": summary.events,
            "findings": summary.findings,
        }),
    );
    doc.insert("findings_dropped".into(), Value::from(extra.dropped));
    // Per severity: found, reported, dropped past the severity's cap.
    doc.insert("findings_by_severity".into(), json!(extra.by_severity));
    doc.insert("analyzer".into(), json!(crate::producer()));
    let doc = WithFindings {
        doc: &doc,
        findings,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

/// The old analyzer's CSV: `event_name,count`, most frequent first.
fn event_csv(events: &Counter) -> String {
    let mut out = csv::Table::new(&["event_name", "count"]);
    for (name, n) in events.top(usize::MAX) {
        out.row(&[name, &n.to_string()]);
    }
    out.finish()
}

/// Every dimension in long form, for spreadsheets and SQL loaders.
fn dimensions_csv(stats: &Stats) -> String {
    let mut out = csv::Table::new(&["dimension", "key", "count"]);
    for (name, counter) in stats.dims.iter() {
        for (key, n) in counter.top(usize::MAX) {
            out.row(&[name, key, &n.to_string()]);
        }
        if counter.is_truncated() {
            out.row(&[name, "(other)", &counter.other().to_string()]);
        }
    }
    out.finish()
}
