"""The ego OBU's view: MAPEM matched to the ego's own map gives SPaT per lane; CPM objects
land where the roadside detector saw them; stale SPaT never reaches the planner; the
planner ignores reports of itself."""

import numpy as np
import pytest

from planners.perception.fusion import ExternalObjects
from planners.v2x_inbox import Hazard, SpatView, V2XInbox
from scenarios.v2x_map import intersections, spat_state
from sim.actors import ActorKind
from sim.traffic.signals import korean_plan, lane_states, lane_time_to_change_us
from v2x.clock import ItsClock
from v2x.codec import decode, encode
from v2x.geo import LocalFrame
from v2x.messages import DENM, MAPEM, SPATEM
from v2x.messages.denm import ActionId, ManagementContainer, SituationContainer, Termination
from v2x.stations.cpm_build import build_cpm

FRAME = LocalFrame(37.5794, 126.8895)
CLOCK = ItsClock(1_772_400_000_000_000)


@pytest.fixture(scope="module")
def setup(sangam):
    plan = korean_plan(sangam)
    junctions = sorted({int(j) for j in sangam.lanes.junction[plan.cycle_us > 0]})
    lane = np.flatnonzero((sangam.lanes.junction == junctions[0]) & (plan.cycle_us > 0))[0]
    xy = sangam.lane_xy(int(lane)).mean(axis=0)
    inter = intersections(sangam, plan, FRAME, (float(xy[0]), float(xy[1])), 30.0)
    assert len(inter) == 1
    return sangam, plan, inter


def _over_the_air(msg):
    return decode(encode(msg))


def test_map_matching_recovers_every_signalised_lane_and_its_timing(setup):
    net, plan, inter = setup
    mapem = MAPEM(station_id=9, msg_issue_revision=1,
                  intersections=tuple(i.geometry for i in inter))
    inbox = V2XInbox(net, FRAME, CLOCK)
    for t in (0, 7_300_000, 41_000_000):
        spat = SPATEM(station_id=9, intersections=tuple(
            spat_state(i, plan, CLOCK, t, 1) for i in inter))
        items = inbox.update(t + 30_000, [(t + 30_000, _over_the_air(mapem)),
                                          (t + 30_000, _over_the_air(spat))])
        view = next(i for i in items if isinstance(i, SpatView))
        known = ~np.isnan(view.lane_time_to_change_s)
        controlled = sorted(k for i in inter for g in i.groups.values() for k in g)
        assert sorted(np.flatnonzero(known).tolist()) == controlled
        now = t + 30_000
        # SPaT carries whole tenths of a second: exact to 0.1 s
        truth = lane_time_to_change_us(plan, now)[known] / 1e6
        assert np.abs(view.lane_time_to_change_s[known] - truth).max() <= 0.1 + 1e-9
        assert (view.lane_state[known] == lane_states(plan, now)[known]).all()
        assert view.age_s == pytest.approx(0.03)
    assert inbox.stats.unmatched_lanes == 0


def test_spat_without_map_or_too_old_is_not_passed_on(setup):
    net, plan, inter = setup
    spat = SPATEM(station_id=9, intersections=tuple(spat_state(i, plan, CLOCK, 0, 1)
                                                    for i in inter))
    inbox = V2XInbox(net, FRAME, CLOCK)
    assert not any(isinstance(i, SpatView) for i in inbox.update(0, [(0, spat)]))
    mapem = MAPEM(station_id=9, msg_issue_revision=1,
                  intersections=tuple(i.geometry for i in inter))
    items = inbox.update(500_000, [(500_000, mapem), (500_000, spat)])
    assert any(isinstance(i, SpatView) for i in items)  # 0.5 s old: fine
    items = inbox.update(1_200_000, [])  # the same SPaT, now 1.2 s old
    assert not any(isinstance(i, SpatView) for i in items)
    assert inbox.stats.stale_spat_dropped >= 1


def test_rsu_cpm_objects_arrive_where_they_were_seen():
    inbox = V2XInbox.__new__(V2XInbox)  # CPM conversion needs no map
    inbox.frame, inbox.clock, inbox.object_max_age_us = FRAME, CLOCK, 1_000_000
    t = 2_000_000
    x, y = np.array([120.0, 80.5]), np.array([-40.0, 10.25])
    vx, vy = np.array([0.0, 8.0]), np.array([1.4, -1.0])
    cpm = build_cpm(station_id=7, generation_delta_time_ms=CLOCK.generation_delta_time(t),
                    frame=FRAME, origin_x=100.0, origin_y=-30.0, object_id=np.array([3, 4]),
                    x=x, y=y, vx=vx, vy=vy, yaw=np.arctan2(vy, vx), length=np.array([0.5, 4.9]),
                    width=np.array([0.5, 1.9]), classes=[(1, 1), (0, 3)], rsu_intersection=5)
    ext = inbox._cpm(t + 60_000, _over_the_air(cpm))
    assert isinstance(ext, ExternalObjects) and ext.n == 2
    assert np.allclose(ext.x, x, atol=0.011) and np.allclose(ext.y, y, atol=0.011)
    assert np.allclose(ext.speed, np.hypot(vx, vy), atol=0.02)
    assert ext.kind.tolist() == [int(ActorKind.PEDESTRIAN), int(ActorKind.CAR)]
    assert ext.age_us.tolist() == [60_000, 60_000] and ext.source.tolist() == [7, 7]
    # a vehicle's CPM is in its body frame: the same objects seen from a car heading north
    car = build_cpm(station_id=8, generation_delta_time_ms=CLOCK.generation_delta_time(t),
                    frame=FRAME, origin_x=100.0, origin_y=-30.0, object_id=np.array([3, 4]),
                    x=x, y=y, vx=vx, vy=vy, yaw=np.arctan2(vy, vx), length=np.array([0.5, 4.9]),
                    width=np.array([0.5, 1.9]), classes=[(1, 1), (0, 3)],
                    vehicle_yaw=np.pi / 2, vehicle_speed=5.0)
    ext = inbox._cpm(t, _over_the_air(car))
    assert np.allclose(ext.x, x, atol=0.02) and np.allclose(ext.y, y, atol=0.02)
    assert np.allclose(ext.speed, np.hypot(vx, vy), atol=0.03)


def test_denm_hazard_lives_until_cancelled(setup):
    net, _, _ = setup
    inbox = V2XInbox(net, FRAME, CLOCK)
    lat, lon = FRAME.to_latlon(50.0, 60.0)
    mc = ManagementContainer(action_id=ActionId(5, 0), detection_time_ms=CLOCK.its_ms(0),
                             reference_time_ms=CLOCK.its_ms(0), event_lat_deg=lat,
                             event_lon_deg=lon, validity_duration_s=10)
    d = DENM(station_id=5, management=mc, situation=SituationContainer(cause=94))
    (h,) = [i for i in inbox.update(0, [(0, _over_the_air(d))]) if isinstance(i, Hazard)]
    assert h.cause == 94 and abs(h.x - 50.0) < 0.02 and abs(h.y - 60.0) < 0.02
    assert any(isinstance(i, Hazard) for i in inbox.update(5_000_000, []))
    from dataclasses import replace
    end = replace(d, management=replace(mc, termination=Termination.CANCELLATION))
    assert not any(isinstance(i, Hazard) for i in inbox.update(6_000_000, [(0, end)]))
