//! A count per key that stays bounded on high-cardinality dimensions.
//!
//! Up to `max_keys` keys are counted exactly. Past that, a key not yet seen
//! adds to `other` instead of growing the map, so memory stays bounded and
//! every event is still accounted for: the kept counts plus `other` always sum
//! to the dimension's total. Merging keeps the largest counts and folds the
//! rest into `other`, so the top keys of a merged report are exact whenever
//! no input was truncated. Choosing the largest means sorting every key, so a
//! merged counter may grow to twice `max_keys` before it is cut back: the sort
//! then runs once per `max_keys` new keys, not on every merge of a small file.

use std::collections::HashMap;

use foldhash::fast::RandomState;
use serde::{Deserialize, Serialize};

/// Every event adds to some twenty counters, so the hash is on the hot path:
/// foldhash is several times faster than the default SipHash on short keys.
/// Seeded per process like SipHash's `RandomState`, because the keys (user
/// agents, addresses, names) are written by whoever makes the API calls.
type Counts = HashMap<String, u64, RandomState>;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counter {
    counts: Counts,
    /// Occurrences of keys that were not kept.
    #[serde(default, skip_serializing_if = "is_zero")]
    other: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Counter {
    pub fn add(&mut self, key: &str, max_keys: usize) {
        self.add_n(key, 1, max_keys);
    }

    pub fn add_n(&mut self, key: &str, n: u64, max_keys: usize) {
        if let Some(count) = self.counts.get_mut(key) {
            *count += n;
        } else if self.counts.len() < max_keys {
            self.counts.insert(key.to_owned(), n);
        } else {
            self.other += n;
        }
    }

    pub fn merge(&mut self, other: Counter, max_keys: usize) {
        // Saturating: counts from a forged or corrupt state never wrap.
        self.other = self.other.saturating_add(other.other);
        for (key, n) in other.counts {
            let count = self.counts.entry(key).or_default();
            *count = count.saturating_add(n);
        }
        if self.counts.len() > max_keys.saturating_mul(2) {
            self.truncate(max_keys);
        }
    }

    /// Keeps the `max_keys` largest counts; the rest go to `other`.
    pub fn truncate(&mut self, max_keys: usize) {
        if self.counts.len() > max_keys {
            let mut entries: Vec<(String, u64)> = self.counts.drain().collect();
            entries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            for (_, n) in entries.drain(max_keys..) {
                self.other = self.other.saturating_add(n);
            }
            self.counts = entries.into_iter().collect();
        }
    }

    pub fn get(&self, key: &str) -> u64 {
        self.counts.get(key).copied().unwrap_or(0)
    }

    /// Occurrences that fell outside the kept keys.
    pub fn other(&self) -> u64 {
        self.other
    }

    pub fn is_truncated(&self) -> bool {
        self.other > 0
    }

    pub fn distinct_keys(&self) -> usize {
        self.counts.len()
    }

    pub fn total(&self) -> u64 {
        (self.counts.values()).fold(self.other, |total, &n| total.saturating_add(n))
    }

    /// Keys sorted by name, for stable output.
    pub fn sorted_by_key(&self) -> Vec<(&str, u64)> {
        let mut v: Vec<(&str, u64)> = self.counts.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        v.sort_unstable();
        v
    }

    /// The `n` largest counts, ties broken by key.
    pub fn top(&self, n: usize) -> Vec<(&str, u64)> {
        let mut v: Vec<(&str, u64)> = self.counts.iter().map(|(k, c)| (k.as_str(), *c)).collect();
        v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        v.truncate(n);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_until_the_cap_then_other() {
        let mut c = Counter::default();
        for key in ["a", "b", "a", "c", "a", "d"] {
            c.add(key, 2);
        }
        assert_eq!((c.get("a"), c.get("b"), c.get("c")), (3, 1, 0));
        assert_eq!(c.other(), 2);
        assert_eq!(c.total(), 6);
    }

    #[test]
    fn merge_keeps_the_largest() {
        let mut a = Counter::default();
        a.add_n("x", 5, 10);
        a.add_n("y", 1, 10);
        let mut b = Counter::default();
        b.add_n("z", 3, 10);
        b.add_n("y", 1, 10);
        a.merge(b, 2);
        assert_eq!(
            a.distinct_keys(),
            3,
            "up to twice the cap between truncations"
        );
        a.truncate(2);
        assert_eq!(a.sorted_by_key(), [("x", 5), ("z", 3)]);
        assert_eq!(a.other(), 2);
        assert_eq!(a.total(), 10);
    }
}
