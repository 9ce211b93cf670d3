"""Smoke test of benchmarks/planner.py: the quick table runs and both sides agree."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "planner.py"


def test_quick_table_runs_and_outputs_agree(capsys):
    spec = importlib.util.spec_from_file_location("kav_bench_planner", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        assert module.main(["--quick"]) == 0  # non-zero if any pair of outputs differs
    finally:
        sys.modules.pop(spec.name, None)
    out = capsys.readouterr().out
    for case in ("lattice planner, 210 candidates", "collision check", "object sensor",
                 "lidar", "KF tracker bank"):
        assert case in out
