//! The findings of a partial analysis as a mergeable state, like `Stats`:
//! two states merge into the state that checking both inputs together would
//! have given, and [`Findings::report`] turns a state into the final list.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::hit::Hit;
use crate::event::Event;
use crate::rules::{BURST_RULE, RULES, RulesConfig, SEVERITIES, Test, rule};
use crate::time::parse_event_time;

/// (principal, window) pairs whose access-denied calls a state counts
/// exactly. Past this, the pairs with the fewest calls are forgotten (their
/// calls add to [`Findings::burst_untracked`]), keeping the busiest half.
pub const MAX_BURST_KEYS: usize = 20_000;

/// One reported finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub title: String,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: String,
    pub event_id: String,
    pub event_time: String,
    pub event_name: String,
    pub event_source: String,
    pub principal: String,
    pub source_ip: String,
    pub account_id: String,
    pub region: String,
}

/// Access-denied calls of one principal in one window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Burst {
    count: u64,
    /// The window's first call (earliest `eventTime`, ties by the rest).
    first: Hit,
}

/// The findings of a partial analysis, mergeable.
///
/// Deduplication: a finding is a function of its rule and event, so the
/// same event seen twice (two trails, an input read twice) gives one finding
/// per rule. Findings are kept whole, so two different records claiming the
/// same `eventID` are both reported: a forged ID cannot hide another record.
///
/// Bounds: each severity has its own cap (`rules.max_findings`), so lower
/// findings never take the place of higher ones. A severity keeps at most
/// its cap of findings, always its first in report order, so the kept list
/// is the same however the inputs were split; the others count in
/// `dropped` under that severity (a duplicate of an already dropped finding
/// may count again). A finding counts against the cap of the severity the
/// configuration gives its rule when it is made or merged. Access-denied
/// bursts are counted exactly for up to [`MAX_BURST_KEYS`] (principal,
/// window) pairs; their calls are not deduplicated (an event read twice
/// counts twice, as `Stats` counts it), and their findings, made at report
/// time, are bounded by those pairs rather than by a cap.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Stored")]
pub struct Findings {
    /// Kept findings, by severity.
    kept: BTreeMap<String, BTreeSet<Hit>>,
    /// Findings past their severity's cap, by severity.
    dropped: BTreeMap<String, u64>,
    /// Keyed `"{window:020} {principal}"`, so keys sort by window and the
    /// fixed-width window number keeps every key unambiguous.
    bursts: BTreeMap<String, Burst>,
    burst_untracked: u64,
}

/// Per severity, in a report: what was found, reported and dropped. The
/// fields are in the order of their names, as every JSON object of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeverityCount {
    /// The cap; `None` for drops a state of an older version could not
    /// attribute to a severity.
    pub cap: Option<usize>,
    /// Past the cap, not reported.
    pub dropped: u64,
    /// Reported plus dropped.
    pub found: u64,
    pub reported: u64,
}

/// Severity under which a state saved before per-severity caps counts its
/// drops: its one cap did not say which severities it dropped.
pub const UNATTRIBUTED: &str = "unknown";

