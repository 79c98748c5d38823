//! cloudtrail-analyzer's host: moves bytes between files or S3 and the
//! sandboxed analyzer component. It knows bytes, objects and schedules;
//! what a CloudTrail record means is the component's business alone.

pub mod alerts;
pub mod analyze;
pub mod bindings;
pub mod cli;
pub mod consolidate;
pub mod digest_gate;
pub mod inputs;
pub mod lambda;
pub mod ledger;
pub mod outputs;
pub mod public_keys;
pub mod read_ahead;
pub mod record_layout;
pub mod rule_files;
pub mod runtime;
pub mod spool;
pub mod storage;
pub mod verify;
