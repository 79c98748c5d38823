#!/usr/bin/env python3
"""What `verify` costs against reading the same log files: the host on a
generated, signed trail of 10,240 log files (4 accounts, 4 regions, 4 days,
160 files a day each, 200 events a file, with their 1,536 digests), in turns
with the references, median of each.

    python3 bench/verify.py            # the 10,240-file trail (made here once)
    python3 bench/verify.py --quick    # a small trail, for a smoke check

References, both over the log files only, both on every core
(`xargs -P`): `igzip -d` (ISA-L, the physical floor) and `zcat` (gzip).
verify reads the digests too, checks every signature and the chain, and
hashes every log file's uncompressed bytes (SHA-256, in the component).
Writes bench/results-verify.md.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "cloudtrail-analyzer"
LOGGEN = ROOT / "target" / "release" / "loggen"
FULL = ["--accounts", "4", "--regions", "4", "--days", "4", "--files-per-day", "160",
        "--events-per-file", "200"]
QUICK = ["--accounts", "2", "--regions", "2", "--days", "1", "--files-per-day", "20",
         "--events-per-file", "200"]


def run(argv, env=None, shell=False):
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, shell=shell, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"failed: {argv}\n{proc.stderr.decode()}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if shutil.which("igzip") is None:
        sys.exit("igzip is missing: apt-get install isal")
    work = Path(tempfile.mkdtemp(prefix="cta-verify-bench-"))
    try:
        if args.quick:
            logs = work / "logs"
            spec = QUICK
        else:
            logs = ROOT / "bench" / "data" / "verify-a4-r4-d4-f160-e200" / "logs"
            spec = FULL
        if not (logs / "public-keys.json").is_file():
            subprocess.run([LOGGEN, "--out", logs, *spec, "--signatures"], check=True,
                           stdout=subprocess.DEVNULL)
        log_files = [p for p in logs.rglob("*.json.gz") if "_CloudTrail_" in p.name]
        list_file = work / "logs.txt"
        list_file.write_text("\0".join(map(str, log_files)))
        compressed = sum(p.stat().st_size for p in log_files)
        cores = os.cpu_count()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CTA_")}
        env["CTA_CACHE_DIR"] = str(work / "cache")
        out = work / "out"
        variants = {
            "verify": [BIN, "verify", logs, "--public-keys", logs / "public-keys.json",
                       "--out", out],
            "igzip -d (reference)":
                f"xargs -0 -P{cores} -n 256 igzip -d -c < {list_file} > /dev/null",
            "zcat (reference)": f"xargs -0 -P{cores} -n 256 zcat < {list_file} > /dev/null",
        }

        def timed(argv):
            return run(argv, env=env, shell=isinstance(argv, str))

        for argv in variants.values():  # compile the component, fill the page cache
            timed(argv)
        report = json.loads((out / "verification.json").read_text())
        if set(report["counts"]) != {"valid"}:
            sys.exit(f"not every file is valid: {report['counts']}")
        uncompressed = int(subprocess.run(
            f"xargs -0 -P{cores} -n 256 igzip -d -c < {list_file} | wc -c", shell=True,
            check=True, capture_output=True).stdout)
        times = {label: [] for label in variants}
        for _ in range(args.repeat):
            for label, argv in variants.items():
                times[label].append(timed(argv))
        medians = {label: statistics.median(t) for label, t in times.items()}
        lines = [
            "# verify: cost against reading the log files",
            "",
            f"`python3 bench/verify.py{' --quick' if args.quick else ''}`: {len(log_files):,} log "
            f"files ({compressed / 1e6:,.0f} MB gzip, {uncompressed / 1e6:,.0f} MB of JSON) and "
            f"their digests, {report['counts']['valid']:,} files valid; median of {args.repeat} "
            f"runs in turns, {cores} cores, every tool on every core.",
            "",
            "| run | median | runs | verify ÷ this |",
            "|---|---:|---|---:|",
        ]
        for label, t in times.items():
            lines.append(f"| {label} | {medians[label]:.2f} s | "
                         + ", ".join(f"{x:.2f}" for x in t)
                         + f" | {medians['verify'] / medians[label]:.2f}× |")
        lines.append("")
        text = "\n".join(lines)
        print(text)
        if not args.quick:
            (ROOT / "bench" / "results-verify.md").write_text(text)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
