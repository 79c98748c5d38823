//! The component a Lambda function runs, reloaded when its S3 object
//! changes. Checked once per invocation by ETag, so an upload takes effect
//! at the next invocation.
//!
//! Two kinds of failure, told apart:
//! - the object was fetched and refused (it does not compile, or breaks the
//!   contract): its ETag is remembered, so it is not fetched again until a
//!   new upload, and the last good component keeps running (the embedded
//!   default if there was none yet: an upload that can never work must not
//!   stop the function);
//! - the object could not be fetched (a transient S3 error, a missing
//!   object, access denied): nothing is remembered, and the next invocation
//!   tries again. With a good component loaded it keeps running; with none
//!   yet (a cold start) the invocation fails, so it is retried, rather than
//!   running the default rules in place of the operator's: those would
//!   write reports and send (or miss) alerts by other rules, silently.

use std::path::PathBuf;

use anyhow::{Context, Result};
use aws_sdk_s3::Client;
use tokio::sync::Mutex;
use wasmtime::Engine;

use crate::runtime::{self, Analyzer, Limits};
use crate::storage::{self, S3Location};

const DEFAULT_ORIGIN: &str = "the embedded default component";

/// What has been loaded so far.
#[derive(Default)]
struct Loaded {
    /// The component running, and the ETag it was loaded from (`None` for
    /// the embedded default).
    running: Option<(Option<String>, Analyzer)>,
    /// The ETag of an upload that was fetched and refused.
    refused: Option<String>,
}

pub struct ComponentSlot {
    engine: Engine,
    source: Option<S3Location>,
    cache_dir: PathBuf,
    limits: Limits,
    loaded: Mutex<Loaded>,
}

impl ComponentSlot {
    pub fn new(
        engine: Engine,
        source: Option<S3Location>,
        cache_dir: PathBuf,
        limits: Limits,
    ) -> Self {
        ComponentSlot {
            engine,
            source,
            cache_dir,
            limits,
            loaded: Mutex::new(Loaded::default()),
        }
    }

    async fn load(&self, bytes: &[u8], origin: &str) -> Result<Analyzer> {
        Analyzer::load(
            &self.engine,
            bytes,
            origin,
            Some(&self.cache_dir),
            self.limits,
        )
        .await
    }

    /// The component to use for this invocation.
    pub async fn current(&self, s3: &Client) -> Result<Analyzer> {
        let mut loaded = self.loaded.lock().await;
        let Some(source) = &self.source else {
            if loaded.running.is_none() {
                let analyzer = self
                    .load(runtime::DEFAULT_COMPONENT, DEFAULT_ORIGIN)
                    .await?;
                loaded.running = Some((None, analyzer));
            }
            return Ok(loaded.running.as_ref().expect("loaded above").1.clone());
        };
        let origin = source.to_string();
        if let Some((running_etag, running)) = &loaded.running {
            match storage::etag(s3, &source.bucket, &source.key).await {
                Ok(Some(etag))
                    if running_etag.as_ref() == Some(&etag)
                        || loaded.refused.as_ref() == Some(&etag) =>
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
        match self.load(&bytes, &origin).await {
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
                loaded.refused = etag;
                match &loaded.running {
                    Some((_, good)) => {
                        tracing::error!(component = %origin, error = %reason, "refusing the new component; the last good one keeps running");
                        Ok(good.clone())
                    }
                    None => {
                        tracing::error!(component = %origin, error = %reason, "refusing the component; running the embedded default");
                        let analyzer = self
                            .load(runtime::DEFAULT_COMPONENT, DEFAULT_ORIGIN)
                            .await?;
                        loaded.running = Some((None, analyzer.clone()));
                        Ok(analyzer)
                    }
                }
            }
        }
    }
}
