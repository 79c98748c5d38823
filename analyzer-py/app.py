"""A cloudtrail-analyzer component written in Python: the contract's
`info`, and `wasi:cli/run` (cli.py), so the same file runs under `wasmtime run`.
The resources are in analyzer.py; the analysis in insights.py."""

import sys

from componentize_py_types import Err

from cli import main
from rules import RULES
from wit_world import exports
from wit_world.imports import types as t

NAME = "analyzer-py"
VERSION = "0.1.0"
CONTRACT = "0.3.0"


class Analyzer(exports.Analyzer):
    def info(self):
        return t.ComponentInfo(NAME, VERSION, CONTRACT, [t.Rule(r.id, r.title, r.severity) for r in RULES])


class Run(exports.Run):
    def run(self):
        if main(sys.argv[1:]) != 0:
            # wasi:cli/run has one failure value: wasmtime exits with 1.
            raise Err(None)
