#!/usr/bin/env bash
# Runs the fuzz targets, each for a bounded time, from a fresh seed corpus:
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]   (default 35 s, every target)
# Builds with cargo-fuzz on the nightly toolchain (libFuzzer, AddressSanitizer,
# debug assertions), writes the seeds with the `fuzz_seeds` test into
# fuzz/corpus/<target>/ (which keeps what the fuzzer adds), and fails on the
# first crash, leak, timeout or out-of-memory, whose input libFuzzer writes to
# fuzz/artifacts/<target>/. FUZZ_TARGET_DIR sets the build's target dir
# (default fuzz/target, apart from the workspace's).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-35}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(format_detection record_scanner event_fields config state_merge run_reader sigma_rules)
fi
target_dir=${FUZZ_TARGET_DIR:-$PWD/fuzz/target}

# The seeds, from the engine's current formats (the test shares the release
# build of `cargo test --release --workspace`).
FUZZ_SEEDS_DIR="$PWD/fuzz/corpus" cargo test --release --workspace --test fuzz_seeds --quiet

started=$(date +%s)
cargo +nightly fuzz build --target-dir "$target_dir"
echo "fuzz build: $(($(date +%s) - started)) s"

for target in "${targets[@]}"; do
    dict=()
    [ "$target" = run_reader ] || dict=("-dict=$PWD/fuzz/json.dict")
    log=$(mktemp)
    status=0
    cargo +nightly fuzz run --target-dir "$target_dir" "$target" -- \
        -max_total_time="$seconds" -max_len=16384 -timeout=10 \
        -print_final_stats=1 "${dict[@]}" >"$log" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    corpus=$(find "fuzz/corpus/$target" -type f | wc -l)
    if [ "$status" -ne 0 ]; then
        grep -m 3 -A 3 -E "panicked at|ERROR: " "$log" || true
        tail -n 40 "$log"
        for input in fuzz/artifacts/"$target"/*; do
            [ -f "$input" ] || continue
            echo "input $input ($(stat -c %s "$input") bytes):"
            head -c 512 "$input" | od -A d -c | head -n 20
        done
        echo "fuzz target $target failed (status $status) after ${execs:-?} executions"
        rm -f "$log"
        exit 1
    fi
    echo "fuzz target $target: ${execs:-?} executions in ${seconds} s, corpus $corpus inputs, no crash"
    rm -f "$log"
done
