#!/usr/bin/env python3
"""The cloudtrail-analyzer benchmark (issues 7 and 14).

    python3 bench/run.py            # the full benchmark (about 1M events + a 1 GB file)
    python3 bench/run.py --quick    # a tiny corpus: a smoke check that the suite works

Generates its inputs with the project's generator into bench/data/ (reused
while the parameters and generator version are unchanged), then measures on
each input, one after the other: the host (`cloudtrail-analyzer analyze`), the
same component under the wasmtime CLI, the reference Python implementation of
the old algorithm, DuckDB computing the same counts, and zcat and ISA-L's
igzip (decompression only). It checks that every tool's counts agree with the reference, prints a
table and the targets with pass/fail, and writes bench/results.md and
bench/results.svg (bench/results-quick.* with --quick). See bench/README.md.

Needs the release binaries target/release/cloudtrail-analyzer and
target/release/loggen (cargo build --release), wasmtime on PATH, the duckdb
Python package (pip install duckdb) and igzip (apt-get install isal); a missing tool is recorded as a failed
measurement, never a crash. Standard library only otherwise.

Exit status: 0 the run completed and all counts agree; 1 a count mismatch or a
measurement of our own analyzer failed; 2 the inputs could not be prepared.
"""

import argparse
import datetime
import html
import json
import math
import os
import platform
import shlex
import shutil
import signal
import statistics
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = BENCH / "data"
TMP = BENCH / "tmp"
ANALYZER = ROOT / "target" / "release" / "cloudtrail-analyzer"
LOGGEN = ROOT / "target" / "release" / "loggen"
REFERENCE = BENCH / "reference_analyzer.py"
DUCKDB_COUNTS = BENCH / "duckdb_counts.py"

# 4 accounts x 4 regions x 2 days x 160 files x 200 events = 1,024,000 events in 5,120 files.
FULL = {
    "corpus": {"accounts": 4, "regions": 4, "days": 2, "files_per_day": 160, "events_per_file": 200},
    "single_bytes": "1G",
}
# 2 x 2 x 1 x 25 x 200 = 20,000 events in 100 files, and a 20 MiB consolidated file.
QUICK = {
    "corpus": {"accounts": 2, "regions": 2, "days": 1, "files_per_day": 25, "events_per_file": 200},
    "single_bytes": "20M",
}

LEGACY_KEYS = (
    "event_counts",
    "resource_counts",
    "account_counts",
    "region_counts",
    "source_ip_counts",
    "event_type_counts",
    "event_category_counts",
)

STARTUP_RUNS = 5
# The targets of the speed issue (14): each a ratio to a reference measured in
# the same run, or an absolute bound.
TARGET_VS_REFERENCE = 8.0  # the corpus: at least this many times faster than the old algorithm
TARGET_VS_IGZIP = {"corpus": 2.5, "single": 3.0}  # at most this many times igzip's time
TARGET_GUEST_MBPS = 250.0  # the component under wasmtime (one thread): MB of JSON per second
TARGET_RSS_MIB = 64.0  # the host's peak RSS, on either input
TARGET_WARM_START_MS = 50.0
TARGET_COLD_START_MS = 1000.0


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Running children: wall time, peak RSS (wait4), a timeout per child.
# --------------------------------------------------------------------------

@dataclass
class Outcome:
    status: str  # "ok", "timeout", "failed: <reason>", "skipped: <reason>"
    seconds: float = float("nan")
    maxrss_kib: int = 0
    stdout: Path | None = None

    @property
    def ok(self):
        return self.status == "ok"


_SUBREAPER = None


def become_subreaper():
    """Adopt orphaned descendants (prctl PR_SET_CHILD_SUBREAPER), see spawn()."""
    global _SUBREAPER
    if _SUBREAPER is None:
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            _SUBREAPER = libc.prctl(36, 1, 0, 0, 0) == 0
        except (OSError, AttributeError):
            _SUBREAPER = False
    return _SUBREAPER


