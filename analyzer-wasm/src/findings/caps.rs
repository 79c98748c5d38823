//! The findings caps (`rules.max_findings`): how many findings of each
//! severity a state keeps. Each severity has its own cap, so a flood of cheap
//! low findings can never push out a high or critical one; what a cap drops
//! is counted per severity and reported.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Kept per severity by default. High and critical findings are rare and
/// each matters, so their caps only bound memory against a flood: a report
/// peaks at about 2.2 KB per finding (state, the list a report renders
/// from, one artifact at a time; 100,000 high findings took 215 MiB
/// natively), so all four caps full (120,000 findings) stay near 270 MB,
/// inside the 768 MB the analyze function gives the component by default.
/// Low and medium findings are the noise a day can hold tens of thousands
/// of.
pub const DEFAULT_MAX_CRITICAL: usize = 50_000;
pub const DEFAULT_MAX_HIGH: usize = 50_000;
pub const DEFAULT_MAX_MEDIUM: usize = 10_000;
pub const DEFAULT_MAX_LOW: usize = 10_000;

/// The most findings of each severity a state keeps; past its cap a
/// severity keeps its earliest findings (in report order) and counts the
/// rest as dropped.
///
/// In the configuration, either an object with any of the four severities
/// (the others keep their defaults) or one number for all four.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeverityCaps {
    pub low: usize,
    pub medium: usize,
    pub high: usize,
    pub critical: usize,
}

impl Default for SeverityCaps {
    fn default() -> Self {
        SeverityCaps {
            low: DEFAULT_MAX_LOW,
            medium: DEFAULT_MAX_MEDIUM,
            high: DEFAULT_MAX_HIGH,
            critical: DEFAULT_MAX_CRITICAL,
        }
    }
}

impl SeverityCaps {
    /// The same cap for every severity.
    pub fn each(cap: usize) -> SeverityCaps {
        SeverityCaps {
            low: cap,
            medium: cap,
            high: cap,
            critical: cap,
        }
    }

    /// The cap of a severity; `None` for a name that is none of the four.
    pub fn get(&self, severity: &str) -> Option<usize> {
        match severity {
            "low" => Some(self.low),
            "medium" => Some(self.medium),
            "high" => Some(self.high),
            "critical" => Some(self.critical),
            _ => None,
        }
    }

    /// `rules.max_findings`: a number (every severity) or an object.
    pub fn deserialize_config<'de, D: Deserializer<'de>>(d: D) -> Result<SeverityCaps, D::Error> {
        use serde::de::Error;
        match Value::deserialize(d)? {
            Value::Number(n) => n
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .map(SeverityCaps::each)
                .ok_or_else(|| D::Error::custom(format!("rules.max_findings: {n} is not a count"))),
            object @ Value::Object(_) => serde_json::from_value(object)
                .map_err(|e| D::Error::custom(format!("rules.max_findings: {e}"))),
            other => Err(D::Error::custom(format!(
                "rules.max_findings: {other} is neither a number nor an object of \
                 low, medium, high and critical caps"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SeverityCaps, String> {
        #[derive(Deserialize)]
        struct Doc {
            #[serde(deserialize_with = "SeverityCaps::deserialize_config")]
            max_findings: SeverityCaps,
        }
        serde_json::from_str::<Doc>(text)
            .map(|d| d.max_findings)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn caps_are_one_number_or_per_severity() {
        assert_eq!(parse(r#"{"max_findings":7}"#), Ok(SeverityCaps::each(7)));
        let some = parse(r#"{"max_findings":{"low":5,"critical":1000000}}"#).unwrap();
        assert_eq!(
            some,
            SeverityCaps {
                low: 5,
                critical: 1_000_000,
                ..SeverityCaps::default()
            }
        );
        assert_eq!(some.get("high"), Some(DEFAULT_MAX_HIGH));
        assert_eq!(some.get("unknown"), None);
        for (text, expected) in [
            (r#"{"max_findings":{"lwo":5}}"#, "lwo"),
            (r#"{"max_findings":-1}"#, "-1"),
            (r#"{"max_findings":1.5}"#, "1.5"),
            (r#"{"max_findings":"10"}"#, "neither"),
            (r#"{"max_findings":{"high":"all"}}"#, "all"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }
}
