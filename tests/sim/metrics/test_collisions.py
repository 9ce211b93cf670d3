"""collisions: kinds, impact speed, blame and de-duplication on hand-made contacts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.actors import ActorKind
from sim.metrics.collisions import Collisions
from sim.roadnet.queries import pose_at
from tests.sim.metrics._safety_fixtures import actor, context, net, run, state


def _two(ego: dict, other: dict, other_prev: dict | None = None, ego_prev: dict | None = None):
    """Two states, the contact (0, 1) beginning at step 1."""
    return [state(0, [ego_prev or ego, other_prev or other]), state(1, [ego, other])]


def test_rear_end_on_a_stopped_ego_is_not_at_fault():
    ego = actor(x=0.0, speed=0.0)
    other = actor(x=-4.85, speed=5.0)
    rep, stepped = run(Collisions(), context(), _two(ego, other, actor(x=-5.1, speed=5.0)),
                       {1: ((0, 1),)})
    assert [e.kind for e in stepped] == ["collision_vehicle"]
    ev = stepped[0]
    assert ev.at_fault is False and "ego stopped" in ev.detail
    assert ev.value == pytest.approx(5.0) and ev.actors == (101,)
    assert rep.values["ego_collisions"] == 1 and rep.values["at_fault_collisions"] == 0
    assert rep.values["max_impact_speed_mps"] == pytest.approx(5.0)


def test_moving_ego_hit_from_behind_is_not_at_fault():
    ego = actor(x=0.0, speed=2.0)
    rep, _ = run(Collisions(), context(), _two(ego, actor(x=-4.85, speed=7.0)), {1: ((0, 1),)})
    ev = rep.events[0]
    assert ev.at_fault is False and "behind" in ev.detail
    assert ev.value == pytest.approx(5.0)


def test_head_on_is_at_fault_with_the_closing_speed():
    ego = actor(x=0.0, speed=10.0)
    other = actor(x=4.8, yaw=math.pi, speed=8.0)
    rep, _ = run(Collisions(), context(), _two(ego, other), {1: ((0, 1),)})
    ev = rep.events[0]
    assert ev.at_fault is True and "frontal" in ev.detail
    assert ev.value == pytest.approx(18.0)
    assert rep.values["at_fault_vru_or_vehicle"] == 1 and rep.values["at_fault_static"] == 0


def test_kinds_pedestrian_cyclist_parked_and_other_pairs_ignored():
    ego = actor(x=0.0, speed=5.0)
    ped = actor(ActorKind.PEDESTRIAN, x=2.6, y=0.5, length=0.5, width=0.5)
    cyc = actor(ActorKind.CYCLIST, x=40.0, speed=3.0, length=1.8, width=0.6)
    van = actor(x=-30.0, speed=0.0)
    far = actor(x=80.0)
    sts = [state(k, [ego, ped, cyc, van, far]) for k in range(3)]
    ctx = context(parked_rows=(3,))
    rep, _ = run(Collisions(), ctx, sts, {1: ((0, 1), (2, 4)), 2: ((0, 2), (0, 3))})
    kinds = [e.kind for e in rep.events]
    assert kinds == ["collision_pedestrian", "collision_vehicle", "collision_static"]
    assert "CYCLIST" in rep.events[1].detail
    # the ego moving into a standing pedestrian / parked van: at fault
    assert rep.events[0].at_fault and rep.events[2].at_fault
    assert rep.values["at_fault_static"] == 1 and rep.values["collisions_pedestrian"] == 1


def test_repeated_contact_within_5_m_and_5_s_counts_once():
    ego = actor(x=0.0, speed=0.0)
    other = actor(x=-4.85, speed=1.0)
    sts = [state(k, [ego, other]) for k in range(200)]  # 10 s at 20 Hz, ego never moves
    rep, _ = run(Collisions(), context(), sts, {1: ((0, 1),), 40: ((0, 1),), 99: ((0, 1),),
                                               101: ((0, 1),)})
    # 1 (t = 0.05 s) counts; 40 (2.0 s) is within 5 s of it; 101 (5.05 s) is 5 s later
    assert [e.time_s for e in rep.events] == [pytest.approx(0.05), pytest.approx(5.05)]


def test_map_structure_contact_is_static_and_counted_at_onset_only():
    network = net()
    s = network.structures
    assert s.n > 0
    i = 0
    far = actor(x=float(s.x[i]) + 100.0, speed=5.0)
    on = actor(x=float(s.x[i]), y=float(s.y[i]), yaw=float(s.yaw[i]), speed=5.0)
    rep, _ = run(Collisions(), context(network), [state(0, [far]), state(1, [on]),
                                                  state(2, [on])])
    assert [e.kind for e in rep.events] == ["collision_static"]
    assert rep.events[0].at_fault and "map structure" in rep.events[0].detail
    assert rep.events[0].actors == ()


def _lane_pose(network, lane, s, d):
    x, y, h = pose_at(network, lane, s)
    return float(x[0] - d * math.sin(h[0])), float(y[0] + d * math.cos(h[0])), float(h[0])


def test_side_swipe_blame_depends_on_the_ego_keeping_its_lane():
    network = net()
    lane = int(np.argmax(network.lanes.length))
    for d, fault in ((0.0, False), (1.2, True)):
        x, y, h = _lane_pose(network, lane, 50.0, d)
        ego = actor(x=x, y=y, yaw=h, speed=8.0, lane=lane, s=50.0, d=d)
        # another car 1 m back, its side 0.06 m into the ego's left side, moving in
        ox = x - 1.0 * math.cos(h) - 1.8 * math.sin(h)
        oy = y - 1.0 * math.sin(h) + 1.8 * math.cos(h)
        other = actor(x=ox, y=oy, yaw=h - 0.1, speed=8.0)
        rep, _ = run(Collisions(), context(network), _two(ego, other), {1: ((0, 1),)})
        assert rep.events[0].at_fault is fault, rep.events[0].detail
        assert "side hit" in rep.events[0].detail
