//! Findings: what the rules (in [`crate::rules`]) found, and what becomes of
//! them.
//!
//! - [`state`]: [`Finding`] and the mergeable [`Findings`] state
//!   (deduplication, caps, access-denied bursts, merge, the final list);
//! - `hit`: a finding as a state keeps it, packed into one allocation;
//! - [`caps`]: the cap of each severity (`rules.max_findings`);
//! - [`alerts`]: which findings are real-time alerts, and their bound;
//! - [`csv`]: the `findings.csv` artifact.

pub mod alerts;
pub mod caps;
mod csv;
mod hit;
mod state;

pub use alerts::{Alert, AlertConfig, alerts};
pub use caps::SeverityCaps;
pub use csv::findings_csv;
pub use state::{Finding, Findings, MAX_BURST_KEYS, SeverityCount};
