//! S3 access: the only module that talks to `aws-sdk-s3`.
//!
//! Errors name the object (`s3://bucket/key`) and say what went wrong in
//! words: a missing bucket or key is reported by its S3 error code, never as
//! an opaque "service error".

use std::fmt;
use std::pin::Pin;

use anyhow::{Context, Result, anyhow, bail};
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use tokio::io::AsyncRead;
use tokio::sync::OnceCell;

pub type Reader = Pin<Box<dyn AsyncRead + Send>>;

/// Test-only crash injection (`CTA_FAULT=exit-after-s3-write:N`, see the
/// Lambda configuration): the process ends right after its N-th successful
/// write to S3 (a put, a conditional put, a delete request), as a crash
/// there would end it. Never set in a deployment.
static EXIT_AFTER_WRITES: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub fn exit_after_writes(n: u64) {
    let _ = EXIT_AFTER_WRITES.set(n);
}

fn wrote(what: &str) {
    let Some(limit) = EXIT_AFTER_WRITES.get() else {
        return;
    };
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    if n == *limit {
        tracing::error!(
            write = n,
            what,
            "CTA_FAULT=exit-after-s3-write: exiting as a crash would"
        );
        std::process::exit(70);
    }
}

/// `s3://bucket/key-or-prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub key: String,
}

impl S3Location {
    /// Parses `s3://bucket[/key]`; `None` when `uri` is not an S3 URI.
    pub fn parse(uri: &str) -> Option<Result<S3Location>> {
        let rest = uri.strip_prefix("s3://")?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Some(Err(anyhow!(
                "{uri}: an S3 URI needs a bucket: s3://bucket/key"
            )));
        }
        Some(Ok(S3Location {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        }))
    }

    pub fn child(&self, name: &str) -> S3Location {
        let key = if self.key.is_empty() || self.key.ends_with('/') {
            format!("{}{name}", self.key)
        } else {
            format!("{}/{name}", self.key)
        };
        S3Location {
            bucket: self.bucket.clone(),
            key,
        }
    }
}

impl fmt::Display for S3Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

#[derive(Debug, Clone)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    pub etag: String,
}

/// An S3 client made on first use, so local runs never load AWS settings.
pub struct LazyS3 {
    endpoint: Option<String>,
    client: OnceCell<Client>,
}

impl LazyS3 {
    pub fn new(endpoint: Option<String>) -> LazyS3 {
        LazyS3 {
            endpoint,
            client: OnceCell::new(),
        }
    }

    pub fn from_client(client: Client) -> LazyS3 {
        LazyS3 {
            endpoint: None,
            client: OnceCell::new_with(Some(client)),
        }
    }

    pub async fn get(&self) -> &Client {
        self.client
            .get_or_init(|| async { new_client(self.endpoint.as_deref()).await })
            .await
    }
}

/// The SDK's default credential and region chain; `endpoint` (or
/// `AWS_ENDPOINT_URL`, which the SDK reads itself) for S3-compatible servers,
/// which want path-style addressing.
pub async fn new_client(endpoint: Option<&str>) -> Client {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(url) = endpoint {
        loader = loader.endpoint_url(url);
    }
    let shared = loader.load().await;
    let custom_endpoint = endpoint.is_some() || std::env::var_os("AWS_ENDPOINT_URL").is_some();
    let config = aws_sdk_s3::config::Builder::from(&shared)
        .force_path_style(custom_endpoint)
        .build();
    Client::from_conf(config)
}

/// Words for an S3 failure, by its error code.
fn explain<E, R>(err: SdkError<E, R>, what: &str) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    let code = err.code().map(str::to_owned);
    let message = err.message().map(str::to_owned);
    match code.as_deref() {
        Some("NoSuchBucket") => anyhow!("{what}: the bucket does not exist"),
        Some("NoSuchKey") | Some("NotFound") => anyhow!("{what}: no such object"),
        Some("AccessDenied") | Some("Forbidden") => {
            anyhow!("{what}: access denied (check the credentials and the bucket policy)")
        }
        Some(code) => anyhow!("{what}: {code}: {}", message.unwrap_or_default()),
        None => anyhow::Error::new(err).context(what.to_owned()),
    }
}

