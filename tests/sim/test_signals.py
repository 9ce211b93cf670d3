"""Korean signal timing: formulas against hand-computed values, phase order, pedestrian walk."""

import math

import numpy as np
import pytest

from sim.roadnet.frame import wrap_angle
from sim.roadnet.network import Turn
from sim.traffic.signals import (
    PED_DONT_WALK,
    PED_WALK,
    SIG_GREEN,
    SIG_NONE,
    SIG_RED,
    SIG_YELLOW,
    SignalTiming,
    crosswalk_states,
    crosswalk_time_to_change_us,
    korean_plan,
    lane_states,
    lane_time_to_change_us,
    movement_crosses,
    pedestrian_green,
    yellow_and_all_red,
)

T = SignalTiming()
V50 = 50 / 3.6


@pytest.mark.parametrize("width, yellow, all_red", [
    # Y = 1.0 + V/(2*5) + (W + 4.9)/V - 1.5
    (30.0, 1.0 + V50 / 10 + 34.9 / V50 - 1.5, 1.0),   # 3.40 s: all of it yellow, 1 s all-red
    (60.0, 5.0, 1.0),                                  # 5.56 s: yellow capped at 5 s
    (80.0, 5.0, 2.0),                                  # 7.00 s: remainder capped at 2 s
])
def test_yellow_formula(width, yellow, all_red):
    y, ar = yellow_and_all_red(V50, width, T)
    assert y == pytest.approx(yellow, abs=1e-9) and ar == pytest.approx(all_red, abs=1e-9)


def test_pedestrian_green():
    assert pedestrian_green(20.0, T) == 27.0  # 7 s + 1 s per metre


@pytest.fixture(scope="module")
def plan(sangam):
    return korean_plan(sangam)


def test_straight_then_left_and_axes(sangam, plan):
    ln = sangam.lanes
    four_way = [jp for jp in plan.junctions if len(jp.phases) == 4]
    assert four_way, "the Sangam grid has signalised four-way junctions with left turns"
    for jp in plan.junctions:
        names = [p.name.split(":")[1] for p in jp.phases]
        for axis in {p.name.split(":")[0] for p in jp.phases}:
            kinds = [p.name.split(":")[1] for p in jp.phases if p.name.startswith(axis)]
            if "straight" in kinds and "left" in kinds:
                assert kinds.index("straight") < kinds.index("left")
        for p in jp.phases:
            turns = {int(ln.turn[lane]) for lane in p.lanes}
            if p.name.endswith("straight"):
                assert turns <= {Turn.STRAIGHT, Turn.RIGHT}
            if p.name.endswith("left"):
                assert turns <= {Turn.LEFT, Turn.UTURN}
        assert jp.cycle_s == pytest.approx(sum(p.green_s + p.yellow_s + p.all_red_s
                                               for p in jp.phases))
        assert len(names) == len(set(p.name for p in jp.phases))


def test_opposing_approaches_share_the_straight_phase(sangam, plan):
    ln, pts = sangam.lanes, sangam.points
    for jp in plan.junctions:
        for p in jp.phases:
            if not p.name.endswith("straight"):
                continue
            heads = {round(float(pts.heading[ln.pt_ptr[lane]]), 1) for lane in p.lanes
                     if ln.turn[lane] == Turn.STRAIGHT}
            for a in heads:  # every straight heading is one of two opposite directions
                assert all(abs(wrap_angle(a - b)) < 0.3 or abs(abs(wrap_angle(a - b)) - math.pi)
                           < 0.3 for b in heads)


def test_lane_state_windows(plan):
    lane = int(np.flatnonzero(plan.cycle_us > 0)[0])
    off, g0, g1, y1 = (int(plan.offset_us[lane]), int(plan.green_start_us[lane]),
                       int(plan.green_end_us[lane]), int(plan.yellow_end_us[lane]))
    at = lambda t: lane_states(plan, off + t)[lane]  # noqa: E731
    assert at(g0 + 10) == SIG_GREEN and at(g1 - 10) == SIG_GREEN
    assert at(g1) == SIG_YELLOW and at(y1 - 1) == SIG_YELLOW
    assert at(y1) == SIG_RED
    assert at(g0 + int(plan.cycle_us[lane])) == SIG_GREEN  # periodic
    unsignalised = np.flatnonzero(plan.cycle_us == 0)
    assert np.all(lane_states(plan, 0)[unsignalised] == SIG_NONE)


def test_pedestrian_walk_inside_its_phase_and_long_enough(sangam, plan):
    cw = sangam.crosswalks
    assert np.any(plan.cw_cycle_us > 0)
    for c in np.flatnonzero(plan.cw_cycle_us > 0):
        length = float(np.hypot(np.diff(cw.end_x[c]), np.diff(cw.end_y[c]))[0])
        walk = (plan.cw_walk_end_us[c] - plan.cw_walk_start_us[c]) / 1e6
        assert walk >= 7.0 + length - 3.0  # 7 s + 1 s/m over the painted length
        t = int(plan.cw_offset_us[c] + plan.cw_walk_start_us[c] + 1)
        assert crosswalk_states(plan, t)[c] == PED_WALK
        # no straight or left movement that drives over this crosswalk is green meanwhile
        states = lane_states(plan, t)
        ln = sangam.lanes
        for lane in np.flatnonzero(states == SIG_GREEN):
            if ln.turn[lane] in (Turn.STRAIGHT, Turn.LEFT):
                assert not movement_crosses(sangam, int(lane), int(c))
        t_end = int(plan.cw_offset_us[c] + plan.cw_walk_end_us[c] + 1)
        assert crosswalk_states(plan, t_end)[c] == PED_DONT_WALK


def test_time_to_change_is_exactly_when_the_state_changes(plan):
    """What an RSU puts into SPaT: every signalised lane keeps its state until exactly
    ``time_to_change`` and changes then (lanes and pedestrian signals); -1 unsignalised."""
    on = np.flatnonzero(plan.cycle_us)
    cw_on = np.flatnonzero(plan.cw_cycle_us)
    for t in range(0, 130_000_000, 1_700_000):
        ttc = lane_time_to_change_us(plan, t)
        assert (ttc[plan.cycle_us == 0] == -1).all() and (ttc[on] > 0).all()
        now = lane_states(plan, t)
        for lane in on[::3]:
            k = int(ttc[lane])
            assert lane_states(plan, t + k - 1)[lane] == now[lane]
            assert lane_states(plan, t + k)[lane] != now[lane]
        cttc = crosswalk_time_to_change_us(plan, t)
        cnow = crosswalk_states(plan, t)
        for c in cw_on:
            k = int(cttc[c])
            assert crosswalk_states(plan, t + k - 1)[c] == cnow[c]
            assert crosswalk_states(plan, t + k)[c] != cnow[c]
