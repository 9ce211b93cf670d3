"""progress: completion, CARLA terminations and min speed, nuPlan measures, on a straight
gangnam_grid lane with synthetic ego tracks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.metrics.progress import Progress
from sim.roadnet.network import LaneType
from sim.roadnet.queries import pose_at
from tests.sim.metrics._safety_fixtures import DT, DT_US, actor, context, net, run, state


def _lane():
    """(net, lane): a straight 50 km/h driving lane, >= 100 m, with no driving lane to its
    right."""
    network = net()
    ln, p = network.lanes, network.points
    for lane in np.argsort(-ln.length).tolist():
        sl = network.lane_points(lane)
        if (ln.right[lane] < 0 and ln.type[lane] == LaneType.DRIVING
                and ln.length[lane] >= 100 and np.ptp(p.heading[sl]) < 1e-6
                and np.allclose(p.speed_limit[sl], 50 / 3.6)):
            return network, lane
    raise AssertionError("no straight lane")


def _ego(network, lane, s, d=0.0, speed=0.0, **kw):
    x, y, h = pose_at(network, lane, s)
    x, y, h = float(x[0]), float(y[0]), float(h[0])
    return actor(x=x - d * math.sin(h), y=y + d * math.cos(h), yaw=h, speed=speed, lane=lane,
                 s=s, d=d, **kw)


def _ctx(network, lane, s0, s1, **kw):
    x, y, _ = pose_at(network, [lane, lane], [s0, s1])
    return context(network, route_xy=np.stack([x, y], axis=1), route_lanes=[lane], **kw)


def _drive(network, lane, s0, speeds, others=lambda k, s: [], lanes=None, d=0.0, dt_us=DT_US):
    sts, s = [], s0
    for k, v in enumerate(speeds):
        on = lane if lanes is None else lanes[k]
        ego = _ego(network, lane, s, d=d, speed=v)
        ego["lane"] = on
        sts.append(state(k, [ego] + others(k, s), dt_us=dt_us))
        s += v * dt_us / 1e6
    return sts


def test_route_completion_and_series():
    network, lane = _lane()
    ctx = _ctx(network, lane, 10.0, 90.0)
    rep, stepped = run(Progress(), ctx, _drive(network, lane, 10.0, [10.0] * 81))  # 40 m
    assert rep.values["route_completion"] == pytest.approx(0.5)
    assert rep.values["ego_progress_ratio"] == pytest.approx(0.5)
    assert len(rep.series["speed_mps"]) == 81 and rep.series["speed_limit_mps"][0] == \
        pytest.approx(50 / 3.6)
    assert rep.values["outside_route_lanes_fraction"] == 0.0
    assert rep.values["drivable_area_max_outside_m"] == 0.0
    assert rep.values["max_counterflow_m"] == pytest.approx(0.0, abs=1e-9)
    assert rep.values["speed_limit_compliance"] == 1.0
    assert not stepped
    rep, _ = run(Progress(), ctx, _drive(network, lane, 10.0, [10.0] * 200))  # past the goal
    assert rep.values["route_completion"] == 1.0


def test_blocked_after_180_s_and_timeout():
    network, lane = _lane()
    ctx = _ctx(network, lane, 10.0, 60.0, dt_us=10_000_000)
    rep, stepped = run(Progress(), ctx, _drive(network, lane, 10.0, [0.0] * 20,
                                               dt_us=10_000_000))
    assert [(e.kind, e.time_s, e.terminal) for e in stepped] == [("agent_blocked", 180.0, True)]
    # 50 m at 10 % of 50 km/h: 300 + 50 / 1.389 = 336 s; creeping at 0.12 m/s is not blocked
    assert rep.values["route_timeout_s"] == pytest.approx(300 + 50 / (0.1 * 50 / 3.6))
    rep, stepped = run(Progress(), ctx, _drive(network, lane, 10.0, [0.12] * 40,
                                               dt_us=10_000_000))
    assert [(e.kind, e.time_s) for e in stepped] == [("route_timeout", 340.0)]


def test_route_deviation_is_terminal_once():
    network, lane = _lane()
    ctx = _ctx(network, lane, 10.0, 90.0)
    sts = _drive(network, lane, 10.0, [10.0] * 20, d=-31.0, lanes=[-1] * 20)
    rep, stepped = run(Progress(), ctx, sts)
    assert [e.kind for e in stepped] == ["route_deviation"]
    assert rep.values["route_deviation_m"] == pytest.approx(31.0)
    assert rep.values["outside_route_lanes_fraction"] == 1.0
    assert rep.values["drivable_area_max_outside_m"] > 3.0


def test_outside_route_lanes_and_speed_limit_compliance():
    network, lane = _lane()
    ctx = _ctx(network, lane, 10.0, 90.0)
    # a lane far from the route (not a neighbour) for the second half of the distance
    other = next(q for q in range(network.lanes.n)
                 if q != lane and q not in (network.lanes.left[lane], network.lanes.right[lane]))
    v = 50 / 3.6 + 2.23 / 2  # half nuPlan's overspeed scale above the limit all the time
    lanes = [lane] * 21 + [other] * 20
    rep, _ = run(Progress(), ctx, _drive(network, lane, 10.0, [v] * 41, lanes=lanes))
    assert rep.values["outside_route_lanes_fraction"] == pytest.approx(0.5)
    # over the other lane the limit is that lane's; the first 20 steps overspeed by 1.115
    lim = network.points.speed_limit[network.lane_points(other)][0]
    viol = 20 * 1.115 + 20 * max(0.0, v - lim)
    assert rep.values["speed_limit_compliance"] == pytest.approx(
        max(0.0, 1 - viol * DT / (2.23 * 40 * DT)))


def test_counterflow_and_lateral_and_drivable_area():
    network, lane = _lane()
    ctx = _ctx(network, lane, 10.0, 90.0)
    # reversing along the lane at 5 m/s for 2 s: 5 m against the lane in any 1 s window
    sts = _drive(network, lane, 60.0, [-5.0] * 41)
    rep, _ = run(Progress(), ctx, sts)
    assert rep.values["max_counterflow_m"] == pytest.approx(5.0)
    # 2 m to the right of the kerb-side lane's centre: the right corners are 2 + 0.93 m out
    sts = _drive(network, lane, 20.0, [5.0] * 5, d=-2.0)
    rep, _ = run(Progress(), ctx, sts)
    half = float(network.points.width[network.lane_points(lane)][0]) / 2
    assert rep.values["lateral_error_m"] == pytest.approx(2.0)
    assert rep.values["drivable_area_max_outside_m"] == pytest.approx(2.93 - half, abs=1e-6)


def test_min_speed_checkpoints():
    network, lane = _lane()
    ctx = _ctx(network, lane, 10.0, 50.0)  # 40 m: quarters of 10 m

    def traffic(k, s):  # a car 20 m ahead at 10 m/s, and a pedestrian that does not count
        return [_ego(network, lane, s + 20.0, speed=10.0),
                actor(kind=4, x=0.0, y=0.0, speed=1.0, length=0.5, width=0.5)]

    # ego at 5 m/s: 8 s for the 40 m (161 states), p = 50 % in every quarter
    sts = _drive(network, lane, 10.0, [5.0] * 161, others=traffic)
    for st in sts:
        st.x[2], st.y[2] = st.x[0] + 3.0, st.y[0]  # the pedestrian walks beside the ego
    rep, stepped = run(Progress(), ctx, sts)
    assert [e.kind for e in stepped] == ["min_speed"] * 4
    assert [e.value for e in stepped] == pytest.approx([50.0] * 4)
    # without traffic nothing is judged
    rep, stepped = run(Progress(), ctx, _drive(network, lane, 10.0, [5.0] * 161))
    assert not stepped and not rep.events


def test_drivable_area_ignores_a_turn_pocket_tapering_from_zero_width():
    """A car just entering a right-turn pocket: its rear corners are still over the lane
    before the pocket, though the nearest centreline is the pocket's zero-width start."""
    network = net()
    ln, p = network.lanes, network.points
    pocket = next(q for q in range(ln.n) if p.width[network.lane_points(q)][0] < 0.05
                  and ln.left[q] >= 0 and len(ln.predecessors(int(ln.left[q]))))
    lane = int(ln.left[pocket])  # the full-width lane the taper opens beside
    ego = _ego(network, lane, 1.0, d=-0.4)  # front 3.4 m in, rear 1.4 m before its start
    ctx = _ctx(network, lane, 0.0, 10.0)
    rep, _ = run(Progress(), ctx, [state(0, [ego]), state(1, [ego])])
    assert rep.values["drivable_area_max_outside_m"] < 0.1
    far = _ego(network, lane, 1.0, d=-0.4 - 3.0)  # 3 m further right: really outside
    rep, _ = run(Progress(), ctx, [state(0, [far]), state(1, [far])])
    assert rep.values["drivable_area_max_outside_m"] > 0.3
