//! CloudWatch metrics as log lines in the Embedded Metric Format: Lambda
//! sends stdout to CloudWatch Logs, which turns such a line into a metric,
//! with no API call and no extra permission. The alarms on them live in
//! `terraform/modules/lambda` (held to these names by terraform-check).

use serde_json::json;

/// The namespace of every metric the functions emit.
pub const NAMESPACE: &str = "cloudtrail-analyzer";
/// Raw log files in the day just before the planning window: no plan will
/// pick them up again, so they would stay unconsolidated for good.
pub const RAW_FILES_PAST_WINDOW: &str = "RawFilesPastWindow";
/// Raw log files a consolidation could not read and left in place.
pub const RAW_FILES_UNREADABLE: &str = "RawFilesUnreadable";
/// Raw log files whose bytes are not what their CloudTrail digest lists:
/// left in place, never consolidated or deleted.
pub const RAW_FILES_MODIFIED: &str = "RawFilesModified";

/// The EMF line for one count.
pub fn line(name: &str, count: u64) -> String {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    json!({
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [[]],
                "Metrics": [{"Name": name, "Unit": "Count"}],
            }],
        },
        name: count,
    })
    .to_string()
}

/// Emits one count (to stdout, where Lambda's log capture reads it).
pub fn emit(name: &str, count: u64) {
    println!("{}", line(name, count));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_embedded_metric_format() {
        let v: serde_json::Value = serde_json::from_str(&line(RAW_FILES_UNREADABLE, 3)).unwrap();
        assert_eq!(v[RAW_FILES_UNREADABLE], 3);
        let m = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(m["Namespace"], NAMESPACE);
        assert_eq!(m["Metrics"][0]["Name"], RAW_FILES_UNREADABLE);
        assert!(v["_aws"]["Timestamp"].as_u64().unwrap() > 0);
    }
}
