//! The host side of the WIT contract, generated once here; every other
//! module imports the types from this one.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "analyzer-host",
    exports: { default: async },
    with: {
        "wasi:io/error": wasmtime_wasi_io::bindings::wasi::io::error,
        "wasi:io/poll": wasmtime_wasi_io::bindings::wasi::io::poll,
        "wasi:io/streams": wasmtime_wasi_io::bindings::wasi::io::streams,
    },
});

pub use cloudtrail::analyzer::types::{
    Alert, Artifact, ComponentInfo, ConsolidatedPart, Consolidation, Error as ContractError,
    InputOutcome, InputStatus, Report, Rule, Summary,
};
pub use exports::cloudtrail::analyzer::analyzer::Guest as AnalyzerExports;

/// The contract version this host speaks (`package cloudtrail:analyzer@…`).
pub const CONTRACT: &str = "0.3.0";
