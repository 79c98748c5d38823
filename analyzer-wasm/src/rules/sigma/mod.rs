//! Sigma rules given as data: YAML files with `logsource: product: aws,
//! service: cloudtrail`, read by the host (or the stand-alone CLI) and
//! evaluated here on every record.
//!
//! - [`pattern`]: Sigma's string values (wildcards, escapes, case);
//! - [`detection`]: search identifiers, field tests and modifiers;
//! - [`condition`]: the `condition` expression;
//! - [`rule`]: one rule document.
//!
//! A rule set is indexed by event name: a rule whose condition requires a
//! selection naming exact `eventName`s is only tried on events with one of
//! those names, so a thousand such rules cost one hash lookup per event.
//! A rule is tried on the fields the event reader already read; the
//! record is parsed into a tree only when a test needs another field that
//! its bytes show may be there (see [`record`]).

mod condition;
mod detection;
mod pattern;
mod prefilter;
mod record;
mod rule;

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use crate::event::Event;
use prefilter::Prefilter;
use record::Record;

pub use condition::Condition;
pub use rule::SigmaRule;

/// The default rule pack, embedded: `rules/default/*.yml` at the top of
/// the repository, as (name, text). On unless a configuration disables its
/// rules; rule files a user gives are loaded after it.
pub const DEFAULT_PACK: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/default_pack.rs"));

/// Why one rule did not load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// A valid Sigma rule using what this engine does not evaluate
    /// (correlations, aggregations, another log source), as opposed to a
    /// broken one (bad YAML, an unknown modifier, a bad condition).
    pub unsupported: bool,
    pub reason: String,
}

impl Refusal {
    fn invalid(reason: impl Into<String>) -> Refusal {
        Refusal {
            unsupported: false,
            reason: reason.into(),
        }
    }

    fn unsupported(reason: impl Into<String>) -> Refusal {
        Refusal {
            unsupported: true,
            reason: reason.into(),
        }
    }

    fn context(self, what: &str) -> Refusal {
        Refusal {
            reason: format!("{what}: {}", self.reason),
            ..self
        }
    }
}

/// A rule that did not load: its file, its id or title (or which document
/// of the file it was), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedRule {
    pub file: String,
    pub rule: String,
    pub refusal: Refusal,
}

/// The Sigma rules in force, indexed for evaluation.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<SigmaRule>,
    /// Rule id to its index: findings look their rule up by id.
    by_id: HashMap<String, usize>,
    /// Folded event name to the rules only that name can fire.
    by_event_name: HashMap<String, Vec<usize>>,
    /// Rules tried on every event.
    unindexed: Vec<usize>,
    /// Skips the rules whose text is not in a record.
    prefilter: Option<Prefilter>,
}

