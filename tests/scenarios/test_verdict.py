"""The overall verdict: PASS / FAIL / ERROR, and a run that breaks is ERROR, never PASS."""

from __future__ import annotations

import json

import pytest

from scenarios.evaluation import judge
from scenarios.spec import Criterion
from sim.metrics.base import MetricEvent

PASS = {"name": "a", "status": "pass"}
FAIL = {"name": "b", "status": "fail"}
NOT_EVALUATED = {"name": "c", "status": "not_evaluated"}
BLOCKED = MetricEvent("progress", "agent_blocked", 190.0, 1.0, 2.0, terminal=True)


@pytest.mark.parametrize("records, error, terminal, want", [
    ([PASS, PASS], None, None, "PASS"),
    ([], None, None, "PASS"),
    ([PASS, FAIL], None, None, "FAIL"),
    ([PASS], None, BLOCKED, "FAIL"),
    ([PASS, NOT_EVALUATED], None, None, "ERROR"),
    ([PASS, FAIL, NOT_EVALUATED], None, None, "ERROR"),
    ([PASS], "step 5: RuntimeError: boom", None, "ERROR"),
    ([FAIL], "step 5: RuntimeError: boom", BLOCKED, "ERROR"),
])
def test_judge(records, error, terminal, want):
    verdict, why = judge(records, error, terminal)
    assert verdict == want
    assert (why is not None) == (want == "ERROR")
    if NOT_EVALUATED in records and error is None:
        assert "'c'" in why


def test_a_planner_that_raises_mid_run_gives_an_error_verdict_with_its_evidence(tmp_path,
                                                                                monkeypatch):
    """A planner that works for a while and then raises, as a user's plug-in might."""
    from planners.baselines import IdmLaneFollower
    from scenarios.catalog import builtin_catalog
    from scenarios.publish import run

    calls = {"n": 0}
    original = IdmLaneFollower.compute_plan

    def flaky(self, inp):
        calls["n"] += 1
        if calls["n"] == 31:
            raise RuntimeError("planner lost its map")
        return original(self, inp)

    monkeypatch.setattr(IdmLaneFollower, "compute_plan", flaky)
    monkeypatch.setenv("KAV_SIGNING_KEY", str(tmp_path / "key.pem"))
    spec = builtin_catalog().get("sz-child")
    out = tmp_path / "run"
    result = run(spec, 0, out, planner_name="idm-lane-follower", duration_s=4.0, quiet=True)
    assert result.verdict == "ERROR"
    assert "planner lost its map" in result.error and "step 31" in result.error
    assert result.steps == 30  # what was simulated before the break is kept
    res = json.loads((out / "result.json").read_text())
    assert res["verdict"] == "ERROR" and "planner lost its map" in res["error"]
    junit = (out / "junit.xml").read_text()
    assert "<error" in junit
    assert "ERROR" in (out / "report.html").read_text()


def test_criteria_on_unevaluable_metrics_are_named_in_the_record():
    from scenarios.criteria import Trace, evaluate

    crit = [Criterion("takeover in time", "takeover_lead_s", ">=", 15.0, "s")]
    tr = Trace(*([None] * 16))
    rec = evaluate(crit, tr)[0]
    assert rec["status"] == "not_evaluated" and rec["success"] is False
    assert "takeover_lead_s" in rec["reason"]
