//! CloudTrail's public keys from `cloudtrail:ListPublicKeys`, written in
//! the shape `aws cloudtrail list-public-keys` prints, which is what the
//! component reads. The component says which regions and hours it needs
//! keys for; this only makes the calls.

use anyhow::{Context, Result, anyhow};
use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::error::ProvideErrorMetadata;
use aws_sdk_cloudtrail::primitives::{DateTime, DateTimeFormat};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::runtime::KeyRequest;

/// The keys that signed digests in `request.region` between its times
/// (every page), as `list-public-keys` JSON.
pub async fn list(request: &KeyRequest) -> Result<Vec<u8>> {
    let time = |text: &str| {
        DateTime::from_str(text, DateTimeFormat::DateTime)
            .with_context(|| format!("{text:?} is not a time"))
    };
    let (start, end) = (time(&request.start_time)?, time(&request.end_time)?);
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(request.region.clone()))
        .load()
        .await;
    let client = Client::new(&config);
    let mut keys: Vec<Value> = Vec::new();
    let mut next_token = None;
    loop {
        let page = client
            .list_public_keys()
            .start_time(start)
            .end_time(end)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| {
                let e = e.into_service_error();
                anyhow!(
                    "cloudtrail:ListPublicKeys in {}: {}",
                    request.region,
                    e.message().or(e.code()).unwrap_or("failed")
                )
            })?;
        for key in page.public_key_list() {
            let when = |t: Option<&DateTime>| {
                t.and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
                    .map_or(Value::Null, Value::String)
            };
            keys.push(json!({
                "Value": key.value().map(|v| STANDARD.encode(v.as_ref())),
                "ValidityStartTime": when(key.validity_start_time()),
                "ValidityEndTime": when(key.validity_end_time()),
                "Fingerprint": key.fingerprint(),
            }));
        }
        next_token = page.next_token().map(str::to_owned);
        if next_token.is_none() {
            break;
        }
    }
    Ok(serde_json::to_vec(&json!({ "PublicKeyList": keys }))?)
}
