#!/usr/bin/env python3
"""What Sigma rules cost: the host on the benchmark corpus with no rule files,
then with N generated rules (default 1,000), in turns, median of each.

    python3 bench/sigma_rules.py            # the benchmark corpus (made by bench/run.py)
    python3 bench/sigma_rules.py --quick    # a small corpus, for a smoke check

The rules are the worst shape an index by event name leaves: every rule
names event names the traffic really has (the generator's own catalogue,
taken from the corpus), so each event is tried against about
N / (names) rules and its record parsed into a tree; each rule also tests a
request parameter, so few fire. The default pack is on in both runs (it is
part of the default component), so the ratio is the cost of the N rules.
Writes bench/results-sigma.md.
"""

import argparse
import gzip
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
CORPUS = ROOT / "bench" / "data" / "corpus-a4-r4-d2-f160-e200" / "logs"


def event_names(logs, files=50):
    names = set()
    for path in sorted(logs.rglob("*.json.gz"))[:files]:
        with gzip.open(path) as f:
            for record in json.load(f)["Records"]:
                if isinstance(record.get("eventName"), str):
                    names.add(record["eventName"])
    return sorted(names)


def write_rules(folder, n, names):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        picked = [names[(i * 7 + k) % len(names)] for k in range(3)]
        listed = "".join(f"            - {name}\n" for name in picked)
        (folder / f"rule-{i:04}.yml").write_text(
            f"title: Generated rule {i}\n"
            f"id: bench.rule-{i:04}\n"
            "level: low\n"
            "logsource:\n    product: aws\n    service: cloudtrail\n"
            "detection:\n"
            "    selection:\n"
            "        eventName:\n" + listed +
            f"        requestParameters.bucketName|contains: 'no-such-bucket-{i}'\n"
            "    filter:\n"
            f"        userIdentity.arn|endswith: ':user/nobody-{i}'\n"
            "    condition: selection and not filter\n")


def run(argv, env):
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, argv))}\n{proc.stderr.decode()}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cta-sigma-bench-"))
    try:
        logs = CORPUS
        if args.quick or not logs.is_dir():
            if not args.quick:
                print(f"{CORPUS} is missing (python3 bench/run.py makes it); using a small corpus")
            logs = work / "logs"
            subprocess.run([LOGGEN, "--out", logs, "--accounts", "2", "--regions", "2", "--days", "1",
                            "--files-per-day", "20", "--events-per-file", "200", "--no-digests"],
                           check=True, stdout=subprocess.DEVNULL)
        names = event_names(logs)
        rules = work / "rules"
        write_rules(rules, args.rules, names)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CTA_")}
        env["CTA_CACHE_DIR"] = str(work / "cache")
        base = [BIN, "analyze", logs, "--out", work / "out", "--quiet"]
        variants = {"no rule files": base, f"{args.rules} rules": base + ["--sigma", rules]}
        for argv in variants.values():  # compile the component, fill the page cache
            run(argv, env)
        times = {label: [] for label in variants}
        for _ in range(args.repeat):
            for label, argv in variants.items():
                times[label].append(run(argv, env))
        medians = {label: statistics.median(t) for label, t in times.items()}
        without, with_rules = medians.values()
        ratio = with_rules / without
        files = sum(1 for _ in logs.rglob("*.json.gz"))
        lines = [
            "# Sigma rules: cost on the corpus",
            "",
            f"`python3 bench/sigma_rules.py{' --quick' if args.quick else ''}`: {files:,} files, "
            f"{len(names)} distinct event names; {args.rules:,} generated rules, each naming 3 of "
            f"those names (so about {args.rules * 3 / len(names):.0f} rules are tried per event); "
            f"median of {args.repeat} runs in turns, {os.cpu_count()} cores.",
            "",
            "| run | median | runs |",
            "|---|---:|---|",
        ]
        for label, t in times.items():
            lines.append(f"| {label} | {medians[label]:.2f} s | "
                         + ", ".join(f"{x:.2f}" for x in t) + " |")
        lines += ["", f"Ratio: **{ratio:.2f}×** (target ≤ 1.5×).", ""]
        text = "\n".join(lines)
        print(text)
        if not args.quick:
            (ROOT / "bench" / "results-sigma.md").write_text(text)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
