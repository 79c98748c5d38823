//! CloudTrail's public keys, in the shape `aws cloudtrail
//! list-public-keys` prints (and the `ListPublicKeys` API returns):
//! `{"PublicKeyList": [{"Value": base64 DER PKCS#1 RSA key,
//! "Fingerprint": hex, "ValidityStartTime": …, "ValidityEndTime": …}]}`.
//! A digest names its key by fingerprint; keys rotate, so a chain may use
//! several.

use base64::Engine as _;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use super::digest::unhex;

/// Keys by fingerprint.
#[derive(Debug, Default, Clone)]
pub struct PublicKeys {
    keys: Vec<(String, RsaPublicKey)>,
}

/// What checking one signature found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signature {
    Valid,
    /// The signature does not verify: the digest, or the signature, was changed.
    Invalid,
    /// It cannot be checked; why.
    Unverifiable(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Listing {
    public_key_list: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    value: String,
    fingerprint: String,
}

impl PublicKeys {
    /// Reads `list-public-keys` output; a key that does not decode is an
    /// error naming its fingerprint.
    pub fn parse(json: &[u8]) -> Result<PublicKeys, String> {
        let listing: Listing = serde_json::from_slice(json)
            .map_err(|e| format!("not list-public-keys output: {e}"))?;
        let mut keys = PublicKeys::default();
        for entry in listing.public_key_list {
            let der = base64::engine::general_purpose::STANDARD
                .decode(entry.value.trim())
                .map_err(|e| format!("key {}: Value is not base64: {e}", entry.fingerprint))?;
            keys.add(&entry.fingerprint, &der)
                .map_err(|e| format!("key {}: {e}", entry.fingerprint))?;
        }
        Ok(keys)
    }

    /// Adds a key: DER of a PKCS#1 `RSAPublicKey`, as CloudTrail gives it.
    pub fn add(&mut self, fingerprint: &str, der: &[u8]) -> Result<(), String> {
        let key = RsaPublicKey::from_pkcs1_der(der)
            .map_err(|e| format!("not a PKCS#1 RSA public key: {e}"))?;
        self.keys.push((fingerprint.to_ascii_lowercase(), key));
        Ok(())
    }

    /// Whether a key with this fingerprint is here.
    pub fn contains(&self, fingerprint: &str) -> bool {
        self.keys
            .iter()
            .any(|(fp, _)| fp.eq_ignore_ascii_case(fingerprint))
    }

    /// Adds every key of `other` (another region's, say).
    pub fn extend(&mut self, other: PublicKeys) {
        self.keys.extend(other.keys);
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Checks a SHA256withRSA (PKCS#1 v1.5) signature, given in hex, of
    /// `message` by the key with `fingerprint`.
    pub fn verify(
        &self,
        fingerprint: &str,
        algorithm: &str,
        message: &[u8],
        signature_hex: &str,
    ) -> Signature {
        if algorithm != "SHA256withRSA" {
            return Signature::Unverifiable(format!(
                "signature algorithm {algorithm:?} is not SHA256withRSA"
            ));
        }
        let Some((_, key)) = self
            .keys
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(fingerprint))
        else {
            return Signature::Unverifiable(format!(
                "no public key with fingerprint {fingerprint} was given"
            ));
        };
        let Some(signature) = unhex(signature_hex) else {
            return Signature::Invalid;
        };
        let hashed = Sha256::digest(message);
        match key.verify(Pkcs1v15Sign::new::<Sha256>(), &hashed, &signature) {
            Ok(()) => Signature::Valid,
            Err(_) => Signature::Invalid,
        }
    }
}
