//! The S3 key layout of the pipeline: where CloudTrail writes raw logs, where
//! consolidated logs and reports go. Object names only: what a record holds
//! is the component's business.
//!
//! ```text
//! raw (CloudTrail): {log_prefix}AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/FILE
//! consolidated:     {consolidated_prefix}[o-org/]ACCOUNT/REGION/YYYY/MM/DD/manifest.json (the commit)
//!                   {consolidated_prefix}[o-org/]ACCOUNT/REGION/YYYY/MM/DD/gNNNNNN-TOKEN/part-00001.json.gz
//! partition report: {output_prefix}[o-org/]ACCOUNT/REGION/YYYY/MM/DD/insights.json …
//! day states:       {output_prefix}daily/YYYY/MM/DD/states/[o-org_]ACCOUNT_REGION.gNNNNNN.json
//! day report:       {output_prefix}daily/YYYY/MM/DD/insights.json …
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

/// A UTC calendar day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Day {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Day {
    /// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    pub fn from_unix_days(z: i64) -> Day {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Day { year, month, day }
    }

    pub fn to_unix_days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn today() -> Day {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Day::from_unix_days((secs / 86_400) as i64)
    }

    pub fn minus(self, days: i64) -> Day {
        Day::from_unix_days(self.to_unix_days() - days)
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Day> {
        let mut parts = text.split('-');
        let day = Day {
            year: parts.next()?.parse().ok()?,
            month: parts.next()?.parse().ok()?,
            day: parts.next()?.parse().ok()?,
        };
        let valid = parts.next().is_none()
            && (1..=12).contains(&day.month)
            && day.day >= 1
            && Day::from_unix_days(day.to_unix_days()) == day;
        valid.then_some(day)
    }

    /// `YYYY/MM/DD`, as in S3 keys.
    pub fn path(self) -> String {
        format!("{:04}/{:02}/{:02}", self.year, self.month, self.day)
    }

    fn from_path(y: &str, m: &str, d: &str) -> Option<Day> {
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        Day::parse(&format!("{y}-{m}-{d}"))
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// One account, region and day of one trail: the unit of consolidation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Partition {
    /// The AWS Organizations id (`o-…`) of an organization trail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    pub account: String,
    pub region: String,
    pub day: Day,
}

fn org_path(org: &Option<String>) -> String {
    org.as_ref().map(|o| format!("{o}/")).unwrap_or_default()
}

impl Partition {
    /// `{log_prefix}AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/`.
    pub fn raw_prefix(&self, log_prefix: &str) -> String {
        format!(
            "{log_prefix}AWSLogs/{}{}/CloudTrail/{}/{}/",
            org_path(&self.org),
            self.account,
            self.region,
            self.day.path()
        )
    }

    /// The digest folders that list this partition's log files:
    /// `{log_prefix}AWSLogs/[o-org/]ACCOUNT/CloudTrail-Digest/REGION/` of its
    /// day and of the next (a file delivered late in the day is listed by
    /// a digest of the next).
    pub fn digest_prefixes(&self, log_prefix: &str) -> [String; 2] {
        [self.day, self.day.minus(-1)].map(|day| {
            format!(
                "{log_prefix}AWSLogs/{}{}/CloudTrail-Digest/{}/{}/",
                org_path(&self.org),
                self.account,
                self.region,
                day.path()
            )
        })
    }

    /// `{prefix}[o-org/]ACCOUNT/REGION/YYYY/MM/DD/`: used for consolidated logs and reports.
    pub fn prefix(&self, prefix: &str) -> String {
        format!(
            "{prefix}{}{}/{}/{}/",
            org_path(&self.org),
            self.account,
            self.region,
            self.day.path()
        )
    }

    /// Reads a raw CloudTrail key; `None` for anything else (digests included).
    pub fn from_raw_key(log_prefix: &str, key: &str) -> Option<Partition> {
        let rest = key.strip_prefix(log_prefix)?.strip_prefix("AWSLogs/")?;
        let parts: Vec<&str> = rest.split('/').collect();
        let (org, p) = match parts.first() {
            Some(first) if first.starts_with("o-") => (Some(first.to_string()), &parts[1..]),
            _ => (None, &parts[..]),
        };
        // ACCOUNT / CloudTrail / REGION / YYYY / MM / DD / FILE
        if p.len() != 7 || p[1] != "CloudTrail" || p[6].is_empty() {
            return None;
        }
        Some(Partition {
            org,
            account: p[0].to_owned(),
            region: p[2].to_owned(),
            day: Day::from_path(p[3], p[4], p[5])?,
        })
    }

    /// Reads a partition's manifest key (`…/DD/manifest.json`); `None`
    /// for anything else under the prefix (the parts themselves included).
    pub fn from_manifest_key(consolidated_prefix: &str, key: &str) -> Option<Partition> {
        let rest = key.strip_prefix(consolidated_prefix)?;
        let parts: Vec<&str> = rest.split('/').collect();
        let (org, p) = match parts.first() {
            Some(first) if first.starts_with("o-") => (Some(first.to_string()), &parts[1..]),
            _ => (None, &parts[..]),
        };
        // ACCOUNT / REGION / YYYY / MM / DD / manifest.json
        if p.len() != 6 || p[5] != "manifest.json" {
            return None;
        }
        Some(Partition {
            org,
            account: p[0].to_owned(),
            region: p[1].to_owned(),
            day: Day::from_path(p[2], p[3], p[4])?,
        })
    }

    /// A flat name for this partition, unique within a day.
    pub fn flat_name(&self) -> String {
        let org = self
            .org
            .as_ref()
            .map(|o| format!("{o}_"))
            .unwrap_or_default();
        format!("{org}{}_{}", self.account, self.region)
    }
}

/// `{output_prefix}daily/YYYY/MM/DD/`.
pub fn daily_prefix(output_prefix: &str, day: Day) -> String {
    format!("{output_prefix}daily/{}/", day.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_round_trip() {
        assert_eq!(
            Day::from_unix_days(0),
            Day {
                year: 1970,
                month: 1,
                day: 1
            }
        );
        let d = Day::parse("2024-02-29").unwrap();
        assert_eq!(Day::from_unix_days(d.to_unix_days()), d);
        assert_eq!(d.minus(60).to_string(), "2023-12-31");
        assert!(Day::parse("2023-02-29").is_none());
        assert!(Day::parse("2023-13-01").is_none());
    }

    #[test]
    fn raw_keys_in_both_layouts() {
        let plain = "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/01/111122223333_CloudTrail_eu-west-1_20261101T0000Z_abc.json.gz";
        let p = Partition::from_raw_key("", plain).unwrap();
        assert_eq!(
            (p.account.as_str(), p.region.as_str(), p.org.clone()),
            ("111122223333", "eu-west-1", None)
        );
        assert_eq!(
            p.raw_prefix(""),
            "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/01/"
        );
        let org = "logs/AWSLogs/o-abc123/111122223333/CloudTrail/us-east-1/2026/11/02/f.json.gz";
        let p = Partition::from_raw_key("logs/", org).unwrap();
        assert_eq!(p.org.as_deref(), Some("o-abc123"));
        let manifest = "consolidated/o-abc123/111122223333/us-east-1/2026/11/02/manifest.json";
        assert_eq!(
            format!("{}manifest.json", p.prefix("consolidated/")),
            manifest
        );
        let digest = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/01/d.json.gz";
        assert!(Partition::from_raw_key("", digest).is_none());
        assert_eq!(
            Partition::from_manifest_key("consolidated/", manifest),
            Some(p.clone())
        );
        let part =
            "consolidated/o-abc123/111122223333/us-east-1/2026/11/02/g000001-ab/part-00001.json.gz";
        assert_eq!(Partition::from_manifest_key("consolidated/", part), None);
        assert_eq!(p.flat_name(), "o-abc123_111122223333_us-east-1");
    }
}
