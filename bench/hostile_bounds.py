#!/usr/bin/env python3
"""Hostile components against the real CLI: each must be stopped (or
refused) with an error naming its limit, with the host's peak resident
memory at most twice the memory limit plus 200 MiB, and in under twice the
time limit. Peak memory is the largest of the process and its children (the
probe runs in one), read from getrusage after each run.

    python3 bench/hostile_bounds.py            # writes bench/results-hostile.md

Needs the release binary (`cargo build --release`) and builds the hostile
test component (`cargo build --release --target wasm32-wasip2 -p test-hostile`).
Exits 1 when a case misses a bound or its message.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / "target/release/cloudtrail-analyzer"
MEMORY_MB = 64
TIME_SECS = 5
RSS_BOUND_MB = 2 * MEMORY_MB + 200
TIME_BOUND_SECS = 2 * TIME_SECS

# (command, input name, extra arguments, what the error must say)
CASES = [
    ("analyze", "loop", [], "exceeded its time limit of 5 s (--time-limit-secs)"),
    ("analyze", "sleep", [], "asked for a wasi:clocks timer"),
    ("analyze", "alloc", [], "exceeded its memory limit of 64 MiB"),
    ("analyze", "amplify", [], "more than 64 MiB in one call, its memory limit (--memory-limit-mb)"),
    ("analyze", "artifact-bomb", [], "more than 64 MiB of artifacts in one call"),
    ("analyze", "escape-trap", [], "\\u{1b}[2J"),
    ("analyze", "files", [], "read_dir denied"),
    ("aggregate", "scratch-flood", ["--scratch-limit-mb", "64"], "reached its limit of 64 MiB"),
    ("aggregate", "junk-parts", [], "not a complete gzip CloudTrail log"),
    ("aggregate", "endless-parts", [], "more than 10000 parts"),
    ("aggregate", "flood-parts", [], "more than 64 MiB of a part in one call"),
    ("aggregate", "slow-parts", [], "for all parts together"),
    ("aggregate", "lying-counts", [], "the component says 1000000"),
    ("analyze", "stderr-flood", [], "only the first 64 KiB of its stderr are kept"),
    ("analyze", "probe:crash-on-open", [], "it failed its probe"),
    ("analyze", "probe:hang-on-open", [], "it failed its probe"),
    # `info` itself amplifies (the `amplify-info` build): `component info`.
    ("info", "amplify-info", [], "more than 64 MiB in one call, its memory limit (--memory-limit-mb)"),
]


def hostile_component(features: str = "") -> Path:
    target = ROOT / "target" / (f"bench-{features}" if features else "")
    subprocess.run(
        ["cargo", "build", "--release", "--target", "wasm32-wasip2", "-p", "test-hostile",
         "--features", features, "--target-dir", str(target)],
        cwd=ROOT,
        check=True,
    )
    return target / "wasm32-wasip2/release/test_hostile.wasm"


def measure(argv: list[str]) -> tuple[int, str, float, float]:
    """Runs argv in a fresh Python child, so getrusage sees this run only."""
    probe = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.monotonic()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "e = time.monotonic() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps([p.returncode, p.stderr, e, rss]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *argv], capture_output=True, text=True, check=True
    )
    code, stderr, elapsed, rss_mb = json.loads(out.stdout)
    return code, stderr, elapsed, rss_mb


def main() -> int:
    if not BINARY.exists():
        print(f"build the host first: cargo build --release ({BINARY} is missing)")
        return 1
    component = hostile_component()
    amplify_info = hostile_component("amplify-info")
    rows, failures = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for command, name, extra, expected in CASES:
            case = tmp / name.replace(":", "-")
            case.mkdir()
            args = list(extra)
            if name.startswith("probe:"):
                config = case / "rules.json"
                config.write_text(json.dumps({name.split(":", 1)[1]: True}))
                args += ["--config", str(config)]
                name = "files"
            (case / name).write_bytes(b"x")
            out = ["--out", str(case / ("out" if command == "analyze" else "out/day.json.gz"))]
            argv = [
                str(BINARY), "component", "info", "--component", str(amplify_info), "--no-cache",
                "--memory-limit-mb", str(MEMORY_MB), "--time-limit-secs", str(TIME_SECS),
            ] if command == "info" else [
                str(BINARY), command, str(case / name), *out,
                "--component", str(component), "--no-cache",
                "--memory-limit-mb", str(MEMORY_MB), "--time-limit-secs", str(TIME_SECS),
                *args,
            ]
            code, stderr, elapsed, rss_mb = measure(argv)
            said = expected in stderr
            ok = said and rss_mb <= RSS_BOUND_MB and elapsed < TIME_BOUND_SECS
            failures += not ok
            rows.append((command, case.name, code, elapsed, rss_mb, said, ok))
            print(f"{case.name:22} exit {code}  {elapsed:5.2f} s  {rss_mb:6.1f} MiB  "
                  f"{'message ok' if said else 'MESSAGE MISSING'}  {'ok' if ok else 'FAILED'}")
            if not said:
                print(stderr[-2000:])
    lines = [
        "# Hostile components against their bounds",
        "",
        f"`python3 bench/hostile_bounds.py`, {time.strftime('%Y-%m-%d')}, on {os.cpu_count()} cores: "
        f"`--memory-limit-mb {MEMORY_MB} --time-limit-secs {TIME_SECS} --no-cache` (so every run "
        "compiles, in its probe and in the host). Bounds: peak resident memory of the host and its "
        f"probe ≤ {RSS_BOUND_MB} MiB (2 × the memory limit + 200 MiB), wall time < "
        f"{TIME_BOUND_SECS} s (2 × the time limit), and an error that names the limit.",
        "",
        "| command | hostile input | exit | wall s | peak RSS MiB | names its limit | within bounds |",
        "|---|---|---|---|---|---|---|",
    ]
    for command, name, code, elapsed, rss, said, ok in rows:
        lines.append(
            f"| {command} | `{name}` | {code} | {elapsed:.2f} | {rss:.0f} | "
            f"{'yes' if said else 'no'} | {'yes' if ok else 'NO'} |"
        )
    (ROOT / "bench/results-hostile.md").write_text("\n".join(lines) + "\n")
    print(f"{len(rows) - failures} of {len(rows)} within bounds; bench/results-hostile.md written")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
