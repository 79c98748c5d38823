//! Real-time alerts: which findings of a session the host delivers at once
//! (`rules.alerts`), and the bound on how many.
//!
//! Findings at or above `min_severity` (default `high`) are alerts. At most
//! `max_alerts` (default 100) go out one by one, the most severe first
//! (critical, then high, each earliest first); when there are more, the rest
//! are not dropped: they go out together as one summary alert that counts
//! them by severity and rule, names their time span and carries the first
//! few. Every alert has a key made of what it reports, so a re-delivered
//! input sends nothing twice.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use super::Finding;
use crate::rules::SEVERITIES;

pub const DEFAULT_MIN_SEVERITY: &str = "high";
pub const DEFAULT_MAX_ALERTS: usize = 100;
/// Findings a summary alert carries in full, beside its counts.
pub const SUMMARY_EXAMPLES: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertConfig {
    /// The least severe findings that are alerts.
    pub min_severity: String,
    /// Alerts sent one by one; the rest go out as one summary alert.
    pub max_alerts: usize,
}

impl Default for AlertConfig {
    fn default() -> Self {
        AlertConfig {
            min_severity: DEFAULT_MIN_SEVERITY.to_owned(),
            max_alerts: DEFAULT_MAX_ALERTS,
        }
    }
}

impl AlertConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !SEVERITIES.contains(&self.min_severity.as_str()) {
            return Err(format!(
                "rules.alerts.min_severity: {:?} is not one of low, medium, high, critical",
                self.min_severity
            ));
        }
        if self.max_alerts == 0 {
            return Err("rules.alerts.max_alerts must be at least 1".into());
        }
        Ok(())
    }
}

/// A finding for the host to deliver now, keyed so it is sent once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub key: String,
    pub subject: String,
    pub body: String,
}

/// The alerts of a session's findings (given in report order).
pub fn alerts(findings: &[Finding], config: &AlertConfig) -> Vec<Alert> {
    let min = rank(&config.min_severity);
    let mut due: Vec<&Finding> = findings
        .iter()
        .filter(|f| rank(&f.severity) >= min)
        .collect();
    // Stable: within a severity, report order (earliest first).
    due.sort_by_key(|f| std::cmp::Reverse(rank(&f.severity)));
    let rest = due.split_off(due.len().min(config.max_alerts));
    let mut out: Vec<Alert> = due.into_iter().map(Alert::of).collect();
    if !rest.is_empty() {
        out.push(Alert::summary(&rest, config.max_alerts));
    }
    out
}

/// Least severe first, as in [`SEVERITIES`]; an unknown name ranks lowest.
fn rank(severity: &str) -> usize {
    SEVERITIES
        .iter()
        .position(|s| *s == severity)
        .map_or(0, |i| i + 1)
}

/// What a mail subject can hold: printable ASCII, at most 99 characters.
fn subject(text: String) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(99)
        .collect()
}

impl Alert {
    fn of(f: &Finding) -> Alert {
        Alert {
            key: format!("{}/{}", f.rule_id, f.event_id),
            subject: subject(format!(
                "[{}] {}: {} by {}",
                f.severity, f.title, f.event_name, f.principal
            )),
            body: serde_json::to_string(f).expect("a finding serializes"),
        }
    }

