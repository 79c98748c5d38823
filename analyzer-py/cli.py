"""`wasmtime run analyzer_py.wasm`: analyzes the logs under the paths given."""

import os
import sys

import config as configuration
import insights
from rules import RULE_IDS

USAGE = """\
Analyze CloudTrail logs with analyzer-py: prints insights.json for every log under PATH.

Usage: wasmtime run --dir <logs>::/logs analyzer_py.wasm [OPTIONS] <PATH>...

Options:
      --config <FILE>  configuration (JSON): rules.disabled, limits, consolidate
      --out <DIR>      write every artifact into DIR instead of printing insights.json
  -h, --help           print this help

Exit status: 0 when every input was analyzed or skipped, 1 otherwise.
"""


def files_under(paths):
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    yield os.path.join(root, name)
        else:
            yield path


def main(args):
    config_text, out_dir, paths = "", None, []
    args = iter(args)
    try:
        for arg in args:
            if arg in ("-h", "--help"):
                print(USAGE, end="")
                return 0
            elif arg == "--config":
                with open(next(args), encoding="utf-8") as f:
                    config_text = f.read()
            elif arg == "--out":
                out_dir = next(args)
            elif arg.startswith("-"):
                raise ValueError(f"unknown option {arg}")
            else:
                paths.append(arg)
        if not paths:
            raise ValueError("no PATH given")
        session = insights.Session(configuration.parse(config_text, RULE_IDS))
    except (ValueError, OSError, StopIteration, configuration.ConfigError) as e:
        print(f"error: {e or 'an option needs a value'}\n\n{USAGE}", file=sys.stderr, end="")
        return 2
    for path in files_under(paths):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            session.record_failure(path, f"cannot read: {e.strerror}")
            continue
        session.add(path, data)
    summary, problems, _, artifacts = session.finish()
    for problem in (p for p in problems if p["status"] == "failed"):
        print(f"{problem['name']}: {problem['status']}: {problem['detail']}", file=sys.stderr)
    if out_dir is None:
        sys.stdout.write(artifacts["insights.json"].decode())
    else:
        os.makedirs(out_dir, exist_ok=True)
        for name, data in artifacts.items():
            with open(os.path.join(out_dir, name), "wb") as f:
                f.write(data)
    print(
        f"{summary['inputs']} inputs ({summary['skipped']} skipped, {summary['failed']} failed), "
        f"{summary['events']} events, {summary['findings']} findings",
        file=sys.stderr,
    )
    return 1 if summary["failed"] else 0
