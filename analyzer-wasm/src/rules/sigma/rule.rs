//! One Sigma rule document: what it is (`id`, `title`, `level`), what it
//! reads (`logsource`), and its `detection`.

use serde_norway::Value as Yaml;

use super::Refusal;
use super::condition::Condition;
use super::detection::Selection;
use super::prefilter::{self, Requirement};
use super::record::Record;

/// A loaded Sigma rule.
#[derive(Debug)]
pub struct SigmaRule {
    pub id: String,
    pub title: String,
    /// `level`, as one of the four severities (`informational` is `low`).
    pub severity: &'static str,
    /// The file it came from.
    pub file: String,
    names: Vec<String>,
    selections: Vec<Selection>,
    condition: Condition,
}

impl SigmaRule {
    pub(super) fn parse(doc: &Yaml, file: &str) -> Result<SigmaRule, Refusal> {
        let Some(map) = doc.as_mapping() else {
            return Err(Refusal::invalid("a rule must be a YAML map"));
        };
        if map.contains_key("correlation") {
            return Err(Refusal::unsupported(
                "a correlation rule (correlations are not evaluated)",
            ));
        }
        if let Some(action) = map.get("action") {
            return Err(Refusal::unsupported(format!(
                "a rule collection document (action: {}); write each rule whole",
                action.as_str().unwrap_or("?")
            )));
        }
        let text = |key: &str| -> Result<String, Refusal> {
            match map.get(key) {
                Some(Yaml::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
                Some(_) => Err(Refusal::invalid(format!(
                    "{key} must be a non-empty string"
                ))),
                None => Err(Refusal::invalid(format!("no {key}"))),
            }
        };
        let id = text("id")?;
        let title = text("title")?;
        let severity = match map.get("level") {
            None => "medium",
            Some(level) => match level.as_str().unwrap_or_default() {
                "informational" | "low" => "low",
                "medium" => "medium",
                "high" => "high",
                "critical" => "critical",
                _ => {
                    return Err(Refusal::invalid(
                        "level must be informational, low, medium, high or critical",
                    ));
                }
            },
        };
        check_logsource(map.get("logsource"))?;
        let Some(Yaml::Mapping(detection)) = map.get("detection") else {
            return Err(Refusal::invalid("no detection map"));
        };
        if detection.contains_key("timeframe") {
            return Err(Refusal::unsupported(
                "detection.timeframe (an aggregation over time)",
            ));
        }
        let mut names = Vec::new();
        let mut selections = Vec::new();
        for (key, value) in detection {
            let Some(name) = key.as_str() else {
                return Err(Refusal::invalid("a search identifier that is not a string"));
            };
            if name == "condition" {
                continue;
            }
            let selection =
                Selection::parse(value).map_err(|r| r.context(&format!("detection.{name}")))?;
            names.push(name.to_owned());
            selections.push(selection);
        }
        let condition = match detection.get("condition") {
            Some(Yaml::String(text)) => condition(text, &names)?,
            // A list of conditions holds when any does.
            Some(Yaml::Sequence(items)) if !items.is_empty() => {
                let mut any = Vec::new();
                for item in items {
                    let text = item.as_str().ok_or_else(|| {
                        Refusal::invalid("detection.condition: a list of conditions holds strings")
                    })?;
                    any.push(condition(text, &names)?);
                }
                Condition::Or(any)
            }
            _ => return Err(Refusal::invalid("no detection.condition")),
        };
        Ok(SigmaRule {
            id,
            title,
            severity,
            file: file.to_owned(),
            names,
            selections,
            condition,
        })
    }

    /// Whether the record matches; each search identifier is tested at
    /// most once.
    pub(super) fn matches(&self, record: &Record) -> bool {
        // Most rules have a few search identifiers: their results on the stack.
        const ON_STACK: usize = 8;
        let mut stack = [None; ON_STACK];
        let mut heap = Vec::new();
        let known: &mut [Option<bool>] = if self.selections.len() <= ON_STACK {
            &mut stack[..self.selections.len()]
        } else {
            heap.resize(self.selections.len(), None);
            &mut heap
        };
        self.condition
            .eval(&mut |i| *known[i].get_or_insert_with(|| self.selections[i].matches(record)))
    }

    /// Literals one of which every matching record's bytes hold, if the
    /// rule says so: what the prefilter looks for.
    pub(super) fn requirement(&self) -> Option<Requirement> {
        let required = self.condition.required()?;
        prefilter::union(
            required
                .into_iter()
                .map(|i| self.selections[i].requirement()),
        )
    }

    /// Folded event names one of which every matching record has, if the
    /// rule says so: its index key.
    pub(super) fn event_names(&self) -> Option<Vec<String>> {
        let mut names = Vec::new();
        for i in self.condition.required()? {
            names.extend(self.selections[i].event_names()?);
        }
        names.sort();
        names.dedup();
        Some(names)
    }

    /// The search identifiers, in the rule's order.
    pub fn identifiers(&self) -> &[String] {
        &self.names
    }
}

fn condition(text: &str, names: &[String]) -> Result<Condition, Refusal> {
    if text.contains('|') {
        return Err(Refusal::unsupported(format!(
            "detection.condition {text:?} aggregates (`|`), which is not evaluated"
        )));
    }
    Condition::parse(text, names)
        .map_err(|e| Refusal::invalid(format!("detection.condition {text:?}: {e}")))
}

/// Only CloudTrail rules load: `product: aws` and `service: cloudtrail`.
fn check_logsource(logsource: Option<&Yaml>) -> Result<(), Refusal> {
    let field = |key: &str| {
        logsource
            .and_then(|l| l.get(key))
            .and_then(Yaml::as_str)
            .map(str::to_ascii_lowercase)
    };
    if field("product").as_deref() == Some("aws")
        && field("service").as_deref() == Some("cloudtrail")
    {
        return Ok(());
    }
    Err(Refusal::unsupported(format!(
        "logsource is not product: aws, service: cloudtrail (it is product: {}, service: {})",
        field("product").unwrap_or_else(|| "none".into()),
        field("service").unwrap_or_else(|| "none".into()),
    )))
}
