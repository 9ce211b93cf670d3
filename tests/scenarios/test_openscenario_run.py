"""A hand-written OpenSCENARIO cut-in (tests/scenarios/data/cut_in.xosc) runs closed loop on
the embedded engine against its own .xodr, and its triggers fire when they should."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scenarios.conditions import distance
from scenarios.map_registry import map_text
from scenarios.openscenario import load_xosc
from scenarios.runner import simulate

DATA = Path(__file__).parent / "data"


class _At:
    """The condition measures read these fields of a state."""

    def __init__(self, hist, k, length):
        self.x, self.y, self.yaw = hist.x[k], hist.y[k], hist.yaw[k]
        self.speed, self.length = hist.speed[k], length


@pytest.fixture(scope="module")
def cut_in(tmp_path_factory):
    spec = load_xosc(DATA / "cut_in.xosc")
    path = tmp_path_factory.mktemp("xosc") / "map.xodr"
    path.write_text(map_text(spec.map))
    result, hist, net = simulate(spec, 0, path)
    log = {(e["name"], e["state"]): e["time_s"] for e in result.storyboard}
    return spec, result, hist, log


def test_cut_in_fires_when_the_gap_first_drops_below_15_m(cut_in):
    spec, result, hist, log = cut_in
    length = np.array([4.9, 4.6])  # ego (car default), CutInVehicle's BoundingBox
    k = int(round(log[("CutInEvent", "start")] / 0.05))
    assert k > 10  # the gap had to close first: it started at 40 m
    gap = [distance(_At(hist, j, length), 1, 0, "longitudinal", True) for j in (k - 1, k)]
    assert gap[0] >= 15.0 > gap[1]


def test_lane_change_then_brake_chain(cut_in):
    spec, result, hist, log = cut_in
    t0, t1 = log[("CutInEvent", "start")], log[("CutInEvent", "end")]
    assert t1 - t0 == pytest.approx(3.0, abs=0.051)
    assert abs(hist.y[0, 1] - hist.y[0, 0]) > 3.0
    k = int(round((t1 + 0.5) / 0.05))
    assert abs(hist.y[k, 1] - hist.y[k, 0]) < 0.4  # in the ego's lane
    tb = log[("BrakeEvent", "start")]
    assert t1 <= tb <= t1 + 0.051
    kb = int(round(tb / 0.05))
    v0 = hist.speed[kb, 1]
    assert log[("BrakeEvent", "end")] == pytest.approx(tb + (v0 - 10.0) / 4.0, abs=0.06)
    assert hist.speed[int(round(log[("BrakeEvent", "end")] / 0.05)) + 2, 1] == pytest.approx(10.0)


def test_run_ends_on_the_stop_trigger_without_collision(cut_in):
    spec, result, hist, log = cut_in
    assert result.duration_s == pytest.approx(30.0)
    assert not any(c.involves_ego for c in result.collisions)


def test_kav_export_then_run_the_exported_file(tmp_path, capsys):
    from scenarios.cli import main

    assert main(["export", "sa-drt-curb", "--xosc", str(tmp_path / "x")]) == 0
    xosc = tmp_path / "x" / "sa-drt-curb.xosc"
    assert xosc.exists() and (tmp_path / "x" / "sa-drt-curb.xodr").exists()
    assert main(["run", str(xosc), "--duration", "8", "--quiet", "--out",
                 str(tmp_path / "run")]) == 0
    import json

    res = json.loads((tmp_path / "run" / "result.json").read_text())
    assert res["scenario"] == "sa-drt-curb"
    assert any(e["name"] == "courier_cuts_in" for e in res["storyboard"])
    assert main(["export", "nope", "--xosc", str(tmp_path)]) == 2
    assert main(["run", str(tmp_path / "missing.xosc")]) == 2
    assert "missing.xosc" in capsys.readouterr().err
