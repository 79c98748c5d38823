//! The component a Lambda function runs, reloaded when its S3 object
//! changes. Checked once per invocation by ETag, so an upload takes effect
//! at the next invocation.
//!
//! Two kinds of failure, told apart:
//! - the object was fetched and refused (its SHA-256 is not the one
//!   `CTA_COMPONENT_SHA256` pins, it does not compile, it breaks the
//!   contract, or it fails its probe: see `runtime::probe`, run in a child
//!   process before a new upload is adopted): its ETag is remembered, so it is not fetched again until a
//!   new upload, and the last good component keeps running (the embedded
//!   default if there was none yet: an upload that can never work must not
//!   stop the function);
//! - the object could not be fetched (a transient S3 error, a missing
//!   object, access denied): nothing is remembered, and the next invocation
//!   tries again. With a good component loaded it keeps running; with none
//!   yet (a cold start) the invocation fails, so it is retried, rather than
//!   running the default rules in place of the operator's: those would
//!   write reports and send (or miss) alerts by other rules, silently.
//!
//! With a pin, the embedded default stands in for nothing it does not
//! match: a pin says which rules run, so running other ones (the default)
//! because the object is not the pinned one would defeat it. A refused
//! object at a cold start then fails the invocation, as one that cannot be
//! fetched does; Lambda retries it, and the alarms on errors fire, until
//! the pinned component is uploaded or the pin changed. The refused ETag is
//! still remembered, so those invocations cost a HEAD, not a download.

use std::path::PathBuf;

use anyhow::{Context, Result};
use aws_sdk_s3::Client;
use tokio::sync::Mutex;
use wasmtime::Engine;

use crate::runtime::{self, Analyzer, ComponentPin, Limits};
use crate::storage::{self, S3Location};

const DEFAULT_ORIGIN: &str = "the embedded default component";

/// What has been loaded so far.
#[derive(Default)]
struct Loaded {
    /// The component running, and the ETag it was loaded from (`None` for
    /// the embedded default).
    running: Option<(Option<String>, Analyzer)>,
    /// The ETag of an upload that was fetched and refused, and why.
    refused: Option<(String, String)>,
}

pub struct ComponentSlot {
    engine: Engine,
    source: Option<S3Location>,
    pin: Option<ComponentPin>,
    /// Whether the embedded default may run: no pin, or the pin is its digest.
    default_allowed: bool,
    cache_dir: PathBuf,
    limits: Limits,
    loaded: Mutex<Loaded>,
}

impl ComponentSlot {
    /// Fails when there is no component URI and a pin that the embedded
    /// default, the only component there is then, does not match: nothing
    /// could ever run, so the function should not start.
    pub fn new(
        engine: Engine,
        source: Option<S3Location>,
        pin: Option<ComponentPin>,
        cache_dir: PathBuf,
        limits: Limits,
    ) -> Result<Self> {
        let default_allowed = pin
            .as_ref()
            .is_none_or(|pin| pin.matches(runtime::DEFAULT_COMPONENT));
        if source.is_none()
            && let Some(pin) = &pin
        {
            pin.check(runtime::DEFAULT_COMPONENT, DEFAULT_ORIGIN)
                .context("no CTA_COMPONENT_URI is set, so only the embedded default could run")?;
        }
        Ok(ComponentSlot {
            engine,
            source,
            pin,
            default_allowed,
            cache_dir,
            limits,
            loaded: Mutex::new(Loaded::default()),
        })
    }

    /// Loads `bytes`; an upload (`config` given) is probed first in a child
    /// process, with the rules configuration it will run with.
    async fn load(&self, bytes: &[u8], origin: &str, config: Option<&str>) -> Result<Analyzer> {
        // Checked before anything parses or compiles the bytes.
        if let Some(pin) = &self.pin {
            pin.check(bytes, origin)?;
        }
        if let Some(config) = config {
            runtime::probe::probe(bytes, origin, config, self.limits, Some(&self.cache_dir))
                .await?;
        }
        Analyzer::load(
            &self.engine,
            bytes,
            origin,
            Some(&self.cache_dir),
            self.limits,
        )
        .await
    }