/// A saved state, of this version or of the one before per-severity caps
/// (one list `found`, one count `dropped`).
#[derive(Deserialize)]
struct Stored {
    #[serde(default)]
    kept: BTreeMap<String, BTreeSet<Hit>>,
    #[serde(default)]
    found: Vec<Hit>,
    #[serde(default)]
    dropped: StoredDropped,
    #[serde(default)]
    bursts: BTreeMap<String, Burst>,
    #[serde(default)]
    burst_untracked: u64,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StoredDropped {
    BySeverity(BTreeMap<String, u64>),
    Total(u64),
}

impl Default for StoredDropped {
    fn default() -> Self {
        StoredDropped::BySeverity(BTreeMap::new())
    }
}

impl From<Stored> for Findings {
    fn from(s: Stored) -> Findings {
        let mut kept = s.kept;
        // Old findings go under their rule's default severity; a merge puts
        // each under the severity of the configuration in force anyway.
        for hit in s.found {
            let severity = rule(hit.rule_id()).map_or("medium", |r| r.severity);
            kept.entry(severity.to_owned()).or_default().insert(hit);
        }
        let dropped = match s.dropped {
            StoredDropped::BySeverity(map) => map,
            StoredDropped::Total(0) => BTreeMap::new(),
            StoredDropped::Total(n) => BTreeMap::from([(UNATTRIBUTED.to_owned(), n)]),
        };
        Findings {
            kept,
            dropped,
            bursts: s.bursts,
            burst_untracked: s.burst_untracked,
        }
    }
}

impl Findings {
    /// Evaluates every enabled rule, built-in and Sigma, on one event;
    /// `raw` is its record, which Sigma rules read.
    pub fn check(&mut self, e: &Event, raw: &[u8], config: &RulesConfig) {
        let mut matched: Vec<&str> = Vec::new();
        let mut burst = false;
        for rule in RULES.iter().filter(|r| !config.is_disabled(r.id)) {
            let hit = match rule.test {
                Test::Names { sources, names } => {
                    (sources.is_empty()
                        || e.event_source
                            .as_str()
                            .is_some_and(|s| sources.contains(&s)))
                        && e.event_name.as_str().is_some_and(|n| names.contains(&n))
                }
                Test::Custom(test) => test(e),
                Test::Burst => {
                    burst = e.is_access_denied();
                    false
                }
            };
            if hit {
                matched.push(rule.id);
            }
        }
        config.sigma.check(e, raw, |rule| {
            if !config.is_disabled(&rule.id) {
                matched.push(&rule.id);
            }
        });
        if matched.is_empty() && !burst {
            return;
        }
        let base = Hit::of(e);
        if config.is_allowed(base.principal(), base.source_ip()) {
            return;
        }
        if burst {
            let window = config
                .access_denied_burst
                .window_minutes
                .saturating_mul(60)
                .max(1);
            if let Some(seconds) = e.event_time.as_str().and_then(parse_event_time) {
                let key = format!("{:020} {}", seconds / window, base.principal());
                let first = base.with_rule(BURST_RULE);
                self.add_burst(key, Burst { count: 1, first });
                self.trim_bursts(MAX_BURST_KEYS);
            }
        }
        for id in matched {
            self.insert(base.with_rule(id), config);
        }
    }

    /// Adds another partial state: the result is the state checking both
    /// inputs together would have given.
    pub fn merge(&mut self, other: Findings, config: &RulesConfig) {
        for (severity, n) in other.dropped {
            *self.dropped.entry(severity).or_default() += n;
        }
        for hit in other.kept.into_values().flatten() {
            self.insert(hit, config);
        }
        self.burst_untracked += other.burst_untracked;
        for (key, burst) in other.bursts {
            self.add_burst(key, burst);
        }
        self.trim_bursts(MAX_BURST_KEYS);
    }

    /// The final list, burst findings included, in (event_time, rule_id,
    /// event_id) order. Rules disabled and principals or addresses allowed
    /// by `config` are left out here too, so a state merged from a run with
    /// another configuration still honours this one.
    pub fn report(&self, config: &RulesConfig) -> Vec<Finding> {
        let mut hits: Vec<(&Hit, Option<u64>)> =
            self.kept.values().flatten().map(|h| (h, None)).collect();
        let threshold = config.access_denied_burst.threshold;
        hits.extend(
            self.bursts
                .values()
                .filter(|b| b.count >= threshold)
                .map(|b| (&b.first, Some(b.count))),
        );
        hits.retain(|(h, _)| {
            !config.is_disabled(h.rule_id()) && !config.is_allowed(h.principal(), h.source_ip())
        });
        hits.sort();
        hits.into_iter()
            .map(|(hit, count)| hit.finding(count, config))
            .collect()
    }