def spawn(argv, *, timeout, stdout=None, env=None, ok_codes=(0,), exact_rss=True):
    """Run argv in its own process group; wall time and peak RSS from wait4.

    A process started directly by this (large) Python process inherits its
    peak RSS: posix_spawn's child shares Python's memory until exec, and
    Linux carries that high-water mark into the child's ru_maxrss. So argv
    is started by a small `sh` that backgrounds it and exits at once; being
    a subreaper, we adopt the command and wait4 it directly: its ru_maxrss
    is then its own (plus the sh's ~1 MiB fork), and for `sh -c 'a | b'` the
    largest process of the pipeline (wait4 reports the max over the child
    and the descendants it waited for, not their sum). The wall time
    includes starting that sh (about a millisecond). On timeout the whole
    process group is killed. exact_rss=False starts argv directly instead:
    a few milliseconds less of harness in the wall time, but an RSS no
    lower than this Python's (used for the start-time runs only).
    """
    TMP.mkdir(parents=True, exist_ok=True)
    err_path = TMP / f"stderr-{os.getpid()}-{time.monotonic_ns()}.txt"
    out_target = str(stdout) if stdout else os.devnull
    argv = [str(a) for a in argv]
    adopt = exact_rss and become_subreaper()
    rfd = wfd = None
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, out_target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, str(err_path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
    ]
    if adopt:
        # fd 3: the sh reports the command's pid. fd 4/5: a gate the command
        # waits on until the sh has exited (EOF once the sh's copy of the
        # write end is gone), so the sh can never reap it, even when it
        # exits at once. Copies above 9 so the dup2 targets cannot collide.
        import fcntl
        pipes = [os.pipe(), os.pipe()]
        (rfd, wfd), (gate_r, gate_w) = [
            tuple(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in pair) for pair in pipes]
        for pair in pipes:
            for fd in pair:
                os.close(fd)
        actions += [(os.POSIX_SPAWN_DUP2, wfd, 3), (os.POSIX_SPAWN_DUP2, gate_r, 4),
                    (os.POSIX_SPAWN_DUP2, gate_w, 5)]
        argv = ["sh", "-c",
                '{ read -r _ <&4; exec "$@" 4<&-; } 3>&- 5>&- & echo $! >&3; exit 0',
                "sh", *argv]
    timed_out = threading.Event()
    start = time.perf_counter()
    try:
        leader = os.posix_spawnp(argv[0], argv, env if env is not None else os.environ,
                                 file_actions=actions, setpgroup=0)
    except OSError as e:
        err_path.unlink(missing_ok=True)
        return Outcome(f"failed: cannot start {argv[0]}: {e.strerror}")
    finally:
        if wfd is not None:
            for fd in (wfd, gate_r, gate_w):
                os.close(fd)

    def kill_group():
        timed_out.set()
        try:
            os.killpg(leader, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill_group)
    timer.daemon = True
    timer.start()
    try:
        pid = leader
        if adopt:
            with os.fdopen(rfd, "rb") as fh:
                text = fh.read().decode().strip()
            os.waitpid(leader, 0)
            pid = int(text) if text.isdigit() else None
        if pid is None:
            status, usage = 127 << 8, None
        else:
            _, status, usage = os.wait4(pid, 0)
    except BaseException:
        # Ctrl-C or similar: take the child's whole group down with us.
        kill_group()
        raise
    finally:
        timer.cancel()
        reap_strays()
    seconds = time.perf_counter() - start
    maxrss = usage.ru_maxrss if usage else 0
    try:
        err_tail = err_path.read_text(errors="replace").strip().splitlines()[-3:]
    finally:
        err_path.unlink(missing_ok=True)
    if timed_out.is_set():
        return Outcome(f"timeout (killed after {timeout:g} s)", seconds, maxrss, stdout)
    if os.WIFSIGNALED(status):
        reason = f"killed by signal {os.WTERMSIG(status)}"
    elif os.waitstatus_to_exitcode(status) not in ok_codes:
        reason = f"exit status {os.waitstatus_to_exitcode(status)}"
    else:
        return Outcome("ok", seconds, maxrss, stdout)
    detail = " / ".join(line.strip() for line in err_tail if line.strip())
    detail = detail.removeprefix("failed: ")
    return Outcome(f"failed: {reason}" + (f": {detail[:300]}" if detail else ""),
                   seconds, maxrss, stdout)


