"""lane_compliance against hand-computed cases on osong_grid: lane 27 is bus-only 07-09 and
17-19 with a dashed left line (PT_LC_LEFT), lane 6 bus-only all day with solid lines,
ending in a right turn (junction lane 142)."""

from __future__ import annotations

import dataclasses

import pytest

from sim.actors import ActorKind
from sim.metrics.rules_lanes import LaneCompliance, in_hours
from sim.roadnet.network import PT_LC_LEFT, PT_LC_RIGHT, Turn
from sim.roadnet.queries import pose_at
from tests.sim.metrics.test_rules_signals import context, integrate, load, run, snapshot, states

HOURS_LANE, ALLDAY_LANE = 27, 6


def _osong():
    net = load("osong_grid")
    assert net.lanes.bus_hours[net.lanes.bus_hours_ptr[HOURS_LANE]].tolist() == [25200, 32400]
    assert net.lanes.turn[net.lanes.successors(ALLDAY_LANE)[0]] == Turn.RIGHT
    return net


def _drive(net, route, d, v, others=(), **kw):
    return run(LaneCompliance(), context(net, route, **kw),
               states(net, route, d, v, others=others), snapshot(net))[0]


def test_hours_wrap_midnight():
    assert in_hours([(82800, 18000)], 3600.0) and not in_hours([(82800, 18000)], 43200.0)
    assert in_hours([], 43200.0)


def test_bus_lane_inside_its_hours_only():
    net = _osong()
    d, v = integrate(5.0, [10.0] * 60)  # 59 steps of 0.5 m = 29.5 m, all in lane 27
    rep = _drive(net, [HOURS_LANE], d, v, clock=8 * 3600.0)
    assert [e.kind for e in rep.events] == ["bus_lane"]
    assert rep.events[0].value == pytest.approx(29.5) and rep.values["bus_lane_m"] == 29.5
    assert _drive(net, [HOURS_LANE], d, v, clock=12 * 3600.0).values["bus_lane_violations"] == 0
    assert _drive(net, [HOURS_LANE], d, v, clock=8 * 3600.0,
                  ego_bus_exempt=True).values["bus_lane_violations"] == 0


def test_dashed_section_allows_entry_to_turn_right():
    net = _osong()
    length = float(net.lanes.length[ALLDAY_LANE])
    d, v = integrate(length - 40.0, [10.0] * 100)  # last 40 m of lane 6, then the turn
    route = [ALLDAY_LANE, int(net.lanes.successors(ALLDAY_LANE)[0])]
    rep = _drive(net, route, d, v)  # solid line there: entering it is a violation
    assert rep.values["bus_lane_violations"] == 1.0
    flags = net.points.flags.copy()
    flags[net.lane_points(ALLDAY_LANE)] |= PT_LC_LEFT | PT_LC_RIGHT  # paint it dashed
    dashed = dataclasses.replace(net, points=dataclasses.replace(net.points, flags=flags))
    assert _drive(dashed, route, d, v).values["bus_lane_violations"] == 0.0
    d, v = integrate(length - 70.0, [10.0] * 160)  # 70 m in it: beyond the 50 m allowance
    assert _drive(dashed, route, d, v).values["bus_lane_violations"] == 1.0


def test_stopping_in_the_bus_lane_unless_queued():
    net = _osong()
    d, v = integrate(10.0, [0.0] * 61)  # 3 s at rest
    rep = _drive(net, [HOURS_LANE], d, v, clock=8 * 3600.0)
    stops = [e for e in rep.events if e.kind == "bus_stop_stop"]
    assert len(stops) == 1 and stops[0].time_s == 0.0 and rep.values["bus_stop_stops"] == 1
    x, y, h = pose_at(net, HOURS_LANE, 10.0 + 4.9 + 5.0)  # a standing car 5 m ahead
    car = (ActorKind.CAR, x[0], y[0], h[0], 0.0, 2)
    rep = _drive(net, [HOURS_LANE], d, v, others=[car], clock=8 * 3600.0)
    assert rep.values["bus_stop_stops"] == 0.0
    d, v = integrate(10.0, [0.0] * 30)  # 1.45 s: not yet a stop
    assert _drive(net, [HOURS_LANE], d, v, clock=8 * 3600.0).values["bus_stop_stops"] == 0


def _change(net, a: int, b: int):
    sts = states(net, [a], [20.0, 20.5], [10.0, 10.0], lanes=[a, b])
    # a bus: the bus-lane rules stay out of the way
    return run(LaneCompliance(), context(net, [a], ego_bus_exempt=True), sts,
               snapshot(net))[0]


def test_solid_line_crossing():
    net = _osong()
    ln = net.lanes
    rep = _change(net, ALLDAY_LANE, int(ln.left[ALLDAY_LANE]))  # lane 6 has solid lines
    assert [e.kind for e in rep.events] == ["solid_line_crossing"]
    assert "changed left" in rep.events[0].detail
    assert _change(net, HOURS_LANE, int(ln.left[HOURS_LANE])).values[
        "solid_line_crossings"] == 0.0  # PT_LC_LEFT: dashed
