//! One CloudTrail digest file: what it says, and the exact bytes its
//! signature covers.
//!
//! CloudTrail writes a digest per trail, region and hour. It lists the
//! SHA-256 of every log file delivered in that hour, names the previous
//! digest with the SHA-256 of that digest's uncompressed bytes and its
//! signature, and is signed with SHA256withRSA over this string:
//!
//! ```text
//! {digestEndTime}\n{digestS3Bucket}/{digestS3Object}\n{hex SHA-256 of this digest, uncompressed}\n{previousDigestSignature, or "null"}
//! ```
//!
//! as the AWS CLI's `validate-logs` builds it. Every hash here is of the
//! uncompressed bytes: a log file's `hashValue` is the SHA-256 of its
//! gunzipped content, whatever gzip framing wrote it.

use serde::Deserialize;
use sha2::{Digest as _, Sha256};

/// A digest file's content, with the hash of its uncompressed bytes.
#[derive(Debug, Clone)]
pub struct Digest {
    /// Where it was read (a path or `s3://bucket/key`), for messages.
    pub location: String,
    /// Lower-case hex SHA-256 of its uncompressed bytes.
    pub sha256: String,
    pub account: String,
    pub start: String,
    pub end: String,
    pub bucket: String,
    pub object: String,
    pub fingerprint: String,
    pub algorithm: String,
    /// The previous digest of the chain; None on the first one (or when
    /// the trail stopped logging or validation was off before this one).
    pub previous: Option<Link>,
    /// The previous digest's signature as this one records it (`None` is
    /// JSON null, signed as the text `null`).
    pub previous_signature: Option<String>,
    pub logs: Vec<ListedLog>,
}

/// A digest's reference to the digest before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub bucket: String,
    pub object: String,
    pub hash: String,
    pub hash_algorithm: String,
}

/// A log file as a digest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedLog {
    pub bucket: String,
    pub object: String,
    pub hash: String,
    pub hash_algorithm: String,
}

/// The digest JSON, as CloudTrail writes it (unknown keys ignored).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    aws_account_id: Option<String>,
    digest_start_time: String,
    digest_end_time: String,
    #[serde(rename = "digestS3Bucket")]
    digest_s3_bucket: String,
    #[serde(rename = "digestS3Object")]
    digest_s3_object: String,
    digest_public_key_fingerprint: String,
    digest_signature_algorithm: Option<String>,
    #[serde(rename = "previousDigestS3Bucket")]
    previous_digest_s3_bucket: Option<String>,
    #[serde(rename = "previousDigestS3Object")]
    previous_digest_s3_object: Option<String>,
    previous_digest_hash_value: Option<String>,
    previous_digest_hash_algorithm: Option<String>,
    // Required, but may be null: `Option` alone would let it be absent.
    #[serde(deserialize_with = "required_nullable")]
    previous_digest_signature: Option<String>,
    #[serde(default)]
    log_files: Vec<RawLog>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLog {
    s3_bucket: String,
    s3_object: String,
    hash_value: String,
    hash_algorithm: Option<String>,
}

fn required_nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

impl Digest {
    /// Reads a digest from its uncompressed bytes.
    pub fn parse(location: &str, uncompressed: &[u8]) -> Result<Digest, String> {
        let raw: Raw = serde_json::from_slice(uncompressed)
            .map_err(|e| format!("not a CloudTrail digest file: {e}"))?;
        let previous = match (raw.previous_digest_s3_bucket, raw.previous_digest_s3_object) {
            (Some(bucket), Some(object)) => Some(Link {
                bucket,
                object,
                hash: raw.previous_digest_hash_value.ok_or(
                    "it names a previous digest without its hash (previousDigestHashValue)",
                )?,
                hash_algorithm: raw
                    .previous_digest_hash_algorithm
                    .unwrap_or_else(|| "SHA-256".into()),
            }),
            (None, None) => None,
            _ => return Err(
                "previousDigestS3Bucket and previousDigestS3Object must both be set or both null"
                    .into(),
            ),
        };
        Ok(Digest {
            location: location.to_owned(),
            sha256: sha256_hex(uncompressed),
            account: raw.aws_account_id.unwrap_or_default(),
            start: raw.digest_start_time,
            end: raw.digest_end_time,
            bucket: raw.digest_s3_bucket,
            object: raw.digest_s3_object,
            fingerprint: raw.digest_public_key_fingerprint,
            algorithm: raw
                .digest_signature_algorithm
                .unwrap_or_else(|| "SHA256withRSA".into()),
            previous,
            previous_signature: raw.previous_digest_signature,
            logs: raw
                .log_files
                .into_iter()
                .map(|l| ListedLog {
                    bucket: l.s3_bucket,
                    object: l.s3_object,
                    hash: l.hash_value,
                    hash_algorithm: l.hash_algorithm.unwrap_or_else(|| "SHA-256".into()),
                })
                .collect(),
        })
    }

    /// The bytes its signature covers (see the module comment).
    pub fn string_to_sign(&self) -> String {
        format!(
            "{}\n{}/{}\n{}\n{}",
            self.end,
            self.bucket,
            self.object,
            self.sha256,
            self.previous_signature.as_deref().unwrap_or("null")
        )
    }

    /// The region whose key signed it: the folder after `CloudTrail-Digest/`
    /// in its key (CloudTrail signs each region's digests with that
    /// region's key). Empty when the key has no such folder.
    pub fn region(&self) -> &str {
        let mut parts = self.object.split('/');
        parts.find(|p| *p == "CloudTrail-Digest");
        parts.next().unwrap_or("")
    }

    /// `bucket/key` of this digest as CloudTrail delivered it.
    pub fn s3_location(&self) -> String {
        format!("{}/{}", self.bucket, self.object)
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// Bytes of hex text (either case); None when it is not hex.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let text = text.as_bytes();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}