def reap_strays():
    """Collect any adopted descendant that has exited (no zombies left behind)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# --------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------

@dataclass
class Input:
    label: str          # shown in the table
    kind: str           # "corpus" or "single"
    path: Path          # what the tools are given: a folder or a file
    mount: Path         # the folder mapped into wasmtime as /logs
    guest_path: str     # the path the component is given inside wasmtime
    events: int
    files: int
    compressed_bytes: int
    decompressed_bytes: int
    largest_file_bytes: int  # the largest file's JSON, for DuckDB's maximum_object_size


def tool_version(argv):
    out = TMP / "version.txt"
    r = spawn(argv, timeout=60, stdout=out)
    text = out.read_text(errors="replace").strip() if out.exists() else ""
    out.unlink(missing_ok=True)
    return text.splitlines()[0] if r.ok and text else f"unknown ({r.status})"


def decompressed_size(path):
    """Bytes of JSON in a gzip file (every member), by decompressing it."""
    total = 0
    with open(path, "rb") as fh:
        d = zlib.decompressobj(wbits=47)
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                break
            while chunk:
                total += len(d.decompress(chunk))
                if d.eof:
                    chunk = d.unused_data
                    d = zlib.decompressobj(wbits=47)
                else:
                    chunk = b""
    return total


def gz_files(folder):
    return sorted(p for p in folder.rglob("*.gz") if p.is_file())


def prepare(name, params, generate_argv, timeout, regen, loggen_version):
    """Generate into bench/data/<name>/ unless a matching stamp is there."""
    folder = DATA / name
    stamp_path = folder / "stamp.json"
    wanted = {"params": params, "loggen": loggen_version}
    if not regen and stamp_path.exists():
        try:
            stamp = json.loads(stamp_path.read_text())
            if {k: stamp.get(k) for k in wanted} == wanted:
                log(f"reusing bench/data/{name} (same parameters and generator)")
                return folder, stamp
        except (OSError, ValueError):
            pass
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    log(f"generating bench/data/{name} ...")
    summary_path = folder / "loggen-summary.json"
    r = spawn([LOGGEN, *generate_argv(folder), "--json"], timeout=timeout, stdout=summary_path)
    if not r.ok:
        log(f"error: loggen failed for {name}: {r.status}")
        raise SystemExit(2)
    summary = json.loads(summary_path.read_text())
    log(f"  generated in {r.seconds:.1f} s: {summary}")
    stamp = dict(wanted, summary=summary, generated_seconds=round(r.seconds, 2))
    return folder, stamp


def prepare_inputs(cfg, args, loggen_version):
    c = cfg["corpus"]
    cname = "corpus-a{accounts}-r{regions}-d{days}-f{files_per_day}-e{events_per_file}".format(**c)

    def corpus_argv(folder):
        return ["--out", folder / "logs", "--accounts", c["accounts"], "--regions", c["regions"],
                "--days", c["days"], "--files-per-day", c["files_per_day"],
                "--events-per-file", c["events_per_file"], "--no-digests"]

    folder, stamp = prepare(cname, c, corpus_argv, args.timeout, args.regen, loggen_version)
    logs = folder / "logs"
    files = gz_files(logs)
    if "largest_file_bytes" not in stamp:
        log("  measuring the corpus' decompressed size ...")
        sizes = [decompressed_size(p) for p in files]
        stamp["decompressed_bytes"] = sum(sizes)
        stamp["largest_file_bytes"] = max(sizes, default=0)
        stamp["compressed_bytes"] = sum(p.stat().st_size for p in files)
        stamp["files"] = len(files)
        (folder / "stamp.json").write_text(json.dumps(stamp, indent=2) + "\n")
    corpus = Input(
        label=f"corpus ({stamp['files']:,} files)", kind="corpus", path=logs, mount=logs,
        guest_path="/logs", events=int(stamp["summary"]["events"]), files=stamp["files"],
        compressed_bytes=stamp["compressed_bytes"], decompressed_bytes=stamp["decompressed_bytes"],
        largest_file_bytes=stamp["largest_file_bytes"])

    size = cfg["single_bytes"]
    sname = f"single-{size}"

    def single_argv(folder):
        return ["--consolidated", folder / "consolidated.json.gz", "--bytes", size]

    folder, stamp = prepare(sname, {"bytes": size}, single_argv, args.timeout, args.regen,
                            loggen_version)
    gz = folder / "consolidated.json.gz"
    if "decompressed_bytes" not in stamp:
        stamp["decompressed_bytes"] = int(stamp["summary"].get("uncompressed_bytes")
                                          or decompressed_size(gz))
        stamp["compressed_bytes"] = gz.stat().st_size
        stamp["files"] = 1
        (folder / "stamp.json").write_text(json.dumps(stamp, indent=2) + "\n")
    single = Input(
        label=f"one {size} file", kind="single", path=gz, mount=folder,
        guest_path="/logs/consolidated.json.gz", events=int(stamp["summary"]["events"]), files=1,
        compressed_bytes=stamp["compressed_bytes"], decompressed_bytes=stamp["decompressed_bytes"],
        largest_file_bytes=stamp["decompressed_bytes"])
    return corpus, single


def prime_page_cache(inp):
    """Read the input once, untimed, so no tool pays for the first disk read."""
    paths = gz_files(inp.path) if inp.path.is_dir() else [inp.path]
    for p in paths:
        with open(p, "rb") as fh:
            while fh.read(1 << 22):
                pass


# --------------------------------------------------------------------------
# The tools
# --------------------------------------------------------------------------

TOOLS = ("host", "wasmtime", "reference", "duckdb", "zcat", "igzip")
TOOL_LABELS = {
    "host": "cloudtrail-analyzer (host)",
    "wasmtime": "component, wasmtime CLI",
    "reference": "reference Python",
    "duckdb": "DuckDB read_json",
    "zcat": "zcat (decompress only)",
    "igzip": "igzip -d (decompress only)",
}


def host_env(cache_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CTA_")}
    env["CTA_CACHE_DIR"] = str(cache_dir)
    return env


@dataclass
class Measurement:
    tool: str
    inp: Input
    outcome: Outcome
    counts: dict | None = None
    notes: list = field(default_factory=list)
    runs: list = field(default_factory=list)  # seconds of every successful run


def measure(tool, inp, ctx, timeout):
    out = TMP / f"{tool}-{inp.kind}.json"
    counts_path = out
    if tool == "host":
        out_dir = TMP / f"host-{inp.kind}"
        shutil.rmtree(out_dir, ignore_errors=True)
        r = spawn([ANALYZER, "analyze", inp.path, "--out", out_dir, "--quiet"],
                  timeout=timeout, env=host_env(ctx["cache"]))
        counts_path = out_dir / "insights.json"
    elif tool == "wasmtime":
        if not ctx["wasm"]:
            return Outcome("failed: no exported component"), None
        r = spawn(["wasmtime", "run", "--dir", f"{inp.mount}::/logs", ctx["wasm"], inp.guest_path],
                  timeout=timeout, stdout=out)
    elif tool == "reference":
        need = 10 * inp.decompressed_bytes  # json.load: 8-10x the JSON size
        avail = mem_available()
        if avail and need > avail:
            return Outcome(f"skipped: needs ~{need / 2**30:.0f} GiB RAM, "
                           f"{avail / 2**30:.0f} GiB available"), None
        r = spawn([sys.executable, REFERENCE, "--null-for-missing-event-name", inp.path], timeout=timeout, stdout=out)
    elif tool == "duckdb":
        r = spawn([sys.executable, DUCKDB_COUNTS, "--maximum-object-size",
                   duckdb_max_object(inp.largest_file_bytes), inp.path],
                  timeout=timeout, stdout=out)
    elif tool == "zcat":
        if inp.path.is_dir():
            # All files through ONE zcat (gzip reads concatenated members).
            script = (f"find {shlex.quote(str(inp.path))} -type f -name '*.gz' -print0 "
                      "| sort -z | xargs -0 cat | zcat > /dev/null")
            r = spawn(["sh", "-c", script], timeout=timeout)
        else:
            r = spawn(["zcat", inp.path], timeout=timeout)
        counts_path = None
    elif tool == "igzip":
        if inp.path.is_dir():
            # The physical floor on both cores: the files split in two halves,
            # one igzip process each.
            half = (inp.files + 1) // 2
            script = (f"find {shlex.quote(str(inp.path))} -type f -name '*.gz' -print0 "
                      f"| sort -z | xargs -0 -P 2 -n {half} igzip -d -c > /dev/null")
            r = spawn(["sh", "-c", script], timeout=timeout)
        else:
            # One gzip stream inflates on one core.
            r = spawn(["igzip", "-d", "-c", inp.path], timeout=timeout)
        counts_path = None
    else:
        raise ValueError(tool)
    counts = None
    if r.ok and counts_path is not None:
        try:
            counts = json.loads(counts_path.read_text())
        except (OSError, ValueError) as e:
            r = Outcome(f"failed: unreadable output: {e}", r.seconds, r.maxrss_kib)
    if tool == "host":
        shutil.rmtree(TMP / f"host-{inp.kind}", ignore_errors=True)
    out.unlink(missing_ok=True)
    return r, counts


def median_run(runs):
    """The run of median time; a failed run, if any failed (it must show)."""
    failed = [r for r in runs if not r[0].ok]
    if failed:
        return failed[0]
    by_time = sorted(runs, key=lambda r: r[0].seconds)
    return by_time[(len(by_time) - 1) // 2]


def duckdb_max_object(largest):
    """read_json's maximum_object_size for files of at most `largest` bytes.

    The next power of two above the largest file (at least DuckDB's default
    16 MiB, at most its limit 4 GiB - 1): DuckDB reserves about twice this
    per reading thread, so it is kept as small as the input allows.
    """
    size = max(16 * 2**20, 1 << max(0, int(largest)).bit_length())
    return min(size, 2**32 - 1)


def mem_available():
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


# --------------------------------------------------------------------------
# Agreement of the counts
# --------------------------------------------------------------------------

def compare(name, got, ref, ref_name, expected_events):
    """Problems with `got` against `ref` (the eight legacy keys)."""
    problems = []
    if got.get("total_events") != expected_events:
        problems.append(f"{name}: total_events {got.get('total_events')} != {expected_events} "
                        "generated")
    if ref is None:
        return problems
    truncated = got.get("truncated_dimensions") or {}
    if got.get("total_events") != ref.get("total_events"):
        problems.append(f"{name}: total_events {got.get('total_events')} != "
                        f"{ref.get('total_events')} ({ref_name})")
    for key in LEGACY_KEYS:
        a, b = got.get(key) or {}, ref.get(key) or {}
        if key in truncated:
            # Bounded dimension: the kept keys never over-count, and kept +
            # other_events add up to the reference total.
            other = int(truncated[key].get("other_events", 0))
            if sum(a.values()) + other != sum(b.values()):
                problems.append(f"{name}: {key} kept {sum(a.values())} + other {other} != "
                                f"{sum(b.values())} ({ref_name})")
            over = [k for k, n in a.items() if n > b.get(k, 0)]
            if over:
                problems.append(f"{name}: {key} over-counts {len(over)} keys, e.g. {over[0]!r}")
            continue
        if a != b:
            diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            sample = ", ".join(f"{k!r}: {a.get(k)} vs {b.get(k)}" for k in diff[:3])
            problems.append(f"{name}: {key} differs from {ref_name} on {len(diff)} keys ({sample})")
    return problems


def truncated_note(counts):
    t = (counts or {}).get("truncated_dimensions") or {}
    return ", ".join(f"{k} bounded to {v.get('kept_keys')} keys" for k, v in sorted(t.items()))


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------

def fmt_rate(x):
    if x is None or not math.isfinite(x):
        return "-"
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= div:
            return f"{x / div:.3g} {unit}"
    return f"{x:.3g}"


def fmt_ratio(x, lower_bound=False):
    if x is None or not math.isfinite(x):
        return "-"
    s = f"{x:.3g}×" if x < 100 else f"{x:,.0f}×"
    return ("≥ " + s) if lower_bound else s


def rows_for(measurements, inp):
    ms = {m.tool: m for m in measurements if m.inp is inp}
    ref, zc, ig = ms.get("reference"), ms.get("zcat"), ms.get("igzip")
    rows = []
    for tool in TOOLS:
        m = ms.get(tool)
        if m is None:
            continue
        o = m.outcome
        row = {"tool": TOOL_LABELS[tool], "key": tool, "input": inp.label, "status": o.status,
               "seconds": None, "eps": None, "mbps": None, "vs_ref": None, "vs_ref_lb": False,
               "vs_zcat": None, "per_igzip": None, "rss_mib": o.maxrss_kib / 1024 if o.maxrss_kib else None}
        if o.ok:
            row["seconds"] = o.seconds
            row["eps"] = inp.events / o.seconds
            row["mbps"] = inp.decompressed_bytes / 1e6 / o.seconds
            if ref and ref.outcome.ok:
                row["vs_ref"] = ref.outcome.seconds / o.seconds
            elif ref and ref.outcome.status.startswith("timeout"):
                row["vs_ref"] = ref.outcome.seconds / o.seconds
                row["vs_ref_lb"] = True
            if zc and zc.outcome.ok:
                row["vs_zcat"] = zc.outcome.seconds / o.seconds
            if ig and ig.outcome.ok:
                row["per_igzip"] = o.seconds / ig.outcome.seconds
        rows.append(row)
    return rows


def table_lines(rows, markdown):
    head = ["tool", "input", "seconds", "events/s", "MB/s", "× ref Python", "× zcat",
            "time ÷ igzip", "peak RSS MiB"]
    body = []
    for r in rows:
        if r["seconds"] is None:
            cells = [r["tool"], r["input"], r["status"], "-", "-", "-", "-", "-",
                     f"{r['rss_mib']:.0f}" if r["rss_mib"] else "-"]
        else:
            cells = [r["tool"], r["input"], f"{r['seconds']:.2f}", fmt_rate(r["eps"]),
                     f"{r['mbps']:.0f}", fmt_ratio(r["vs_ref"], r["vs_ref_lb"]),
                     fmt_ratio(r["vs_zcat"]), fmt_ratio(r["per_igzip"]),
                     f"{r['rss_mib']:.0f}"]
        body.append(cells)
    if markdown:
        out = ["| " + " | ".join(head) + " |",
               "|" + "|".join(["---", "---"] + ["---:"] * (len(head) - 2)) + "|"]
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" for cells in body]
        return out
    # A failed row shows its status in the seconds column and may overflow it.
    ok_body = [b for b in body if b[3] != "-"]
    widths = [max([len(h)] + [len(b[i]) for b in (ok_body if i == 2 else body)])
              for i, h in enumerate(head)]

    def line(cells, failed=False):
        out = []
        for i, (c, w) in enumerate(zip(cells, widths)):
            if failed and i == 2:
                return "  ".join(out + [c])
            out.append(c.ljust(w) if i < 2 else c.rjust(w))
        return "  ".join(out)

    return ([line(head), line(["-" * w for w in widths])]
            + [line(b, failed=b[3] == "-") for b in body])


def targets(measurements, inputs, startup):
    """(description, measured, passed) for each target: passed is True/False/None (n/a)."""
    out = []
    by = {(m.tool, m.inp.kind): m for m in measurements}
    for inp in inputs:
        rows = {r["key"]: r for r in rows_for(measurements, inp)}
        host = rows.get("host")
        ok = host and host["seconds"] is not None
        if inp.kind == "corpus":
            what = f"the host ≥ {TARGET_VS_REFERENCE:g}× the old algorithm's speed ({inp.label})"
            ref = by[("reference", inp.kind)].outcome
            if ok and host["vs_ref"] is not None:
                out.append((what, fmt_ratio(host["vs_ref"], host["vs_ref_lb"])
                            + (" (reference timed out: a lower bound)" if host["vs_ref_lb"] else ""),
                            True if host["vs_ref"] >= TARGET_VS_REFERENCE
                            else None if host["vs_ref_lb"] else False))
            else:
                out.append((what, f"n/a (host: {host['status'] if host else '-'}; "
                                  f"reference: {ref.status})", None if ok else False))
            guest = rows.get("wasmtime")
            what = (f"the component under wasmtime (one thread) ≥ {TARGET_GUEST_MBPS:g} MB/s "
                    f"of JSON ({inp.label})")
            if guest and guest["mbps"] is not None:
                out.append((what, f"{guest['mbps']:.0f} MB/s", guest["mbps"] >= TARGET_GUEST_MBPS))
            else:
                out.append((what, f"n/a ({guest['status'] if guest else '-'})", False))
        limit = TARGET_VS_IGZIP[inp.kind]
        what = f"the host's time ≤ {limit:g}× igzip -d's ({inp.label})"
        if ok and host["per_igzip"] is not None:
            out.append((what, f"{host['per_igzip']:.2f}× ({host['seconds']:.2f} s vs "
                              f"{rows['igzip']['seconds']:.2f} s)", host["per_igzip"] <= limit))
        else:
            out.append((what, "n/a (igzip or the host failed)", None if ok else False))
        rss = host["rss_mib"] if ok else None
        out.append((f"the host's peak RSS ≤ {TARGET_RSS_MIB:g} MiB ({inp.label})",
                    f"{rss:.1f} MiB" if rss else "n/a", (rss <= TARGET_RSS_MIB) if rss else False))
    for kind, limit in (("warm", TARGET_WARM_START_MS), ("cold", TARGET_COLD_START_MS)):
        t = startup.get(kind)
        out.append((f"{kind} start to first result ≤ {limit:g} ms (median of {STARTUP_RUNS})",
                    f"{t * 1000:.1f} ms" if t is not None else "n/a",
                    (t * 1000 <= limit) if t is not None else False))
    return out


def verdict(passed):
    return {True: "PASS", False: "FAIL", None: "n/a"}[passed]


def machine_info():
    info = {}
    info["nproc"] = str(len(os.sched_getaffinity(0)))
    try:
        cpu = Path("/proc/cpuinfo").read_text()
        model = next((l.split(":", 1)[1].strip() for l in cpu.splitlines()
                      if l.lower().startswith(("model name", "hardware", "cpu model"))), None)
        info["CPU"] = model or platform.processor() or platform.machine()
    except OSError:
        info["CPU"] = platform.processor() or platform.machine()
    info["architecture"] = platform.machine()
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory"] = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    info["kernel"] = f"{platform.system()} {platform.release()}"
    try:
        info["load average at start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        pass
    return info


def write_svg(path, inputs, measurements, title, subtitle):
    """Horizontal bars of events/s per tool and input, log scale."""
    groups = [(inp, rows_for(measurements, inp)) for inp in inputs]
    rates = [r["eps"] for _, rows in groups for r in rows if r["eps"]]
    lo = 10 ** math.floor(math.log10(min(rates))) if rates else 1e3
    hi = 10 ** math.ceil(math.log10(max(rates))) if rates else 1e7
    if hi <= lo:
        hi = lo * 10
    width, left, right = 920, 250, 150
    bar_h, gap, group_gap, top = 20, 6, 34, 78
    plot_w = width - left - right
    n_rows = sum(len(rows) for _, rows in groups)
    height = top + n_rows * (bar_h + gap) + len(groups) * group_gap + 40
    x = lambda v: left + plot_w * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))  # noqa: E731
    e = html.escape
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
         f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="13">',
         f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
         f'<text x="{width / 2}" y="26" text-anchor="middle" font-size="17" font-weight="bold">{e(title)}</text>',
         f'<text x="{width / 2}" y="46" text-anchor="middle" fill="#555">{e(subtitle)}</text>']
    plot_top, plot_bottom = top - 8, height - 34
    decade = lo
    while decade <= hi * 1.0001:
        gx = x(decade)
        s.append(f'<line x1="{gx:.1f}" y1="{plot_top}" x2="{gx:.1f}" y2="{plot_bottom}" stroke="#ddd"/>')
        s.append(f'<text x="{gx:.1f}" y="{plot_bottom + 16}" text-anchor="middle" fill="#555">'
                 f'{e(fmt_rate(decade))}</text>')
        decade *= 10
    s.append(f'<text x="{left + plot_w / 2}" y="{height - 4}" text-anchor="middle" fill="#555">'
             'events per second (log scale; longer is faster)</text>')
    y = top
    for inp, rows in groups:
        size = (f"{inp.decompressed_bytes / 1e9:.2f} GB" if inp.decompressed_bytes >= 1e9
                else f"{inp.decompressed_bytes / 1e6:.0f} MB")
        s.append(f'<text x="10" y="{y + 4}" font-weight="bold">{e(inp.label)}: {inp.events:,} events, '
                 f'{size} of JSON</text>')
        y += 14
        for r in rows:
            cy = y + bar_h / 2 + 4
            s.append(f'<text x="{left - 8}" y="{cy}" text-anchor="end">{e(r["tool"])}</text>')
            if r["eps"]:
                w = max(x(r["eps"]) - left, 2)
                color = "#d9480f" if r["key"] == "host" else "#1c7ed6" if r["key"] == "wasmtime" else "#868e96"
                s.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}"/>')
                extra = f' ({fmt_ratio(r["vs_ref"], r["vs_ref_lb"])} ref)' if r["vs_ref"] and r["key"] != "reference" else ""
                s.append(f'<text x="{left + w + 6:.1f}" y="{cy}">{e(fmt_rate(r["eps"]))}/s{e(extra)}</text>')
            else:
                status = r["status"] if len(r["status"]) <= 80 else r["status"][:79] + "…"
                s.append(f'<text x="{left + 6}" y="{cy}" fill="#c92a2a">{e(status)}</text>')
            y += bar_h + gap
        y += group_gap - 14
    s.append("</svg>")
    path.write_text("\n".join(s) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def startup_times(small_file, cache):
    """Process start to exit (the report written) on one small file."""
    result = {"cold_runs": [], "warm_runs": [], "errors": []}
    for kind in ("cold", "warm"):
        for i in range(STARTUP_RUNS):
            cache_dir = TMP / f"cold-cache-{i}" if kind == "cold" else cache
            if kind == "cold":
                shutil.rmtree(cache_dir, ignore_errors=True)
            out_dir = TMP / f"start-{kind}-{i}"
            r = spawn([ANALYZER, "analyze", small_file, "--out", out_dir, "--quiet"],
                      timeout=300, env=host_env(cache_dir), exact_rss=False)
            shutil.rmtree(out_dir, ignore_errors=True)
            if kind == "cold":
                shutil.rmtree(cache_dir, ignore_errors=True)
            if not r.ok:
                result["errors"].append(f"{kind}: {r.status}")
                continue
            result[f"{kind}_runs"].append(r.seconds)
    for kind in ("cold", "warm"):
        runs = result[f"{kind}_runs"]
        result[kind] = statistics.median(runs) if len(runs) == STARTUP_RUNS else None
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="The cloudtrail-analyzer benchmark (see bench/README.md).")
    parser.add_argument("--quick", action="store_true",
                        help="tiny inputs (20k events, a 20 MiB file): a smoke check, written to "
                             "bench/results-quick.{md,svg}")
    parser.add_argument("--regen", action="store_true",
                        help="regenerate bench/data even when the stamp matches")
    parser.add_argument("--repeat", type=int, default=3,
                        help="measure every tool this many times, in turns, and report the median "
                             "run (default 3: one run alone moves by 20%% on a shared machine)")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds before a child is killed and recorded as timeout "
                             "[default: 1800]")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    suffix = "-quick" if args.quick else ""
    md_path, svg_path = BENCH / f"results{suffix}.md", BENCH / f"results{suffix}.svg"

    for binary in (ANALYZER, LOGGEN):
        if not os.access(binary, os.X_OK):
            log(f"error: {binary.relative_to(ROOT)} is missing: run `cargo build --release` first")
            return 2

    started = datetime.datetime.now(datetime.timezone.utc)
    info = machine_info()
    shutil.rmtree(TMP, ignore_errors=True)
    TMP.mkdir(parents=True)
    exit_code = 0
    try:
        versions = {
            "cloudtrail-analyzer": tool_version([ANALYZER, "--version"]),
            "loggen": tool_version([LOGGEN, "--version"]),
            "wasmtime": tool_version(["wasmtime", "--version"]),
            "python": f"Python {platform.python_version()}",
            "duckdb": tool_version([sys.executable, "-c", "import duckdb; print(duckdb.__version__)"]),
            "zcat": tool_version(["zcat", "--version"]),
            "igzip": tool_version(["igzip", "--version"]),
        }
        inputs = prepare_inputs(cfg, args, versions["loggen"])
        corpus, single = inputs

        ctx = {"cache": TMP / "cache", "wasm": TMP / "a.wasm"}
        r = spawn([ANALYZER, "component", "export", ctx["wasm"]], timeout=120)
        if not r.ok:
            log(f"warning: component export failed: {r.status}")
            ctx["wasm"] = None
        small_file = gz_files(corpus.path)[0]

        # Warm-ups (untimed): fill the host's compiled-component cache and
        # wasmtime's own cache, so the measurements below do not include
        # compiling the component.
        log("warming up (compiled-component caches) ...")
        spawn([ANALYZER, "analyze", small_file, "--out", TMP / "warmup", "--quiet"],
              timeout=600, env=host_env(ctx["cache"]))
        if ctx["wasm"]:
            spawn(["wasmtime", "run", "--dir", f"{small_file.parent}::/logs", ctx["wasm"],
                   f"/logs/{small_file.name}"], timeout=600)
        shutil.rmtree(TMP / "warmup", ignore_errors=True)

        log(f"time to first result on {small_file.name} ({STARTUP_RUNS} cold, {STARTUP_RUNS} warm) ...")
        startup = startup_times(small_file, ctx["cache"])

        measurements = []
        problems = []
        for inp in inputs:
            prime_page_cache(inp)
            # In turns (every tool once, then again), so a slow spell of the
            # machine touches every tool alike; the median run is reported.
            runs = {tool: [] for tool in TOOLS}
            for turn in range(1, max(1, args.repeat) + 1):
                for tool in TOOLS:
                    log(f"{inp.label}: {TOOL_LABELS[tool]} (run {turn}) ...")
                    outcome, counts = measure(tool, inp, ctx, args.timeout)
                    runs[tool].append((outcome, counts))
                    shown = f"{outcome.seconds:.2f} s" if outcome.ok else outcome.status
                    log(f"  {shown}, peak RSS {outcome.maxrss_kib / 1024:.0f} MiB")
            for tool in TOOLS:
                outcome, counts = median_run(runs[tool])
                m = Measurement(tool, inp, outcome, counts)
                m.runs = [o.seconds for o, _ in runs[tool] if o.ok]
                measurements.append(m)
                if tool == "host" and not outcome.ok:
                    problems.append(f"host on {inp.label}: {outcome.status}")
            ms = {m.tool: m for m in measurements if m.inp is inp}
            ref = ms["reference"].counts
            ref_name = "reference Python"
            if ref is None and ms["duckdb"].counts is not None:
                ref, ref_name = ms["duckdb"].counts, "DuckDB"
            for tool in ("host", "wasmtime", "reference", "duckdb"):
                m = ms[tool]
                if m.counts is None:
                    continue
                against = None if (tool == "reference" or (tool == "duckdb" and ref_name == "DuckDB")) else ref
                found = compare(f"{TOOL_LABELS[tool]} on {inp.label}", m.counts, against,
                                ref_name, inp.events)
                problems += found
                note = truncated_note(m.counts)
                if note:
                    m.notes.append(note)

        # ---- report ----
        rows = [r for inp in inputs for r in rows_for(measurements, inp)]
        try:
            info["load average at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        except OSError:
            pass
        tgt = targets(measurements, inputs, startup)
        kind = "QUICK SMOKE RUN (tiny inputs, not the benchmark)" if args.quick else "benchmark"
        console = []
        console.append("")
        console.append(f"cloudtrail-analyzer {kind}: {info['nproc']} cores, {info['CPU']}, "
                       f"load {info.get('load average at start', '?')}")
        for inp in inputs:
            console.append(f"  {inp.label}: {inp.events:,} events, {inp.files:,} "
                           f"file{'s' if inp.files != 1 else ''}, "
                           f"{inp.compressed_bytes / 1e6:,.0f} MB gzip, "
                           f"{inp.decompressed_bytes / 1e6:,.0f} MB JSON")
        console.append("")
        console += table_lines(rows, markdown=False)
        console.append("")
        console.append(start_line(startup))
        console.append("")
        console.append("targets:")
        for desc, measured, passed in tgt:
            console.append(f"  [{verdict(passed)}] {desc}: {measured}")
        console.append("")
        if problems:
            console.append("!" * 78)
            console.append("COUNT MISMATCHES / FAILURES OF OUR ANALYZER:")
            console += [f"  - {p}" for p in problems]
            console.append("!" * 78)
            exit_code = 1
        else:
            console.append("counts: every tool that completed agrees with the reference "
                           "(total_events and the seven *_counts)")
        notes = [f"{TOOL_LABELS[m.tool]} on {m.inp.label}: {n}" for m in measurements for n in m.notes]
        console += [f"note: {n}" for n in notes]
        print("\n".join(console), flush=True)

        write_markdown(md_path, args.quick, started, info, versions, inputs, measurements, rows,
                       startup, tgt, problems, notes, svg_path.name)
        title = ("QUICK SMOKE RUN, not the benchmark: " if args.quick else "") + \
            "cloudtrail-analyzer vs. alternatives"
        subtitle = (f"{info['nproc']} cores, {info['CPU']}, {started:%Y-%m-%d}; "
                    "CloudTrail counts over gzip JSON")
        write_svg(svg_path, inputs, measurements, title, subtitle)
        print(f"\nwrote {md_path.relative_to(ROOT)} and {svg_path.relative_to(ROOT)}")
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    return exit_code


def start_line(startup):
    def ms(v):
        return f"{v * 1000:.1f} ms" if v is not None else "n/a"
    line = (f"start to first result (one small file, median of {STARTUP_RUNS}): "
            f"cold {ms(startup['cold'])} (compiles the component), "
            f"warm {ms(startup['warm'])} (compiled-component cache filled)")
    if startup["errors"]:
        line += "; errors: " + "; ".join(startup["errors"][:3])
    return line


def write_markdown(path, quick, started, info, versions, inputs, measurements, rows, startup, tgt,
                   problems, notes, svg_name):
    L = []
    if quick:
        L += ["# Benchmark results: QUICK SMOKE RUN", "",
              "> **Not the benchmark.** Written by `python3 bench/run.py --quick` on tiny inputs, "
              "only to show the suite works. The real results come from `python3 bench/run.py` "
              "and are in `results.md`.", ""]
    else:
        L += ["# Benchmark results", "",
              "Written by `python3 bench/run.py` (see [README.md](README.md) for what is measured).",
              ""]
    L += [f"![events per second per tool]({svg_name})", "", "## Inputs", ""]
    for inp in inputs:
        L.append(f"- **{inp.label}**: {inp.events:,} events in {inp.files:,} gzip "
                 f"file{'s' if inp.files != 1 else ''}, "
                 f"{inp.compressed_bytes / 1e6:,.1f} MB compressed, "
                 f"{inp.decompressed_bytes / 1e6:,.1f} MB of JSON")
    L += ["", "## Throughput", ""]
    L += table_lines(rows, markdown=True)
    L += ["", "× ref Python and × zcat: how many times faster than that tool on the same input "
          "(its time / this time). Time ÷ igzip: this time over ISA-L's `igzip -d` on the same "
          "input (on the corpus two igzip processes, one per core, each on half the files; on "
          "the one file a single stream, which inflates on one core). Peak RSS: `ru_maxrss` "
          "from `wait4`; for the zcat and igzip pipelines, the largest process of them.", ""]
    L += ["Every row is the median of its runs (tools measured in turns); all runs, in seconds:", ""]
    for m in measurements:
        if m.runs:
            L.append(f"- {TOOL_LABELS[m.tool]}, {m.inp.label}: "
                     + ", ".join(f"{t:.2f}" for t in m.runs))
    L.append("")
    L += ["## Start to first result", "",
          f"`cloudtrail-analyzer analyze <one file of 200 events> --out <tmp> --quiet`, process start "
          f"to exit, median of {STARTUP_RUNS} runs:", "",
          "| | median ms | runs (ms) |", "|---|---:|---|"]
    for kind, what in (("cold", "cold (empty cache: compiles the component)"),
                       ("warm", "warm (compiled-component cache filled)")):
        runs = ", ".join(f"{v * 1000:.0f}" for v in startup[f"{kind}_runs"]) or "-"
        med = f"{startup[kind] * 1000:.1f}" if startup[kind] is not None else "n/a"
        L.append(f"| {what} | {med} | {runs} |")
    if startup["errors"]:
        L += ["", "Errors: " + "; ".join(startup["errors"])]
    L += ["", "## Targets", "", "| target | measured | result |", "|---|---|---|"]
    L += [f"| {d} | {m} | **{verdict(p)}** |" for d, m, p in tgt]
    L += ["", "## Agreement of the counts", ""]
    if problems:
        L += ["**MISMATCHES / FAILURES:**", ""] + [f"- {p}" for p in problems]
    else:
        L.append("Every tool that completed reports the same `total_events` and the same seven "
                 "`*_counts` objects as the reference Python (and the generator's event count).")
    L += [f"- note: {n}" for n in notes]
    L += ["", "## Machine", ""]
    L += [f"- {k}: {v}" for k, v in info.items()]
    L.append(f"- date: {started:%Y-%m-%d %H:%M} UTC")
    L += ["", "## Versions", ""] + [f"- {k}: {v}" for k, v in versions.items()]
    path.write_text("\n".join(L) + "\n", encoding="utf-8")


def on_sigterm(signum, frame):
    # Unwind like Ctrl-C: the running child's group is killed, bench/tmp removed.
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
