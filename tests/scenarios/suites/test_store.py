"""The results store keeps one row per run, durably, and exports what it holds."""

from __future__ import annotations

import math
import subprocess
import sys

import duckdb
import pytest

from scenarios.suites.rows import COLUMNS, error_row, row_from_result
from scenarios.suites.store import ResultStore, StoreError


def _cols(run_id: str, idx: int) -> dict:
    return {"run_id": run_id, "idx": idx, "suite": "t", "scenario": "gn-rtor",
            "source": "gn-rtor", "params": '{"arrow":true}', "seed": idx, "repetition": 0,
            "planner": ""}


def _row(run_id: str, idx: int, verdict: str = "PASS", ds: float = 80.0) -> dict:
    cols = _cols(run_id, idx)
    result = {"verdict": verdict, "scores": {"carla_lb2": {"driving_score": ds,
                                                           "route_completion": 90.0}},
              "metrics": {"surrogate": {"min_ttc_s": "inf"}, "collisions": {
                  "ego_collisions": 0.0}},
              "criteria": [{"name": "no collision", "success": verdict == "PASS"}],
              "duration_s": 10.0, "state_history_sha256": "ab" * 32}
    return row_from_result(cols, result, 1.5, f"runs/{idx}", "host:1")


def test_row_from_result_reads_scores_metrics_and_keeps_missing_as_nan():
    row = _row("a", 0, "FAIL", 12.5)
    assert list(row) == list(COLUMNS)
    assert row["carla_ds"] == 12.5 and row["carla_rc"] == 90.0
    assert math.isnan(row["nuplan_score"])  # not in the result: NaN, never 0
    assert row["min_ttc_s"] == math.inf  # result.json writes infinity as "inf"
    assert row["failed_criteria"] == "no collision"


def test_append_is_once_per_run_and_rows_come_back_in_plan_order(tmp_path):
    with ResultStore(tmp_path / "r.duckdb") as st:
        assert st.append(_row("b", 1))
        assert st.append(_row("a", 0, "FAIL", 10.0))
        assert not st.append(_row("a", 0, "PASS", 99.0))  # a second row for run a: refused
        err = error_row(_cols("c", 2), "timed out after 5 s", 5.0, "h:2")
        assert st.append(err)
        assert st.count() == 3 and st.done_ids() == {"a", "b", "c"}
    with ResultStore(tmp_path / "r.duckdb", read_only=True) as st:
        rows = st.rows()
    assert [r["run_id"] for r in rows] == ["a", "b", "c"]
    assert rows[0]["verdict"] == "FAIL" and rows[0]["carla_ds"] == 10.0
    assert rows[2]["verdict"] == "ERROR" and rows[2]["error"] == "timed out after 5 s"
    assert math.isnan(rows[2]["carla_ds"]) and rows[1]["min_ttc_s"] == math.inf


def test_exports_parquet_and_csv_with_every_row(tmp_path):
    with ResultStore(tmp_path / "r.duckdb") as st:
        for i in range(4):
            st.append(_row(f"id{i}", i))
        files = st.export(tmp_path)
    assert [f.name for f in files] == ["results.parquet", "results.csv"]
    con = duckdb.connect()
    got = con.execute(f"SELECT run_id, carla_ds FROM '{tmp_path / 'results.parquet'}' "
                      "ORDER BY idx").fetchall()
    assert got == [(f"id{i}", 80.0) for i in range(4)]
    lines = (tmp_path / "results.csv").read_text().splitlines()
    assert lines[0].split(",")[:3] == ["run_id", "idx", "suite"] and len(lines) == 5
    assert not list(tmp_path.glob(".*tmp*"))


def test_rows_survive_a_killed_writer(tmp_path):
    """A suite process killed right after a row was appended keeps that row."""
    path = tmp_path / "r.duckdb"
    code = ("import os, sys\nfrom scenarios.suites.store import ResultStore\n"
            "from tests.scenarios.suites.test_store import _row\n"
            f"st = ResultStore({str(path)!r})\n"
            "for i in range(3):\n    st.append(_row(f'k{i}', i))\n"
            "os._exit(9)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    with ResultStore(path, read_only=True) as st:
        assert st.done_ids() == {"k0", "k1", "k2"}


def test_missing_locked_and_foreign_stores_are_named(tmp_path):
    with pytest.raises(StoreError, match="no results store"):
        ResultStore(tmp_path / "none.duckdb", read_only=True)
    foreign = tmp_path / "other.duckdb"
    con = duckdb.connect(str(foreign))
    con.execute("CREATE TABLE runs (x INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="columns"):
        ResultStore(foreign)
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database" * 100)
    with pytest.raises(StoreError, match="junk.duckdb"):
        ResultStore(junk)
