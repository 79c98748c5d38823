#!/usr/bin/env python3
"""Peak memory of consolidating one day far larger than the memory given to it.

From the repository root, after `cargo build --release`:

    python3 bench/consolidate_memory.py            # a ~4 GiB day (JSON), ~3 minutes to generate
    python3 bench/consolidate_memory.py --quick    # a ~200 MiB day, a smoke check

It generates one partition (one account, region and day) with `loggen` into
bench/data/, then runs `cloudtrail-analyzer aggregate` on it the way the
consolidate Lambda would with 512 MB of memory: the component capped at
256 MiB (`--memory-limit-mb`, as Terraform sets it: function memory - 256)
and the consolidator's buffer at 64 MiB (`consolidate.max_buffer_bytes`).
It records the peak RSS of the whole process (host + component), the time,
the scratch bytes and the counts, checks the output's record count against
the generator's, and writes bench/results-consolidate.md.
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target/release/cloudtrail-analyzer"
LOGGEN = ROOT / "target/release/loggen"
DATA = ROOT / "bench/data"
TMP = ROOT / "bench/tmp"

LAMBDA_MEMORY_MB = 512
COMPONENT_MEMORY_MB = LAMBDA_MEMORY_MB - 256
BUFFER_BYTES = 64 << 20


def generate(files: int, events: int) -> tuple[Path, dict]:
    folder = DATA / f"day-f{files}-e{events}"
    # Beside the folder, not in it: everything in it is an input.
    stamp = DATA / f"{folder.name}.stamp.json"
    if stamp.exists():
        return folder, json.loads(stamp.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    out = subprocess.run(
        [str(LOGGEN), "--out", str(folder), "--accounts", "1", "--regions", "1",
         "--days", "1", "--files-per-day", str(files), "--events-per-file", str(events),
         "--no-digests", "--no-org", "--json"],
        check=True, capture_output=True, text=True,
    )
    summary = json.loads(out.stdout)
    raw = sum(len(subprocess.run(["zcat", str(p)], check=True, capture_output=True).stdout)
              for p in folder.rglob("*.json.gz"))
    summary["decompressed_bytes"] = raw
    stamp.write_text(json.dumps(summary, indent=2))
    return folder, summary


def measure(cmd: list[str], env: dict) -> tuple[int, float, int, str]:
    """Runs cmd; returns exit status, seconds, peak RSS in bytes, stderr."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = proc.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, time.monotonic() - start, usage.ru_maxrss * 1024, stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    files, events = (100, 1400) if args.quick else (1400, 2000)
    folder, summary = generate(files, events)
    day_bytes = summary["decompressed_bytes"]

    TMP.mkdir(parents=True, exist_ok=True)
    config = TMP / "consolidate-config.json"
    config.write_text(json.dumps({"consolidate": {"max_buffer_bytes": BUFFER_BYTES}}))
    out = TMP / "consolidated" / "day.json.gz"
    shutil.rmtree(out.parent, ignore_errors=True)
    env = dict(os.environ, RUST_LOG="info", NO_COLOR="1")
    load_before = os.getloadavg()[0]
    code, seconds, rss, stderr = measure(
        [str(BIN), "aggregate", str(folder), "--out", str(out), "--config", str(config),
         "--memory-limit-mb", str(COMPONENT_MEMORY_MB)],
        env,
    )
    load_after = os.getloadavg()[0]
    if code != 0:
        print(stderr[-4000:], file=sys.stderr)
        return 1
    written = re.search(r"runs=(\d+) scratch_bytes=(\d+) parts=(\d+)", stderr)
    counts = re.search(r"(\d+) records in, (\d+) duplicates removed, (\d+) records out", stderr)
    runs, scratch, parts = (int(x) for x in written.groups())
    records_in, _, records_out = (int(x) for x in counts.groups())
    assert records_out == summary["events"], (records_out, summary["events"])
    parts_bytes = sum(p.stat().st_size for p in out.parent.iterdir())
    shutil.rmtree(out.parent, ignore_errors=True)

    mib = lambda n: f"{n / (1 << 20):,.0f} MiB"
    rows = [
        ("day (one account, region, day)", f"{summary['events']:,} events in {files:,} files, "
         f"{mib(day_bytes)} of JSON"),
        ("configured", f"Lambda memory {LAMBDA_MEMORY_MB} MB: component cap {COMPONENT_MEMORY_MB} MiB, "
         f"consolidate.max_buffer_bytes {mib(BUFFER_BYTES)}"),
        ("**peak RSS, whole process**", f"**{mib(rss)}** ({day_bytes / rss:.1f}x smaller than the day)"),
        ("time", f"{seconds:.1f} s ({day_bytes / seconds / 1e6:.0f} MB/s of JSON)"),
        ("sorted runs on scratch", f"{runs} runs, {mib(scratch)}"),
        ("output", f"{parts} parts, {mib(parts_bytes)} gzip, {records_out:,} records "
         f"(= generated; {records_in:,} read)"),
        ("machine", f"{os.cpu_count()} cores, {platform.machine()}, load {load_before:.2f} -> {load_after:.2f}"),
    ]
    table = "| | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
    name = "results-consolidate-quick.md" if args.quick else "results-consolidate.md"
    (ROOT / "bench" / name).write_text(
        "# Consolidating a day larger than memory\n\n"
        f"`python3 bench/consolidate_memory.py{' --quick' if args.quick else ''}`, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n\n" + table + "\n"
    )
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
