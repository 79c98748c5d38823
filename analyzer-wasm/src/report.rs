//! Renders a session's counts into the artifacts a host writes out.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value, json};

use crate::counter::Counter;
use crate::csv;
use crate::findings::{Finding, SeverityCount, findings_csv};
use crate::html;
use crate::session::Summary;
use crate::stats::Stats;

pub struct Artifact {
    pub name: String,
    pub media_type: String,
    pub data: Vec<u8>,
}

pub const INSIGHTS_JSON: &str = "insights.json";
pub const INSIGHTS_CSV: &str = "insights.csv";
pub const DIMENSIONS_CSV: &str = "dimensions.csv";
pub const FINDINGS_JSON: &str = "findings.json";
pub const FINDINGS_CSV: &str = "findings.csv";
pub const REPORT_HTML: &str = "report.html";

/// Findings counts that did not make it into the list.
pub struct FindingsExtra {
    /// Findings past their severity's cap (`rules.max_findings`), in all.
    pub dropped: u64,
    /// Per severity: found, reported, dropped and the cap.
    pub by_severity: BTreeMap<String, SeverityCount>,
    /// Access-denied events past the burst rule's bounded memory.
    pub burst_untracked: u64,
}

pub fn render(
    stats: &Stats,
    summary: &Summary,
    findings: &[Finding],
    extra: &FindingsExtra,
) -> Vec<Artifact> {
    // Serialized from the list itself, never through a `Value` tree: that
    // would take several times the memory of the list, which per-severity
    // caps let hold 100,000s of findings.
    let findings_doc = FindingsDoc {
        burst_untracked: extra.burst_untracked,
        by_severity: &extra.by_severity,
        dropped: extra.dropped,
        findings,
    };
    vec![
        Artifact {
            name: INSIGHTS_JSON.into(),
            media_type: "application/json".into(),
            data: insights_json(stats, summary, findings, extra),
        },
        Artifact {
            name: INSIGHTS_CSV.into(),
            media_type: "text/csv".into(),
            data: event_csv(&stats.dims.event_counts).into_bytes(),
        },
        Artifact {
            name: DIMENSIONS_CSV.into(),
            media_type: "text/csv".into(),
            data: dimensions_csv(stats).into_bytes(),
        },
        Artifact {
            name: FINDINGS_JSON.into(),
            media_type: "application/json".into(),
            data: serde_json::to_vec_pretty(&findings_doc).expect("JSON serializes"),
        },
        Artifact {
            name: FINDINGS_CSV.into(),
            media_type: "text/csv".into(),
            data: findings_csv(findings).into_bytes(),
        },
        Artifact {
            name: REPORT_HTML.into(),
            media_type: "text/html; charset=utf-8".into(),
            data: html::render(stats, findings, &extra.by_severity, "CloudTrail report")
                .into_bytes(),
        },
    ]
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
pub fn insights_json(
    stats: &Stats,
    summary: &Summary,
    findings: &[Finding],
    extra: &FindingsExtra,
) -> Vec<u8> {
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
    let mut out = serde_json::to_vec_pretty(&doc).expect("JSON serializes");
    out.push(b'\n');
    out
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
