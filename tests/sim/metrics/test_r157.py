"""r157: time-gap table, time-gap violations with the cut-in grace, cut-in avoidability."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.metrics.r157 import R157, cut_in_threshold, required_time_gap
from sim.roadnet.queries import pose_at
from tests.sim.metrics._safety_fixtures import DT, actor, context, net, run, state


def test_required_time_gap_table():
    assert required_time_gap(7.2 / 3.6) == pytest.approx(1.0)
    assert required_time_gap(60.0 / 3.6) == pytest.approx(1.6)
    assert required_time_gap(33.6 / 3.6) == pytest.approx(1.3)
    assert required_time_gap(61.0 / 3.6) == 2.0
    assert cut_in_threshold(6.0, False) == pytest.approx(0.75)
    assert cut_in_threshold(4.8, True) == pytest.approx(1.16)


def test_time_gap_and_violation_time():
    # ego 10 m/s (36 km/h), lead at 10 m/s with a 10 m bumper gap: 1.0 s < 1.327 s required
    sts = [state(k, [actor(x=10.0 * k * DT, speed=10.0),
                     actor(x=14.9 + 10.0 * k * DT, speed=10.0)]) for k in range(81)]
    rep, _ = run(R157(), context(), sts)
    assert rep.values["min_time_gap_s"] == pytest.approx(1.0)
    assert rep.values["time_gap_violation_s"] == pytest.approx(4.0)  # 80 steps
    assert rep.series["required_time_gap_s"][0] == pytest.approx(1.0 + 0.6 * 8 / (60 / 3.6 - 2))
    # too slow (5 km/h): nothing is counted
    sts = [state(k, [actor(speed=5 / 3.6), actor(x=6.0, speed=5 / 3.6)]) for k in range(5)]
    rep, _ = run(R157(), context(), sts)
    assert math.isinf(rep.values["min_time_gap_s"]) and rep.values["time_gap_violation_s"] == 0


def test_new_lead_gets_two_seconds_grace():
    # lead at a 5 m gap (0.5 s at 10 m/s) appears at k = 20 (t = 1 s); run to t = 4 s
    def lead(k):
        return actor(x=9.9 + 10.0 * k * DT, speed=10.0, valid=k >= 20)

    sts = [state(k, [actor(x=10.0 * k * DT, speed=10.0), lead(k)]) for k in range(81)]
    rep, _ = run(R157(), context(), sts)
    # counted from t = 3 s (k = 60) to 4 s: 21 states
    assert rep.values["time_gap_violation_s"] == pytest.approx(21 * DT)
    assert rep.values["min_time_gap_s"] == pytest.approx(0.5)


def _cut_in(gap0: float, standing=False, contact_at=None):
    """A car from the left lane (centre 3.5 m) cutting in at 1 m/s lateral, 8 m/s forward,
    its rear ``gap0`` ahead of the ego's front; ego 10 m/s straight."""
    rel = -math.asin(1.0 / 8.0)

    def other(k):
        t = k * DT
        return actor(x=2.45 + gap0 + 2.45 + 8.0 * math.cos(rel) * t, y=3.5 - 1.0 * t,
                     yaw=rel, speed=8.0)

    sts = [state(k, [actor(x=10.0 * k * DT, speed=10.0), other(k)]) for k in range(41)]
    contacts = {contact_at: ((0, 1),)} if contact_at else None
    return run(R157(), context(standing_passengers=standing), sts, contacts), sts


