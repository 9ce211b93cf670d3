"""Smoke test of benchmarks/v2x.py: the quick table runs, both codec paths agree, and the
broker rows run over tcp (a second process) and inproc."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "v2x.py"


def test_quick_table_runs_and_outputs_agree():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # non-zero if outputs differ
    for case in ("CAM encode, one per call", "CAM decode, batch", "air broker + channel, tcp",
                 "air broker + channel, inproc", "wait for the receiver's tick"):
        assert case in proc.stdout
