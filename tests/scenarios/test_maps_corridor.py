"""Corridor presets: deterministic, clean for the ASAM checker, loadable, each with its
feature really present in the RoadNetwork, routable, and drivable by NPC traffic."""

from __future__ import annotations

import dataclasses
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from scenarios.maps.corridor import build_corridor
from scenarios.maps.corridor_presets import corridor_presets
from sim.actions import Actions
from sim.actors import ActorKind
from sim.roadnet import conventions as cv
from sim.roadnet.network import LANE_BUS_ONLY, LANE_SIGNALISED, PT_LC_LEFT, LaneType
from sim.roadnet.queries import locate, route

PRESETS = sorted(corridor_presets())

# (start, goal) [m] on the main carriageway, ~50 m in and 600+ m further in driving direction
EGO_POINTS = {
    "cheonggyecheon_oneway": ((-250.0, -18.88), (150.0, 18.88)),  # round the east bend
    "sejong_brt": ((-650.0, -6.12), (0.0, -6.12)),
    "daegu_motorway": ((-950.0, -6.9), (300.0, -6.9)),  # through the merge
    "jeju_pyeonghwa": ((-1400.0, -66.25), (-754.42, -12.51)),
    "kcity_expressway": ((-1550.0, -6.9), (-900.0, -6.9)),  # through the toll plaza
}
DAEGU_RAMP_START = (-439.21, -122.52)


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return {name: build_corridor(make()) for name, make in corridor_presets().items()}


@pytest.fixture(scope="module")
def nets(texts):
    from sim.roadnet.loader import load_network_text

    return {name: load_network_text(text, f"{name}.xodr") for name, text in texts.items()}


def _road(text: str, road_id: int) -> ET.Element:
    return ET.fromstring(text).find(f"road[@id='{road_id}']")


@pytest.mark.parametrize("name", PRESETS)
def test_deterministic_and_frozen(name, texts):
    spec = corridor_presets()[name]()
    assert build_corridor(spec) == build_corridor(corridor_presets()[name]()) == texts[name]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "x"
    assert ET.fromstring(texts[name]).find("header").get("name") == name


@pytest.mark.parametrize("name", PRESETS)
def test_passes_the_asam_checker(name, texts):
    pytest.importorskip("qc_opendrive")
    from .qc_util import run_qc
    from .test_maps_qc import assert_clean

    assert_clean(run_qc(texts[name]))


@pytest.mark.parametrize("name", PRESETS)
def test_every_driving_lane_goes_on(name, nets):
    """Closed networks: every driving lane has a successor (lanes that end are restricted
    tapers, which NPCs merge out of), and every restricted taper lets its traffic merge."""
    net = nets[name]
    ln = net.lanes
    driving = np.flatnonzero(ln.type == LaneType.DRIVING)
    assert [net.lane_key(i) for i in driving if len(ln.successors(i)) == 0] == []
    for i in np.flatnonzero(ln.type == LaneType.RESTRICTED):
        if any(ln.type[p] == LaneType.DRIVING for p in ln.predecessors(i)):  # a closing taper
            sides = [j for j in (ln.left[i], ln.right[i]) if j >= 0]
            assert any(ln.type[j] == LaneType.DRIVING for j in sides), net.lane_key(i)
            assert net.points.width[ln.pt_ptr[i + 1] - 1] < 0.05


def test_loader_links_lane_ends_on_km_long_roads(nets):
    """CARLA keeps s in single precision: 3 km along a road ``s_end - 1e-4`` rounds onto the
    end (no waypoint) or a section boundary (the next section's lane), so the loader nudges
    back into the section. Regression: the jeju main road's eastbound lanes had no link into
    the turnaround loop, and the kcity work-zone taper seemed to lead on."""
    net = nets["jeju_pyeonghwa"]
    ln = net.lanes
    for i in np.flatnonzero((ln.road == 1) & (ln.type == LaneType.DRIVING)):
        assert {net.lane_key(j)[0] for j in ln.successors(i)} == ({902} if ln.odr_id[i] < 0
                                                                  else {901})
    k = nets["kcity_expressway"]
    taper = next(i for i in range(k.lanes.n) if k.lane_key(i) == (1, 12, -4))
    assert len(k.lanes.successors(taper)) == 0


