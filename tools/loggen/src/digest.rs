//! CloudTrail digest files: one per account, region and hour in which log
//! files were delivered, chained to the previous digest of the same trail
//! and region. They verify as CloudTrail's do: each log file's SHA-256 (of
//! its uncompressed bytes), the previous digest's SHA-256 and signature,
//! and a SHA256withRSA signature over the string CloudTrail signs, made
//! with a test key of this generator's ([`public_keys_json`] gives its
//! public half as `aws cloudtrail list-public-keys` prints it). The key is
//! public: these files prove nothing about real logs.

use std::sync::OnceLock;

use base64::Engine as _;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest as _, Sha256};

use crate::json::Obj;
use crate::time;

/// The test key that signs every digest (PKCS#1 PEM); for tests only.
const SIGNING_KEY_PEM: &str = include_str!("digest-signing-key.pem");

/// The fingerprint digests name for that key.
pub const FINGERPRINT: &str = "10ad9e0000000000000000000000beef";

fn signing_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let body: String = SIGNING_KEY_PEM
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("the test key is base64");
        RsaPrivateKey::from_pkcs1_der(&der).expect("the test key is a PKCS#1 RSA key")
    })
}

/// The signing key's public half, in the shape of `aws cloudtrail
/// list-public-keys` output.
pub fn public_keys_json() -> String {
    let der = signing_key()
        .to_public_key()
        .to_pkcs1_der()
        .expect("a public key encodes");
    let value = base64::engine::general_purpose::STANDARD.encode(der.as_bytes());
    format!(
        "{{\"PublicKeyList\": [{{\"Value\": \"{value}\", \
         \"ValidityStartTime\": \"2000-01-01T00:00:00+00:00\", \
         \"ValidityEndTime\": \"2100-01-01T00:00:00+00:00\", \
         \"Fingerprint\": \"{FINGERPRINT}\"}}]}}\n"
    )
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A log file as a digest lists it.
pub struct Covered {
    pub key: String,
    pub hash: String,
    pub oldest: i64,
    pub newest: i64,
    pub delivered: i64,
    /// Indexes of the file's account and region in the spec.
    pub account: usize,
    pub region: usize,
}

/// What the next digest of the chain needs to know about this one.
pub struct Previous {
    pub key: String,
    pub hash: String,
    pub signature: String,
}

pub struct DigestInput<'a> {
    pub account: &'a str,
    pub bucket: &'a str,
    pub key: &'a str,
    pub start: i64,
    pub end: i64,
    pub logs: &'a [Covered],
    pub previous: Option<&'a Previous>,
}

/// Writes the digest JSON to `out`; returns the chain link for the next
/// one, which holds this digest's signature.
pub fn write_digest(d: &DigestInput, out: &mut String) -> Previous {
    let mut o = Obj::open(out);
    o.str("awsAccountId", d.account);
    o.str_with("digestStartTime", |s| time::push_iso(s, d.start));
    o.str_with("digestEndTime", |s| time::push_iso(s, d.end));
    o.str("digestS3Bucket", d.bucket);
    o.str("digestS3Object", d.key);
    o.str("digestPublicKeyFingerprint", FINGERPRINT);
    o.str("digestSignatureAlgorithm", "SHA256withRSA");
    let newest = d.logs.iter().map(|l| l.newest).max();
    let oldest = d.logs.iter().map(|l| l.oldest).min();
    match newest {
        Some(t) => o.str_with("newestEventTime", |s| time::push_iso(s, t)),
        None => o.null("newestEventTime"),
    };
    match oldest {
        Some(t) => o.str_with("oldestEventTime", |s| time::push_iso(s, t)),
        None => o.null("oldestEventTime"),
    };
    // The first digest of a chain has null previous-digest fields.
    let prev = d.previous;
    o.opt_str("previousDigestS3Bucket", prev.map(|_| d.bucket));
    o.opt_str("previousDigestS3Object", prev.map(|p| p.key.as_str()));
    o.opt_str("previousDigestHashValue", prev.map(|p| p.hash.as_str()));
    o.opt_str("previousDigestHashAlgorithm", prev.map(|_| "SHA-256"));
    o.opt_str(
        "previousDigestSignature",
        prev.map(|p| p.signature.as_str()),
    );
    {
        let mut list = o.arr("logFiles");
        for l in d.logs {
            let mut f = list.obj();
            f.str("s3Bucket", d.bucket).str("s3Object", &l.key);
            f.str("hashValue", &l.hash).str("hashAlgorithm", "SHA-256");
            f.str_with("newestEventTime", |s| time::push_iso(s, l.newest));
            f.str_with("oldestEventTime", |s| time::push_iso(s, l.oldest));
        }
    }
    drop(o);
    let hash = sha256_hex(out.as_bytes());
    // The string CloudTrail signs (see the AWS CLI's validate-logs).
    let end = {
        let mut s = String::new();
        time::push_iso(&mut s, d.end);
        s
    };
    let previous_signature = prev.map_or("null", |p| p.signature.as_str());
    let to_sign = format!(
        "{end}\n{}/{}\n{hash}\n{previous_signature}",
        d.bucket, d.key
    );
    let signature = signing_key()
        .sign(
            Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(to_sign.as_bytes()),
        )
        .expect("the test key signs");
    let signature = hex(&signature);
    Previous {
        key: d.key.to_owned(),
        hash,
        signature,
    }
}
