"""`kav search` finds the failing region of a scenario whose failures are known by
construction, and writes the worst case as a scenario that fails when run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.suites.pool import LocalPool
from scenarios.suites.search import cost_of, run_search

SCENARIO = Path(__file__).parent / "data" / "stalled-gap.toml"


class CountingPool(LocalPool):
    """The local pool, counting the runs it is given."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.given = 0

    def run(self, tasks, on_row):
        tasks = list(tasks)
        self.given += len(tasks)
        super().run(tasks, on_row)


def _unavoidable(params: dict) -> bool:
    """Centre gap below one car length + the stopping distance at 9 m/s^2: no vehicle stops."""
    return params["gap"] < 4.6 + params["ego_speed"] ** 2 / (2 * 9.0)


def test_search_finds_the_known_failing_region_and_writes_a_failing_scenario(tmp_path):
    out = tmp_path / "search"
    pool = CountingPool(2, str(out))
    res = run_search(str(SCENARIO), out, pool, budget=12, objective="ttc", seed=1,
                     duration_s=4.0, top=2, progress=False)
    assert len(res.rows) == 12 and pool.given == 12
    params = [json.loads(r["params"]) for r in res.rows]
    # every candidate stays in the declared ranges
    assert all(6.0 <= p["gap"] <= 80.0 and 8.0 <= p["ego_speed"] <= 14.0 for p in params)
    # physics check of the construction: wherever no vehicle could stop, the run fails
    for p, r in zip(params, res.rows):
        if _unavoidable(p):
            assert r["verdict"] == "FAIL" and r["ego_collisions"] >= 1, p
    cost, worst, path = res.worst[0]
    assert worst["verdict"] == "FAIL" and cost < 0  # a collision: minus its impact speed
    assert json.loads(worst["params"])["gap"] < 25.0
    assert cost == min(res.costs)
    # the search moved towards the failing region: the last generation fails more often
    first, last = res.rows[:4], res.rows[-4:]
    assert sum(r["verdict"] == "FAIL" for r in last) >= sum(r["verdict"] == "FAIL"
                                                           for r in first)

    # the written worst case is a ready-to-run concrete scenario that fails the same way
    from scenarios.scenario_file import read_scenario_file
    from scenarios.suites.plan import RunTask
    from scenarios.suites.worker import execute

    logical = read_scenario_file(path)
    assert logical.concrete().parameters == tuple(sorted(json.loads(worst["params"]).items()))
    rerun = execute(RunTask(0, "x", "t", "stalled-gap", str(path), path.name, (), 0, 0, 4.0,
                            None, True, 120.0, "results", "rerun"), str(tmp_path))
    assert rerun["verdict"] == "FAIL"
    assert rerun["state_sha256"] == worst["state_sha256"]
    meta = json.loads((out / "search.json").read_text())
    assert meta["complete"] and meta["worst"][0]["file"] == "worst-1.toml"
    assert (out / "report.html").is_file() and (out / "results.csv").is_file()

    # resuming a finished search asks the same candidates and runs none of them again
    again = CountingPool(2, str(out))
    res2 = run_search(str(SCENARIO), out, again, budget=12, objective="ttc", seed=1,
                      duration_s=4.0, top=2, resume=True, progress=False)
    assert again.given == 0
    assert [r["run_id"] for r in res2.rows] == [r["run_id"] for r in res.rows]


def test_search_settings_must_match_to_resume_and_ranges_must_be_declared(tmp_path):
    out = tmp_path / "s"
    out.mkdir()
    (out / "search.json").write_text(json.dumps({"scenario": str(SCENARIO), "budget": 5}))
    with pytest.raises(ValueError, match="already holds a search"):
        run_search(str(SCENARIO), out, LocalPool(1, str(out)), budget=4, progress=False)
    with pytest.raises(ValueError, match="budget"):
        run_search(str(SCENARIO), out, LocalPool(1, str(out)), budget=4, resume=True,
                   progress=False)
    # kc-toll-tunnel-workzone declares no parameters: nothing to search
    with pytest.raises(ValueError):
        run_search("kc-toll-tunnel-workzone", tmp_path / "k", LocalPool(1, str(tmp_path)),
                   budget=4, progress=False)


def test_costs_per_objective():
    nan = float("nan")
    row = {"carla_ds": 40.0, "nuplan_score": 0.5, "ego_collisions": 0.0, "min_ttc_s": 1.2,
           "max_impact_speed_mps": 0.0}
    assert cost_of(row, "score") == 40.0 and cost_of(row, "nuplan") == 0.5
    assert cost_of(row, "ttc") == 1.2
    assert cost_of(row | {"ego_collisions": 1.0, "max_impact_speed_mps": 7.0}, "ttc") == -7.0
    assert cost_of(row | {"ego_collisions": nan, "min_ttc_s": nan}, "ttc") != 0.0
    # fail: any FAIL below any PASS, then by driving score; ERROR teaches nothing
    assert cost_of(row | {"verdict": "FAIL", "carla_ds": 99.0}, "fail") == -1.0
    assert cost_of(row | {"verdict": "PASS", "carla_ds": 0.5}, "fail") == 0.5
    assert cost_of(row | {"verdict": "ERROR"}, "fail") != cost_of(row | {"verdict": "ERROR"},
                                                                   "fail")  # NaN