    /// Findings past their severity's cap, not reported, of every severity.
    pub fn dropped(&self) -> u64 {
        self.dropped.values().sum()
    }

    /// For each severity (the four, and any a state counted drops under):
    /// found, reported (counted in `report`, this state's
    /// [`Findings::report`]), dropped, and the cap.
    pub fn by_severity(
        &self,
        report: &[Finding],
        config: &RulesConfig,
    ) -> BTreeMap<String, SeverityCount> {
        let mut out: BTreeMap<String, SeverityCount> = BTreeMap::new();
        let severities = SEVERITIES.iter().copied();
        let others = self.dropped.keys().map(String::as_str);
        for severity in severities.chain(others) {
            out.entry(severity.to_owned()).or_insert(SeverityCount {
                found: 0,
                reported: 0,
                dropped: 0,
                cap: config.max_findings.get(severity),
            });
        }
        for f in report {
            if let Some(c) = out.get_mut(&f.severity) {
                c.reported += 1;
            }
        }
        for (severity, n) in &self.dropped {
            if let Some(c) = out.get_mut(severity) {
                c.dropped += n;
            }
        }
        for c in out.values_mut() {
            c.found = c.reported + c.dropped;
        }
        out
    }

    /// Access-denied calls no longer counted toward a burst because more
    /// than [`MAX_BURST_KEYS`] (principal, window) pairs were seen.
    pub fn burst_untracked(&self) -> u64 {
        self.burst_untracked
    }

    /// Keeps a finding within its severity's cap: of the findings of one
    /// severity, the first `cap` in report order stay, whatever the order
    /// they came in.
    fn insert(&mut self, hit: Hit, config: &RulesConfig) {
        let severity = config.severity_of(hit.rule_id());
        let cap = config.max_findings.get(severity).unwrap_or(0);
        if cap == 0 {
            *self.dropped.entry(severity.to_owned()).or_default() += 1;
            return;
        }
        if !self.kept.contains_key(severity) {
            self.kept.insert(severity.to_owned(), BTreeSet::new());
        }
        let kept = self.kept.get_mut(severity).expect("inserted above");
        if kept.insert(hit) && kept.len() > cap {
            kept.pop_last();
            *self.dropped.entry(severity.to_owned()).or_default() += 1;
        }
    }

    fn add_burst(&mut self, key: String, burst: Burst) {
        match self.bursts.get_mut(&key) {
            Some(b) => {
                b.count += burst.count;
                if burst.first < b.first {
                    b.first = burst.first;
                }
            }
            None => {
                self.bursts.insert(key, burst);
            }
        }
    }

    /// Past `max` pairs, keeps the `max / 2` with the most calls.
    fn trim_bursts(&mut self, max: usize) {
        if self.bursts.len() <= max {
            return;
        }
        let mut entries: Vec<(String, Burst)> =
            std::mem::take(&mut self.bursts).into_iter().collect();
        entries.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(&b.0)));
        for (_, burst) in entries.drain(max / 2..) {
            self.burst_untracked += burst.count;
        }
        self.bursts = entries.into_iter().collect();
    }
}