/// Every object under `prefix`, across all pages of the listing.
pub async fn list(client: &Client, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>> {
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    let mut objects = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| explain(e, &format!("cannot list s3://{bucket}/{prefix}")))?;
        for object in page.contents() {
            let Some(key) = object.key() else { continue };
            // Zero-byte keys ending in '/' are console "folders", not objects.
            if key.ends_with('/') && object.size() == Some(0) {
                continue;
            }
            objects.push(ObjectInfo {
                key: key.to_owned(),
                size: object.size().unwrap_or(0).max(0) as u64,
                etag: object.e_tag().unwrap_or_default().to_owned(),
            });
        }
    }
    Ok(objects)
}

/// A streaming reader of one object: its bytes are never held whole.
pub async fn open(client: &Client, bucket: &str, key: &str) -> Result<Reader> {
    open_version(client, bucket, key, None).await
}

/// Streams an object with its user metadata (the `x-amz-meta-` headers,
/// without that prefix): CloudTrail signs digest files there.
pub async fn open_with_metadata(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<(Reader, Vec<(String, String)>)> {
    let out = get_object(client, bucket, key, None).await?;
    let mut metadata: Vec<(String, String)> = out
        .metadata()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    metadata.sort();
    Ok((Box::pin(out.body.into_async_read()), metadata))
}

/// Streams one version of an object (the latest with `None`): a version
/// stays readable after its key was deleted in a versioned bucket.
pub async fn open_version(
    client: &Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> Result<Reader> {
    let out = get_object(client, bucket, key, version).await?;
    Ok(Box::pin(out.body.into_async_read()))
}

/// A whole (small) object, with its ETag.
pub async fn get_bytes(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<(Vec<u8>, Option<String>)> {
    let out = get_object(client, bucket, key, None).await?;
    let etag = out.e_tag().map(str::to_owned);
    let bytes = out
        .body
        .collect()
        .await
        .with_context(|| format!("cannot read s3://{bucket}/{key}"))?
        .into_bytes()
        .to_vec();
    Ok((bytes, etag))
}

async fn get_object(
    client: &Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> Result<aws_sdk_s3::operation::get_object::GetObjectOutput> {
    client
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_owned))
        .send()
        .await
        .map_err(|e| explain(e, &format!("cannot read s3://{bucket}/{key}")))
}

/// The ETag of an object, `None` when it does not exist.
pub async fn etag(client: &Client, bucket: &str, key: &str) -> Result<Option<String>> {
    match client.head_object().bucket(bucket).key(key).send().await {
        Ok(out) => Ok(out.e_tag().map(str::to_owned)),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
        Err(e) => Err(explain(e, &format!("cannot read s3://{bucket}/{key}"))),
    }
}

pub async fn put(
    client: &Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
    media_type: &str,
) -> Result<()> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type(media_type)
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| explain(e, &format!("cannot write s3://{bucket}/{key}")))?;
    wrote(key);
    Ok(())
}

/// Deletes `keys`, a thousand per request (the S3 maximum); fails if any
/// single delete failed.
pub async fn delete(client: &Client, bucket: &str, keys: &[String]) -> Result<()> {
    for chunk in keys.chunks(1000) {
        let objects = chunk
            .iter()
            .map(|k| ObjectIdentifier::builder().key(k).build())
            .collect::<Result<Vec<_>, _>>()?;
        let out = client
            .delete_objects()
            .bucket(bucket)
            .delete(
                Delete::builder()
                    .set_objects(Some(objects))
                    .quiet(true)
                    .build()?,
            )
            .send()
            .await
            .map_err(|e| explain(e, &format!("cannot delete from s3://{bucket}")))?;
        wrote("delete");
        if let Some(err) = out.errors().first() {
            bail!(
                "cannot delete s3://{bucket}/{}: {} {}",
                err.key().unwrap_or("?"),
                err.code().unwrap_or("?"),
                err.message().unwrap_or("")
            );
        }
    }
    Ok(())
}

/// The "folders" right under `prefix` (common prefixes for delimiter `/`),
/// across all pages: how the pipeline walks the key layout without
/// scanning the bucket.
pub async fn list_folders(client: &Client, bucket: &str, prefix: &str) -> Result<Vec<String>> {
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .delimiter("/")
        .into_paginator()
        .send();
    let mut folders = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| explain(e, &format!("cannot list s3://{bucket}/{prefix}")))?;
        folders.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_owned)),
        );
    }
    Ok(folders)
}

/// Whether any object exists under `prefix` (one small request).
pub async fn any_object(client: &Client, bucket: &str, prefix: &str) -> Result<bool> {
    let page = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .max_keys(1)
        .send()
        .await
        .map_err(|e| explain(e, &format!("cannot list s3://{bucket}/{prefix}")))?;
    Ok(page.key_count().unwrap_or(0) > 0)
}

