//! A rule's search identifiers (`detection:` minus `condition`), read from
//! YAML and tested against one record.
//!
//! - a map is one selection: every field test in it must hold;
//! - a list of maps holds when any of them does;
//! - a list of plain values (or one value) is a keyword search: any of them
//!   appears in some value anywhere in the record.
//!
//! A field test is `path|modifier|…: value or list`: the field holds when
//! any value matches (every value, with `all`). Paths are dotted
//! (`requestParameters.userName`); a list met on the way is searched
//! element by element, and a list at the end matches when any element does.

use std::cmp::Ordering;
use std::net::IpAddr;

use regex::{Regex, RegexBuilder};
use serde_norway::Value as Yaml;

use super::Refusal;
use super::pattern::Pattern;
use super::prefilter::{self, Requirement};
use super::record::{self, FieldPath, Leaf, Record};
use crate::rules::cidr::Cidr;

/// Compiled program size a `re` value may reach: a rule's regexes run in
/// time linear in the value (the `regex` crate has no backtracking), and
/// this bounds the memory a pathological one (`(a{100}){100}`) can take.
const MAX_REGEX_BYTES: usize = 1 << 20;

/// Values `windash` may expand one value into.
const MAX_WINDASH_VARIANTS: usize = 625;

/// The characters `windash` puts in place of a leading `-` or `/`.
const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

#[derive(Debug)]
pub(super) enum Selection {
    /// Holds when all tests of any one group hold.
    Groups(Vec<Vec<FieldTest>>),
    /// Holds when any pattern matches any value in the record.
    Keywords(Vec<Pattern>),
}

#[derive(Debug)]
pub(super) struct FieldTest {
    path: FieldPath,
    /// `all`: every test must hold, instead of any.
    all: bool,
    tests: Vec<ValueTest>,
    /// When every test needs the field present and the reader does not
    /// read it: the field's last key and its closing quote, which the
    /// record's bytes must hold for the field to be there at all.
    needle: Option<Vec<u8>>,
}

#[derive(Debug)]
enum ValueTest {
    /// Any of these (the variants `windash` and `base64offset` make of
    /// one value) matches a value.
    Patterns(Vec<Pattern>),
    Regex(Regex),
    Cidr(Cidr),
    Compare(Ordering, bool, f64),
    /// `null`: missing, or null.
    Null,
    Exists(bool),
    FieldRef {
        path: FieldPath,
        position: Position,
        cased: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Whole,
    Contains,
    Starts,
    Ends,
}

impl Selection {
    pub(super) fn parse(value: &Yaml) -> Result<Selection, Refusal> {
        match value {
            Yaml::Mapping(map) => Ok(Selection::Groups(vec![group(map)?])),
            Yaml::Sequence(items) if items.iter().all(|i| matches!(i, Yaml::Mapping(_))) => {
                let groups = items
                    .iter()
                    .map(|i| group(i.as_mapping().expect("checked above")))
                    .collect::<Result<Vec<_>, _>>()?;
                if groups.is_empty() {
                    return Err(Refusal::invalid("an empty list"));
                }
                Ok(Selection::Groups(groups))
            }
            Yaml::Sequence(items) if !items.is_empty() => items
                .iter()
                .map(keyword)
                .collect::<Result<Vec<_>, _>>()
                .map(Selection::Keywords),
            Yaml::String(_) | Yaml::Number(_) => Ok(Selection::Keywords(vec![keyword(value)?])),
            _ => Err(Refusal::invalid(
                "a search identifier must be a map, a list of maps or a list of keywords",
            )),
        }
    }

    pub(super) fn matches(&self, record: &Record) -> bool {
        match self {
            Selection::Groups(groups) => groups
                .iter()
                .any(|tests| tests.iter().all(|t| t.matches(record))),
            Selection::Keywords(patterns) => {
                let mut values = Vec::new();
                if let Some(tree) = record.tree() {
                    record::every_value(tree, &mut values);
                }
                patterns.iter().any(|p| {
                    values
                        .iter()
                        .any(|v| v.text().is_some_and(|t| p.matches(&t)))
                })
            }
        }
    }

