//! CloudTrail digest files: one per account, region and hour in which log
//! files were delivered, chained to the previous digest of the same trail
//! and region. The hashes and signatures have the right shapes (64 hex of
//! SHA-256, 512 hex of a 2048-bit RSA signature) but are random: the
//! generator is for parsers and analyzers, not for `validate-logs`.

use crate::ids::push_hex;
use crate::json::Obj;
use crate::rng::Rng;
use crate::time;

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
    /// A fixed fingerprint per trail: CloudTrail rotates its key rarely.
    pub fingerprint: &'a str,
}

/// Writes the digest JSON to `out`; returns the chain link for the next one.
pub fn write_digest(rng: &mut Rng, d: &DigestInput, out: &mut String) -> Previous {
    let mut o = Obj::open(out);
    o.str("awsAccountId", d.account);
    o.str_with("digestStartTime", |s| time::push_iso(s, d.start));
    o.str_with("digestEndTime", |s| time::push_iso(s, d.end));
    o.str("digestS3Bucket", d.bucket);
    o.str("digestS3Object", d.key);
    o.str("digestPublicKeyFingerprint", d.fingerprint);
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
    let mut hash = String::with_capacity(64);
    push_hex(&mut hash, rng, 64);
    let mut signature = String::with_capacity(512);
    push_hex(&mut signature, rng, 512);
    Previous {
        key: d.key.to_owned(),
        hash,
        signature,
    }
}
