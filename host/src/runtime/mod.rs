//! Running analyzer components in a sandbox.

mod component;
mod engine;
pub mod limits;
mod scratch;

pub use component::{Analyzer, Handle, Instance, check_contract};
pub use engine::{cache_key, default_cache_dir, new_engine};
pub use limits::Limits;
pub use scratch::Scratch;

include!(concat!(env!("OUT_DIR"), "/gen.rs"));
