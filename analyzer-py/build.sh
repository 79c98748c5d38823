#!/usr/bin/env bash
# Builds the Python component: analyzer-py/build.sh [OUT.wasm]
# (default target/analyzer-py/analyzer_py.wasm). Needs componentize-py from
# PyPI, the version .ci/run installs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../target/analyzer-py/analyzer_py.wasm}"
mkdir -p "$(dirname "$out")"
componentize-py --wit-path "$here/../wit" --world analyzer-command \
    componentize app --python-path "$here" --output "$out"
