#!/usr/bin/env bash
# Builds what the Terraform deploys:
#   target/lambda/cloudtrail-analyzer/bootstrap.zip      the Lambda functions (one binary, two roles)
#   target/wasm32-wasip2/release/analyzer_wasm.wasm      the default rules component
# Usage: scripts/package-lambda.sh [arm64|x86-64]   (arm64 is the default architecture)
# Needs: pip install cargo-lambda ziglang (zig cross-links the binary for provided.al2023).
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:-arm64}
case "$arch" in
    arm64 | x86-64) ;;
    *) echo "usage: $0 [arm64|x86-64]" >&2; exit 2 ;;
esac
cargo lambda build --release "--$arch" --output-format zip --bin cloudtrail-analyzer --lambda-dir target/lambda
cargo build --release -p analyzer-wasm --target wasm32-wasip2
ls -l target/lambda/cloudtrail-analyzer/bootstrap.zip target/wasm32-wasip2/release/analyzer_wasm.wasm
