"""A local Ray instance gives the same rows as the local pool for the same plan."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from scenarios.suites.plan import expand
from scenarios.suites.pool import LocalPool

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ray = pytest.importorskip("ray")
DATA = Path(__file__).parent / "data"
# where and when a run happened differs between backends; nothing else may
_CIRCUMSTANCES = {"wall_time_s", "worker", "finished_at", "error"}


def test_local_ray_and_local_pool_give_identical_rows(tmp_path):
    from scenarios.suites.ray_backend import RayPool

    text = """
name = "ray"
outputs = "results"
[[runs]]
scenario = "stalled-gap.toml"
grid = { gap = [10.0, 60.0] }
seeds = [0, 3]
duration_s = 2.0
[[runs]]
scenario = "stalled-gap.toml"
params = { gap = 30.0 }
planner = "tests.scenarios.suites.misbehaving:Crash"
duration_s = 2.0
"""
    tasks = expand(tomllib.loads(text), "ray.toml", DATA).tasks
    local, remote = [], []
    LocalPool(2, str(tmp_path / "local")).run(tasks, local.append)
    RayPool("local", str(tmp_path / "ray"), workers=2).run(tasks, remote.append)
    assert not ray.is_initialized()  # the instance it started is shut down
    a = {r["run_id"]: r for r in local}
    b = {r["run_id"]: r for r in remote}
    assert set(a) == set(b) == {t.run_id for t in tasks}
    for rid in a:
        ra = {k: v for k, v in a[rid].items() if k not in _CIRCUMSTANCES}
        rb = {k: v for k, v in b[rid].items() if k not in _CIRCUMSTANCES}
        # a killed run's staging folder is named after the process that ran it
        ra["out_dir"], rb["out_dir"] = (r["out_dir"].split(".partial-")[0] for r in (ra, rb))
        assert ra.keys() == rb.keys()
        for k in ra:
            same = ra[k] == rb[k] or (ra[k] != ra[k] and rb[k] != rb[k])  # NaN == NaN
            assert same, (rid, k, ra[k], rb[k])
    crashed = a[tasks[-1].run_id], b[tasks[-1].run_id]
    assert [r["verdict"] for r in crashed] == ["ERROR", "ERROR"]
    assert all("worker process died" in r["error"] for r in crashed)
    assert all(".partial-" in r["out_dir"] for r in crashed)  # what it wrote is kept
    assert sum(r["verdict"] == "FAIL" for r in local) == 2  # the 10 m gaps


@pytest.mark.slow
def test_ray_timeout_gives_an_error_row(tmp_path):
    from scenarios.suites.ray_backend import RayPool

    text = """
name = "ray-hang"
outputs = "results"
[[runs]]
scenario = "stalled-gap.toml"
planner = "tests.scenarios.suites.misbehaving:Hang"
duration_s = 2.0
timeout_s = 3.0
"""
    tasks = [replace(t, timeout_s=3.0) for t in
             expand(tomllib.loads(text), "ray.toml", DATA).tasks]
    rows = []
    RayPool("local", str(tmp_path), workers=1).run(tasks, rows.append)
    assert len(rows) == 1 and rows[0]["verdict"] == "ERROR"
    assert "timed out after 3 s" in rows[0]["error"]
