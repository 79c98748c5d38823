//! The cloudtrail-analyzer rules: everything that knows what a CloudTrail
//! record means. Plain Rust, tested natively; `component` is the thin layer
//! that exposes it through the WIT contract when built for `wasm32-wasip2`.

pub mod cli;
pub mod config;
pub mod consolidate;
pub mod container;
pub mod counter;
pub mod csv;
pub mod event;
pub mod findings;
pub mod html;
pub mod input;
pub mod integrity;
pub mod json_scan;
pub mod report;
pub mod rules;
pub mod session;
pub mod stats;
pub mod time;

#[cfg(target_arch = "wasm32")]
mod component;

/// This component's name, as `info` reports it.
pub const NAME: &str = "cloudtrail-analyzer-rules";
/// This component's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The version of the WIT contract (`wit/analyzer.wit`) this component implements.
pub const CONTRACT: &str = "0.3.0";

/// `name version`, written into reports and saved states.
pub fn producer() -> String {
    format!("{NAME} {VERSION}")
}
