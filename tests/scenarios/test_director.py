"""The storyboard at run time: triggers fire when their conditions first hold, actions move
scripted actors as specified, events chain, the end trigger ends the run."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenarios.conditions import headway, time_to_collision
from scenarios.director import shape_value
from scenarios.runner import simulate
from scenarios.scenario_file import parse_scenario_text

HEAD = """
id = "director-test"
zone = "sangam"
title = "director test"
duration_s = 20.0

[map]
builder = "sangam_dmc_grid"

[ego]
start = { x = 30.0, y = 176.0 }
goal = { x = 850.0, y = 364.0 }
start_speed = 10.0
"""

CUT_IN = HEAD + """
[[actors]]
name = "cutter"
kind = "car"
start = { entity = "ego", ds = 25.0, dlane = 1 }
speed = 9.0

[[actors]]
name = "van"
kind = "car"
behaviour = "parked"
length = 5.2
start = { x = 180.0, y = 178.4, heading = 0.0 }

[[actors]]
name = "walker"
kind = "pedestrian"
start = { x = 120.0, y = 168.0, heading = 1.5708 }

[[acts]]
name = "main"

[[acts.events]]
name = "cut"
actor = "cutter"
when = [{ type = "headway", entity = "ego", ref = "cutter", value = 1.2 }]
actions = [{type = "lane_change", lanes = 0, relative_to = "ego", shape = "sinusoidal", time = 3.0}]

[[acts.events]]
name = "brake"
actor = "cutter"
when = [{ type = "event", event = "cut", state = "end", delay = 1.0 }]
actions = [{ type = "speed", target = 0.0, shape = "linear", rate = 6.0 }]

[[acts.events]]
name = "walk"
actor = "walker"
when = [{ type = "time", value = 2.0 }]
actions = [{ type = "speed", target = 1.5, shape = "step" },
           { type = "acquire_position", position = { x = 121.0, y = 172.0 }, tolerance = 0.3 }]