def test_cheonggyecheon_is_a_one_way_loop(nets, texts):
    net = nets["cheonggyecheon_oneway"]
    ln, p = net.lanes, net.points
    driving = ln.type == LaneType.DRIVING
    assert not np.any(driving & (ln.odr_id > 0)), "one-way: no lanes against +s"
    for road, heading in ((1, 0.0), (3, math.pi)):
        lanes = np.flatnonzero(driving & (ln.road == road))
        mid = [(ln.pt_ptr[i] + ln.pt_ptr[i + 1]) // 2 for i in lanes]
        assert np.allclose(np.cos(p.heading[mid] - heading), 1.0, atol=1e-6)
    # solid line between the two lanes over most of a street: no lane change from d2 to d1
    d2 = np.flatnonzero(driving & (ln.road == 1) & (ln.odr_id == -2))
    pts = np.concatenate([np.arange(ln.pt_ptr[i], ln.pt_ptr[i + 1]) for i in d2])
    solid = (p.flags[pts] & PT_LC_LEFT) == 0
    assert 0.6 < solid.mean() < 0.9
    bay = np.flatnonzero((ln.type == LaneType.PARKING) & (ln.road == 1))
    assert len(bay) == 3
    hit = locate(net, 30.0, -21.75, types=(LaneType.PARKING,))
    assert hit.lane[0] in bay and hit.dist[0] < 0.1
    assert abs(p.width[ln.pt_ptr[hit.lane[0]] + 5] - 2.5) < 1e-6
    road1 = _road(texts["cheonggyecheon_oneway"], 1)
    assert float(road1.find("type/speed").get("max")) == 30.0


def test_sejong_brt_lanes_station_and_signals(nets, texts):
    net = nets["sejong_brt"]
    ln = net.lanes
    main = (ln.road == 1) & (ln.type == LaneType.DRIVING)
    bus = main & ((ln.flags & LANE_BUS_ONLY) > 0)
    assert set(np.abs(ln.odr_id[bus])) == {2} and bus.sum() == 2 * 7
    assert np.all(ln.bus_hours[ln.bus_hours_ptr[np.flatnonzero(bus)]] == (0, 86400))
    platform = (ln.road == 1) & (ln.type == LaneType.SIDEWALK) & (np.abs(ln.odr_id) == 1)
    assert platform.sum() == 2  # the island platform, one lane each side of the centre
    # signal heads and a signalised crosswalk; both approaches stop before it
    assert net.signals.n == 2 and set(net.signals.type) == {cv.SIGNAL_TYPE_VEHICLE}
    assert net.crosswalks.n == 1 and net.crosswalks.signalised[0]
    approach = np.flatnonzero((ln.flags & LANE_SIGNALISED) > 0)
    assert len(approach) == 6 and np.all(np.isfinite(ln.stop_s[approach]))
    from sim.traffic.signals import SIG_GREEN, SIG_RED, crosswalk_states, korean_plan, lane_states

    plan = korean_plan(net)
    green = [int(v) for a in approach for v in ln.successors(int(a))]
    assert np.all(plan.cycle_us[green] > 0) and plan.cw_cycle_us[0] > 0
    assert np.all(lane_states(plan, 0)[green] == SIG_GREEN)
    walk_t = int(plan.cw_walk_start_us[0]) + 1
    assert np.all(lane_states(plan, walk_t)[green] == SIG_RED)
    assert crosswalk_states(plan, walk_t)[0] == 2  # PED_WALK while vehicles hold
    stops = [cv.parse_bus_stop(ud.get("value"))
             for ud in _road(texts["sejong_brt"], 1).findall("userData")
             if ud.get("code") == cv.USERDATA_BUS_STOP]
    assert stops == [(605.0, 635.0, -2), (605.0, 635.0, 2)]
    assert len(ET.fromstring(texts["sejong_brt"]).findall("controller")) == 1


def test_sejong_bus_routes_along_the_brt_lane(nets):
    net = nets["sejong_brt"]
    r = route(net, (-600.0, -2.75), (300.0, -2.75), ActorKind.BUS)
    assert r.length > 850.0
    assert np.all((net.lanes.flags[r.lanes] & LANE_BUS_ONLY) > 0)
    car = route(net, (-600.0, -2.75), (300.0, -2.75), ActorKind.CAR)  # snaps to lane g1
    assert not np.any((net.lanes.flags[car.lanes] & LANE_BUS_ONLY) > 0)


def test_daegu_ramp_merges_through_an_ending_acceleration_lane(nets, texts):
    net = nets["daegu_motorway"]
    ln = net.lanes
    accel, taper = (next(i for i in range(ln.n) if net.lane_key(i) == key)
                    for key in ((2, 0, -4), (2, 1, -4)))
    assert ln.type[accel] == LaneType.DRIVING and ln.type[taper] == LaneType.RESTRICTED
    assert list(ln.successors(accel)) == [taper] and len(ln.successors(taper)) == 0
    width = net.points.width[ln.pt_ptr[taper]:ln.pt_ptr[taper + 1]]
    assert width[0] > 3.5 and width[-1] < 0.05 and np.all(np.diff(width) <= 1e-9)
    assert ln.left[accel] >= 0 and ln.left[taper] >= 0  # drivers can merge left
    r = route(net, DAEGU_RAMP_START, (300.0, -6.9), ActorKind.CAR)
    keys = [net.lane_key(i) for i in r.lanes]
    assert keys[0][0] == 3 and (103, 0, -1) in keys and r.lane_change.any()
    assert keys[-1][0] == 2 and r.length > 700.0
    ramp = _road(texts["daegu_motorway"], 3)
    assert float(ramp.find("type/speed").get("max")) == 60.0
    assert ET.fromstring(texts["daegu_motorway"]).find("junction[@id='1000']") is not None


def test_jeju_is_curved_and_divided(nets):
    net = nets["jeju_pyeonghwa"]
    ln, p = net.lanes, net.points
    lane = int(np.flatnonzero((ln.road == 1) & (ln.odr_id == -2))[0])
    h = p.heading[ln.pt_ptr[lane]:ln.pt_ptr[lane + 1]]
    assert ln.length[lane] > 2990.0 and np.abs(np.diff(h)).sum() > 0.9  # 0.3 + 0.4 + 0.25 rad
    types = set(ln.type[ln.road == 1].tolist())
    assert {LaneType.MEDIAN, LaneType.SHOULDER, LaneType.DRIVING} <= types
    assert np.isclose(p.speed_limit[ln.pt_ptr[lane]], 80.0 / 3.6)


def test_kcity_plaza_tunnel_and_work_zone(nets, texts):
    net = nets["kcity_expressway"]
    ln = net.lanes
    booth = (ln.road == 1) & (ln.section == 5) & (ln.type == LaneType.DRIVING)
    assert (booth & (ln.odr_id < 0)).sum() == 6 and (booth & (ln.odr_id > 0)).sum() == 6
    first = ln.pt_ptr[np.flatnonzero(booth)[0]]
    assert np.isclose(net.points.speed_limit[first], 80.0 / 3.6)
    road = _road(texts["kcity_expressway"], 1)
    tunnel = road.find("objects/tunnel")
    assert float(tunnel.get("s")) == 1200.0 and float(tunnel.get("length")) == 500.0
    assert any(ud.get("code") == cv.USERDATA_TUNNEL for ud in road.findall("userData"))
    closing = next(i for i in range(ln.n) if net.lane_key(i) == (1, 12, -4))  # d3 closing
    assert ln.type[closing] == LaneType.RESTRICTED and len(ln.successors(closing)) == 0
    assert net.points.width[ln.pt_ptr[closing + 1] - 1] < 0.05
    assert ln.type[ln.left[closing]] == LaneType.DRIVING
    closed = next(i for i in range(ln.n) if net.lane_key(i) == (1, 13, -4))  # "work" area
    assert ln.type[closed] == LaneType.RESTRICTED
    assert (ln.type[(ln.road == 1) & (ln.section == 13)] == LaneType.DRIVING).sum() == 5
    cones = [o for o in road.findall("objects/object") if o.get("subtype") == "trafficCone"]
    assert len(cones) >= 30 and all(o.get("type") == "obstacle" for o in cones)


@pytest.mark.parametrize("name", PRESETS)
def test_car_routes_along_the_corridor(name, nets):
    start, goal = EGO_POINTS[name]
    r = route(nets[name], start, goal, ActorKind.CAR)
    assert r.length > 600.0
    hit = locate(nets[name], [start[0], goal[0]], [start[1], goal[1]])
    assert np.all(hit.dist < 0.2), "ego points sit on lane centrelines"


@pytest.mark.parametrize("name", PRESETS)
def test_npc_traffic_drives_20_s(name, nets):
    from sim.engines.embedded import EmbeddedEngine
    from sim.rng import RngTree
    from sim.state import empty_state
    from sim.traffic.spawn import spawn_traffic

    net = nets[name]
    engine = EmbeddedEngine(net)
    state = spawn_traffic(net, empty_state(20, 16), RngTree(3).generator(), 20)
    tree = RngTree(3).child("engine")
    acts = Actions.none(20)
    on_road = (LaneType.DRIVING, LaneType.RESTRICTED)  # NPCs merge out of closing tapers
    worst = 0.0
    for k in range(int(20e6 // engine.dt_us)):
        state = engine.step(state, acts, tree.generator(k))
        # |d| to the vehicle's own lane jumps by a lane width as a lane change begins, so
        # "on the road" means: near the centre of some driving lane (half a lane + margin)
        near = locate(net, state.x[state.valid], state.y[state.valid], max_dist=50.0,
                      types=on_road)
        worst = max(worst, float(near.dist.max()))
    assert state.valid.all() and np.all(state.lane >= 0)
    assert np.all(np.isin(net.lanes.type[state.lane], on_road))
    assert worst < 2.0, f"a vehicle drifted {worst:.2f} m off the nearest lane centre"
    assert float(state.speed.mean()) > 1.0, "traffic moves"
