"""A suite killed mid-way and resumed ends with exactly one row per planned run, and the
rows written before the kill are kept as they were."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from scenarios.suites.plan import load_suite
from scenarios.suites.store import ResultStore

SUITE = """
name = "killme"
outputs = "results"
[[runs]]
scenario = "{scenario}"
grid = {{ gap = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0] }}
duration_s = 2.0
"""
ROOT = Path(__file__).resolve().parents[3]


def _suite_file(tmp_path: Path) -> Path:
    path = tmp_path / "killme.toml"
    path.write_text(SUITE.format(scenario=Path(__file__).parent / "data" / "stalled-gap.toml"))
    return path


def _start(suite: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "scenarios.cli", "suite", str(suite),
                             "--out", str(out), "--workers", "2", *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _kill_after_rows(proc: subprocess.Popen, n: int, sig: int) -> None:
    """Send ``sig`` once the progress log (one line per finished run) shows ``n`` runs."""
    seen, deadline = 0, time.monotonic() + 120
    while seen < n and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += "<-" in line
    assert seen >= n, "the suite did not get going"
    os.kill(proc.pid, sig)


def test_killed_suite_resumes_with_one_row_per_run(tmp_path):
    suite, out = _suite_file(tmp_path), tmp_path / "out"
    plan = {t.run_id for t in load_suite(suite).tasks}
    proc = _start(suite, out)
    _kill_after_rows(proc, 2, signal.SIGKILL)
    proc.wait(30)
    time.sleep(1.5)  # orphaned workers notice their parent is gone and exit
    with ResultStore(out / "results.duckdb", read_only=True) as st:
        before = {r["run_id"]: r for r in st.rows()}
    assert 2 <= len(before) < len(plan)
    assert not json.loads((out / "suite.json").read_text())["complete"]

    again = _start(suite, out, "--resume")
    assert again.wait(180) == 0, again.stderr.read()
    text = again.stdout.read()
    assert f"({len(plan) - len(before)} now, {len(before)} from before)" in text
    with ResultStore(out / "results.duckdb", read_only=True) as st:
        rows = st.rows()
    ids = [r["run_id"] for r in rows]
    assert len(ids) == len(set(ids)) == len(plan) and set(ids) == plan
    for r in rows:
        if r["run_id"] in before:  # not redone
            assert r["finished_at"] == before[r["run_id"]]["finished_at"]
    meta = json.loads((out / "suite.json").read_text())
    assert meta["complete"] and meta["n_stored"] == len(plan)
    csv = (out / "results.csv").read_text().splitlines()
    assert len(csv) == len(plan) + 1


def test_terminated_suite_says_it_is_incomplete_and_refuses_a_fresh_start(tmp_path):
    suite, out = _suite_file(tmp_path), tmp_path / "out"
    proc = _start(suite, out)
    _kill_after_rows(proc, 1, signal.SIGTERM)
    assert proc.wait(60) == 130
    assert "--resume" in proc.stderr.read()
    meta = json.loads((out / "suite.json").read_text())
    assert not meta["complete"] and meta["n_stored"] < meta["n_planned"]
    assert "incomplete" in (out / "report.html").read_text().lower()
    fresh = _start(suite, out)
    assert fresh.wait(60) == 2
    assert "already holds suite 'killme'" in fresh.stderr.read()