impl RuleSet {
    /// Loads every rule of every file; the rules that do not load are
    /// returned with their reasons, and the others load. `reserved` says
    /// whether an id is taken (by a built-in rule).
    pub fn load<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        reserved: impl Fn(&str) -> bool,
    ) -> (RuleSet, Vec<RefusedRule>) {
        let mut set = RuleSet::default();
        let mut refused = Vec::new();
        for (file, content) in files {
            let mut refuse = |rule: String, refusal: Refusal| {
                refused.push(RefusedRule {
                    file: file.to_owned(),
                    rule,
                    refusal,
                })
            };
            let docs = match documents(content) {
                Ok(docs) => docs,
                Err(e) => {
                    refuse(String::new(), Refusal::invalid(format!("not YAML: {e}")));
                    continue;
                }
            };
            if docs.is_empty() {
                refuse(String::new(), Refusal::invalid("the file holds no rule"));
            }
            for (n, doc) in docs.iter().enumerate() {
                let label = label(doc, n, docs.len());
                match SigmaRule::parse(doc, file) {
                    Ok(rule) if reserved(&rule.id) => refuse(
                        label,
                        Refusal::invalid(format!("id {:?} is a built-in rule's", rule.id)),
                    ),
                    Ok(rule) => match set.rule(&rule.id) {
                        Some(first) => refuse(
                            label,
                            Refusal::invalid(format!(
                                "id {:?} is already the id of {:?} in {}",
                                rule.id, first.title, first.file
                            )),
                        ),
                        None => set.add(rule),
                    },
                    Err(refusal) => refuse(label, refusal),
                }
            }
        }
        set.prefilter = Prefilter::new(set.rules.iter().map(SigmaRule::requirement).collect());
        (set, refused)
    }

    /// The default pack and then `files`, loaded as one set (so an id in
    /// `files` may not repeat one of the pack's).
    pub fn load_with_default_pack<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        reserved: impl Fn(&str) -> bool,
    ) -> (RuleSet, Vec<RefusedRule>) {
        let pack = DEFAULT_PACK
            .iter()
            .map(|(name, text)| (*name, text.as_bytes()));
        RuleSet::load(pack.chain(files), reserved)
    }

    fn add(&mut self, rule: SigmaRule) {
        let index = self.rules.len();
        match rule.event_names() {
            Some(names) => {
                for name in names {
                    match self.by_event_name.entry(name) {
                        Entry::Occupied(mut e) => e.get_mut().push(index),
                        Entry::Vacant(e) => {
                            e.insert(vec![index]);
                        }
                    }
                }
            }
            None => self.unindexed.push(index),
        }
        self.by_id.insert(rule.id.clone(), index);
        self.rules.push(rule);
    }

    pub fn rules(&self) -> &[SigmaRule] {
        &self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn rule(&self, id: &str) -> Option<&SigmaRule> {
        self.by_id.get(id).map(|&i| &self.rules[i])
    }

    /// How many rules are tried on every event (not indexed by event name).
    pub fn unindexed(&self) -> usize {
        self.unindexed.len()
    }

    /// Calls `hit` with each rule the record matches: `event` as the
    /// reader read it, `raw` its JSON.
    pub fn check<'s>(&'s self, event: &Event, raw: &[u8], mut hit: impl FnMut(&'s SigmaRule)) {
        let indexed = event
            .event_name
            .as_str()
            .and_then(|name| self.by_event_name.get(pattern::fold(name).as_ref()))
            .map_or(&[][..], Vec::as_slice);
        if indexed.is_empty() && self.unindexed.is_empty() {
            return;
        }
        let record = Record::new(event, raw);
        let found = self
            .prefilter
            .as_ref()
            .filter(|_| indexed.len() + self.unindexed.len() >= prefilter::MIN_CANDIDATES)
            .and_then(|p| Some((p, p.scan(raw)?)));
        for &i in indexed.iter().chain(&self.unindexed) {
            if let Some((prefilter, found)) = &found
                && !prefilter.may_match(i, found)
            {
                continue;
            }
            let rule = &self.rules[i];
            if rule.matches(&record) {
                hit(rule);
            }
        }
    }
}

/// The YAML documents of one file, leaving out empty ones (a trailing `---`).
fn documents(content: &[u8]) -> Result<Vec<serde_norway::Value>, String> {
    use serde::Deserialize;
    let mut docs = Vec::new();
    for doc in serde_norway::Deserializer::from_slice(content) {
        let value = serde_norway::Value::deserialize(doc).map_err(|e| e.to_string())?;
        if !value.is_null() {
            docs.push(value);
        }
    }
    Ok(docs)
}

/// How a refused rule is named: its id, else its title, else its place.
fn label(doc: &serde_norway::Value, n: usize, of: usize) -> String {
    let text = |key: &str| doc.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    text("id").or_else(|| text("title")).unwrap_or_else(|| {
        if of == 1 {
            String::new()
        } else {
            format!("document {}", n + 1)
        }
    })
}

#[cfg(test)]
mod tests;
