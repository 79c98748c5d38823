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
# The artifacts land under ./target whatever CARGO_TARGET_DIR says: the
# Terraform's default paths point there.
built="${CARGO_TARGET_DIR:-target}/wasm32-wasip2/release/analyzer_wasm.wasm"
component=target/wasm32-wasip2/release/analyzer_wasm.wasm
if [ "$(realpath -m "$built")" != "$(realpath -m "$component")" ]; then
    mkdir -p "$(dirname "$component")"
    cp "$built" "$component"
fi
ls -l target/lambda/cloudtrail-analyzer/bootstrap.zip "$component"
