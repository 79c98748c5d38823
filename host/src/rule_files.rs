//! Rule files for a component that takes rules as data (Sigma's YAML, for
//! the default one): found in files, folders and S3 prefixes, read whole and
//! handed over. What they mean, and whether they are valid, the component
//! alone decides; the host only prints its answer.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use tokio::io::AsyncReadExt;

use crate::bindings::rule_files::{RuleFile, RuleSet};
use crate::inputs::{self, Input};
use crate::storage::LazyS3;

/// All rule files together may not be larger: they are held in memory, in
/// the host and in every component instance.
pub const MAX_RULE_FILES_BYTES: u64 = 32 << 20;

/// Reads every `*.yml` and `*.yaml` under each source (a folder, read
/// recursively, or an `s3://bucket/prefix`), and each file named directly
/// whatever its name. A source with no rule file is an error: a typo in a
/// path must not mean "no rules".
pub async fn read(sources: &[String], s3: &LazyS3) -> Result<Arc<Vec<RuleFile>>> {
    let mut files = Vec::new();
    let mut total = 0u64;
    for source in sources {
        let (found, unreadable) = inputs::expand(std::slice::from_ref(source), s3).await?;
        if let Some(u) = unreadable.first() {
            bail!("rule files {}: {}", u.name, u.reason);
        }
        let named_directly = |input: &Input| {
            let name = input.name();
            name == *source || name.trim_start_matches("./") == source.trim_start_matches("./")
        };
        let before = files.len();
        for input in found
            .iter()
            .filter(|i| named_directly(i) || is_yaml(&i.name()))
        {
            let name = input.name();
            let mut content = Vec::new();
            input
                .open(s3)
                .await
                .with_context(|| format!("cannot read rule file {name}"))?
                .take(MAX_RULE_FILES_BYTES - total + 1)
                .read_to_end(&mut content)
                .await
                .with_context(|| format!("cannot read rule file {name}"))?;
            total += content.len() as u64;
            if total > MAX_RULE_FILES_BYTES {
                bail!(
                    "rule files: more than {} MiB in all (at {name})",
                    MAX_RULE_FILES_BYTES >> 20
                );
            }
            files.push(RuleFile { name, content });
        }
        if files.len() == before {
            bail!("rule files {source}: no .yml or .yaml file there");
        }
    }
    Ok(Arc::new(files))
}

/// Whether a file or key names a rule file.
pub fn is_yaml(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".yml") || lower.ends_with(".yaml")
}

/// Prints what the component refused, one line each. Returns how many of
/// those rules are broken (as opposed to valid but using what the
/// component does not evaluate).
pub fn print_refused(set: &RuleSet) -> usize {
    let mut broken = 0;
    for r in &set.refused {
        let rule = if r.rule.is_empty() {
            String::new()
        } else {
            format!(" {}", r.rule)
        };
        let kind = if r.unsupported {
            "not loaded"
        } else {
            broken += 1;
            "error"
        };
        eprintln!("rules: {kind}: {}{rule}: {}", r.file, r.reason);
    }
    broken
}

/// Refuses a rule set with broken rules, as a broken configuration is
/// refused: the rules named above must be fixed or removed.
pub fn check(set: &RuleSet) -> Result<()> {
    let broken = print_refused(set);
    if broken > 0 {
        bail!("{broken} rule(s) in the rule files are broken (named above); fix or remove them");
    }
    eprintln!(
        "rules: {} loaded from rule files{}",
        set.loaded.len(),
        if set.refused.is_empty() {
            String::new()
        } else {
            format!(", {} not loaded", set.refused.len())
        }
    );
    Ok(())
}
