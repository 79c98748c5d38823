//! The rules: what makes one CloudTrail event a finding.
//!
//! - [`cis`]: the CIS AWS Foundations Benchmark monitoring controls
//!   (`CloudWatch.1`-`14`, `CIS.4.15`), each with its metric filter quoted;
//! - [`cta`]: this analyzer's own rules (`CTA.1`-`6`);
//! - [`config`]: the `rules` configuration (disabled rules, allow-lists,
//!   severity overrides, burst threshold, caps);
//! - [`cidr`]: the networks of `rules.allow_cidrs` (and Sigma's `cidr`);
//! - [`sigma`]: rules given as data, in Sigma's YAML, and their engine.
//!
//! This module holds what the built-in rules share: the [`RuleInfo`] type
//! and the one table of every built-in rule, in a stable order. What the
//! rules find is kept, merged and reported by [`crate::findings`].

mod cidr;
mod cis;
pub mod config;
mod cta;
pub mod sigma;
#[cfg(test)]
pub(crate) mod testing;

use crate::event::{Event, Field};

pub use config::{BurstConfig, RulesConfig};

/// The severities a rule can have, least severe first.
pub const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];

/// The rule whose findings are made at report time from counts.
pub const BURST_RULE: &str = "CTA.6";

/// One built-in rule.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: &'static str,
    pub(crate) test: Test,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Test {
    /// `eventSource` is one of `sources` (any source when empty) and
    /// `eventName` is one of `names`: the shape of most CIS metric filters.
    Names {
        sources: &'static [&'static str],
        names: &'static [&'static str],
    },
    /// Any other test of one event.
    Custom(fn(&Event) -> bool),
    /// Access-denied calls counted per principal and window (CTA.6).
    Burst,
}

pub(crate) const ANY_SOURCE: &[&str] = &[];

/// Every built-in rule, in a stable order.
pub fn rules() -> &'static [RuleInfo] {
    &RULES
}

/// The built-in rule with this id.
pub fn rule(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

pub(crate) static RULES: [RuleInfo; cis::RULES.len() + cta::RULES.len()] =
    concat(cis::RULES, cta::RULES);

/// One table of two: `RULES` is the CIS rules, then ours.
const fn concat<const N: usize>(a: &[RuleInfo], b: &[RuleInfo]) -> [RuleInfo; N] {
    assert!(a.len() + b.len() == N);
    let mut out = [a[0]; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < a.len() { a[i] } else { b[i - a.len()] };
        i += 1;
    }
    out
}

pub(crate) fn is(field: &Field, value: &str) -> bool {
    field.as_str() == Some(value)
}

pub(crate) fn identity_type_is(e: &Event, kind: &str) -> bool {
    e.identity().is_some_and(|id| is(&id.kind, kind))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use super::*;
    use crate::rules::testing::*;

    /// Every listed name fires from every listed source (any source when the
    /// filter has no eventSource term), and from no other source; names
    /// compare exactly, as metric filters do.
    #[test]
    fn list_rules_match_every_listed_name_and_only_those() {
        for rule in rules() {
            let Test::Names { sources, names } = rule.test else {
                continue;
            };
            let sources: Vec<&str> = if sources.is_empty() {
                vec!["ec2.amazonaws.com", "x.example"]
            } else {
                sources.to_vec()
            };
            for name in names {
                for source in &sources {
                    fires(api(source, name), rule.id);
                    // Failed calls match too: the filters do not test errorCode.
                    fires(
                        set(api(source, name), "errorCode", json!("InvalidParameter")),
                        rule.id,
                    );
                }
                quiet(api(sources[0], &name.to_lowercase()), rule.id);
                quiet(api(sources[0], &format!("{name}s")), rule.id);
                if !matches!(
                    rule.test,
                    Test::Names {
                        sources: ANY_SOURCE,
                        ..
                    }
                ) {
                    quiet(api("example.amazonaws.com", name), rule.id);
                }
            }
        }
    }

    #[test]
    fn every_rule_is_listed_once_with_a_known_severity() {
        let ids: BTreeSet<&str> = rules().iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), rules().len());
        assert_eq!(rules().len(), 21);
        assert!(rules().iter().all(|r| SEVERITIES.contains(&r.severity)));
        assert_eq!(
            rule("CloudWatch.3").unwrap().title,
            "Console sign-in without MFA"
        );
    }
}