    /// Why the invocation fails when the object was refused and no good
    /// component is loaded (only with a pin the default does not match).
    fn nothing_to_run(&self, reason: &str) -> anyhow::Error {
        let setting = self.pin.as_ref().map_or("the pin", |p| p.setting());
        anyhow::anyhow!(
            "{reason}; no component matching {setting} is loaded, and the embedded default does not \
             match it either, so this invocation fails (to be retried) rather than run other rules: \
             upload the pinned component or change {setting}"
        )
    }

    /// The component to use for this invocation, which runs with `config`.
    pub async fn current(&self, s3: &Client, config: &str) -> Result<Analyzer> {
        let mut loaded = self.loaded.lock().await;
        let Some(source) = &self.source else {
            if loaded.running.is_none() {
                let analyzer = self
                    .load(runtime::DEFAULT_COMPONENT, DEFAULT_ORIGIN, None)
                    .await?;
                loaded.running = Some((None, analyzer));
            }
            return Ok(loaded.running.as_ref().expect("loaded above").1.clone());
        };
        let origin = source.to_string();
        let refused_etag = loaded.refused.as_ref().map(|(etag, _)| etag.clone());
        if let Some((running_etag, running)) = &loaded.running {
            match storage::etag(s3, &source.bucket, &source.key).await {
                Ok(Some(etag))
                    if running_etag.as_ref() == Some(&etag)
                        || refused_etag.as_ref() == Some(&etag) =>
                {
                    return Ok(running.clone());
                }
                Ok(Some(_)) => {} // a new upload: fetch it
                Ok(None) => {
                    tracing::error!(component = %origin, "the component object is missing; keeping the one loaded");
                    return Ok(running.clone());
                }
                Err(e) => {
                    tracing::error!(component = %origin, error = %format!("{e:#}"), "cannot check the component; keeping the one loaded");
                    return Ok(running.clone());
                }
            }
        } else if let Some((refused, reason)) = &loaded.refused
            && !self.default_allowed
        {
            // Nothing runs (a pin the default does not match): while the
            // object is the one refused, fail without downloading it again.
            if let Ok(Some(etag)) = storage::etag(s3, &source.bucket, &source.key).await
                && etag == *refused
            {
                return Err(self.nothing_to_run(reason));
            }
        }
        // Nothing loaded yet, or a new upload.
        let (bytes, etag) = match storage::get_bytes(s3, &source.bucket, &source.key).await {
            Ok(fetched) => fetched,
            Err(e) => {
                return match &loaded.running {
                    Some((_, running)) => {
                        tracing::error!(component = %origin, error = %format!("{e:#}"), "cannot fetch the new component; the one loaded keeps running, and the next invocation tries again");
                        Ok(running.clone())
                    }
                    None => Err(e).context(format!(
                        "cannot fetch the component {origin}; failing this invocation so it is retried \
                         (the embedded default rules do not stand in for the configured ones)"
                    )),
                };
            }
        };
        match self.load(&bytes, &origin, Some(config)).await {
            Ok(analyzer) => {
                tracing::info!(component = %origin, name = %analyzer.info().name, version = %analyzer.info().version, "loaded the component");
                loaded.running = Some((etag, analyzer.clone()));
                loaded.refused = None;
                Ok(analyzer)
            }
            Err(e) => {
                let reason = format!("{e:#}");
                // Remember what was refused, so it is not fetched again
                // until the next upload.
                loaded.refused = etag.map(|etag| (etag, reason.clone()));
                match &loaded.running {
                    Some((_, good)) => {
                        tracing::error!(component = %origin, error = %reason, "refusing the new component; the last good one keeps running");
                        Ok(good.clone())
                    }
                    None if self.default_allowed => {
                        tracing::error!(component = %origin, error = %reason, "refusing the component; running the embedded default");
                        let analyzer = self
                            .load(runtime::DEFAULT_COMPONENT, DEFAULT_ORIGIN, None)
                            .await?;
                        loaded.running = Some((None, analyzer.clone()));
                        Ok(analyzer)
                    }
                    None => {
                        tracing::error!(component = %origin, error = %reason, "refusing the component; nothing matching the pin to run, failing the invocation");
                        Err(self.nothing_to_run(&reason))
                    }
                }
            }
        }
    }
}
