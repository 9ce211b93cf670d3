"""The local pool: runs in parallel, and a run whose worker dies or hangs becomes an ERROR
row while the suite goes on."""

from __future__ import annotations

from pathlib import Path

from scenarios.suites.plan import expand
from scenarios.suites.pool import LocalPool
from scenarios.suites.worker import execute

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

DATA = Path(__file__).parent / "data"
BAD = "tests.scenarios.suites.misbehaving"


def _tasks(extra: str = ""):
    text = f"""
name = "pool"
outputs = "results"
[[runs]]
scenario = "stalled-gap.toml"
grid = {{ gap = [10.0, 60.0] }}
duration_s = 2.0
{extra}
"""
    return expand(tomllib.loads(text), "pool.toml", DATA).tasks


def test_pool_rows_equal_running_in_this_process(tmp_path):
    tasks = _tasks()
    rows = []
    LocalPool(2, str(tmp_path / "pool")).run(tasks, rows.append)
    assert sorted(r["run_id"] for r in rows) == sorted(t.run_id for t in tasks)
    here = {t.run_id: execute(t, str(tmp_path / "here")) for t in tasks}
    for r in rows:
        h = here[r["run_id"]]
        assert r["verdict"] == h["verdict"] and r["state_sha256"] == h["state_sha256"] != ""
        assert r["carla_ds"] == h["carla_ds"]
        assert (tmp_path / "pool" / r["out_dir"] / "result.json").is_file()
    # the gap of 10 m cannot be stopped in; 60 m can
    by_gap = {r["params"]: r["verdict"] for r in rows}
    assert by_gap['{"gap":10.0}'] == "FAIL" and by_gap['{"gap":60.0}'] == "PASS"


def test_a_crashing_and_a_hanging_run_become_error_rows_and_the_suite_goes_on(tmp_path):
    good = _tasks()
    crash = _tasks(f'planner = "{BAD}:Crash"')[:1]
    hang = _tasks(f'planner = "{BAD}:Hang"\ntimeout_s = 4.0')[:1]
    from dataclasses import replace

    tasks = [replace(t, idx=i) for i, t in enumerate([crash[0], hang[0], *good])]
    rows = []
    LocalPool(2, str(tmp_path)).run(tasks, rows.append)
    by_id = {r["run_id"]: r for r in rows}
    assert len(rows) == len(by_id) == 4
    c, h = by_id[crash[0].run_id], by_id[hang[0].run_id]
    assert c["verdict"] == "ERROR" and "worker process died (exit code 11)" in c["error"]
    assert h["verdict"] == "ERROR" and "timed out after 4 s" in h["error"]
    assert 4.0 <= h["wall_time_s"] < 30.0
    assert all(by_id[t.run_id]["verdict"] in ("PASS", "FAIL") for t in good)


def test_a_run_that_raises_is_an_error_row_without_losing_the_worker(tmp_path):
    t = _tasks('planner = "no.such.module:Planner"')[0]
    row = execute(t, str(tmp_path))
    assert row["verdict"] == "ERROR" and "no.such.module" in row["error"]
    assert row["run_id"] == t.run_id and row["wall_time_s"] > 0
