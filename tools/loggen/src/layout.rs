//! S3 key layout, exactly as CloudTrail writes it:
//!
//! ```text
//! [prefix/]AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/
//!     <account>_CloudTrail_<region>_YYYYMMDDTHHmmZ_<16 alnum>.json.gz
//! [prefix/]AWSLogs/[o-org/]<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/
//!     <account>_CloudTrail-Digest_<region>_<trail>_<home region>_YYYYMMDDTHHmmssZ.json.gz
//! ```

use crate::time;

/// `[prefix/]AWSLogs/[org/]<account>/`. A prefix without a trailing slash
/// gets one, as CloudTrail's "S3 key prefix" setting does.
pub fn push_account_root(out: &mut String, prefix: &str, org: Option<&str>, account: &str) {
    if !prefix.is_empty() {
        out.push_str(prefix);
        if !prefix.ends_with('/') {
            out.push('/');
        }
    }
    out.push_str("AWSLogs/");
    if let Some(org) = org {
        out.push_str(org);
        out.push('/');
    }
    out.push_str(account);
    out.push('/');
}

/// The key of a log file delivered at `delivered` (epoch seconds).
pub fn log_key(
    prefix: &str,
    org: Option<&str>,
    account: &str,
    region: &str,
    delivered: i64,
    unique: &str,
) -> String {
    let mut k = String::with_capacity(160);
    push_account_root(&mut k, prefix, org, account);
    k.push_str("CloudTrail/");
    k.push_str(region);
    k.push('/');
    time::push_date_path(&mut k, delivered);
    k.push('/');
    k.push_str(account);
    k.push_str("_CloudTrail_");
    k.push_str(region);
    k.push('_');
    time::push_key_minute(&mut k, delivered);
    k.push('_');
    k.push_str(unique);
    k.push_str(".json.gz");
    k
}

/// The key of a digest file whose period ends at `end`.
pub fn digest_key(
    prefix: &str,
    org: Option<&str>,
    account: &str,
    region: &str,
    trail: &str,
    home_region: &str,
    end: i64,
) -> String {
    let mut k = String::with_capacity(180);
    push_account_root(&mut k, prefix, org, account);
    k.push_str("CloudTrail-Digest/");
    k.push_str(region);
    k.push('/');
    time::push_date_path(&mut k, end);
    k.push('/');
    for part in [
        account,
        "_CloudTrail-Digest_",
        region,
        "_",
        trail,
        "_",
        home_region,
        "_",
    ] {
        k.push_str(part);
    }
    time::push_key_second(&mut k, end);
    k.push_str(".json.gz");
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_cloudtrail() {
        let t = time::midnight((2026, 11, 1)) + 3600 + 5 * 60 + 7;
        assert_eq!(
            log_key("", None, "123456789012", "us-east-1", t, "AbCdEfGh12345678"),
            "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/01/\
             123456789012_CloudTrail_us-east-1_20261101T0105Z_AbCdEfGh12345678.json.gz"
        );
        assert_eq!(
            digest_key(
                "logs",
                Some("o-abc"),
                "123456789012",
                "eu-west-1",
                "org-trail",
                "us-east-1",
                t
            ),
            "logs/AWSLogs/o-abc/123456789012/CloudTrail-Digest/eu-west-1/2026/11/01/\
             123456789012_CloudTrail-Digest_eu-west-1_org-trail_us-east-1_20261101T010507Z.json.gz"
        );
    }
}