def test_cut_in_avoidable_then_collision_counted():
    (rep, stepped), sts = _cut_in(20.0, contact_at=40)
    assert [e.kind for e in rep.events] == ["cut_in"]
    ev = rep.events[0]
    k = round(ev.time_s / DT)
    st = sts[k]
    rel = st.yaw[1]
    half_lat = 0.5 * (4.9 * abs(math.sin(rel)) + 1.86 * math.cos(rel))
    half_lon = 0.5 * (4.9 * math.cos(rel) + 1.86 * abs(math.sin(rel)))
    # the near side entered the 3.5 m lane (half width 1.75) at this state, not before
    assert st.y[1] - half_lat < 1.75 <= sts[k - 1].y[1] - half_lat
    gap = st.x[1] - half_lon - (st.x[0] + 2.45)
    v_rel = 10.0 - 8.0 * math.cos(rel)
    assert ev.value == pytest.approx(gap / v_rel)
    assert ev.detail.startswith("avoidable")
    assert rep.values["cut_ins"] == 1 and rep.values["avoidable_cut_in_collisions"] == 1


def test_close_cut_in_is_unavoidable_and_standing_threshold_is_stricter():
    # the lane is entered at t = 0.55 s, when the gap has shrunk by 0.55 v_rel = 1.13 m
    (rep, _), _ = _cut_in(1.3)
    ev = rep.events[0]
    v_rel = 10.0 - 8.0 * math.sqrt(1 - 1 / 64)
    assert ev.value < v_rel / 12 + 0.25 and ev.detail.startswith("unavoidable")
    # a TTC between the two thresholds: avoidable for seated, not with standees
    (rep, _), _ = _cut_in(2.2)
    assert v_rel / 12 + 0.25 < rep.events[0].value < v_rel / 4.8 + 0.16
    assert rep.events[0].detail.startswith("avoidable")
    (rep, _), _ = _cut_in(2.2, standing=True)
    assert rep.events[0].detail.startswith("unavoidable")
    assert rep.values["avoidable_cut_in_collisions"] == 0


def _straight_pair(network):
    """A straight lane with a straight left neighbour: (lane, left, heading, origin xy)."""
    ln, p = network.lanes, network.points
    for lane in np.argsort(-ln.length).tolist():
        left = int(ln.left[lane])
        if left < 0 or ln.length[lane] < 120:
            continue
        if np.ptp(p.heading[network.lane_points(lane)]) < 1e-6 and np.ptp(
                p.heading[network.lane_points(left)]) < 1e-6:
            x, y, h = pose_at(network, lane, 0.0)
            return lane, left, float(h[0]), float(x[0]), float(y[0])
    raise AssertionError("no straight lane pair")


def test_ego_lane_change_is_not_a_cut_in():
    network = net()
    lane, left, h, x0, y0 = _straight_pair(network)
    half = float(np.mean(network.points.width[network.lane_points(lane)])) / 2

    def world(lon, lat):
        c, s = math.cos(h), math.sin(h)
        return x0 + lon * c - lat * s, y0 + lon * s + lat * c

    sts = []
    for k in range(61):  # the ego drifts left at 1 m/s, switching lane index at 1.75 m
        t = k * DT
        lat = 1.0 * t + 0.5
        on, d = (lane, lat) if lat < half else (left, lat - 2 * half)
        ex, ey = world(10.0 * t, lat)
        ox, oy = world(30.0 + 8.0 * t, 2 * half)
        sts.append(state(k, [actor(x=ex, y=ey, yaw=h + math.asin(0.1), speed=10.0, lane=on,
                                   s=10.0 * t, d=d),
                             actor(x=ox, y=oy, yaw=h, speed=8.0)]))
    assert sts[-1].lane[0] == left
    rep, _ = run(R157(), context(network), sts)
    assert rep.values["cut_ins"] == 0
    # the same car in the left lane does cut in when it is the one moving right at 1 m/s
    sts = []
    for k in range(61):
        t = k * DT
        ex, ey = world(10.0 * t, 0.0)
        ox, oy = world(30.0 + 8.0 * t, 2 * half - 1.0 * t)
        sts.append(state(k, [actor(x=ex, y=ey, yaw=h, speed=10.0, lane=lane, s=10.0 * t),
                             actor(x=ox, y=oy, yaw=h - math.asin(1 / 8), speed=8.0)]))
    rep, _ = run(R157(), context(network), sts)
    assert rep.values["cut_ins"] == 1