    /// Literals one of which a matching record's bytes must hold.
    pub(super) fn requirement(&self) -> Option<Requirement> {
        match self {
            Selection::Groups(groups) => prefilter::union(groups.iter().map(|tests| {
                // Every test of a group must hold: any one's requirement will do.
                tests
                    .iter()
                    .map(FieldTest::requirement)
                    .fold(None, prefilter::narrower)
            })),
            Selection::Keywords(patterns) => prefilter::union(
                patterns
                    .iter()
                    .map(Pattern::required_literal)
                    .map(|l| l.map(|l| vec![l])),
            ),
        }
    }

    /// The folded `eventName` values one of which a matching record must
    /// have, when this selection says so in every group.
    pub(super) fn event_names(&self) -> Option<Vec<String>> {
        let Selection::Groups(groups) = self else {
            return None;
        };
        let mut names = Vec::new();
        for tests in groups {
            let exact = tests.iter().find_map(|t| {
                if t.path.text != "eventName" || (t.all && t.tests.len() > 1) {
                    return None;
                }
                let mut exact = Vec::new();
                for test in &t.tests {
                    let ValueTest::Patterns(patterns) = test else {
                        return None;
                    };
                    for p in patterns {
                        exact.push(p.exact()?);
                    }
                }
                Some(exact)
            })?;
            names.extend(exact);
        }
        Some(names)
    }
}

fn group(map: &serde_norway::Mapping) -> Result<Vec<FieldTest>, Refusal> {
    if map.is_empty() {
        return Err(Refusal::invalid("an empty map"));
    }
    let mut tests = map
        .iter()
        .map(|(key, value)| {
            let key = key
                .as_str()
                .ok_or_else(|| Refusal::invalid("a field name that is not a string"))?;
            FieldTest::parse(key, value).map_err(|r| r.context(&format!("field {key:?}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // What the reader read first: a group often fails there, before
    // anything needs the record's tree.
    tests.sort_by_key(|t| !t.path.is_read());
    Ok(tests)
}

fn keyword(value: &Yaml) -> Result<Pattern, Refusal> {
    let text = scalar_text(value)
        .ok_or_else(|| Refusal::invalid("a keyword must be a string or a number"))?;
    // A keyword is searched for inside values, as in full-text search.
    Ok(Pattern::parse(&text, false).contained())
}

/// The modifiers a field may carry, as read from `field|a|b`.
#[derive(Default)]
struct Modifiers {
    position: Option<Position>,
    all: bool,
    base64: bool,
    base64offset: bool,
    windash: bool,
    cased: bool,
    re: bool,
    re_flags: (bool, bool, bool),
    cidr: bool,
    exists: bool,
    fieldref: bool,
    compare: Option<(Ordering, bool)>,
}

impl Modifiers {
    fn parse(names: &[&str]) -> Result<Modifiers, Refusal> {
        let mut m = Modifiers::default();
        for &name in names {
            let position = |m: &mut Modifiers, p| match m.position {
                None => {
                    m.position = Some(p);
                    Ok(())
                }
                Some(_) => Err(Refusal::invalid(
                    "more than one of contains, startswith, endswith",
                )),
            };
            match name {
                "contains" => position(&mut m, Position::Contains)?,
                "startswith" => position(&mut m, Position::Starts)?,
                "endswith" => position(&mut m, Position::Ends)?,
                "all" => m.all = true,
                "base64" => m.base64 = true,
                "base64offset" => m.base64offset = true,
                "windash" => m.windash = true,
                "cased" => m.cased = true,
                "re" => m.re = true,
                "i" => m.re_flags.0 = true,
                "m" => m.re_flags.1 = true,
                "s" => m.re_flags.2 = true,
                "cidr" => m.cidr = true,
                "exists" => m.exists = true,
                "fieldref" => m.fieldref = true,
                "lt" => m.compare = Some((Ordering::Less, false)),
                "lte" => m.compare = Some((Ordering::Less, true)),
                "gt" => m.compare = Some((Ordering::Greater, false)),
                "gte" => m.compare = Some((Ordering::Greater, true)),
                "wide" | "utf16" | "utf16le" | "utf16be" => {
                    return Err(Refusal::unsupported(format!(
                        "modifier {name:?}: CloudTrail values are JSON text, not UTF-16 bytes"
                    )));
                }
                "expand" => {
                    return Err(Refusal::unsupported(
                        "modifier \"expand\": placeholders need a pipeline to fill them",
                    ));
                }
                other => return Err(Refusal::invalid(format!("unknown modifier {other:?}"))),
            }
        }
        m.check()?;
        Ok(m)
    }

    /// Refuses combinations that mean nothing.
    fn check(&self) -> Result<(), Refusal> {
        let transforms = self.base64 || self.base64offset || self.windash;
        let kinds = [
            self.re,
            self.cidr,
            self.exists,
            self.compare.is_some(),
            self.fieldref,
        ];
        if kinds.iter().filter(|k| **k).count() > 1 {
            return Err(Refusal::invalid(
                "re, cidr, exists, fieldref and lt/lte/gt/gte exclude each other",
            ));
        }
        let (i, m, s) = self.re_flags;
        if (i || m || s) && !self.re {
            return Err(Refusal::invalid("modifiers i, m and s only go with re"));
        }
        let only_alone = self.re || self.cidr || self.exists || self.compare.is_some();
        if only_alone && (transforms || self.position.is_some() || self.cased) {
            return Err(Refusal::invalid(
                "re, cidr, exists and lt/lte/gt/gte take no other modifier (but all, and re's i, m, s)",
            ));
        }
        if self.fieldref && transforms {
            return Err(Refusal::invalid(
                "fieldref compares with another field, not with an encoded value",
            ));
        }
        if self.base64 && self.base64offset {
            return Err(Refusal::invalid(
                "base64 and base64offset exclude each other",
            ));
        }
        Ok(())
    }
}

impl FieldTest {
    fn parse(key: &str, value: &Yaml) -> Result<FieldTest, Refusal> {
        let mut parts = key.split('|');
        let path = parts.next().unwrap_or_default();
        if path.is_empty() {
            return Err(Refusal::unsupported(
                "a keyword list with modifiers (a key with no field name)",
            ));
        }
        let names: Vec<&str> = parts.collect();
        let m = Modifiers::parse(&names)?;
        let values: Vec<&Yaml> = match value {
            Yaml::Sequence(items) => items.iter().collect(),
            one => vec![one],
        };
        if values.is_empty() {
            return Err(Refusal::invalid("an empty list of values"));
        }
        let tests: Vec<ValueTest> = values
            .into_iter()
            .map(|v| value_test(&m, v))
            .collect::<Result<_, _>>()?;
        let needs_presence = tests
            .iter()
            .all(|t| !matches!(t, ValueTest::Null | ValueTest::Exists(false)));
        let last_key = path.rsplit('.').next().unwrap_or(path);
        // A key with a quote or a backslash is written escaped: no needle.
        let plain = !last_key.contains(['"', '\\']);
        let path = FieldPath::new(path);
        let needle = (needs_presence && plain && !path.is_read())
            .then(|| [last_key.as_bytes(), b"\""].concat());
        Ok(FieldTest {
            path,
            all: m.all,
            tests,
            needle,
        })
    }

    fn requirement(&self) -> Option<Requirement> {
        // The index by event name already holds a record to its name.
        if self.path.text == "eventName" {
            return None;
        }
        let each = self.tests.iter().map(ValueTest::requirement);
        if self.all {
            each.fold(None, prefilter::narrower)
        } else {
            prefilter::union(each)
        }
    }

    fn matches(&self, record: &Record) -> bool {
        // A field the reader answers is one value or none: no list to build.
        let read;
        let mut found = Vec::new();
        let values = match record.read_leaf(&self.path) {
            Some(leaf) => {
                read = leaf;
                read.as_slice()
            }
            None => {
                let absent = self.needle.as_ref().is_some_and(|n| !record.may_hold(n));
                if !absent {
                    record.tree_leaves(&self.path, &mut found);
                }
                &found[..]
            }
        };
        let holds = |t: &ValueTest| t.matches(values, record);
        if self.all {
            self.tests.iter().all(holds)
        } else {
            self.tests.iter().any(holds)
        }
    }
}

fn value_test(m: &Modifiers, value: &Yaml) -> Result<ValueTest, Refusal> {
    if m.exists {
        return match value {
            Yaml::Bool(b) => Ok(ValueTest::Exists(*b)),
            _ => Err(Refusal::invalid("exists takes true or false")),
        };
    }
    if let Some((order, or_equal)) = m.compare {
        return match value.as_f64() {
            Some(n) => Ok(ValueTest::Compare(order, or_equal, n)),
            None => Err(Refusal::invalid("lt, lte, gt and gte take a number")),
        };
    }
    if value.is_null() {
        if m.position.is_some() || m.base64 || m.base64offset || m.windash || m.re || m.cidr {
            return Err(Refusal::invalid("null takes no modifier"));
        }
        return Ok(ValueTest::Null);
    }
    let text = scalar_text(value)
        .ok_or_else(|| Refusal::invalid("a value must be a string, number, boolean or null"))?;
    if m.re {
        let (i, multi, s) = m.re_flags;
        return RegexBuilder::new(&text)
            .case_insensitive(i)
            .multi_line(multi)
            .dot_matches_new_line(s)
            .size_limit(MAX_REGEX_BYTES)
            .dfa_size_limit(MAX_REGEX_BYTES)
            .build()
            .map(ValueTest::Regex)
            .map_err(|e| {
                Refusal::invalid(format!("regex {text:?}: {}", one_line(&e.to_string())))
            });
    }
    if m.cidr {
        return Cidr::parse(&text)
            .map(ValueTest::Cidr)
            .map_err(Refusal::invalid);
    }
    let position = m.position.unwrap_or(Position::Whole);
    if m.fieldref {
        return Ok(ValueTest::FieldRef {
            path: FieldPath::new(&text),
            position,
            cased: m.cased,
        });
    }
    let variants = if m.windash {
        windash(&text)?
    } else {
        vec![text]
    };
    let mut patterns = Vec::new();
    for variant in variants {
        if m.base64 {
            patterns.push(Pattern::literal(&base64(variant.as_bytes()), true));
        } else if m.base64offset {
            patterns.extend(
                base64_offsets(variant.as_bytes())
                    .iter()
                    .map(|s| Pattern::literal(s, true)),
            );
        } else {
            patterns.push(Pattern::parse(&variant, m.cased));
        }
    }
    let patterns = patterns
        .into_iter()
        .map(|p| match position {
            Position::Whole => p,
            Position::Contains => p.contained(),
            Position::Starts => p.prefix(),
            Position::Ends => p.suffix(),
        })
        .collect();
    Ok(ValueTest::Patterns(patterns))
}

impl ValueTest {
    fn requirement(&self) -> Option<Requirement> {
        match self {
            ValueTest::Patterns(patterns) => prefilter::union(
                patterns
                    .iter()
                    .map(|p| p.required_literal().map(|l| vec![l])),
            ),
            _ => None,
        }
    }

    fn matches(&self, values: &[Leaf], record: &Record) -> bool {
        let texts = || values.iter().filter_map(|v| v.text());
        match self {
            ValueTest::Patterns(patterns) => {
                texts().any(|t| patterns.iter().any(|p| p.matches(&t)))
            }
            ValueTest::Regex(re) => texts().any(|t| re.is_match(&t)),
            ValueTest::Cidr(cidr) => values.iter().any(|v| {
                v.as_str()
                    .and_then(|s| s.trim().parse::<IpAddr>().ok())
                    .is_some_and(|ip| cidr.contains(ip))
            }),
            ValueTest::Compare(order, or_equal, n) => values.iter().any(|v| {
                v.number()
                    .and_then(|x| x.partial_cmp(n))
                    .is_some_and(|o| o == *order || (*or_equal && o == Ordering::Equal))
            }),
            ValueTest::Null => values.is_empty() || values.iter().any(|v| v.is_null()),
            ValueTest::Exists(wanted) => values.iter().any(|v| !v.is_null()) == *wanted,
            ValueTest::FieldRef {
                path,
                position,
                cased,
            } => {
                let mut others = Vec::new();
                record.leaves(path, &mut others);
                let fold = |s: std::borrow::Cow<'_, str>| -> String {
                    if *cased {
                        s.into_owned()
                    } else {
                        super::pattern::fold(&s).into_owned()
                    }
                };
                let others: Vec<String> =
                    others.iter().filter_map(|v| v.text()).map(fold).collect();
                texts().map(fold).any(|t| {
                    others.iter().any(|o| match position {
                        Position::Whole => t == *o,
                        Position::Contains => t.contains(o.as_str()),
                        Position::Starts => t.starts_with(o.as_str()),
                        Position::Ends => t.ends_with(o.as_str()),
                    })
                })
            }
        }
    }
}

fn scalar_text(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every spelling of a value with each `-` or `/` that starts a word
/// replaced by each dash Windows accepts.
fn windash(text: &str) -> Result<Vec<String>, Refusal> {
    let mut variants = vec![String::new()];
    let mut previous: Option<char> = None;
    for c in text.chars() {
        let starts_word = previous.is_none_or(char::is_whitespace);
        if starts_word && (c == '-' || c == '/') {
            variants = variants
                .iter()
                .flat_map(|v| DASHES.iter().map(move |d| format!("{v}{d}")))
                .collect();
            if variants.len() > MAX_WINDASH_VARIANTS {
                return Err(Refusal::invalid(format!(
                    "windash makes more than {MAX_WINDASH_VARIANTS} values of {text:?}"
                )));
            }
        } else {
            variants.iter_mut().for_each(|v| v.push(c));
        }
        previous = Some(c);
    }
    Ok(variants)
}

/// Standard base64 with padding (RFC 4648).
pub(super) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The three texts that appear in base64 of any data holding `bytes`,
/// whatever its offset modulo 3: the encoding of the value shifted by 0,
/// 1 and 2 bytes, with the characters that depend on its neighbours cut
/// (as Sigma's reference implementation, pySigma, cuts them).
fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END_CUT: [usize; 3] = [0, 3, 2];
    (0..3)
        .map(|shift| {
            let mut shifted = vec![b' '; shift];
            shifted.extend_from_slice(bytes);
            let encoded = base64(&shifted);
            let end = encoded.len() - END_CUT[(bytes.len() + shift) % 3];
            encoded
                .get(START[shift]..end)
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    /// Each offset text appears in the encoding of the value behind 0, 1
    /// or 2 bytes of anything (for values of 3 bytes or more: a shorter one
    /// may leave nothing that does not depend on its neighbours).
    #[test]
    fn base64_offsets_appear_at_every_alignment() {
        for value in ["abc", "abcd", "http://", "/bin/bash -c"] {
            let offsets = base64_offsets(value.as_bytes());
            for prefix in ["", "x", "xy", "xyz"] {
                for suffix in ["", "q", "qr"] {
                    let data = format!("{prefix}{value}{suffix}");
                    let encoded = base64(data.as_bytes());
                    assert!(
                        offsets
                            .iter()
                            .any(|o| !o.is_empty() && encoded.contains(o.as_str())),
                        "{value:?} in {data:?}: {offsets:?} vs {encoded}"
                    );
                }
            }
        }
    }

    #[test]
    fn windash_expands_only_leading_dashes() {
        let variants = windash("cmd -a x-y /b").unwrap();
        assert_eq!(variants.len(), 25);
        assert!(variants.contains(&"cmd /a x-y -b".to_owned()));
        assert!(variants.contains(&"cmd \u{2013}a x-y \u{2015}b".to_owned()));
        assert!(variants.iter().all(|v| v.contains("x-y")));
        assert!(windash("-a -b -c -d -e").is_err());
    }
}
