"""speed_compliance against hand-computed cases (gangnam_grid 50 km/h lanes, gwangju_grid
child protection zone)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim.metrics.rules_speed import SpeedCompliance
from sim.roadnet.network import PT_CHILD_ZONE, PT_NO_SIDEWALK
from tests.sim.metrics.test_rules_signals import context, integrate, load, run, snapshot, states


def _straight_lane(net, limit_kmh=50.0):
    """A long, straight lane with one limit."""
    ln, p = net.lanes, net.points
    for lane in np.argsort(-ln.length):
        sl = net.lane_points(int(lane))
        if np.ptp(p.heading[sl]) < 1e-6 and np.allclose(p.speed_limit[sl] * 3.6, limit_kmh) \
                and not np.any(p.flags[sl] & PT_CHILD_ZONE):
            return int(lane)
    raise AssertionError("no straight lane")


def _run(net, lane, speeds, **kw):
    d, v = integrate(1.0, speeds)
    return run(SpeedCompliance(), context(net, [lane], **kw), states(net, [lane], d, v),
               snapshot(net))


def test_short_spike_is_not_an_episode_but_one_second_is():
    net = load("gangnam_grid")
    lane = _straight_lane(net)
    # 6 states (0.3 s) at 15 m/s = 54 km/h over the 50 km/h limit: no event
    rep, _ = _run(net, lane, [10.0] * 5 + [15.0] * 6 + [10.0] * 9)
    assert rep.values["speeding_events"] == 0.0
    assert rep.values["over_limit_time_s"] == pytest.approx(0.3)
    assert rep.values["ego_over_limit_kmh"] == 0.0
    # 20 states (1.0 s) over, peaking at 16 m/s = 57.6 km/h: one event, excess 7.6 km/h
    rep, stepped = _run(net, lane, [10.0] * 5 + [15.0] * 10 + [16.0] + [15.0] * 9 + [10.0] * 5)
    assert [e.kind for e in rep.events] == ["speeding"] and len(stepped) == 1
    ev = rep.events[0]
    assert ev.value == pytest.approx(7.6) and ev.time_s == pytest.approx(0.25)
    assert "50 km/h limit" in ev.detail and "1.00 s" in ev.detail
    assert rep.values["ego_over_limit_kmh"] == pytest.approx(7.6)
    assert rep.values["ego_max_speed_kmh"] == pytest.approx(57.6)


def test_section_average_over_the_run():
    net = load("gangnam_grid")
    lane = _straight_lane(net)
    # 2 s at 14 m/s then 2 s at 15 m/s: 58 m in 4 s (states at 0..4 s, 81 of them)
    rep, _ = _run(net, lane, [14.0] * 40 + [15.0] * 41)
    assert rep.values["ego_mean_speed_kmh"] == pytest.approx(58.0 / 4.0 * 3.6)
    assert rep.values["section_limit_kmh"] == pytest.approx(50.0)
    avg = [e for e in rep.events if e.kind == "section_average_speeding"]
    assert len(avg) == 1 and avg[0].value == pytest.approx(52.2 - 50.0)
    rep, _ = _run(net, lane, [13.0] * 81)
    assert rep.values["section_average_kmh"] == pytest.approx(46.8)
    assert not rep.events


def test_child_zone_limit_and_label():
    net = load("gwangju_grid")
    lane = 343  # enters the child protection zone (30 km/h) before crosswalk 14
    sl = net.lane_points(lane)
    zone_s = float(net.points.s[sl][(net.points.flags[sl] & PT_CHILD_ZONE) > 0][0])
    d, v = integrate(zone_s + 1.0, [10.0] * 20)  # 36 km/h in the 30 km/h zone for 1 s
    rep, _ = run(SpeedCompliance(), context(net, [lane]), states(net, [lane], d, v),
                 snapshot(net))
    # the average (36 km/h) is above the zone's 30 km/h as well
    assert [e.kind for e in rep.events] == ["speeding", "section_average_speeding"]
    assert rep.events[0].value == pytest.approx(6.0)
    assert "30 km/h limit (child protection zone" in rep.events[0].detail
    # the same zone without a sidewalk (flag added by hand): 20 km/h, excess 16 km/h
    flags = net.points.flags.copy()
    flags[(flags & PT_CHILD_ZONE) > 0] |= PT_NO_SIDEWALK
    bare = dataclasses.replace(net, points=dataclasses.replace(net.points, flags=flags))
    rep, _ = run(SpeedCompliance(), context(bare, [lane]), states(bare, [lane], d, v),
                 snapshot(bare))
    assert rep.events[0].value == pytest.approx(16.0)
    assert "without sidewalk" in rep.events[0].detail
