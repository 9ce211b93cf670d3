"""`kav run`: outputs, determinism across processes, crash safety, CLI errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scenarios.catalog import builtin_catalog
from scenarios.cli import main
from scenarios.outputs import RunFolder
from scenarios.spec import EgoSpec, MapRef, ScenarioCatalog, ScenarioSpec
from scenarios.storyboard import WorldPosition


def _kav(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "scenarios.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "demo"
    proc = _kav("run", "sangam-grid-demo", "--seed", "3", "--duration", "6", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out, proc


def test_run_writes_result_picture_and_map(short_run):
    out, proc = short_run
    assert {p.name for p in out.iterdir()} == {"result.json", "bev.png", "map.xodr",
                                               "junit.xml", "recording.mcap", "report.html"}
    res = json.loads((out / "result.json").read_text())
    assert res["scenario"] == "sangam-grid-demo" and res["seed"] == 3
    assert res["duration_s"] == 6.0 and res["steps"] == 120
    assert res["code_version"]["package"]
    assert isinstance(res["collisions"], list) and res["n_collisions"] == len(res["collisions"])
    assert res["wall_time_s"] > res["loop_time_s"] > 0 and res["compile_time_s"] >= 0
    assert res["realtime_factor"] == pytest.approx(6.0 / res["loop_time_s"])
    assert res["code_version"]["dependencies"]["numpy"]
    assert len(res["state_history_sha256"]) == 64
    assert res["counts"] == {"vehicles": 150, "pedestrians": 40, "actors": 0}
    assert res["verdict"] == "PASS" and {c["status"] for c in res["criteria"]} == {"pass"}
    assert (out / "bev.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "[   5.0/6.0 s]" not in proc.stdout  # progress every 10 s of simulated time
    assert "results in" in proc.stdout


def test_same_seed_same_history_in_another_process(short_run, tmp_path):
    out, _ = short_run
    first = json.loads((out / "result.json").read_text())["state_history_sha256"]
    again = _kav("run", "sangam-grid-demo", "--seed", "3", "--duration", "6", "--quiet",
                 "--out", str(tmp_path / "again"))
    other = _kav("run", "sangam-grid-demo", "--seed", "4", "--duration", "6", "--quiet",
                 "--out", str(tmp_path / "other"))
    assert again.returncode == 0 and other.returncode == 0, again.stderr + other.stderr
    assert again.stdout == ""
    second = json.loads((tmp_path / "again" / "result.json").read_text())
    assert second["state_history_sha256"] == first
    third = json.loads((tmp_path / "other" / "result.json").read_text())
    assert third["state_history_sha256"] != first


def test_run_folder_publishes_only_complete_runs(tmp_path):
    out = tmp_path / "run"
    with RunFolder(out) as stage:
        (stage / "result.json").write_text("{}")
    assert (out / "result.json").exists()
    with pytest.raises(RuntimeError), RunFolder(out) as stage:
        (stage / "bev.png").write_text("half")
        raise RuntimeError("crash mid-run")
    assert (out / "result.json").read_text() == "{}"  # the earlier complete run is untouched
    assert not (out / "bev.png").exists()
    with RunFolder(out) as stage:
        (stage / "result.json").write_text('{"new": 1}')
    assert json.loads((out / "result.json").read_text()) == {"new": 1}
    assert (tmp_path / "run.prev" / "result.json").read_text() == "{}"


def test_cli_errors(capsys, tmp_path):
    assert main(["run", "no-such-scenario"]) == 2
    assert "unknown scenario 'no-such-scenario'" in capsys.readouterr().err
    assert main(["run", "sangam-grid-demo", "--seed", "-1"]) == 2
    assert main(["run", "sangam-grid-demo", "--duration", "0"]) == 2
    assert main(["run", "sangam-grid-demo", "--planner", "nope", "--out",
                 str(tmp_path / "x")]) == 1
    assert "unknown planner 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert main(["scenarios"]) == 0
    assert "sangam-grid-demo" in capsys.readouterr().out


def test_catalog_and_spec_validation():
    demo = builtin_catalog().get("sangam-grid-demo")
    with pytest.raises(ValueError, match="already in the catalogue"):
        ScenarioCatalog([demo, demo])
    ego = EgoSpec(WorldPosition(0, 0), WorldPosition(1, 1))
    with pytest.raises(ValueError, match="clock: '25:00' is not HH:MM"):
        ScenarioSpec("x", "z", "t", MapRef("sangam_dmc_grid"), ego, clock="25:00")
    with pytest.raises(ValueError, match="lower-case"):
        ScenarioSpec("Bad Id", "z", "t", MapRef("m"), ego)


def test_default_output_folder(tmp_path):
    proc = _kav("run", "sangam-grid-demo", "--duration", "1", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (Path(tmp_path) / "runs" / "sangam-grid-demo-0" / "result.json").exists()


def test_infinite_metrics_are_written_as_strings_not_invalid_json(tmp_path):
    """A criterion whose value is infinite (stop error of an ego that never came to rest)
    must not break result.json (strict JSON has no Infinity)."""
    from scenarios.runner import _json_safe

    assert _json_safe({"a": [1.0, float("inf"), {"b": float("-inf")}], "c": float("nan")}) \
        == {"a": [1.0, "inf", {"b": "-inf"}], "c": "nan"}
    spec = next(s for s in builtin_catalog() if s.id == "os-drt-station")
    out = tmp_path / "os"
    proc = _kav("run", "os-drt-station", "--duration", "3", "--quiet", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    res = json.loads((out / "result.json").read_text())
    stop = next(c for c in res["criteria"] if c["metric"] == "stop_error_m")
    assert stop["actual"] == "inf" and stop["status"] == "fail"
    assert spec.id == res["scenario"]
