"""JUnit XML of a run: counts per status, the run case, and text that survives escaping."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from scenarios.junit import junit_xml, write_junit

NASTY = 'brake <hard> & "stop" 정지선 준수'


def _result(**over) -> dict:
    res = {
        "scenario": "cut-in-한강", "seed": 7, "verdict": "FAIL", "error": None,
        "wall_time_s": 3.25, "duration_s": 30.0,
        "state_history_sha256": "ab" * 32,
        "map": {"name": "grid", "sha256": "cd" * 32, "source": "built"},
        "recording": {"path": "recording.mcap", "final_hash": "ef" * 32,
                      "public_key_fingerprint": "0123456789abcdef"},
        "scores": {"carla_lb2": {"driving_score": 0.42, "route_completion": 0.7,
                                 "infraction_penalty": 0.6, "status": "Completed",
                                 "counts": {}},
                   "nuplan": {"score": 0.5, "multipliers": {}, "weighted": {}}},
        "criteria": [
            {"name": "no collision", "metric": "collision_count", "actor": "ego",
             "expected": "<= 0 count", "actual": 1.0, "status": "fail"},
            {"name": NASTY, "metric": "min_ttc", "actor": "ego", "expected": ">= 1.5 s",
             "actual": "inf", "status": "pass"},
            {"name": "take-over time", "metric": "takeover_time", "actor": "ego",
             "expected": "<= 4 s", "actual": None, "status": "not_evaluated",
             "reason": "kav has no evaluator for 'takeover_time' yet"},
        ],
    }
    res.update(over)
    return res


def _cases(root) -> dict[str, ET.Element]:
    return {c.get("name"): c for c in root.iter("testcase")}


def test_counts_and_cases():
    root = ET.fromstring(junit_xml(_result()))
    assert root.tag == "testsuite"
    assert root.get("name") == "kav.cut-in-한강"
    assert (root.get("tests"), root.get("failures"), root.get("errors"),
            root.get("skipped")) == ("4", "1", "0", "1")
    assert float(root.get("time")) == 3.25
    cases = _cases(root)
    assert set(cases) == {"no collision", NASTY, "take-over time", "run"}
    assert all(c.get("classname") == "kav.cut-in-한강" for c in cases.values())
    fail = cases["no collision"].find("failure")
    assert "<= 0 count" in fail.get("message") and "1" in fail.get("message")
    assert cases["take-over time"].find("skipped").get("message") == "not evaluated"
    assert len(cases[NASTY]) == 0 and len(cases["run"]) == 0
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["seed"] == "7"
    assert props["carla_lb2.driving_score"] == "0.42"
    assert props["state_history_sha256"] == "ab" * 32
    assert props["recording.final_hash"] == "ef" * 32


def test_error_verdict_is_an_error_case():
    err = 'step 12 (t = 1.10 s): ValueError: bad <input> & "quotes"\x1b[31m\nTraceback ...'
    root = ET.fromstring(junit_xml(_result(verdict="ERROR", error=err, criteria=[])))
    assert (root.get("tests"), root.get("errors"), root.get("failures")) == ("1", "1", "0")
    e = _cases(root)["run"].find("error")
    assert e.get("message").startswith('step 12 (t = 1.10 s): ValueError: bad <input> & "')
    assert "Traceback" in e.text


def test_fail_without_failed_criterion_marks_the_run():
    res = _result(criteria=[], terminated={"kind": "agent_blocked", "time_s": 190.0,
                                           "detail": "stuck behind a bus"})
    root = ET.fromstring(junit_xml(res))
    f = _cases(root)["run"].find("failure")
    assert "agent_blocked" in f.get("message") and root.get("failures") == "1"


def test_missing_keys_never_pass(tmp_path):
    path = tmp_path / "junit.xml"
    write_junit(path, {})
    root = ET.parse(path).getroot()
    assert root.get("name") == "kav.unknown"
    assert root.get("errors") == "1"
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["seed"] == "not recorded"


def test_lower_case_verdict_of_older_results():
    root = ET.fromstring(junit_xml(_result(verdict="pass", criteria=[])))
    assert root.get("errors") == "0" and root.get("failures") == "0"
