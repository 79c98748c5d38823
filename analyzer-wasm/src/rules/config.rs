//! The `rules` section of the configuration: which rules are on, who and
//! which networks are never reported, severity overrides, the access-denied
//! burst threshold, the findings caps per severity and the alerts.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use serde::Deserialize;

use super::cidr::Cidr;
use super::sigma::RuleSet;
use super::{SEVERITIES, rule};
use crate::findings::{AlertConfig, SeverityCaps};

pub const DEFAULT_BURST_THRESHOLD: u64 = 20;
pub const DEFAULT_BURST_WINDOW_MINUTES: u64 = 5;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RulesConfig {
    /// Rule ids turned off.
    pub disabled: Vec<String>,
    /// Principals (as in [`crate::findings::Finding::principal`], usually an ARN) never
    /// reported; a trailing `*` matches any principal starting with the rest.
    pub allow_principals: Vec<String>,
    /// IPv4 and IPv6 networks (`10.0.0.0/8`, `2001:db8::/32`, or a single
    /// address) whose `sourceIPAddress` is never reported.
    pub allow_cidrs: Vec<String>,
    /// Rule id to `low`, `medium`, `high` or `critical`.
    pub severity: BTreeMap<String, String>,
    pub access_denied_burst: BurstConfig,
    /// Findings kept per severity; past its cap a severity's findings
    /// count in [`crate::findings::Findings::dropped`].
    #[serde(deserialize_with = "SeverityCaps::deserialize_config")]
    pub max_findings: SeverityCaps,
    /// Which findings are real-time alerts, and how many go out one by one.
    pub alerts: AlertConfig,
    /// The Sigma rules in force: not part of the document, they come as
    /// files (see [`crate::rules::sigma`]). The settings above apply to
    /// their ids as to the built-in ones.
    #[serde(skip)]
    pub sigma: Arc<RuleSet>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BurstConfig {
    /// Access-denied calls by one principal in one window that make a finding.
    pub threshold: u64,
    /// Windows are fixed: `floor(eventTime / window)`, counted from the epoch.
    pub window_minutes: u64,
}

impl Default for BurstConfig {
    fn default() -> Self {
        BurstConfig {
            threshold: DEFAULT_BURST_THRESHOLD,
            window_minutes: DEFAULT_BURST_WINDOW_MINUTES,
        }
    }
}

impl RulesConfig {
    /// Checks what serde cannot: rule ids, severities, CIDRs and ranges.
    /// Messages name the offending value and its field under `rules`.
    pub fn validate(&self) -> Result<(), String> {
        for id in &self.disabled {
            if !self.is_known(id) {
                return Err(format!("rules.disabled: unknown rule id {id:?}"));
            }
        }
        for (id, severity) in &self.severity {
            if !self.is_known(id) {
                return Err(format!("rules.severity: unknown rule id {id:?}"));
            }
            if !SEVERITIES.contains(&severity.as_str()) {
                return Err(format!(
                    "rules.severity.{id}: {severity:?} is not one of low, medium, high, critical"
                ));
            }
        }
        for pattern in &self.allow_principals {
            if pattern.is_empty() || pattern.trim_end_matches('*').contains('*') {
                return Err(format!(
                    "rules.allow_principals: {pattern:?} must be a principal, \
                     optionally ending in one *"
                ));
            }
        }
        for cidr in &self.allow_cidrs {
            Cidr::parse(cidr).map_err(|e| format!("rules.allow_cidrs: {e}"))?;
        }
        let burst = &self.access_denied_burst;
        if burst.threshold == 0 {
            return Err("rules.access_denied_burst.threshold must be at least 1".into());
        }
        if burst.window_minutes == 0 {
            return Err("rules.access_denied_burst.window_minutes must be at least 1".into());
        }
        self.alerts.validate()
    }

    /// Whether a built-in or a loaded Sigma rule has this id.
    pub fn is_known(&self, id: &str) -> bool {
        rule(id).is_some() || self.sigma.rule(id).is_some()
    }

    pub fn is_disabled(&self, id: &str) -> bool {
        self.disabled.iter().any(|d| d == id)
    }

    /// Whether events of this principal or from this address are never reported.
    pub fn is_allowed(&self, principal: &str, source_ip: &str) -> bool {
        let principal_allowed = self
            .allow_principals
            .iter()
            .any(|p| match p.strip_suffix('*') {
                Some(prefix) => principal.starts_with(prefix),
                None => principal == p,
            });
        if principal_allowed {
            return true;
        }
        if self.allow_cidrs.is_empty() {
            return false;
        }
        let Ok(ip) = source_ip.trim().parse::<IpAddr>() else {
            return false;
        };
        self.allow_cidrs
            .iter()
            .filter_map(|c| Cidr::parse(c).ok())
            .any(|c| c.contains(ip))
    }

    pub(crate) fn severity_of(&self, id: &str) -> &str {
        match self.severity.get(id) {
            Some(severity) => severity,
            None => match (rule(id), self.sigma.rule(id)) {
                (Some(r), _) => r.severity,
                (None, Some(r)) => r.severity,
                (None, None) => "medium",
            },
        }
    }

    /// The title of a built-in or Sigma rule; an unknown id (from a state
    /// saved with other rules) is its own title.
    pub(crate) fn title_of<'a>(&'a self, id: &'a str) -> &'a str {
        match (rule(id), self.sigma.rule(id)) {
            (Some(r), _) => r.title,
            (None, Some(r)) => &r.title,
            (None, None) => id,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::findings::{AlertConfig, SeverityCaps};
    use crate::rules::BURST_RULE;
    use crate::rules::testing::*;

    #[test]
    fn disabled_rules_do_not_fire() {
        let record = root(api("iam.amazonaws.com", "CreateAccessKey"));
        let config = RulesConfig {
            disabled: vec!["CTA.3".into()],
            ..RulesConfig::default()
        };
        assert_eq!(fired_with(&record, &config), ["CloudWatch.1"]);
        let config = RulesConfig {
            disabled: vec![BURST_RULE.into()],
            ..burst_config()
        };
        let records: Vec<Value> = (0..3)
            .map(|i| denied(ALICE, "2026-03-01T10:00:00Z", &i.to_string()))
            .collect();
        assert!(bursts(&records, &config).is_empty());
        assert_eq!(bursts(&records, &burst_config()).len(), 1);
    }

    #[test]
    fn allowlisted_principals_are_not_reported() {
        let ci = set(
            api("iam.amazonaws.com", "PutRolePolicy"),
            "userIdentity.arn",
            json!("arn:aws:iam::111122223333:user/ci-deploy"),
        );
        let config = RulesConfig {
            allow_principals: vec!["arn:aws:iam::111122223333:user/ci-*".into()],
            ..RulesConfig::default()
        };
        assert!(fired_with(&ci, &config).is_empty());
        assert_eq!(
            fired_with(&api("iam.amazonaws.com", "PutRolePolicy"), &config),
            ["CloudWatch.4"]
        );
        // Without a `*`, the principal must match exactly.
        let exact = RulesConfig {
            allow_principals: vec!["arn:aws:iam::111122223333:user/ci".into()],
            ..RulesConfig::default()
        };
        assert_eq!(fired_with(&ci, &exact), ["CloudWatch.4"]);
        let exact = RulesConfig {
            allow_principals: vec![ALICE.into()],
            ..RulesConfig::default()
        };
        assert!(fired_with(&api("iam.amazonaws.com", "PutRolePolicy"), &exact).is_empty());
        // Allowlisted calls do not count toward a burst either.
        let config = RulesConfig {
            allow_principals: vec![ALICE.into()],
            ..burst_config()
        };
        let records: Vec<Value> = (0..3)
            .map(|i| denied(ALICE, "2026-03-01T10:00:00Z", &i.to_string()))
            .collect();
        assert!(check_all(&records, &config).report(&config).is_empty());
    }

    #[test]
    fn allowlisted_networks_are_not_reported() {
        let from = |ip: &str| {
            set(
                api("ec2.amazonaws.com", "CreateVpc"),
                "sourceIPAddress",
                json!(ip),
            )
        };
        let config = RulesConfig {
            allow_cidrs: vec![
                "198.51.100.0/24".into(),
                "2001:db8::/32".into(),
                "192.0.2.9".into(),
            ],
            ..RulesConfig::default()
        };
        for ip in [
            "198.51.100.7",
            "198.51.100.255",
            "2001:db8::1",
            "2001:db8:ffff::5",
            "192.0.2.9",
            "::ffff:198.51.100.7",
        ] {
            assert!(fired_with(&from(ip), &config).is_empty(), "{ip}");
        }
        for ip in [
            "198.51.101.7",
            "2001:db9::1",
            "192.0.2.10",
            "ec2.amazonaws.com",
            "AWS Internal",
            "",
        ] {
            assert_eq!(fired_with(&from(ip), &config), ["CloudWatch.14"], "{ip}");
        }
        let everything = RulesConfig {
            allow_cidrs: vec!["0.0.0.0/0".into(), "::/0".into()],
            ..RulesConfig::default()
        };
        assert!(fired_with(&from("203.0.113.1"), &everything).is_empty());
        assert!(fired_with(&from("2a00::1"), &everything).is_empty());
    }

    #[test]
    fn severity_can_be_overridden() {
        let config: RulesConfig =
            serde_json::from_str(r#"{"severity":{"CloudWatch.14":"critical"}}"#).unwrap();
        config.validate().unwrap();
        let report = check_all(&[api("ec2.amazonaws.com", "CreateVpc")], &config).report(&config);
        assert_eq!(report[0].severity, "critical");
        let report = check_all(&[api("ec2.amazonaws.com", "CreateVpc")], &config)
            .report(&RulesConfig::default());
        assert_eq!(report[0].severity, "low");
    }

    #[test]
    fn configuration_is_validated() {
        let parse = |text: &str| -> Result<RulesConfig, String> {
            let config: RulesConfig = serde_json::from_str(text).map_err(|e| e.to_string())?;
            config.validate()?;
            Ok(config)
        };
        let defaults = parse("{}").unwrap();
        assert_eq!(defaults.max_findings, SeverityCaps::default());
        assert_eq!(
            (
                defaults.access_denied_burst.threshold,
                defaults.access_denied_burst.window_minutes
            ),
            (20, 5)
        );
        let partial = parse(r#"{"access_denied_burst":{"threshold":5}}"#).unwrap();
        assert_eq!(
            (
                partial.access_denied_burst.threshold,
                partial.access_denied_burst.window_minutes
            ),
            (5, 5)
        );
        parse(r#"{"disabled":["CloudWatch.2","CTA.6"],"allow_cidrs":["10.0.0.0/8","fd00::/8","10.1.2.3"]}"#).unwrap();

        let cases = [
            (r#"{"disabled":["CloudWatch.99"]}"#, "\"CloudWatch.99\""),
            (r#"{"severity":{"CTA.42":"low"}}"#, "\"CTA.42\""),
            (r#"{"severity":{"CTA.1":"urgent"}}"#, "\"urgent\""),
            (r#"{"severity":{"CTA.1":"High"}}"#, "\"High\""),
            (r#"{"allow_cidrs":["10.0.0.0/33"]}"#, "10.0.0.0/33"),
            (r#"{"allow_cidrs":["300.1.1.1/8"]}"#, "300.1.1.1/8"),
            (r#"{"allow_cidrs":["10.0.0.0/"]}"#, "10.0.0.0/"),
            (r#"{"allow_cidrs":["fd00::/129"]}"#, "fd00::/129"),
            (r#"{"allow_cidrs":["10.0.0.0/+8"]}"#, "10.0.0.0/+8"),
            (r#"{"allow_principals":["arn:*:user/x"]}"#, "arn:*:user/x"),
            (r#"{"allow_principals":[""]}"#, "allow_principals"),
            (r#"{"access_denied_burst":{"threshold":0}}"#, "threshold"),
            (
                r#"{"access_denied_burst":{"window_minutes":0}}"#,
                "window_minutes",
            ),
            (r#"{"disabeld":[]}"#, "disabeld"),
            (r#"{"access_denied_burst":{"treshold":3}}"#, "treshold"),
        ];
        for (text, expected) in cases {
            let err = parse(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn caps_and_alerts_are_configured() {
        let parse = |text: &str| -> Result<RulesConfig, String> {
            let config: RulesConfig = serde_json::from_str(text).map_err(|e| e.to_string())?;
            config.validate()?;
            Ok(config)
        };
        let defaults = parse("{}").unwrap();
        assert_eq!(defaults.alerts, AlertConfig::default());
        assert_eq!(defaults.alerts.min_severity, "high");
        // One number: the same cap for every severity (the old form).
        let each = parse(r#"{"max_findings":500}"#).unwrap();
        assert_eq!(each.max_findings, SeverityCaps::each(500));
        let some = parse(
            r#"{"max_findings":{"low":50},"alerts":{"min_severity":"medium","max_alerts":5}}"#,
        )
        .unwrap();
        assert_eq!(some.max_findings.get("low"), Some(50));
        assert_eq!(
            some.max_findings.get("critical"),
            SeverityCaps::default().get("critical")
        );
        assert_eq!(
            (some.alerts.min_severity.as_str(), some.alerts.max_alerts),
            ("medium", 5)
        );
        for (text, expected) in [
            (r#"{"max_findings":{"info":3}}"#, "info"),
            (r#"{"max_findings":null}"#, "null"),
            (r#"{"alerts":{"min_severity":"urgent"}}"#, "\"urgent\""),
            (r#"{"alerts":{"max_alerts":0}}"#, "max_alerts"),
            (r#"{"alerts":{"max":3}}"#, "max"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }
}