/// Writes `body` only if no object has the key yet: `true` when this call
/// created it, `false` when it was already there. S3's conditional write
/// (`If-None-Match: *`) makes the check and the write one step, so two
/// concurrent callers cannot both win. A 409 `ConditionalRequestConflict`
/// decides nothing (S3 says to retry), so it is an error here, never
/// "already there"; `put_conditional` gives the caller the choice.
pub async fn put_if_absent(
    client: &Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
) -> Result<bool> {
    let when = Precondition::Absent;
    match put_conditional(client, bucket, key, body, "application/octet-stream", when).await? {
        Conditional::Written(_) => Ok(true),
        Conditional::Refused => Ok(false),
        Conditional::Conflict => bail!(
            "cannot write s3://{bucket}/{key}: 409 ConditionalRequestConflict (a concurrent write; retry)"
        ),
    }
}

/// What a conditional write must find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition<'a> {
    /// No object has the key (`If-None-Match: *`).
    Absent,
    /// The object has this ETag (`If-Match`).
    Matches(&'a str),
}

/// The answer to a conditional write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conditional {
    /// Written: the new object's ETag.
    Written(String),
    /// The precondition does not hold: 412 `PreconditionFailed` (the key
    /// exists, or has another ETag), or 404 for `If-Match` (it is gone).
    Refused,
    /// 409 `ConditionalRequestConflict`: a concurrent write to the key got
    /// in the way and nothing was decided; S3 says to retry.
    Conflict,
}

/// Writes `body` at `key` if `when` holds, as one step on S3's side, so two
/// concurrent writers cannot both succeed. A refusal and a conflict are
/// answers, not errors: the caller decides (see `Conditional`).
pub async fn put_conditional(
    client: &Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
    media_type: &str,
    when: Precondition<'_>,
) -> Result<Conditional> {
    let request = client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type(media_type)
        .body(ByteStream::from(body));
    let request = match when {
        Precondition::Absent => request.if_none_match("*"),
        Precondition::Matches(etag) => request.if_match(etag),
    };
    match request.send().await {
        Ok(out) => match out.e_tag() {
            Some(etag) => {
                wrote(key);
                Ok(Conditional::Written(etag.to_owned()))
            }
            None => bail!("s3://{bucket}/{key}: written, but S3 returned no ETag"),
        },
        Err(e) => {
            let status = e.raw_response().map(|r| r.status().as_u16());
            match (e.code(), status) {
                (Some("ConditionalRequestConflict"), _) | (_, Some(409)) => {
                    Ok(Conditional::Conflict)
                }
                (Some("PreconditionFailed"), _) | (_, Some(412)) => Ok(Conditional::Refused),
                (Some("NoSuchKey"), _) | (_, Some(404))
                    if matches!(when, Precondition::Matches(_)) =>
                {
                    Ok(Conditional::Refused)
                }
                _ => Err(explain(e, &format!("cannot write s3://{bucket}/{key}"))),
            }
        }
    }
}

/// A whole (small) object with its ETag, `None` when there is no such key.
pub async fn get_if_exists(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<Option<(Vec<u8>, Option<String>)>> {
    let out = match client.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => out,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
        Err(e) => return Err(explain(e, &format!("cannot read s3://{bucket}/{key}"))),
    };
    let etag = out.e_tag().map(str::to_owned);
    let bytes = out
        .body
        .collect()
        .await
        .with_context(|| format!("cannot read s3://{bucket}/{key}"))?
        .into_bytes()
        .to_vec();
    Ok(Some((bytes, etag)))
}

pub async fn delete_one(client: &Client, bucket: &str, key: &str) -> Result<()> {
    client
        .delete_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| explain(e, &format!("cannot delete s3://{bucket}/{key}")))?;
    wrote(key);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uris() {
        let loc = S3Location::parse("s3://b/logs/x").unwrap().unwrap();
        assert_eq!((loc.bucket.as_str(), loc.key.as_str()), ("b", "logs/x"));
        assert_eq!(S3Location::parse("s3://b").unwrap().unwrap().key, "");
        assert!(S3Location::parse("s3:///k").unwrap().is_err());
        assert!(S3Location::parse("/tmp/x").is_none());
        assert_eq!(loc.child("a.json").key, "logs/x/a.json");
        let dir = S3Location::parse("s3://b/out/").unwrap().unwrap();
        assert_eq!(dir.child("a.json").to_string(), "s3://b/out/a.json");
    }
}
