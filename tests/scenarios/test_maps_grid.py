"""Grid builder: determinism, spec validation, and the Korean road design of the presets."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from scenarios.maps import (
    ArmOverride,
    RoadClass,
    benchmark_grid,
    build_document,
    build_grid,
    sangam_dmc_grid,
)
from scenarios.maps.layout import SIDE_NAMES, SLOT_POCKET, end_design, plan_grid
from scenarios.maps.xodr import OpenDrive, Road
from sim.roadnet.conventions import (
    ACCESS_RESTRICTION_BUS,
    OBJECT_SUBTYPE_STOP_LINE,
    OBJECT_TYPE_CROSSWALK,
    OBJECT_TYPE_STOP_LINE,
    SIGNAL_TYPE_VEHICLE,
    USERDATA_BUS_LANE_HOURS,
    USERDATA_CHILD_ZONE,
)
from sim.roadnet.network import Turn

W = 3.25


@cache
def sangam() -> OpenDrive:
    return build_document(sangam_dmc_grid())


@cache
def bench3() -> OpenDrive:
    return build_document(benchmark_grid(3, 3))


def roads(doc: OpenDrive) -> dict[int, Road]:
    return {r.id: r for r in doc.roads}


def arms(doc: OpenDrive) -> list[Road]:
    return [r for r in doc.roads if r.junction == -1]


# -- determinism ---------------------------------------------------------------------------


def test_same_spec_gives_identical_bytes():
    spec = sangam_dmc_grid()
    assert build_grid(spec) == build_grid(spec)
    assert build_grid(benchmark_grid(3, 3)) == build_grid(benchmark_grid(3, 3))


def test_identical_bytes_across_processes():
    """Another interpreter with another hash seed writes the same bytes."""
    code = (
        "import hashlib; from scenarios.maps import build_grid, sangam_dmc_grid; "
        "print(hashlib.sha256(build_grid(sangam_dmc_grid()).encode()).hexdigest())"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout.strip()
    assert out == hashlib.sha256(build_grid(sangam_dmc_grid()).encode()).hexdigest()


# -- spec validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "change,field",
    [
        (dict(default_class=RoadClass("x", lanes=())), "lanes"),
        (dict(default_class=RoadClass("x", lanes=("tram",))), "lanes"),
        (dict(default_class=RoadClass("x", lanes=("bus",))), "lanes"),
        (dict(default_class=RoadClass("x", speed_kmh=0.0)), "speed_kmh"),
        (dict(n_cols=1), "n_cols"),
        (dict(n_rows=101), "n_rows"),
        (dict(block_x=0.0), "block_x"),
        (dict(block_y=-5.0), "block_y"),
        (dict(block_x=120.0), "block_x"),  # too short for pockets + tapers at both ends
        (dict(block_y=100.0), "block_y"),
        (dict(lane_width=float("nan")), "lane_width"),
        (dict(corner_radius=0.0), "corner_radius"),
        (dict(corner_radius=float("inf")), "corner_radius"),
        (dict(pocket_length=5.0), "pocket_length"),
        (dict(stop_line_gap=-1.0), "stop_line_gap"),
        (dict(lat0=95.0), "lat0"),
        (dict(name=""), "name"),
        (dict(arm_overrides=(ArmOverride(9, 0, "E"),)), "arm_overrides"),
        (dict(arm_overrides=(ArmOverride(0, 0, "W"),)), "toward"),
        (dict(arm_overrides=(ArmOverride(0, 0, "E", bus_lane_hours="7-9"),)), "bus_lane_hours"),
        (dict(row_classes=((7, RoadClass("x")),)), "row_classes"),
    ],
)
def test_bad_spec_raises_value_error_naming_the_field(change, field):
    spec = dataclasses.replace(benchmark_grid(3, 3), **change)
    with pytest.raises(ValueError, match=field):
        build_grid(spec)


# -- ids -----------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", [sangam, bench3], ids=["sangam", "bench3"])
def test_ids_are_unique_and_roads_never_share_ids_with_junctions(doc):
    d = doc()
    road_ids = [r.id for r in d.roads]
    junction_ids = [j.id for j in d.junctions]
    assert len(set(road_ids)) == len(road_ids)
    assert not set(road_ids) & set(junction_ids)
    object_ids = [o.id for r in d.roads for o in r.objects]
    signal_ids = [s.id for r in d.roads for s in r.signals]
    assert len(set(object_ids)) == len(object_ids)
    assert len(set(signal_ids)) == len(signal_ids)
    controller_refs = [c for j in d.junctions for c, _ in j.controllers]
    assert sorted(controller_refs) == sorted(c.id for c in d.controllers)


def test_benchmark_topology_counts():
    d = build_document(benchmark_grid(10, 10))
    assert len(d.junctions) == 100
    assert len(arms(d)) == 2 * 10 * 9
    unsignalised = [j for j in d.junctions if not j.controllers]
    assert len(unsignalised) == 4  # the corner bends
    # 3 lanes + pocket + slip per direction everywhere
    assert max(len(s.right) for r in arms(d) for s in r.sections) == 3 + 2 + 1


# -- Korean road design --------------------------------------------------------------------


def _section_at(road: Road, s: float):
    return [sec for sec in road.sections if sec.s <= s][-1]


def _offset_at(road: Road, s: float) -> float:
    recs = [lo for lo in road.lane_offsets if lo.s <= s]
    return recs[-1].poly(s - recs[-1].s) if recs else 0.0


def test_pockets_shift_the_centre_line_and_appear_with_zero_width():
    for road in arms(bench3()):
        first, last = road.sections[0], road.sections[-1]
        pocket_end = last.right[0].road_mark is not None and len(last.right) > 4
        if pocket_end:
            assert _offset_at(road, road.length) == pytest.approx(W / 2)
            taper = road.sections[-2]
            assert taper.right[0].widths[0][1](0.0) == 0.0  # appears with zero width
            assert taper.right[0].predecessors == ()
        if len(first.left) > 4:
            assert _offset_at(road, 0.0) == pytest.approx(-W / 2)
            taper = road.sections[1]
            length = road.sections[2].s - taper.s
            assert abs(taper.left[0].widths[0][1](length)) < 1e-9  # ends with zero width
            assert taper.left[0].successors == ()
        mid = road.length / 2
        assert _offset_at(road, mid) == 0.0


def _connecting(doc: OpenDrive) -> list[Road]:
    return [r for r in doc.roads if r.junction != -1]


def _centre_radii(road: Road) -> list[float]:
    """Arc radii [m] at the lane centre (the reference line is the lane's inner border)."""
    return [
        1 / abs(k) + (W / 2 if k > 0 else -W / 2)
        for k in (g.curvature for g in road.geometry)
        if k is not None
    ]


@pytest.mark.parametrize("make", [sangam_dmc_grid, lambda: benchmark_grid(3, 3)])
def test_turn_radii_are_realistic_and_slip_lanes_turn_wider(make):
    spec = make()
    d = build_document(spec)
    signalised = {j.id for j in d.junctions if j.controllers}
    slip_names = set()
    plan = plan_grid(spec)
    n_lanes = {arm.road_id: len(arm.lanes) for arm in plan.arms}
    for node in plan.nodes:
        for side, road_id in node.arms:
            design = end_design(spec, node.i, node.j, side)
            if design.slip:  # approach lanes: [pocket] + through lanes + slip
                k = int(design.slot == SLOT_POCKET) + n_lanes[road_id]
                slip_names.add(f"node_{node.i}_{node.j}_{SIDE_NAMES[side]}{k}_R_")
    found = 0
    for road in _connecting(d):
        radii = _centre_radii(road)
        if road.name[: road.name.index("_R_") + 3] in slip_names if "_R_" in road.name else False:
            found += 1
            assert radii == [pytest.approx(spec.slip_radius)], road.name
        elif "_R_" in road.name:
            # double rights at T stems put inner lanes on wider arcs; at corner bends the
            # curb lane turns on corner_radius and each lane further out 3.25 m wider
            lo, hi = ((12.0, 22.0) if road.junction in signalised
                      else (spec.corner_radius, spec.corner_radius + 2 * 3.25 + 0.1))
            assert all(lo - 1e-9 <= r <= hi for r in radii), road.name
        elif "_L_" in road.name:
            # outer lanes of multi-lefts; at corner bends the other direction's lanes lie
            # outside the right turners, up to six lanes out from corner_radius
            lo, hi = ((15.0, 40.0) if road.junction in signalised
                      else (spec.corner_radius, spec.corner_radius + 6 * 3.25 + 0.1))
            assert all(lo - 1e-9 <= r <= hi for r in radii), road.name
    assert found == len(slip_names) > 0


def test_sangam_median_bus_lane_and_no_general_left_turns():
    d = sangam()
    bus_arm = roads(d)[10101]  # row 1, arm (1, 1) -> E
    mid = _section_at(bus_arm, bus_arm.length / 2)
    for lane in (mid.left[0], mid.right[0]):  # innermost lanes: 24/7 median bus lane
        assert [(a.rule, a.restriction) for a in lane.access] == [("allow", ACCESS_RESTRICTION_BUS)]
        assert lane.user_data == ()  # no hours: all day
        assert (lane.road_mark.type, lane.road_mark.color) == ("solid solid", "blue")
    for lane in mid.left[1:] + mid.right[1:]:
        assert lane.access == ()
    # interior nodes of row 1: nobody turns left off the arterial except into... nothing
    for i in (1, 2, 3):
        for side in ("E", "W"):
            left = [
                r
                for r in _connecting(d)
                if r.name.startswith(f"node_{i}_1_{side}") and "_L_" in r.name
            ]
            assert left == []
    # west end (T stem): the bus lane turns left, bus-only
    stem_bus = [r for r in _connecting(d) if r.name.startswith("node_0_1_E0_")]
    assert [r.name.split("_")[4] for r in stem_bus] == ["L"]
    assert stem_bus[0].sections[0].right[0].access[0].restriction == ACCESS_RESTRICTION_BUS


def test_sangam_connecting_roads_into_bus_lanes_carry_the_restriction():
    d = sangam()
    rd = roads(d)
    for conn in _connecting(d):
        lane = conn.sections[0].right[0]
        target_road = rd[conn.successor.element_id]
        end = target_road.sections[0 if conn.successor.contact_point == "start" else -1]
        target = {ln.id: ln for ln in end.left + end.right}[lane.successors[0]]
        if target.access:
            assert lane.access == target.access, conn.name
            assert lane.user_data == target.user_data, conn.name


def test_every_general_lane_has_a_general_way_on():
    """General traffic is never forced into an all-day bus lane."""
    d = sangam()
    rd = roads(d)
    ways: dict[tuple[int, int], list[Road]] = {}
    for j in d.junctions:
        for c in j.connections:
            ways.setdefault((c.incoming_road, c.lane_links[0][0]), []).append(rd[c.connecting_road])
    for (road_id, lane_id), conns in ways.items():
        road = rd[road_id]
        sec = road.sections[0 if lane_id > 0 else -1]
        lane = {ln.id: ln for ln in sec.left + sec.right}[lane_id]
        if lane.access:
            continue
        open_ways = [
            c
            for c in conns
            if not c.sections[0].right[0].access or c.sections[0].right[0].user_data
        ]
        assert open_ways, (road_id, lane_id)


def test_sangam_curb_bus_lane_hours():
    arm = roads(sangam())[10201]  # row 2, arm (1, 2) -> E
    mid = _section_at(arm, arm.length / 2)
    for lane in (mid.left[-2], mid.right[-2]):  # outermost driving lane (sidewalk is last)
        assert lane.type == "driving"
        assert lane.access[0].restriction == ACCESS_RESTRICTION_BUS
        assert [(u.code, u.value) for u in lane.user_data] == [
            (USERDATA_BUS_LANE_HOURS, "07:00-09:00,17:00-19:00")
        ]


def test_sangam_child_zone_local_road():
    d = sangam()
    local = roads(d)[20202]  # arm (2, 2) -> N
    assert local.speed_kmh == 30.0
    assert [(u.code, u.value.split()[0], u.value.split()[2]) for u in local.user_data] == [
        (USERDATA_CHILD_ZONE, "0", "1")
    ]
    assert float(local.user_data[0].value.split()[1]) == pytest.approx(local.length)
    for sec in local.sections:
        driving = [ln for ln in sec.left + sec.right if ln.type == "driving"]
        assert len(driving) == 2 and all(ln.speed_kmh == 30.0 for ln in driving)
    mid = [
        o for o in local.objects if o.type == OBJECT_TYPE_CROSSWALK and 10 < o.s < local.length - 10
    ]
    assert len(mid) == 1  # unsignalised mid-block crosswalk, with stop lines both ways
    stops = [
        o
        for o in local.objects
        if o.subtype == OBJECT_SUBTYPE_STOP_LINE and abs(o.s - mid[0].s) < 10
    ]
    assert sorted(o.orientation for o in stops) == ["+", "-"]
    assert all(abs(sig.s - mid[0].s) > 10 for sig in local.signals)
    other = roads(d)[20200]
    assert other.speed_kmh == 50.0 and other.user_data == ()


def test_signalised_arm_ends_have_crosswalk_stop_line_and_signal():
    d = sangam()
    for road in arms(d):
        for sig in road.signals:
            assert sig.type == SIGNAL_TYPE_VEHICLE and sig.dynamic
            plus = sig.orientation == "+"
            stop = [
                o
                for o in road.objects
                if o.type == OBJECT_TYPE_STOP_LINE
                and o.orientation == sig.orientation
                and abs(o.s - sig.s) < 1e-9
            ]
            assert len(stop) == 1
            cw_s = road.length - 2.0 if plus else 2.0
            cw = [
                o
                for o in road.objects
                if o.type == OBJECT_TYPE_CROSSWALK and abs(o.s - cw_s) < 1e-9
            ]
            assert len(cw) == 1 and cw[0].width == 4.0
            assert abs(sig.s - cw_s) == pytest.approx(4.0 / 2 + 2.0)  # cw/2 + gap
            assert len(cw[0].outline) == 5 and cw[0].outline[0] == cw[0].outline[-1]
            v = sig.validities[0]
            assert v.from_lane <= v.to_lane and (v.to_lane < 0) == plus


def test_corner_nodes_are_unsignalised_bends():
    d = sangam()
    corner = {j.id: j for j in d.junctions}[30000]
    assert corner.controllers == ()
    turns = [r.name.split("_")[4] for r in _connecting(d) if r.junction == 30000]
    assert sorted(set(turns)) == ["L", "R"]


def test_through_lanes_line_up_across_junctions():
    """Straight connecting roads are single lines parallel to the axis (no S-bends)."""
    for d in (sangam(), bench3()):
        for road in _connecting(d):
            if "_S_" not in road.name:
                continue
            lines = [g for g in road.geometry if g.curvature is None]
            if len(lines) == 1 and len(road.geometry) == 1:
                assert math.sin(2 * road.geometry[0].hdg) == pytest.approx(0.0, abs=1e-9)
            else:  # an S-bend only where lane counts differ (local 1-lane road)
                assert road.name.startswith("node_2_2_") or road.name.startswith("node_2_3_")


# -- corner bends: bus-friendly radii -------------------------------------------------------

BUS_LENGTH, BUS_WIDTH = 11.0, 2.49  # [m] city bus (sim/actors.py)
CAR_HALF_WIDTH = 0.93  # [m] half a car's width (sim/actors.py)


def _corner_ids(spec) -> set[int]:
    return {n.junction_id for n in plan_grid(spec).nodes if len(n.arms) == 2}


def test_too_large_corner_radius_is_rejected_naming_the_fields():
    with pytest.raises(ValueError, match="block_x.*corner_radius=200.0"):
        build_grid(dataclasses.replace(benchmark_grid(3, 3), corner_radius=200.0))


def _bend_arcs(d: OpenDrive, jid: int) -> list[tuple[float, float, float]]:
    """(centre x, centre y, lane-centre radius) [m] of the one arc of each bend lane, after
    checking that every bend lane is a line + arc + line (lines optional)."""
    out = []
    for road in (r for r in _connecting(d) if r.junction == jid):
        kinds = ["arc" if g.curvature is not None else "line" for g in road.geometry]
        assert kinds in (["arc"], ["line", "arc"], ["arc", "line"], ["line", "arc", "line"])
        g = next(g for g in road.geometry if g.curvature is not None)
        cx, cy = g.x - math.sin(g.hdg) / g.curvature, g.y + math.cos(g.hdg) / g.curvature
        out.append((cx, cy, _centre_radii(road)[0]))
    return out


@pytest.mark.parametrize("make", [sangam_dmc_grid, lambda: benchmark_grid(3, 3)])
@pytest.mark.parametrize("radius", [None, 30.0])
def test_corner_bends_are_concentric_arcs_from_corner_radius_out(make, radius):
    """The curb lane of the right turners (inside of the bend) turns on ``corner_radius``,
    every other bend lane one lane width further out, all pure arcs about one centre."""
    spec = make() if radius is None else dataclasses.replace(make(), corner_radius=radius)
    d = build_document(spec)
    corners = _corner_ids(spec)
    assert len(corners) == 4
    for jid in corners:
        arcs = _bend_arcs(d, jid)
        assert len({(round(cx, 6), round(cy, 6)) for cx, cy, _ in arcs}) == 1
        want = [spec.corner_radius + k * W for k in range(len(arcs))]
        assert sorted(r for *_, r in arcs) == pytest.approx(want, abs=1e-9)
        assert all(len(r.geometry) == 1 for r in _connecting(d) if r.junction == jid)


@pytest.mark.parametrize("lanes", [("general",), ("general", "general")])
def test_corner_bends_between_unequal_arms_keep_the_radius(lanes):
    """3-lane rows meeting a narrower column 0: the box is no longer square, the bend lanes
    get a straight piece, and none turns tighter than ``corner_radius``."""
    spec = dataclasses.replace(benchmark_grid(3, 3), col_classes=((0, RoadClass("c", lanes)),))
    d = build_document(spec)
    for jid in (30000, 30200):  # the corners on column 0
        radii = [r for *_, r in _bend_arcs(d, jid)]
        assert min(radii) == pytest.approx(spec.corner_radius)


def test_corner_boxes_grow_and_only_their_arms_shrink():
    spec = sangam_dmc_grid()
    plan = plan_grid(spec)
    tight = plan_grid(dataclasses.replace(spec, corner_radius=1.0))  # curb radius rules
    grow = spec.corner_radius - W / 2 - spec.curb_radius  # 2-lane collectors at the corners
    bends = {(n.i, n.j) for n in plan.nodes if len(n.arms) == 2}
    for node, old in zip(plan.nodes, tight.nodes):
        want = grow if (node.i, node.j) in bends else 0.0
        assert (node.half_x - old.half_x, node.half_y - old.half_y) == pytest.approx((want, want))
    for arm, old in zip(plan.arms, tight.arms):
        n_bends = len(bends & {arm.start_node, arm.end_node})
        assert old.length - arm.length == pytest.approx(n_bends * grow)


def _min_radius(net, lane: int) -> float:
    """Smallest radius of curvature [m] along a lane, from its sampled headings."""
    sl = net.lane_points(lane)
    dh = np.angle(np.exp(1j * np.diff(net.points.heading[sl])))  # wrapped
    return float(1.0 / np.max(np.abs(dh) / np.diff(net.points.s[sl])))


def _bus_clearance(net, lane: int, others) -> float:
    """Smallest distance [m] from the centrelines of ``others`` to a bus box centred on and
    tangent to ``lane``'s centreline, over every sample of ``lane``."""
    sl = net.lane_points(lane)
    bx, by, bh = net.points.x[sl], net.points.y[sl], net.points.heading[sl]
    px, py = [], []
    for other in others:  # densified to 5 cm, so a box corner sees the polyline itself
        xy = net.lane_xy(int(other))
        s = np.r_[0.0, np.cumsum(np.hypot(*np.diff(xy, axis=0).T))]
        t = np.linspace(0.0, s[-1], int(s[-1] / 0.05) + 2)
        px.append(np.interp(t, s, xy[:, 0]))
        py.append(np.interp(t, s, xy[:, 1]))
    dx = np.concatenate(px)[None, :] - bx[:, None]
    dy = np.concatenate(py)[None, :] - by[:, None]
    c, s = np.cos(bh)[:, None], np.sin(bh)[:, None]
    du = np.maximum(np.abs(dx * c + dy * s) - BUS_LENGTH / 2, 0.0)
    dv = np.maximum(np.abs(-dx * s + dy * c) - BUS_WIDTH / 2, 0.0)
    return float(np.hypot(du, dv).min())


def _bend_lanes(net, jid: int) -> tuple[np.ndarray, np.ndarray]:
    """(right turners, left turners) lane indices of a corner bend; with right-hand traffic
    the right turners ride the inside of the bend, the left turners oppose them outside."""
    ln = net.lanes
    here = ln.junction == jid
    return np.flatnonzero(here & (ln.turn == Turn.RIGHT)), np.flatnonzero(
        here & (ln.turn == Turn.LEFT)
    )


def test_sangam_corner_bends_let_a_bus_pass_opposing_traffic(sangam_path):
    """The loaded Sangam map (``load_network``, CARLA-sampled centrelines): every corner-bend
    lane turns on >= corner_radius, and a bus on the innermost lane stays half a car width
    clear of the opposing lanes' centrelines (and of its neighbour's)."""
    pytest.importorskip("carla")
    from sim.roadnet.loader import load_network

    sangam = load_network(sangam_path)
    spec = sangam_dmc_grid()
    corners = _corner_ids(spec)
    unsignalised = sangam.junctions.odr_id[~sangam.junctions.signalised]
    assert sorted(corners) == sorted(unsignalised.tolist())
    for jid in corners:
        inside, outside = _bend_lanes(sangam, jid)
        assert len(inside) == len(outside) == 2  # 2-lane collectors
        radii = {int(i): _min_radius(sangam, int(i)) for i in (*inside, *outside)}
        assert min(radii.values()) >= spec.corner_radius - 0.05, (jid, radii)
        inner = min(inside, key=lambda i: radii[int(i)])
        assert radii[int(inner)] == pytest.approx(spec.corner_radius, abs=0.05)
        assert _bus_clearance(sangam, inner, outside) >= CAR_HALF_WIDTH
        for lane in (*inside, *outside):  # any bend lane, against the other direction
            opposing = outside if lane in inside else inside
            assert _bus_clearance(sangam, lane, opposing) >= CAR_HALF_WIDTH, (jid, lane)
        neighbour = [i for i in inside if i != inner]
        assert _bus_clearance(sangam, inner, neighbour) >= CAR_HALF_WIDTH


def test_bus_clearance_measure_sees_a_tight_corner(tmp_path):
    """Guard against a vacuous pass: on 7.6 m bends the bus box reaches the next lane."""
    pytest.importorskip("carla")
    from sim.roadnet.loader import load_network

    spec = dataclasses.replace(sangam_dmc_grid(), curb_radius=6.0, corner_radius=6.0)
    path = tmp_path / "tight.xodr"
    path.write_text(build_grid(spec), encoding="utf-8")
    net = load_network(path)
    inside, outside = _bend_lanes(net, 30000)
    inner = min(inside, key=lambda i: _min_radius(net, int(i)))
    assert _min_radius(net, int(inner)) == pytest.approx(6.0 + W / 2, abs=0.05)
    neighbour = [i for i in inside if i != inner]
    assert _bus_clearance(net, inner, neighbour) < CAR_HALF_WIDTH


def test_buildings_line_every_arm_and_load_as_structures_clear_of_every_lane(sangam_path):
    """City blocks occlude sensors: two buildings per arm, read back as oriented boxes that
    no lane (driving or sidewalk) runs through, and none where ``buildings=False``."""
    from sim.roadnet.loader import load_network

    net = load_network(sangam_path)
    st = net.structures
    assert st.n == 2 * len(arms(sangam())) and set(st.type) == {"building"}
    assert np.all(st.height == 20.0) and np.all(st.width == 20.0)
    p = net.points
    for i in range(st.n):
        c, s = math.cos(st.yaw[i]), math.sin(st.yaw[i])
        u = (p.x - st.x[i]) * c + (p.y - st.y[i]) * s
        v = -(p.x - st.x[i]) * s + (p.y - st.y[i]) * c
        assert not np.any((abs(u) < st.length[i] / 2) & (abs(v) < st.width[i] / 2))
    # an arm's two buildings stand on either side of it, parallel to it
    first = arms(sangam())[0]
    g = first.geometry[0]
    mine = [i for i, name in enumerate(st.odr_id) if name.startswith(f"{first.id}:")]
    side = [(st.x[i] - g.x) * -math.sin(g.hdg) + (st.y[i] - g.y) * math.cos(g.hdg) for i in mine]
    assert len(mine) == 2 and min(side) < -15.0 and max(side) > 15.0
    assert all(abs(math.remainder(st.yaw[i] - g.hdg, math.pi)) < 1e-9 for i in mine)
    bare = build_document(dataclasses.replace(sangam_dmc_grid(), buildings=False))
    assert not any(o.type == "building" for r in bare.roads for o in r.objects)