impl Hit {
    fn finding(&self, burst_count: Option<u64>, config: &RulesConfig) -> Finding {
        let title = config.title_of(self.rule_id());
        let title = match burst_count {
            Some(n) => format!(
                "{title}: {n} in a {}-minute window",
                config.access_denied_burst.window_minutes
            ),
            None => title.to_owned(),
        };
        Finding {
            rule_id: self.rule_id().to_owned(),
            title,
            severity: config.severity_of(self.rule_id()).to_owned(),
            event_id: self.event_id().to_owned(),
            event_time: self.event_time().to_owned(),
            event_name: self.event_name().to_owned(),
            event_source: self.event_source().to_owned(),
            principal: self.principal().to_owned(),
            source_ip: self.source_ip().to_owned(),
            account_id: self.account_id().to_owned(),
            region: self.region().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::findings::SeverityCaps;
    use crate::rules::BURST_RULE;
    use crate::rules::testing::*;

    #[test]
    fn burst_state_stays_bounded() {
        let config = burst_config();
        let records: Vec<Value> = (0..6)
            .flat_map(|p| {
                (0..=p).map(move |i| {
                    denied(
                        &format!("user-{p}"),
                        "2026-03-01T10:00:00Z",
                        &format!("{p}-{i}"),
                    )
                })
            })
            .collect();
        let mut state = check_all(&records, &config);
        assert_eq!(state.bursts.len(), 6);
        state.trim_bursts(4);
        // The two busiest pairs (6 and 5 calls) stay; the other 10 calls are untracked.
        assert_eq!(state.bursts.len(), 2);
        assert_eq!(state.burst_untracked(), 1 + 2 + 3 + 4);
        let kept: Vec<u64> = state.bursts.values().map(|b| b.count).collect();
        assert_eq!(kept, [5, 6]);
    }

    // --- State: order, dedup, cap, merge -----------------------------------

    /// Findings of every kind, bursts included, across two windows.
    fn corpus() -> Vec<Value> {
        let bob = "arn:aws:iam::111122223333:user/bob";
        let mut records = vec![
            root(api("s3.amazonaws.com", "ListBuckets")),
            set(
                api("ec2.amazonaws.com", "CreateVpc"),
                "eventTime",
                json!("2026-03-01T09:00:00Z"),
            ),
            set(
                api("kms.amazonaws.com", "DisableKey"),
                "eventID",
                json!("e-2"),
            ),
            set(console_login("Success", "No"), "eventID", json!("e-3")),
            set(
                root(api("iam.amazonaws.com", "CreateAccessKey")),
                "eventID",
                json!("e-4"),
            ),
            unset(api("cloudtrail.amazonaws.com", "StopLogging"), "eventID"),
        ];
        for i in 0..4 {
            records.push(denied(
                ALICE,
                &format!("2026-03-01T10:0{i}:00Z"),
                &format!("a{i}"),
            ));
            records.push(denied(
                bob,
                &format!("2026-03-01T10:0{}:30Z", i + 5),
                &format!("b{i}"),
            ));
        }
        records
    }

    #[test]
    fn merge_equals_checking_together() {
        for config in [
            burst_config(),
            RulesConfig {
                max_findings: SeverityCaps {
                    low: 2,
                    medium: 1,
                    high: 1,
                    critical: 1,
                },
                ..burst_config()
            },
        ] {
            let records = corpus();
            let together = check_all(&records, &config);
            for i in 0..=records.len() {
                let (a, b) = records.split_at(i);
                let mut merged = check_all(a, &config);
                merged.merge(check_all(b, &config), &config);
                assert_eq!(merged, together, "split at {i}");
                let mut reversed = check_all(b, &config);
                reversed.merge(check_all(a, &config), &config);
                assert_eq!(reversed, together, "reversed split at {i}");
            }
            let report = together.report(&config);
            assert!(
                report.iter().filter(|f| f.rule_id == BURST_RULE).count() == 2,
                "{report:#?}"
            );
            if config.max_findings.low == 2 {
                // Each severity keeps up to its own cap and counts the rest.
                let all = check_all(&records, &burst_config());
                let count =
                    |s: &Findings, severity: &str| s.kept.get(severity).map_or(0, |k| k.len());
                let mut dropped = BTreeMap::new();
                for severity in SEVERITIES {
                    let cap = config.max_findings.get(severity).unwrap();
                    let kept = count(&together, severity);
                    assert_eq!(kept, count(&all, severity).min(cap), "{severity}");
                    let extra = (count(&all, severity) - kept) as u64;
                    if extra > 0 {
                        dropped.insert(severity.to_owned(), extra);
                    }
                }
                assert_eq!(together.dropped, dropped);
                assert_eq!(
                    dropped,
                    BTreeMap::from([("high".to_owned(), 3), ("low".to_owned(), 7)])
                );
                // The critical finding is kept whatever the lower ones do.
                assert!(report.iter().any(|f| f.severity == "critical"));
            }
        }
    }

    #[test]
    fn duplicates_give_one_finding_and_the_cap_keeps_the_earliest() {
        let config = RulesConfig::default();
        let event = api("ec2.amazonaws.com", "CreateVpc");
        let mut a = check_all(std::slice::from_ref(&event), &config);
        a.merge(check_all(std::slice::from_ref(&event), &config), &config);
        assert_eq!(a.report(&config).len(), 1);
        assert_eq!(check_all(&[event.clone(), event], &config), a);

        let config = RulesConfig {
            max_findings: SeverityCaps::each(2),
            ..RulesConfig::default()
        };
        let records: Vec<Value> = (0..5)
            .rev()
            .map(|i| {
                let record = set(
                    api("ec2.amazonaws.com", "CreateVpc"),
                    "eventTime",
                    json!(format!("2026-03-01T10:00:0{i}Z")),
                );
                set(record, "eventID", json!(format!("e{i}")))
            })
            .collect();
        let state = check_all(&records, &config);
        let ids: Vec<String> = state
            .report(&config)
            .into_iter()
            .map(|f| f.event_id)
            .collect();
        assert_eq!(ids, ["e0", "e1"]);
        assert_eq!(state.dropped(), 3);
    }

    #[test]
    fn report_is_sorted_and_the_state_round_trips() {
        let config = burst_config();
        let state = check_all(&corpus(), &config);
        let report = state.report(&config);
        let keys: Vec<(&str, &str, &str)> = report
            .iter()
            .map(|f| {
                (
                    f.event_time.as_str(),
                    f.rule_id.as_str(),
                    f.event_id.as_str(),
                )
            })
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert_eq!(report[0].rule_id, "CloudWatch.14");
        let json = serde_json::to_string(&state).unwrap();
        let back: Findings = serde_json::from_str(&json).unwrap();
        assert_eq!(back, state);
        assert_eq!(
            serde_json::from_str::<Findings>("{}").unwrap(),
            Findings::default()
        );
    }

    #[test]
    fn findings_have_the_event_fields() {
        let record = set(
            api("ec2.amazonaws.com", "CreateVpc"),
            "eventID",
            json!("id-7"),
        );
        let f = &check_all(
            &[unset(record, "recipientAccountId")],
            &RulesConfig::default(),
        )
        .report(&RulesConfig::default())[0];
        let expected = Finding {
            rule_id: "CloudWatch.14".into(),
            title: "VPC change".into(),
            severity: "low".into(),
            event_id: "id-7".into(),
            event_time: "2026-03-01T10:00:00Z".into(),
            event_name: "CreateVpc".into(),
            event_source: "ec2.amazonaws.com".into(),
            principal: ALICE.into(),
            source_ip: "198.51.100.7".into(),
            account_id: "111122223333".into(),
            region: "us-east-1".into(),
        };
        assert_eq!(f, &expected);
    }

    /// 20,000 access-denied calls (low) through the morning, then the root
    /// user creating an access key (critical, and root activity, high).
    fn flood() -> Vec<Value> {
        let mut records: Vec<Value> = (0..20_000u32)
            .map(|i| {
                let time = format!(
                    "2026-03-01T{:02}:{:02}:{:02}Z",
                    i / 3600,
                    i / 60 % 60,
                    i % 60
                );
                denied(ALICE, &time, &format!("d{i}"))
            })
            .collect();
        let key = root(api("iam.amazonaws.com", "CreateAccessKey"));
        let key = set(key, "eventTime", json!("2026-03-01T18:00:00Z"));
        records.push(set(key, "eventID", json!("root-key")));
        records
    }

    #[test]
    fn a_flood_of_low_findings_never_pushes_out_a_critical_one() {
        let config = RulesConfig::default();
        let records = flood();
        let together = check_all(&records, &config);
        let report = together.report(&config);
        let critical: Vec<&Finding> = report.iter().filter(|f| f.severity == "critical").collect();
        assert_eq!(critical.len(), 1);
        assert_eq!(
            (critical[0].rule_id.as_str(), critical[0].event_id.as_str()),
            ("CTA.3", "root-key")
        );
        assert!(report.iter().any(|f| f.rule_id == "CloudWatch.1"));
        // The low ones keep their earliest 10,000 and say what they dropped.
        let counts = together.by_severity(&report, &config);
        let low = &counts["low"];
        assert_eq!(
            (low.found, low.reported, low.dropped, low.cap),
            (20_000, 10_000, 10_000, Some(10_000))
        );
        let last_low = report.iter().rfind(|f| f.severity == "low").unwrap();
        assert_eq!(last_low.event_id, "d9999");
        assert_eq!(
            (counts["critical"].reported, counts["critical"].dropped),
            (1, 0)
        );
        assert_eq!((counts["high"].reported, counts["high"].dropped), (1, 0));
        // Bursts are medium findings, not capped (one per 5-minute window).
        assert_eq!(
            (counts["medium"].reported, counts["medium"].dropped),
            (67, 0)
        );
        assert_eq!(counts.len(), 4);
        assert_eq!(together.dropped(), 10_000);

        // Merged in any split and order: the same state.
        for at in [0, 1, 9_999, 10_000, 15_000, 20_000, 20_001] {
            let (a, b) = records.split_at(at);
            let mut merged = check_all(a, &config);
            merged.merge(check_all(b, &config), &config);
            assert_eq!(merged, together, "split at {at}");
            let mut reversed = check_all(b, &config);
            reversed.merge(check_all(a, &config), &config);
            assert_eq!(reversed, together, "reversed split at {at}");
        }
    }

    #[test]
    fn a_state_saved_before_per_severity_caps_still_merges() {
        let config = RulesConfig::default();
        let state = check_all(&corpus(), &config);
        let hits: Vec<&Hit> = state.kept.values().flatten().collect();
        let old = json!({"found": hits, "dropped": 3, "bursts": {}, "burst_untracked": 0});
        let old: Findings = serde_json::from_value(old).unwrap();
        let mut merged = Findings::default();
        merged.merge(old, &config);
        let report = merged.report(&config);
        assert_eq!(report, state.report(&config));
        // Its one count of drops cannot say which severities it dropped.
        let counts = merged.by_severity(&report, &config);
        let unknown = &counts[UNATTRIBUTED];
        assert_eq!((unknown.found, unknown.dropped, unknown.cap), (3, 3, None));
        assert_eq!(merged.dropped(), 3);
        // A new state round-trips exactly, drops per severity included.
        let config = RulesConfig {
            max_findings: SeverityCaps::each(1),
            ..RulesConfig::default()
        };
        let state = check_all(&corpus(), &config);
        assert!(state.dropped.len() > 1, "{:?}", state.dropped);
        let back: Findings = serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
        assert_eq!(back, state);
    }

    #[test]
    fn a_cap_of_zero_keeps_none_and_counts_all() {
        let config = RulesConfig {
            max_findings: SeverityCaps {
                low: 0,
                ..SeverityCaps::default()
            },
            ..RulesConfig::default()
        };
        let state = check_all(&corpus(), &config);
        let report = state.report(&config);
        assert!(report.iter().all(|f| f.severity != "low"));
        assert_eq!(state.by_severity(&report, &config)["low"].dropped, 9);
        let records = corpus();
        let (a, b) = records.split_at(3);
        let mut merged = check_all(a, &config);
        merged.merge(check_all(b, &config), &config);
        assert_eq!(merged, state);
    }
}
