//! CloudTrail log file integrity: digest files, their signatures and
//! chain, and the log files they list (see `verify` for the verdicts).
//! Pure Rust (SHA-256, RSA), so the component verifies what the host
//! fetched without trusting the host's arithmetic.

pub mod digest;
pub mod keys;
pub mod run;
pub mod verify;
pub mod window;

pub use digest::{Digest, sha256_hex};
pub use keys::PublicKeys;
pub use run::{KeyRequest, Verification};
pub use verify::{
    DigestInput, FileVerdict, Kind, LogInput, Report, SignatureMetadata, Verdict, verify,
};
pub use window::Window;

#[cfg(test)]
mod tests;
