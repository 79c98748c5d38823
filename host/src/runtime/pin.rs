//! An optional pin on the component: the SHA-256 its bytes must have
//! (`--component-sha256` / `CTA_COMPONENT_SHA256`). Whoever can write the
//! component's file or S3 object chooses the rules every run applies; with a
//! pin, only the component the operator named by digest runs. The bytes are
//! hashed as fetched, before anything compiles them, and the same bytes are
//! compiled, so nothing can change between the check and the use.

use std::fmt;

use anyhow::{Result, bail};
use sha2::{Digest, Sha256};

/// The SHA-256 a component must have, and the setting that asked for it
/// (named in errors).
#[derive(Clone, PartialEq, Eq)]
pub struct ComponentPin {
    digest: [u8; 32],
    setting: &'static str,
}

impl ComponentPin {
    /// Parses 64 hexadecimal digits (either case); `setting` is the flag or
    /// variable it came from, for the messages.
    pub fn parse(hex_digest: &str, setting: &'static str) -> Result<ComponentPin> {
        let text = hex_digest.trim();
        let mut digest = [0u8; 32];
        if text.len() != 64 || hex::decode_to_slice(text, &mut digest).is_err() {
            bail!(
                "{setting} must be the component's SHA-256 as 64 hexadecimal digits \
                 (`sha256sum analyzer.wasm`), not `{}`",
                hex_digest.escape_debug()
            );
        }
        Ok(ComponentPin { digest, setting })
    }

    /// The SHA-256 of `bytes`, in lowercase hex.
    pub fn digest_of(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// Whether `bytes` are the pinned component.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        let actual: [u8; 32] = Sha256::digest(bytes).into();
        actual == self.digest
    }

    /// Refuses `bytes` (read from `origin`) unless they are the pinned
    /// component, naming both digests and the setting.
    pub fn check(&self, bytes: &[u8], origin: &str) -> Result<()> {
        if self.matches(bytes) {
            return Ok(());
        }
        bail!(
            "refusing {origin} before compiling it: its SHA-256 is {}, but {} pins {}",
            Self::digest_of(bytes),
            self.setting,
            self
        )
    }

    /// The flag or variable the pin came from.
    pub fn setting(&self) -> &'static str {
        self.setting
    }
}

/// The pinned digest, lowercase hex.
impl fmt::Display for ComponentPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.digest))
    }
}

impl fmt::Debug for ComponentPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ComponentPin({self} from {})", self.setting)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn parses_64_hex_digits_in_either_case() {
        let pin = ComponentPin::parse(EMPTY, "X").unwrap();
        assert_eq!(pin.to_string(), EMPTY);
        let upper = ComponentPin::parse(&EMPTY.to_uppercase(), "X").unwrap();
        assert_eq!(upper, pin);
        for bad in [
            "",
            "abc",
            &EMPTY[1..],
            &format!("{EMPTY}0"),
            &EMPTY.replace('e', "g"),
        ] {
            let err = ComponentPin::parse(bad, "CTA_COMPONENT_SHA256").unwrap_err();
            assert!(
                err.to_string().contains(
                    "CTA_COMPONENT_SHA256 must be the component's SHA-256 as 64 hexadecimal digits"
                ),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn refuses_other_bytes_naming_both_digests_and_the_setting() {
        let pin = ComponentPin::parse(EMPTY, "--component-sha256").unwrap();
        pin.check(b"", "a.wasm").unwrap();
        let err = pin.check(b"x", "a.wasm").unwrap_err().to_string();
        assert!(err.contains("refusing a.wasm before compiling it"), "{err}");
        assert!(err.contains(&ComponentPin::digest_of(b"x")), "{err}");
        assert!(
            err.contains(&format!("--component-sha256 pins {EMPTY}")),
            "{err}"
        );
    }
}
