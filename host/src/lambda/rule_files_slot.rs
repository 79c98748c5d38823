//! The rule files (Sigma rules, for the default component) a Lambda
//! function hands its component: every `*.yml` and `*.yaml` object under
//! `CTA_SIGMA_URI`, listed at each invocation, so an upload, a change or a
//! deletion takes effect at the next one.
//!
//! A set is known by its objects' keys and ETags. A new set is fetched and
//! loaded once: if the component finds a broken rule in it (bad YAML, an
//! unknown modifier), the set is refused with the component's errors and
//! remembered, and the last good set keeps running. With no good set yet
//! (a cold start), the invocation fails, to be retried, rather than run
//! without the operator's rules, as the component slot does for a
//! component it cannot fetch. Rules the component does not evaluate
//! (correlations, other log sources) are logged and left out; the others
//! run.

use std::sync::Arc;

use anyhow::{Result, anyhow};
use aws_sdk_s3::Client;
use tokio::sync::Mutex;

use crate::bindings::rule_files::RuleFile;
use crate::rule_files::{MAX_RULE_FILES_BYTES, is_yaml};
use crate::runtime::Analyzer;
use crate::storage::{self, S3Location};

/// The objects a set was read from: (key, ETag), in key order.
type Fingerprint = Vec<(String, String)>;

#[derive(Default)]
struct State {
    good: Option<(Fingerprint, Arc<Vec<RuleFile>>)>,
    /// A set that was fetched and refused, and why.
    refused: Option<(Fingerprint, String)>,
}

pub struct RuleFilesSlot {
    source: Option<S3Location>,
    state: Mutex<State>,
}

impl RuleFilesSlot {
    pub fn new(source: Option<S3Location>) -> RuleFilesSlot {
        RuleFilesSlot {
            source,
            state: Mutex::new(State::default()),
        }
    }

    /// `analyzer` with the current rule files loaded into every instance
    /// it makes; `analyzer` itself when no `CTA_SIGMA_URI` is set.
    pub async fn apply(&self, s3: &Client, analyzer: Analyzer) -> Result<Analyzer> {
        let Some(source) = &self.source else {
            return Ok(analyzer);
        };
        let mut state = self.state.lock().await;
        match storage::list(s3, &source.bucket, &source.key).await {
            Ok(objects) => {
                let listed: Fingerprint = objects
                    .into_iter()
                    .filter(|o| is_yaml(&o.key))
                    .map(|o| (o.key, o.etag))
                    .collect();
                let known = |set: Option<&Fingerprint>| set == Some(&listed);
                if !known(state.good.as_ref().map(|g| &g.0))
                    && !known(state.refused.as_ref().map(|r| &r.0))
                {
                    match fetch_and_check(s3, source, &listed, &analyzer).await {
                        Ok((fetched, files)) => {
                            tracing::info!(rules = %source, files = files.len(), "loaded the rule files");
                            state.good = Some((fetched, files));
                            state.refused = None;
                        }
                        Err(e) => {
                            let reason = format!("{e:#}");
                            tracing::error!(rules = %source, error = %reason, "refusing the rule files; the last good ones keep running");
                            state.refused = Some((listed, reason));
                        }
                    }
                }
            }
            Err(e) if state.good.is_some() => {
                tracing::error!(rules = %source, error = %format!("{e:#}"), "cannot list the rule files; the ones loaded keep running");
            }
            Err(e) => {
                return Err(e.context(format!(
                    "cannot list the rule files under {source}; failing this invocation so it is \
                     retried rather than run without them"
                )));
            }
        }
        match &state.good {
            Some((_, files)) => Ok(analyzer.with_rule_files(files.clone()).await?.0),
            None => Err(anyhow!(
                "the rule files under {source} were refused ({}), and no good set was loaded \
                 before; failing this invocation so it is retried rather than run without them",
                state.refused.as_ref().map_or("", |r| r.1.as_str())
            )),
        }
    }
}

/// Fetches the listed objects and has the component load them; the
/// fingerprint returned is of what was fetched (an object replaced between
/// the listing and the read is known by its new ETag).
async fn fetch_and_check(
    s3: &Client,
    source: &S3Location,
    listed: &Fingerprint,
    analyzer: &Analyzer,
) -> Result<(Fingerprint, Arc<Vec<RuleFile>>)> {
    if listed.is_empty() {
        return Err(anyhow!("no .yml or .yaml object under {source}"));
    }
    let mut fetched = Vec::new();
    let mut files = Vec::new();
    let mut total = 0u64;
    for (key, _) in listed {
        let (content, etag) = storage::get_bytes(s3, &source.bucket, key).await?;
        total += content.len() as u64;
        if total > MAX_RULE_FILES_BYTES {
            return Err(anyhow!(
                "the rule files under {source} pass {} MiB in all",
                MAX_RULE_FILES_BYTES >> 20
            ));
        }
        fetched.push((key.clone(), etag.unwrap_or_default()));
        files.push(RuleFile {
            name: format!("s3://{}/{key}", source.bucket),
            content,
        });
    }
    let files = Arc::new(files);
    let (_, set) = analyzer.with_rule_files(files.clone()).await?;
    let mut broken = Vec::new();
    for r in &set.refused {
        let what = format!("{} {}: {}", r.file, r.rule, r.reason);
        if r.unsupported {
            tracing::warn!(rule = %what, "rule not loaded: the component does not evaluate it");
        } else {
            broken.push(what);
        }
    }
    if !broken.is_empty() {
        return Err(anyhow!(
            "{} broken rule(s): {}",
            broken.len(),
            broken.join("; ")
        ));
    }
    Ok((fetched, files))
}
