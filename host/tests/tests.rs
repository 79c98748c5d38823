//! The host's integration tests, through one harness: each module holds one
//! concern; `util` builds test components, runs the binary and starts a real
//! S3-compatible server on 127.0.0.1.

mod tests {
    pub mod arm64_smoke;
    pub mod cache;
    pub mod cli;
    pub mod components;
    pub mod lambda;
    pub mod python_component;
    pub mod runtime_api;
    pub mod s3;
    pub mod sigma;
    pub mod util;
    pub mod verify;
}
