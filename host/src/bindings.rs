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
    Alert, ArtifactInfo, ComponentInfo, ConsolidatedPart as PartInfo, Consolidation,
    Error as ContractError, InputOutcome, InputStatus, Report as ReportInfo, Rule, Summary,
};

/// An artifact as the host holds it: its bytes came whole through an
/// output stream the host capped and counted (see `runtime::Instance`).
#[derive(Debug, Clone)]
pub struct Artifact {
    pub name: String,
    pub media_type: String,
    pub data: Vec<u8>,
}

/// A finished report, its artifacts received.
#[derive(Debug, Clone)]
pub struct Report {
    pub summary: Summary,
    pub artifacts: Vec<Artifact>,
    pub problems: Vec<InputOutcome>,
    pub alerts: Vec<Alert>,
}

/// One part of a consolidated log, received.
#[derive(Debug, Clone)]
pub struct ConsolidatedPart {
    pub artifact: Artifact,
    pub records: u64,
}
pub use exports::cloudtrail::analyzer::analyzer::Guest as AnalyzerExports;

/// The contract version this host speaks (`package cloudtrail:analyzer@…`).
pub const CONTRACT: &str = "0.3.0";

/// The optional `rule-files` capability, bound apart so that a component
/// without it still loads (see `runtime::Analyzer::with_rule_files`).
pub mod rule_files {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "rule-files-host",
        exports: { default: async },
        with: {
            "cloudtrail:analyzer/types": crate::bindings::cloudtrail::analyzer::types,
        },
    });

    pub use exports::cloudtrail::analyzer::rule_files::{RefusedRule, RuleFile, RuleSet};
}

/// The optional `integrity` capability, bound apart like `rule-files`:
/// only `verify` asks a component for it.
pub mod integrity {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "integrity-host",
        exports: { default: async },
        with: {
            "wasi:io/error": wasmtime_wasi_io::bindings::wasi::io::error,
            "wasi:io/poll": wasmtime_wasi_io::bindings::wasi::io::poll,
            "wasi:io/streams": wasmtime_wasi_io::bindings::wasi::io::streams,
        },
    });
}
