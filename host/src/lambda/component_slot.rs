//! The component a Lambda function runs, reloaded when its S3 object
//! changes. Checked once per invocation by ETag, so an upload takes effect
//! at the next invocation; a broken upload is refused and the last good
//! component keeps running.

use std::path::PathBuf;

use anyhow::Result;
use aws_sdk_s3::Client;
use tokio::sync::Mutex;
use wasmtime::Engine;

use crate::runtime::{self, Analyzer, Limits};
use crate::storage::{self, S3Location};

pub struct ComponentSlot {
    engine: Engine,
    source: Option<S3Location>,
    cache_dir: PathBuf,
    limits: Limits,
    /// The running component and the ETag it was loaded from.
    current: Mutex<Option<(Option<String>, Analyzer)>>,
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
            current: Mutex::new(None),
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
        let mut current = self.current.lock().await;
        let Some(source) = &self.source else {
            if current.is_none() {
                let analyzer = self
                    .load(runtime::DEFAULT_COMPONENT, "the embedded default component")
                    .await?;
                *current = Some((None, analyzer));
            }
            return Ok(current.as_ref().expect("loaded above").1.clone());
        };
        let etag = match storage::etag(s3, &source.bucket, &source.key).await {
            Ok(etag) => etag,
            Err(e) => {
                tracing::error!(component = %source, error = %format!("{e:#}"), "cannot check the component; keeping the one loaded");
                None
            }
        };
        if let Some((loaded_etag, analyzer)) = current.as_ref()
            && (etag.is_none() || *loaded_etag == etag)
        {
            return Ok(analyzer.clone());
        }
        let origin = source.to_string();
        let loaded = match storage::get_bytes(s3, &source.bucket, &source.key).await {
            Ok((bytes, etag)) => self.load(&bytes, &origin).await.map(|a| (etag, a)),
            Err(e) => Err(e),
        };
        match loaded {
            Ok((etag, analyzer)) => {
                tracing::info!(component = %origin, name = %analyzer.info().name, version = %analyzer.info().version, "loaded the component");
                *current = Some((etag, analyzer.clone()));
                Ok(analyzer)
            }
            Err(e) => {
                let reason = format!("{e:#}");
                match current.as_ref() {
                    Some((_, good)) => {
                        tracing::error!(component = %origin, error = %reason, "refusing the new component; the last good one keeps running");
                        Ok(good.clone())
                    }
                    None => {
                        tracing::error!(component = %origin, error = %reason, "refusing the component; running the embedded default");
                        let analyzer = self
                            .load(runtime::DEFAULT_COMPONENT, "the embedded default component")
                            .await?;
                        // Remember the refused ETag so every invocation does not retry it.
                        *current = Some((etag, analyzer.clone()));
                        Ok(analyzer)
                    }
                }
            }
        }
    }
}
