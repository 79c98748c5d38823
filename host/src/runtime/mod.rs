//! Running analyzer components in a sandbox.

mod cache;
mod component;
mod engine;
pub mod limits;
mod pin;
pub mod probe;
mod scratch;
mod sink;
pub mod untrusted;

pub use cache::{cache_key, default_cache_dir};
pub use component::{
    Analyzer, Body, ConsolidatedVerdict, Handle, Instance, KeyRequest, LogCheck, LogVerdict,
    VerificationOptions, VerificationReport, check_contract,
};
pub use engine::new_engine;
pub use limits::Limits;
pub use pin::ComponentPin;
pub use scratch::Scratch;
pub use sink::Sink;

include!(concat!(env!("OUT_DIR"), "/gen.rs"));
