//! The configuration document a host passes through to the component.
//!
//! Every field has a default, so an empty document (or an empty string) is a
//! valid configuration. Unknown fields are rejected: a typo in a rules file
//! should fail loudly rather than silently change nothing.

use std::sync::Arc;

use serde::Deserialize;

use crate::rules::RulesConfig;
use crate::rules::sigma::RuleSet;

/// Keys kept exactly per dimension before the rest folds into `other`.
pub const DEFAULT_MAX_KEYS: usize = 10_000;
/// CloudTrail events are at most a few hundred KiB; this leaves ample room.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 16 << 20;
/// Decompressed bytes read from one input before it fails as a likely bomb.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 8 << 30;
/// Deeper JSON than this is rejected (serde_json's own recursion limit is 128).
pub const DEFAULT_MAX_DEPTH: usize = 100;
/// Uncompressed size of one consolidated part before a new part starts.
pub const DEFAULT_MAX_PART_BYTES: u64 = 256 << 20;
/// Record bytes a consolidator holds before it sorts them into a run on the
/// host's scratch file. The memory it needs is about 1.5 times this.
pub const DEFAULT_MAX_BUFFER_BYTES: u64 = 256 << 20;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub limits: Limits,
    pub consolidate: Consolidate,
    /// The security rules: which are on, allow-lists, severities, thresholds.
    pub rules: RulesConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    pub max_keys: usize,
    pub max_record_bytes: usize,
    pub max_input_bytes: u64,
    pub max_depth: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Consolidate {
    pub max_part_bytes: u64,
    pub max_buffer_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_keys: DEFAULT_MAX_KEYS,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

impl Default for Consolidate {
    fn default() -> Self {
        Consolidate {
            max_part_bytes: DEFAULT_MAX_PART_BYTES,
            max_buffer_bytes: DEFAULT_MAX_BUFFER_BYTES,
        }
    }
}

impl Config {
    /// Parses a configuration document; blank text means the defaults.
    pub fn parse(text: &str) -> Result<Config, String> {
        Config::parse_with_sigma(text, Arc::default())
    }

    /// Parses a configuration document for a run with these Sigma rules,
    /// whose ids its `rules` section may name.
    pub fn parse_with_sigma(text: &str, sigma: Arc<RuleSet>) -> Result<Config, String> {
        let mut config = if text.trim().is_empty() {
            Config::default()
        } else {
            serde_json::from_str(text).map_err(|e| format!("invalid configuration: {e}"))?
        };
        config.rules.sigma = sigma;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        let l = &self.limits;
        if l.max_keys == 0 {
            return Err("invalid configuration: limits.max_keys must be at least 1".into());
        }
        if l.max_record_bytes < 1024 {
            return Err(
                "invalid configuration: limits.max_record_bytes must be at least 1024".into(),
            );
        }
        if !(2..=128).contains(&l.max_depth) {
            return Err("invalid configuration: limits.max_depth must be between 2 and 128".into());
        }
        self.rules
            .validate()
            .map_err(|e| format!("invalid configuration: {e}"))?;
        if self.consolidate.max_part_bytes < 1024 {
            return Err(
                "invalid configuration: consolidate.max_part_bytes must be at least 1024".into(),
            );
        }
        if self.consolidate.max_buffer_bytes < 1024 {
            return Err(
                "invalid configuration: consolidate.max_buffer_bytes must be at least 1024".into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_means_defaults() {
        let c = Config::parse("  ").unwrap();
        assert_eq!(c.limits.max_keys, DEFAULT_MAX_KEYS);
        assert_eq!(
            Config::parse("{}").unwrap().limits.max_depth,
            DEFAULT_MAX_DEPTH
        );
    }

    #[test]
    fn typos_are_rejected() {
        let err = Config::parse(r#"{"limits":{"max_kyes":5}}"#).unwrap_err();
        assert!(err.contains("max_kyes"), "{err}");
    }

    #[test]
    fn ranges_are_checked() {
        assert!(Config::parse(r#"{"limits":{"max_keys":0}}"#).is_err());
        assert!(Config::parse(r#"{"limits":{"max_depth":1000}}"#).is_err());
        assert_eq!(
            Config::parse(r#"{"limits":{"max_keys":3}}"#)
                .unwrap()
                .limits
                .max_keys,
            3
        );
    }
}
