//! Skips rules whose text cannot be in a record, with one pass over the
//! record's bytes for all of them.
//!
//! Most rules need some literal text in a field: `bucketName|contains:
//! 'secret'` holds only if `secret` occurs in the value, and so in the
//! record's JSON. Each rule gets the literals one of which must occur
//! (its *requirement*, when it has one); one Aho-Corasick automaton over
//! every rule's literals finds which occur in a record, and a rule none
//! of whose literals occur is not evaluated.
//!
//! Exactness: a value is its bytes in the record only when the record
//! holds no escape (`\`) and, for case folding to be ASCII lower case on
//! both sides, no byte outside ASCII; other records are evaluated in full.
//! A literal made only of characters a number's text can hold (`1e3`
//! reads back as `1000.0`) could match a number whose JSON text differs,
//! so it is no requirement; nor is a literal a JSON string would escape.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// Literals shorter than this find too much to be worth looking for.
const MIN_LITERAL: usize = 3;

/// Below this many candidate rules for a record, evaluating them is
/// cheaper than the pass over its bytes.
pub(super) const MIN_CANDIDATES: usize = 8;

/// One of these literals (ASCII, lower case) must occur for a rule to match.
pub(super) type Requirement = Vec<String>;

/// Whether `literal` can serve in a requirement.
pub(super) fn usable(literal: &str) -> bool {
    literal.len() >= MIN_LITERAL
        && literal
            .bytes()
            .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
        && literal
            .bytes()
            .any(|b| !matches!(b, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'))
}

/// The better of two requirements for one conjunction (either must hold):
/// the one whose shortest literal is longest, as it finds the least.
pub(super) fn narrower(a: Option<Requirement>, b: Option<Requirement>) -> Option<Requirement> {
    let shortest = |r: &Requirement| r.iter().map(String::len).min().unwrap_or(0);
    match (a, b) {
        (Some(a), Some(b)) => Some(if shortest(&b) > shortest(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Any of several alternatives must hold: every one needs a requirement.
pub(super) fn union(parts: impl IntoIterator<Item = Option<Requirement>>) -> Option<Requirement> {
    let mut all = Vec::new();
    for part in parts {
        all.extend(part?);
    }
    (!all.is_empty()).then_some(all)
}

#[derive(Debug)]
pub(super) struct Prefilter {
    automaton: AhoCorasick,
    /// Per rule, the automaton's pattern ids of its requirement.
    requirements: Vec<Option<Vec<u32>>>,
}

impl Prefilter {
    /// None when no rule has a requirement.
    pub(super) fn new(per_rule: Vec<Option<Requirement>>) -> Option<Prefilter> {
        let mut literals: Vec<String> = per_rule.iter().flatten().flatten().cloned().collect();
        literals.sort();
        literals.dedup();
        if literals.is_empty() {
            return None;
        }
        let id = |l: &String| literals.binary_search(l).expect("every literal is listed") as u32;
        let requirements = per_rule
            .iter()
            .map(|r| r.as_ref().map(|r| r.iter().map(id).collect()))
            .collect();
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&literals)
            .expect("a few thousand literals build an automaton");
        Some(Prefilter {
            automaton,
            requirements,
        })
    }

    /// What occurs in `raw`, or None when the record must be evaluated in
    /// full (it holds an escape or a byte outside ASCII).
    pub(super) fn scan(&self, raw: &[u8]) -> Option<Found> {
        if !raw.is_ascii() || memchr::memchr(b'\\', raw).is_some() {
            return None;
        }
        let mut ids: Vec<u32> = self
            .automaton
            .find_overlapping_iter(raw)
            .map(|m| m.pattern().as_u32())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        Some(Found(ids))
    }

    /// Whether rule `i` may match a record in which `found` occurs.
    pub(super) fn may_match(&self, i: usize, found: &Found) -> bool {
        match &self.requirements[i] {
            Some(ids) => ids.iter().any(|id| found.0.binary_search(id).is_ok()),
            None => true,
        }
    }
}

/// The literals that occur in one record, by id, sorted.
#[derive(Debug)]
pub(super) struct Found(Vec<u32>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_a_value_may_not_spell_are_not_requirements() {
        assert!(usable("no-such-bucket"));
        assert!(usable("true"));
        for literal in [
            "ab",
            "1e3",
            "10.5",
            "-1e+3",
            "a\"b",
            "a\\b",
            "caf\u{e9}",
            "a\tb",
        ] {
            assert!(!usable(literal), "{literal:?}");
        }
    }

    #[test]
    fn a_rule_is_skipped_only_when_none_of_its_literals_occurs() {
        let f = Prefilter::new(vec![
            Some(vec!["secret".into(), "public".into()]),
            None,
            Some(vec!["nowhere".into()]),
        ])
        .unwrap();
        let found = f.scan(br#"{"bucketName":"My-SECRET-data"}"#).unwrap();
        assert!(f.may_match(0, &found));
        assert!(f.may_match(1, &found));
        assert!(!f.may_match(2, &found));
        // Escapes and non-ASCII bytes: evaluate everything.
        assert!(f.scan(br#"{"a":"\u0073ecret"}"#).is_none());
        assert!(f.scan("{\"a\":\"\u{212a}\"}".as_bytes()).is_none());
    }
}
