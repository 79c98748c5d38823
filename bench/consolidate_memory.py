#!/usr/bin/env python3
"""Peak memory of consolidating one day far larger than the memory given to it.

From the repository root, after `cargo build --release`:

    python3 bench/consolidate_memory.py            # a ~4 GiB day (JSON), ~3 minutes to generate
    python3 bench/consolidate_memory.py --quick    # a ~200 MiB day, a smoke check
    python3 bench/consolidate_memory.py --lambda   # also the real Lambda path (needs moto[server])

It generates one partition (one account, region and day) with `loggen` into
bench/data/, then runs `cloudtrail-analyzer aggregate` on it the way the
consolidate Lambda would with 512 MB of memory: the component capped at
256 MiB (`--memory-limit-mb`, as Terraform sets it: function memory - 256)
and the consolidator's buffer at 64 MiB (`consolidate.max_buffer_bytes`).
It records the peak RSS of the whole process (host + component), the time,
the scratch bytes and the counts, checks the output's record count against
the generator's, and writes bench/results-consolidate.md.

With --lambda it also runs the same binary in Lambda mode, as the deployed
consolidate function would, against a moto S3 server and a minimal Lambda
Runtime API on 127.0.0.1: one manual invocation consolidates the day from
the bucket (write, read back and verify every part, delete the raw files).
"""

import argparse
import http.server
import json
import os
import signal
import socket
import threading
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RuntimeApi(http.server.ThreadingHTTPServer):
    """The Lambda Runtime API, for one invocation of one event."""

    def __init__(self, event: dict):
        self.event = json.dumps(event).encode()
        self.served = False
        self.result: bytes | None = None
        self.done = threading.Event()
        super().__init__(("127.0.0.1", free_port()), RuntimeHandler)


class RuntimeHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        api: RuntimeApi = self.server
        if not self.path.endswith("/runtime/invocation/next"):
            self.send_error(404)
            return
        if api.served:
            api.done.wait()
            time.sleep(3600)  # the function is killed before this ends
        api.served = True
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-1")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 900_000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                         "arn:aws:lambda:us-east-1:123456789012:function:cta-consolidate")
        self.send_header("Content-Length", str(len(api.event)))
        self.end_headers()
        self.wfile.write(api.event)

    def do_POST(self):
        api: RuntimeApi = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(202)
        self.end_headers()
        if "/invocation/" in self.path:
            api.result = body
            api.done.set()


def lambda_run(folder: Path, day: str) -> dict:
    """Consolidates the day from a moto bucket with the real binary in Lambda mode."""
    import boto3  # moto[server] brings it

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.create_bucket(Bucket="logs")
        for path in sorted(folder.rglob("*.json.gz")):
            s3.upload_file(str(path), "logs", str(path.relative_to(folder)))
        s3.put_object(Bucket="logs", Key="config/rules.json",
                      Body=json.dumps({"consolidate": {"max_buffer_bytes": BUFFER_BYTES}}))
        api = RuntimeApi({"from": day, "to": day})
        threading.Thread(target=api.serve_forever, daemon=True).start()
        env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing",
                   AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1",
                   AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{api.server_address[1]}",
                   AWS_LAMBDA_FUNCTION_NAME="cta-consolidate",
                   AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(LAMBDA_MEMORY_MB),
                   AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
                   CTA_FUNCTION="consolidate", CTA_LOG_BUCKET="logs",
                   CTA_CONFIG_URI="s3://logs/config/rules.json",
                   CTA_MEMORY_LIMIT_MB=str(COMPONENT_MEMORY_MB),
                   CTA_MAX_JOB_MB="100000", CTA_CACHE_DIR=str(TMP / "cache"),
                   RUST_LOG="info")
        start = time.monotonic()
        proc = subprocess.Popen([str(BIN)], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        log = []
        reader = threading.Thread(target=lambda: log.append(proc.stderr.read()), daemon=True)
        reader.start()
        finished = api.done.wait(timeout=3600)
        seconds = time.monotonic() - start
        proc.send_signal(signal.SIGTERM)
        _, _, usage = os.wait4(proc.pid, 0)
        api.shutdown()
        if not finished:
            raise SystemExit("the function did not answer within an hour")
        result = json.loads(api.result)
        report = result["consolidated"][0]
        return {"seconds": seconds, "rss": usage.ru_maxrss * 1024, "report": report}
    finally:
        moto.terminate()
        moto.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--lambda", dest="lambda_", action="store_true",
                        help="also run the real binary in Lambda mode against moto")
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
    if args.lambda_:
        run = lambda_run(folder, "2026-11-01")
        report = run["report"]
        assert report["records_out"] == summary["events"], report
        rows.insert(5, ("**Lambda mode: peak RSS**", f"**{mib(run['rss'])}**, {run['seconds']:.1f} s: "
                        f"from a moto bucket, {report['raw_files']:,} raw files in, "
                        f"{len(report['parts'])} parts written, read back and verified, "
                        f"{report['raw_files_deleted']:,} raw files deleted"))
    table = "| | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
    name = "results-consolidate-quick.md" if args.quick else "results-consolidate.md"
    flags = (" --quick" if args.quick else "") + (" --lambda" if args.lambda_ else "")
    (ROOT / "bench" / name).write_text(
        "# Consolidating a day larger than memory\n\n"
        f"`python3 bench/consolidate_memory.py{flags}`, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n\n" + table + "\n"
    )
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
