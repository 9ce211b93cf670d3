"""Roundabout builder: determinism, validation, lane topology, ASAM checker, CARLA, traffic.

The preset is the Jeju airport roundabout: ring centred on the origin, arms E (city),
N (terminal, with the curb drop-off lane), W, S; counter-clockwise circulation.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import subprocess
import sys
from functools import cache

import numpy as np
import pytest

from scenarios.maps.roundabout import (
    build_roundabout,
    build_roundabout_document,
    jeju_airport_roundabout,
)
from scenarios.maps.roundabout_roads import arm_id, ring_junction_id, segment_id
from scenarios.maps.zones import zone
from sim.actions import Actions
from sim.actors import ActorKind
from sim.collision import detect_collisions
from sim.engines.embedded import EmbeddedEngine
from sim.rng import RngTree
from sim.roadnet.loader import load_network_text
from sim.roadnet.network import LaneType
from sim.roadnet.queries import locate, route
from sim.state import empty_state
from sim.traffic.model import circulating_lanes, junction_conflicts
from sim.traffic.spawn import place_vehicle, spawn_traffic

US = 1_000_000
SPEC = jeju_airport_roundabout()


@cache
def text() -> str:
    return build_roundabout(SPEC)


@cache
def net():
    return load_network_text(text(), "jeju_airport_roundabout.xodr")


@cache
def engine() -> EmbeddedEngine:
    return EmbeddedEngine(net())


def arm_point(k: int, dist: float, t: float) -> tuple[float, float]:
    """World point ``dist`` [m] from the ring centre along arm k, ``t`` [m] left of it
    (looking outwards: inbound lanes have t > 0)."""
    th = math.radians(SPEC.arm_angles_deg[k])
    return dist * math.cos(th) - t * math.sin(th), dist * math.sin(th) + t * math.cos(th)


def lane_of(road: int, odr_id: int) -> int:
    ln = net().lanes
    return int(np.flatnonzero((ln.road == road) & (ln.odr_id == odr_id))[0])


# -- determinism and validation -----------------------------------------------------------


def test_same_spec_gives_identical_bytes():
    assert build_roundabout(SPEC) == text()
    code = ("import hashlib; from scenarios.maps.roundabout import build_roundabout, "
            "jeju_airport_roundabout as j; "
            "print(hashlib.sha256(build_roundabout(j()).encode()).hexdigest())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=dict(os.environ, PYTHONHASHSEED="4321"))
    assert out.stdout.strip() == hashlib.sha256(text().encode()).hexdigest()


@pytest.mark.parametrize(("field", "value"), [
    ("name", ""),
    ("lat0", 91.0),
    ("arm_angles_deg", (0.0, 90.0)),
    ("arm_angles_deg", (0.0, 180.0, 90.0)),
    ("arm_angles_deg", (0.0, 20.0, 180.0, 270.0)),
    ("arm_names", ("a", "b")),
    ("circulating_lanes", 0),
    ("arm_lanes", 3),
    ("inscribed_radius", 12.0),
    ("lane_width", -3.5),
    ("ring_lane_width", float("nan")),
    ("median_width", -1.0),
    ("entry_radius", 500.0),
    ("arm_length", 30.0),
    ("curb_arm", 4),
    ("far_ends", "loop"),
    ("turnaround_radius", 0.5),
    ("arm_speed_kmh", 0.0),
])
def test_validate_names_the_bad_field(field, value):
    bad = dataclasses.replace(SPEC, **{field: value})
    with pytest.raises(ValueError, match=field):
        bad.validate()
    with pytest.raises(ValueError, match=field):
        build_roundabout(bad)


def test_variants_build():
    """Other layouts are fine too: three arms, one lane, no median, dead ends."""
    for spec in (
        dataclasses.replace(SPEC, arm_angles_deg=(0.0, 120.0, 240.0), arm_names=(),
                            curb_arm=None),
        dataclasses.replace(SPEC, circulating_lanes=1, arm_lanes=1, median_width=0.0),
        dataclasses.replace(SPEC, arm_lanes=1, far_ends="dead_end", crosswalks=False),
    ):
        assert "<junction" in build_roundabout(spec)


# -- the preset ---------------------------------------------------------------------------


def test_preset_matches_the_brief():
    spec = SPEC
    spec.validate()
    assert spec.circulating_lanes == 2 and spec.arm_lanes == 2 and spec.n_arms == 4
    assert 25.0 <= spec.inscribed_radius <= 35.0
    assert 200.0 <= spec.arm_length <= 250.0 and 50.0 <= spec.arm_speed_kmh <= 60.0
    doc = build_roundabout_document(spec)
    anchor = zone("jeju")
    assert f"+lat_0={anchor.lat!r} +lon_0={anchor.lon!r}" in doc.header.geo_reference
    assert all(not r.signals for r in doc.roads) and not doc.controllers  # yield, no lights
    arms = [r for r in doc.roads if r.junction == -1 and r.id <= spec.n_arms]
    assert all(len(r.objects) == 1 and r.objects[0].type == "crosswalk" for r in arms)
    terminal = next(r for r in arms if r.id == arm_id(spec.curb_arm))
    right = terminal.sections[0].right
    assert [ln.type for ln in right] == ["median", "driving", "driving", "driving", "sidewalk"]
    assert right[3].speed_kmh == spec.curb_speed_kmh
    assert len(doc.junctions) == 2 * spec.n_arms  # ring junctions + far-end turnarounds


# -- topology -----------------------------------------------------------------------------


def test_circulating_lanes_form_a_counter_clockwise_cycle():
    n, ln, p = net(), net().lanes, net().points
    ring_roads = {segment_id(k) for k in range(SPEC.n_arms)}
    ring_roads |= {100 * ring_junction_id(k) + j for k in range(SPEC.n_arms)
                   for j in range(SPEC.circulating_lanes)}  # the "ring<j>" connecting roads
    for odr_id in (-1, -2):
        start = lane_of(segment_id(0), odr_id)
        cycle, lane, turned = [start], start, 0.0
        while True:
            nxt = [int(s) for s in ln.successors(lane) if int(ln.road[s]) in ring_roads]
            assert len(nxt) == 1, f"ring lane {n.lane_key(lane)} has successors {nxt}"
            lane = nxt[0]
            if lane == start:
                break
            cycle.append(lane)
            assert len(cycle) < 4 * SPEC.n_arms
        assert len(cycle) == 2 * SPEC.n_arms
        for lane in cycle:
            sl = n.lane_points(lane)
            x, y, h = p.x[sl], p.y[sl], p.heading[sl]
            ccw = np.arctan2(y, x) + math.pi / 2  # counter-clockwise tangent
            assert np.all(np.abs(np.angle(np.exp(1j * (h - ccw)))) < 0.02)
            turned += float(np.sum(np.angle(np.exp(1j * np.diff(np.unwrap(h))))))
            assert np.ptp(np.hypot(x, y)) < 0.05  # on one circle
        assert turned == pytest.approx(2 * math.pi, abs=0.2)
    flagged = {n.lane_key(i)[0] for i in np.flatnonzero(circulating_lanes(n))}
    assert flagged == ring_roads - {segment_id(k) for k in range(SPEC.n_arms)}


def test_entries_yield_to_circulating_lanes_in_the_conflict_table():
    ln = net().lanes
    ptr, conf = junction_conflicts(net())
    rank = circulating_lanes(net()).astype(np.int32)  # what the engine passes as lane_rank
    assert rank.shape == (ln.n,)
    for k in range(SPEC.n_arms):
        entry0 = lane_of(100 * ring_junction_id(k) + 2, -1)  # inner entry: crosses the ring
        outer_ring = lane_of(100 * ring_junction_id(k) + 1, -1)
        assert rank[entry0] == 0 and rank[outer_ring] == 1
        assert outer_ring in conf[ptr[entry0]:ptr[entry0 + 1]]


def test_every_entry_reaches_every_exit():
    w = SPEC.lane_width
    t_in = SPEC.median_width / 2 + 1.5 * w  # centre of the outer inbound lane
    start_d = 120.0  # [m] from the centre: ~80 m before the yield point
    for a in range(SPEC.n_arms):
        for b in range(SPEC.n_arms):
            start, goal = arm_point(a, start_d, t_in), arm_point(b, 140.0, -t_in)
            r = route(net(), start, goal)
            junctions = {int(net().lanes.junction[x]) for x in r.lanes} - {-1}
            assert ring_junction_id(a) in junctions and ring_junction_id(b) in junctions
            assert int(net().lanes.road[r.lanes[-1]]) == arm_id(b)


def test_reference_points_lie_on_the_lanes_they_name():
    """The points handed to scenario writers (see the module docstring of the report)."""
    n = net()
    pts = {  # (x, y) [m] -> (road, lane id)
        (6.25, -120.5): (arm_id(3), 3),   # ego start: S arm inbound outer lane, 80 m out
        (2.75, 140.5): (arm_id(1), -2),   # goal straight on: N arm outbound inner lane
        (-140.5, 2.75): (arm_id(2), -2),  # goal 3/4 round (a left): W arm outbound
        (9.75, 100.5): (arm_id(1), -4),   # curb drop-off lane of the terminal arm
        (17.85, 17.85): (segment_id(0), -1),  # circulating, inner lane
    }
    for (x, y), (road, odr_id) in pts.items():
        loc = locate(n, x, y, max_dist=2.0)
        assert n.lane_key(int(loc.lane[0]))[::2] == (road, odr_id) and loc.dist[0] < 0.3
    assert len(route(n, (6.25, -120.5), (-140.5, 2.75)).lanes) >= 3
    assert len(route(n, (6.25, -120.5), (9.75, 100.5)).lanes) >= 3


# -- external tools -----------------------------------------------------------------------


VERSION_SKIPPED = {"check_asam_xodr_junctions_connection_one_connection_element"}


def assert_clean(report) -> None:
    """As in test_maps_qc: no problems, and every checker ran (a schema issue would make
    the rest skip), except the one whose version range excludes OpenDRIVE 1.8."""
    assert report.problems() == []
    skipped = {o.checker_id for o in report.with_status("skipped")}
    assert skipped == VERSION_SKIPPED
    assert all(report.skipped_for_version_only(o) for o in report.with_status("skipped"))
    completed = report.with_status("completed")
    assert len(completed) == len(report.outcomes) - len(VERSION_SKIPPED) >= 20
    assert any(o.checker_id.endswith("valid_schema") for o in completed)
    assert any(o.checker_id.endswith("no_horizontal_gaps") for o in completed)


def test_passes_the_asam_checker():
    pytest.importorskip("qc_opendrive")
    from .qc_util import run_qc

    assert_clean(run_qc(text()))
    for variant in (dataclasses.replace(SPEC, circulating_lanes=3, inscribed_radius=40.0),
                    dataclasses.replace(SPEC, arm_angles_deg=(10.0, 130.0, 250.0),
                                        arm_names=(), curb_arm=0, median_width=0.0)):
        assert_clean(run_qc(build_roundabout(variant)))


def test_loads_in_carla():
    carla = pytest.importorskip("carla")
    cmap = carla.Map(SPEC.name, text())
    assert len(cmap.generate_waypoints(5.0)) > 500
    geo = cmap.transform_to_geolocation(carla.Location(0.0, 0.0, 0.0))
    assert geo.latitude == pytest.approx(SPEC.lat0, abs=1e-9)
    assert geo.longitude == pytest.approx(SPEC.lon0, abs=1e-9)
    assert len(cmap.get_topology()) > 50


# -- traffic ------------------------------------------------------------------------------


def test_entering_car_gives_way_to_a_circulating_one():
    """A car reaching the yield point first still waits for a car circulating on the lane
    its entry crosses; the circulating car keeps its speed."""
    n, k = net(), 1
    j_up, j = ring_junction_id(k - 1), ring_junction_id(k)
    ring_route = [lane_of(100 * j_up + 1, -1), lane_of(segment_id(k - 1), -2)]
    entry_route = [lane_of(arm_id(k), 2), lane_of(100 * j + 2, -1)]
    for m in range(k, k + 3):  # then round the ring (routes must not end near the test)
        ring_route += [lane_of(100 * ring_junction_id(m % 4) + 1, -1),
                       lane_of(segment_id(m % 4), -2)]
        entry_route += [lane_of(segment_id(m % 4), -1),
                        lane_of(100 * ring_junction_id((m + 1) % 4), -1)]
    arm_in = entry_route[0]
    st = empty_state(2, 8)
    st = place_vehicle(n, st, 0, 1, ActorKind.CAR, np.asarray(entry_route, np.int32),
                       float(n.lanes.length[arm_in]) - 12.0, 5.0, False, RngTree(0).generator())
    st = place_vehicle(n, st, 1, 2, ActorKind.CAR, np.asarray(ring_route, np.int32),
                       5.0, 7.0, False, RngTree(1).generator())
    tree = RngTree(2).child("engine")
    states = [st]
    for step in range(300):
        st = engine().step(st, Actions.none(2), tree.generator(step))
        states.append(st)
        assert not detect_collisions(st).rows.size
    assert min(s.speed[1] for s in states) > 5.0, "the circulating car must not brake"
    waited = [s for s in states if s.lane[0] == arm_in and s.speed[0] < 0.5]
    assert waited, "the entering car stops at the yield point"
    assert states[-1].lane[0] != arm_in, "and enters once the ring is clear"


def test_kernel_matches_its_reference_twin_on_the_roundabout():
    """The priority ranks take the same path in the Numba kernel and the Python twin."""
    from tests.sim.test_traffic_reference import compare, engine_step_args

    n, eng, rows = net(), engine(), 30
    st = spawn_traffic(n, empty_state(rows, 16), RngTree(5).generator(), rows)
    tree = RngTree(5).child("engine")
    for step in range(400):
        if step % 50 == 49:
            args, st = engine_step_args(eng, st, Actions.none(rows), tree.generator(step))
            compare(args, f"roundabout step {step}")
        else:
            st = eng.step(st, Actions.none(rows), tree.generator(step))


def test_sixty_seconds_of_traffic():
    n, eng = net(), engine()
    rows = 30
    st = spawn_traffic(n, empty_state(rows, 16), RngTree(3).generator(), rows)
    tree = RngTree(3).child("engine")
    active, onsets, speeds = set(), [], []
    for step in range(int(60 * US / eng.dt_us)):
        st = eng.step(st, Actions.none(rows), tree.generator(step))
        pairs = detect_collisions(st).as_set()
        onsets += sorted(pairs - active)
        active = pairs
        v = st.valid
        assert v.sum() == rows
        speeds.append(float(st.speed[v].mean()))
        if step % 20 == 0:  # on the road: within its lane, by the nearest driving lane
            loc = locate(n, st.x[v], st.y[v], max_dist=10.0,
                         types=(LaneType.DRIVING,))
            assert np.all(loc.lane >= 0) and np.all(np.abs(loc.d) < 2.5)
    # 0 onsets in 20 seeds x 60 s when measured; allow one for numerical corner cases
    assert len(onsets) <= 1, f"collision onsets: {onsets}"
    assert np.mean(speeds) > 3.0, "traffic keeps flowing"
    assert speeds[-1] > 2.0
