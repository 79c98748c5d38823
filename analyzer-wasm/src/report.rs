//! Renders a session's counts into the artifacts a host writes out.

use serde_json::{Map, Value, json};

use crate::counter::Counter;
use crate::csv;
use crate::findings::{Finding, findings_csv};
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
    /// Findings past `rules.max_findings`.
    pub dropped: u64,
    /// Access-denied events past the burst rule's bounded memory.
    pub burst_untracked: u64,
}

pub fn render(
    stats: &Stats,
    summary: &Summary,
    findings: &[Finding],
    extra: &FindingsExtra,
) -> Vec<Artifact> {
    let findings_doc = json!({
        "findings": findings,
        "dropped": extra.dropped,
        "burst_untracked": extra.burst_untracked,
    });
    vec![
        Artifact {
            name: INSIGHTS_JSON.into(),
            media_type: "application/json".into(),
            data: insights_json(stats, summary, &findings_doc),
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
            data: html::render(stats, findings, "CloudTrail report").into_bytes(),
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

/// `insights.json`: the old analyzer's eight keys at the top level, with
/// their old meaning, and everything newer beside them.
pub fn insights_json(stats: &Stats, summary: &Summary, findings: &Value) -> Vec<u8> {
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
    doc.insert("findings".into(), findings["findings"].clone());
    doc.insert("findings_dropped".into(), findings["dropped"].clone());
    doc.insert("analyzer".into(), json!(crate::producer()));
    let mut out = serde_json::to_vec_pretty(&Value::Object(doc)).expect("JSON serializes");
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
