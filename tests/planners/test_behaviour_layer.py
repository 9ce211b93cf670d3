"""The behaviour layer on the Sangam map: which rule binds, where, and when it lets go.

Each case builds the corridor the reference stack would drive and asks ``decide`` directly,
with signal states and perceived objects chosen by the test.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from planners.behaviour.corridor import build_corridor
from planners.behaviour.layer import BehaviourLayer
from planners.behaviour.types import EgoView, Perceived
from sim.actors import ActorKind
from sim.roadnet.network import Turn
from sim.roadnet.queries import locate
from sim.roadnet.queries import route as plan_route
from sim.traffic.signals import PED_DONT_WALK, PED_WALK, SIG_GREEN, SIG_RED

HALF = 2.45  # [m] half a car's length
NONE = Perceived(*(np.zeros(0) for _ in range(6)), np.zeros(0, np.int8))


def _setup(net, start, goal, s_back=0.0):
    route = plan_route(net, start, goal, ActorKind.CAR, 8 * 3600.0)
    loc = locate(net, [start[0]], [start[1]])
    lane, s = int(loc.lane[0]), float(loc.s[0])
    cor = build_corridor(net, route, lane, s, 0, 200.0)
    return route, cor, cor.path_s(0, s)


def _states(net, lanes=SIG_GREEN, cw=PED_DONT_WALK):
    return (np.full(net.lanes.n, lanes, np.int8), np.full(net.crosswalks.n, cw, np.int8))


def _ego(s, v=10.0):
    return EgoView(s, v, HALF, 1.86)


def _rules(dec):
    return {c.rule for c in dec.active}


def test_spat_time_to_change_stops_before_a_green_that_will_not_last(sangam):
    route, cor, s0 = _setup(sangam, (140.0, 175.125), (400.0, 175.125))
    layer = BehaviourLayer(sangam)
    lanes, cws = _states(sangam)
    ego = _ego(s0, 12.0)  # 51 m before the stop line at 12 m/s
    assert "signal" not in _rules(layer.decide(0, cor, ego, NONE, lanes, cws, np.inf))
    ttc = np.full(sangam.lanes.n, np.nan)
    ttc[928] = 2.0  # the straight movement turns yellow in 2 s; clearing takes ~8 s
    dec = layer.decide(0, cor, ego, NONE, lanes, cws, np.inf, time_to_change=ttc)
    sig = [c for c in dec.active if c.rule == "signal"]
    assert sig and "SPaT" in sig[0].reason and dec.s_stop == pytest.approx(sig[0].s)
    ttc[928] = 30.0
    assert "signal" not in _rules(layer.decide(0, cor, ego, NONE, lanes, cws, np.inf,
                                               time_to_change=ttc))


def test_right_turn_arrow_overrides_the_full_stop_rule(sangam):
    route, cor, s0 = _setup(sangam, (150.0, 171.875), (213.5, 80.0))
    line = cor.path_s(0, float(sangam.lanes.stop_s[109]))
    lanes, cws = _states(sangam, SIG_RED)
    arrows = np.zeros(sangam.lanes.n, bool)
    arrows[930] = True  # the right turn 109 -> 930 has its own arrow head
    at_line = _ego(line - HALF - 0.5, 0.0)
    for with_arrow, expect_stop_after in ((False, False), (True, True)):
        layer = BehaviourLayer(sangam)
        a = arrows if with_arrow else None
        first = layer.decide(0, cor, at_line, NONE, lanes, cws, np.inf, arrows=a)
        assert "right_turn" in _rules(first)  # stand first in both cases
        later = layer.decide(2_000_000, cor, at_line, NONE, lanes, cws, np.inf, arrows=a)
        assert ("right_turn" in _rules(later)) is expect_stop_after
    lanes[930] = SIG_GREEN  # green arrow: go, no stop needed
    layer = BehaviourLayer(sangam)
    dec = layer.decide(0, cor, _ego(line - 20.0, 8.0), NONE, lanes, cws, np.inf, arrows=arrows)
    assert "right_turn" not in _rules(dec)


def test_uturn_plate_condition(sangam):
    # make the left turn 16 -> 884 a signed U-turn (the grid has none), plate "ped_green"
    turn = sangam.lanes.turn.copy()
    turn[884] = Turn.UTURN
    net = dataclasses.replace(sangam, lanes=dataclasses.replace(sangam.lanes, turn=turn))
    route, cor, s0 = _setup(net, (165.0, 0.0), (223.25, 100.0))
    assert 884 in cor.lanes
    lanes, cws = _states(net, SIG_GREEN, PED_DONT_WALK)
    layer = BehaviourLayer(net, uturn_plates={884: "ped_green"})
    dec = layer.decide(0, cor, _ego(s0, 8.0), NONE, lanes, cws, np.inf)
    assert "uturn" in _rules(dec)  # left-turn green, but the plate says pedestrian green
    near = [int(c) for q in (16, 884, 462)
            for c in net.crosswalks.lane_cw[net.crosswalks.lane_ptr[q]:
                                            net.crosswalks.lane_ptr[q + 1]]]
    cws[near] = PED_WALK
    dec = layer.decide(0, cor, _ego(s0, 8.0), NONE, lanes, cws, np.inf)
    assert "uturn" not in _rules(dec)
    # no plate: a permissive U-turn, governed by the left-turn signal only
    plain = BehaviourLayer(net)
    lanes[884] = SIG_RED
    assert {"uturn"} & _rules(plain.decide(0, cor, _ego(s0, 8.0), NONE, lanes, cws,
                                           np.inf)) == set()
    assert "signal" in _rules(plain.decide(0, cor, _ego(s0, 8.0), NONE, lanes, cws, np.inf))


def _van(x, y):
    return Perceived(np.array([x]), np.array([y]), np.zeros(1), np.zeros(1), np.array([6.0]),
                     np.array([2.2]), np.array([int(ActorKind.TRUCK)], np.int8))


def test_lateral_band_passes_stopped_vehicles_only_across_dashed_lines(sangam):
    route, cor, s0 = _setup(sangam, (100.0, 175.125), (400.0, 175.125))
    lanes, cws = _states(sangam)
    free = BehaviourLayer(sangam).decide(0, cor, _ego(s0), NONE, lanes, cws, np.inf)
    assert free.d_max < 1.0 and free.d_min > -1.0  # moving traffic: stay in lane
    for is_bus in (False, True):
        dec = BehaviourLayer(sangam, is_bus=is_bus).decide(0, cor, _ego(s0),
                                                           _van(150.0, 175.125), lanes, cws,
                                                           np.inf)
        # blocked by a stopped van: pass on the right (general lane 109, dashed line); the
        # median bus lane on the left is behind a solid line, for a bus as well
        assert "leader" in _rules(dec) and dec.d_min < -3.0 and dec.d_max < 1.0


@pytest.mark.parametrize("hour, is_bus, may_enter", [
    (8, False, False), (12, False, True), (8, True, True), (18, False, False)])
def test_part_time_bus_lane_is_closed_to_cars_in_its_hours(sangam, hour, is_bus, may_enter):
    # lane 210 runs beside the curb bus lane 209 (07-09, 17-19) behind a dashed line
    route, cor, s0 = _setup(sangam, (305.0, 355.125), (400.0, 355.125))
    assert cor.lanes[0] == 210
    lanes, cws = _states(sangam)
    layer = BehaviourLayer(sangam, is_bus=is_bus, clock_start_s=hour * 3600.0)
    dec = layer.decide(0, cor, _ego(s0, 5.0), _van(335.0, 355.125), lanes, cws, np.inf)
    assert (dec.d_min < -3.0) is may_enter


def test_child_zone_unsignalised_crosswalk_full_stop_then_go(sangam):
    # local road 817 (30 km/h, child zone) with an unsignalised crosswalk at s = 32.4 m
    route, cor, s0 = _setup(sangam, (441.6, 460.0), (441.6, 515.0))
    lanes, cws = _states(sangam)
    layer = BehaviourLayer(sangam)
    dec = layer.decide(0, cor, _ego(s0, 8.0), NONE, lanes, cws, np.inf)
    cw = [c for c in dec.active if c.rule == "crosswalk"]
    assert cw and "child zone" in cw[0].reason
    assert dec.v_max <= 30 / 3.6 + 1e-9
    stand = _ego(cw[0].s - HALF - 0.3, 0.0)
    assert "crosswalk" in _rules(layer.decide(1_000_000, cor, stand, NONE, lanes, cws, np.inf))
    assert "crosswalk" in _rules(layer.decide(1_300_000, cor, stand, NONE, lanes, cws, np.inf))
    # 0.5 s at a standstill before it: the full stop is done, the crosswalk is clear
    assert "crosswalk" not in _rules(layer.decide(1_600_000, cor, stand, NONE, lanes, cws,
                                                  np.inf))


@pytest.mark.parametrize("cw_state, walking, expect", [
    (PED_DONT_WALK, False, False),  # waiting for their own green: the car may pass
    (PED_WALK, False, True),  # waiting and their green is on: about to cross
    (PED_DONT_WALK, True, True),  # already stepping in, signal or not
])
def test_pedestrian_at_a_signalised_crosswalk(sangam, cw_state, walking, expect):
    route, cor, s0 = _setup(sangam, (120.0, 175.125), (400.0, 175.125))
    lanes, cws = _states(sangam, SIG_GREEN, cw_state)
    vy = 1.3 if walking else 0.0
    ped = Perceived(np.array([197.875]), np.array([169.3 if not walking else 169.2]),
                    np.array([0.0]), np.array([vy]), np.array([0.5]), np.array([0.5]),
                    np.array([int(ActorKind.PEDESTRIAN)], np.int8))
    dec = BehaviourLayer(sangam).decide(0, cor, _ego(s0, 10.0), ped, lanes, cws, np.inf)
    assert ("crosswalk" in _rules(dec)) is expect
    if expect:  # the front stops short of the crosswalk
        assert dec.s_stop <= cor.path_s(0, 175.256) - 0.9


def test_point_speeds_follow_the_speed_rule_everywhere(sangam):
    """The layer's precomputed per-point speeds equal the 5030 / child-zone rule unit (minus
    the margin) wherever the road is straight, and never exceed it."""
    from planners.behaviour import rules as R
    from sim.roadnet.network import PT_CHILD_ZONE, PT_NO_SIDEWALK

    layer = BehaviourLayer(sangam)
    p = sangam.points
    rule = np.array([R.speed_limit(v, bool(f & PT_CHILD_ZONE), bool(f & PT_NO_SIDEWALK))
                     for v, f in zip(p.speed_limit, p.flags)]) - 0.5 / 3.6
    assert np.all(layer._v_point <= rule + 1e-9)
    straight = layer._v_point > rule - 1e-9
    assert straight.mean() > 0.5 and np.any((p.flags & PT_CHILD_ZONE) != 0)
    assert np.allclose(layer._v_point[(p.flags & PT_CHILD_ZONE) != 0].max(), 30 / 3.6 - 0.5 / 3.6)