    /// One alert for the findings past `max_alerts` (most severe first).
    fn summary(rest: &[&Finding], max_alerts: usize) -> Alert {
        let mut by_severity: BTreeMap<&str, u64> = BTreeMap::new();
        let mut by_rule: BTreeMap<&str, u64> = BTreeMap::new();
        for f in rest {
            *by_severity.entry(&f.severity).or_default() += 1;
            *by_rule.entry(&f.rule_id).or_default() += 1;
        }
        let severity = &rest[0].severity;
        let first = rest.iter().map(|f| &f.event_time).min();
        let last = rest.iter().map(|f| &f.event_time).max();
        let counts: Vec<String> = SEVERITIES
            .iter()
            .rev()
            .filter_map(|s| by_severity.get(s).map(|n| format!("{n} {s}")))
            .collect();
        let text = format!(
            "{} more findings ({}) past the bound of {max_alerts} alerts sent one by one; \
             every one is in the report's findings",
            rest.len(),
            counts.join(", ")
        );
        let key_of = |f: &Finding| format!("{}/{}", f.rule_id, f.event_id);
        let body = json!({
            "summary": text,
            "severity": severity,
            "findings_not_sent_one_by_one": rest.len(),
            "by_severity": by_severity,
            "by_rule": by_rule,
            "first_event_time": first,
            "last_event_time": last,
            "examples": &rest[..rest.len().min(SUMMARY_EXAMPLES)],
        });
        Alert {
            // Named by what it holds: the same input gives the same key.
            key: format!(
                "summary/{}/{}/{}",
                rest.len(),
                key_of(rest[0]),
                key_of(rest[rest.len() - 1])
            ),
            subject: subject(format!(
                "[{severity}] {} more findings ({})",
                rest.len(),
                counts.join(", ")
            )),
            body: body.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn finding(severity: &str, time: &str, id: &str) -> Finding {
        Finding {
            rule_id: format!("R.{severity}"),
            title: "A rule".into(),
            severity: severity.into(),
            event_id: id.into(),
            event_time: time.into(),
            event_name: "DoIt".into(),
            event_source: "x.amazonaws.com".into(),
            principal: "arn:aws:iam::111122223333:user/alice\n".into(),
            source_ip: "198.51.100.7".into(),
            account_id: "111122223333".into(),
            region: "us-east-1".into(),
        }
    }

    #[test]
    fn only_high_and_critical_by_default_most_severe_first() {
        let findings = [
            finding("low", "2026-03-01T09:00:00Z", "a"),
            finding("high", "2026-03-01T10:00:00Z", "b"),
            finding("medium", "2026-03-01T11:00:00Z", "c"),
            finding("critical", "2026-03-01T12:00:00Z", "d"),
            finding("high", "2026-03-01T13:00:00Z", "e"),
        ];
        let sent = alerts(&findings, &AlertConfig::default());
        let keys: Vec<&str> = sent.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(keys, ["R.critical/d", "R.high/b", "R.high/e"]);
        assert_eq!(
            sent[0].subject,
            "[critical] A rule: DoIt by arn:aws:iam::111122223333:user/alice?"
        );
        let body: Finding = serde_json::from_str(&sent[0].body).unwrap();
        assert_eq!(body, findings[3]);
        let all = AlertConfig {
            min_severity: "low".into(),
            ..AlertConfig::default()
        };
        assert_eq!(alerts(&findings, &all).len(), 5);
    }

    #[test]
    fn past_the_bound_the_rest_go_out_as_one_summary() {
        let mut findings: Vec<Finding> = (0..5)
            .map(|i| finding("high", &format!("2026-03-01T10:00:0{i}Z"), &format!("h{i}")))
            .collect();
        findings.push(finding("critical", "2026-03-01T23:00:00Z", "c"));
        findings.push(finding("low", "2026-03-01T00:00:00Z", "l"));
        let config = AlertConfig {
            max_alerts: 2,
            ..AlertConfig::default()
        };
        let sent = alerts(&findings, &config);
        let keys: Vec<&str> = sent.iter().map(|a| a.key.as_str()).collect();
        // The critical comes first whatever its time; no high is lost.
        assert_eq!(
            keys,
            ["R.critical/c", "R.high/h0", "summary/4/R.high/h1/R.high/h4"]
        );
        let summary = &sent[2];
        assert_eq!(summary.subject, "[high] 4 more findings (4 high)");
        let body: Value = serde_json::from_str(&summary.body).unwrap();
        assert_eq!(body["findings_not_sent_one_by_one"], 4);
        assert_eq!(body["by_severity"], json!({"high": 4}));
        assert_eq!(body["by_rule"], json!({"R.high": 4}));
        assert_eq!(body["first_event_time"], "2026-03-01T10:00:01Z");
        assert_eq!(body["last_event_time"], "2026-03-01T10:00:04Z");
        assert_eq!(body["examples"].as_array().unwrap().len(), 4);
        assert_eq!(body["examples"][0]["event_id"], "h1");
        // The same findings give the same alerts: re-delivery sends nothing new.
        assert_eq!(alerts(&findings, &config), sent);
        // Within the bound, no summary.
        let roomy = AlertConfig {
            max_alerts: 6,
            ..AlertConfig::default()
        };
        assert_eq!(alerts(&findings, &roomy).len(), 6);
    }

    #[test]
    fn alert_configuration_is_validated() {
        assert!(AlertConfig::default().validate().is_ok());
        let bad = AlertConfig {
            min_severity: "High".into(),
            ..AlertConfig::default()
        };
        assert!(bad.validate().unwrap_err().contains("\"High\""));
        let none = AlertConfig {
            max_alerts: 0,
            ..AlertConfig::default()
        };
        assert!(none.validate().unwrap_err().contains("max_alerts"));
    }
}