[end]
when = [{ type = "time", value = 15.0 }]
"""


@pytest.fixture(scope="module")
def cut_in_run(sangam_path):
    spec = parse_scenario_text(CUT_IN, "cut_in.toml").concrete()
    result, hist, net = simulate(spec, 0, sangam_path)
    log = {(e["name"], e["state"]): e["time_s"] for e in result.storyboard}
    return spec, result, hist, log


def _state_like(hist, k):
    """A minimal stand-in for a WorldState at history step k (for the condition measures)."""
    class S:
        pass

    s = S()
    s.x, s.y, s.yaw, s.speed = hist.x[k], hist.y[k], hist.yaw[k], hist.speed[k]
    s.length = np.array([4.9, 4.9, 5.2, 0.5])
    return s


def test_headway_trigger_fires_on_the_first_step_it_holds(cut_in_run):
    spec, result, hist, log = cut_in_run
    k = int(round(log[("cut", "start")] / 0.05))
    assert k > 0
    assert headway(_state_like(hist, k), 0, 1, True) < 1.2
    assert headway(_state_like(hist, k - 1), 0, 1, True) >= 1.2


def test_lane_change_ends_in_the_ego_lane_and_chains_a_hard_brake(cut_in_run):
    spec, result, hist, log = cut_in_run
    t_cut, t_end = log[("cut", "start")], log[("cut", "end")]
    assert t_end == pytest.approx(t_cut + 3.0, abs=0.051)
    k = int(round((t_end + 0.5) / 0.05))
    assert abs(hist.y[k, 1] - hist.y[k, 0]) < 0.4  # cutter now in the ego's lane
    assert abs(hist.y[0, 1] - hist.y[0, 0]) > 3.0  # it started one lane over
    t_brake = log[("brake", "start")]
    assert t_brake == pytest.approx(t_end + 1.0, abs=0.051)
    kb = int(round(t_brake / 0.05))
    v0 = hist.speed[kb, 1]
    decel = -np.diff(hist.speed[kb:kb + 20, 1]) / 0.05
    assert np.allclose(decel[1:], 6.0, atol=0.05)
    assert log[("brake", "end")] == pytest.approx(t_brake + v0 / 6.0, abs=0.06)
    assert hist.speed[-1, 1] == pytest.approx(0.0, abs=1e-6)


def test_pedestrian_walks_to_its_target_and_stands(cut_in_run):
    spec, result, hist, log = cut_in_run
    assert log[("walk", "start")] == pytest.approx(2.0)
    assert hist.speed[int(2.0 / 0.05) - 1, 3] == 0.0
    end = log[("walk", "end")]
    assert end == pytest.approx(2.0 + math.hypot(1.0, 4.0) / 1.5, abs=0.2)
    assert math.hypot(hist.x[-1, 3] - 121.0, hist.y[-1, 3] - 172.0) <= 0.35
    assert hist.speed[-1, 3] == 0.0


def test_parked_actor_never_moves_and_end_trigger_ends_the_run(cut_in_run):
    spec, result, hist, log = cut_in_run
    assert np.ptp(hist.x[:, 2]) == 0.0 and np.ptp(hist.y[:, 2]) == 0.0
    assert result.duration_s == pytest.approx(15.0) and result.steps == 300
    assert log[("end", "end")] == pytest.approx(15.0)


def test_same_scenario_same_history(cut_in_run, sangam_path):
    spec, result, _, _ = cut_in_run
    again, _, _ = simulate(spec, 0, sangam_path)
    assert again.state_history_sha256 == result.state_history_sha256
    assert again.storyboard == result.storyboard


def test_transition_shapes():
    for shape in ("linear", "cubic", "sinusoidal"):
        assert shape_value(shape, 0.0) == 0.0 and shape_value(shape, 1.0) == pytest.approx(1.0)
        assert shape_value(shape, 0.5) == pytest.approx(0.5)
    assert shape_value("step", 0.0) == 1.0
    assert shape_value("cubic", 0.25) < 0.25 < shape_value("cubic", 0.75) - 0.5


def test_ttc_measure():
    class S:
        x = np.array([0.0, 30.0])
        y = np.array([0.0, 0.0])
        yaw = np.array([0.0, 0.0])
        speed = np.array([20.0, 10.0])
        length = np.array([4.0, 4.0])

    assert time_to_collision(S, 0, 1, freespace=True) == pytest.approx((30.0 - 4.0) / 10.0)
    assert time_to_collision(S, 0, 1, freespace=False) == pytest.approx(3.0)
    S.speed = np.array([10.0, 20.0])
    assert time_to_collision(S, 0, 1, True) == math.inf


def test_npc_vehicles_yield_to_a_scripted_pedestrian_on_a_crosswalk(sangam, sangam_engine):
    from sim.engines.embedded import _inside

    poly = sangam.crosswalks.polygon(0)
    cx, cy = poly.mean(axis=0)
    assert _inside(poly, cx, cy) and not _inside(poly, cx + 100.0, cy)
    from sim.actions import Actions
    from sim.state import empty_state

    state = empty_state(2)
    from dataclasses import replace

    valid, kind = state.valid.copy(), state.kind.copy()
    x, y = state.x.copy(), state.y.copy()
    valid[0], kind[0], x[0], y[0] = True, 4, cx, cy
    state = replace(state, valid=valid, kind=kind, x=x, y=y)
    taken = sangam_engine._crosswalks_taken(state, valid & (kind == 4))
    assert taken[0] and taken.sum() == 1
    # and the step accepts the controlled pedestrian (walks it as a unicycle)
    act = Actions.none(2).with_control(0, 1.0, 0.0)
    nxt = sangam_engine.step(state, act, np.random.default_rng(0))
    assert nxt.speed[0] == pytest.approx(0.05) and nxt.x[0] > cx
