"""The preset maps in CARLA's client-side map (``carla.Map(name, xodr)``, no server)."""

from __future__ import annotations

import math
from functools import cache

import pytest

from scenarios.maps import benchmark_grid, build_document, sangam_dmc_grid
from scenarios.maps.xml_writer import to_xml
from scenarios.maps.xodr import OpenDrive, Road
from scenarios.maps.zones import zone
from sim.roadnet.conventions import OBJECT_TYPE_CROSSWALK

carla = pytest.importorskip("carla")

EPS = 0.05  # [m] probe this far inside a lane section


@cache
def loaded(name: str) -> tuple[OpenDrive, object]:
    spec = {
        "sangam": sangam_dmc_grid,
        "bench3": lambda: benchmark_grid(3, 3),
        "bench10": benchmark_grid,
    }[name]()
    doc = build_document(spec)
    return doc, carla.Map(spec.name, to_xml(doc))


MAPS = ["sangam", "bench3", "bench10"]


def _ref_point(road: Road, s: float) -> tuple[float, float, float]:
    g = road.geometry[0]  # arms are single lines
    return g.x + s * math.cos(g.hdg), g.y + s * math.sin(g.hdg), g.hdg


def _offset_at(road: Road, s: float) -> float:
    recs = [lo for lo in road.lane_offsets if lo.s <= s]
    return recs[-1].poly(s - recs[-1].s) if recs else 0.0


@pytest.mark.parametrize("name", MAPS)
def test_origin_maps_to_the_anchor(name):
    _, cmap = loaded(name)
    geo = cmap.transform_to_geolocation(carla.Location(0.0, 0.0, 0.0))
    anchor = zone("sangam")
    assert geo.latitude == pytest.approx(anchor.lat, abs=1e-9)
    assert geo.longitude == pytest.approx(anchor.lon, abs=1e-9)
    east = cmap.transform_to_geolocation(carla.Location(1000.0, 0.0, 0.0))
    assert east.longitude > anchor.lon and east.latitude == pytest.approx(anchor.lat, abs=1e-4)


@pytest.mark.parametrize("name", MAPS)
def test_every_driving_lane_has_a_successor_and_a_predecessor(name):
    """Probe each driving lane of each section at both ends of its travel direction.

    Only lanes that appear with zero width (pocket and slip tapers) may lack a predecessor.
    """
    doc, cmap = loaded(name)
    no_next, no_prev, appearing = [], [], 0
    for road in doc.roads:
        bounds = [sec.s for sec in road.sections] + [road.length]
        for k, sec in enumerate(road.sections):
            s0, s1 = bounds[k], bounds[k + 1]
            for lane in sec.left + sec.right:
                if lane.type != "driving":
                    continue
                forward = lane.id < 0
                end_s, start_s = (s1 - EPS, s0 + EPS) if forward else (s0 + EPS, s1 - EPS)
                wp = cmap.get_waypoint_xodr(road.id, lane.id, end_s)
                assert wp is not None, (road.id, lane.id, end_s)
                if not wp.next(2 * EPS):
                    no_next.append((road.id, k, lane.id))
                width = lane.widths[0][1](0.0 if forward else s1 - s0)
                if width < 1e-9:
                    appearing += 1
                    continue
                wp = cmap.get_waypoint_xodr(road.id, lane.id, start_s)
                if not wp.previous(2 * EPS):
                    no_prev.append((road.id, k, lane.id))
    assert no_next == []
    assert no_prev == []
    assert appearing > 0


@pytest.mark.parametrize("name", MAPS)
def test_crosswalks_come_back_as_closed_polygons(name):
    """One closed polygon (first corner repeated) per crosswalk object.

    CARLA 0.9.16 anchors crosswalk outlines on the centre lane (reference line plus
    ``laneOffset``) rather than on the reference line as OpenDRIVE specifies, so at arm
    ends with a left-turn slot its polygons sit ``W/2`` to the side of the true ones; the
    expected positions below model exactly that.
    """
    doc, cmap = loaded(name)
    points = [(p.x, -p.y) for p in cmap.get_crosswalks()]  # CARLA y = -OpenDRIVE y
    polygons, current = [], []
    for p in points:
        current.append(p)
        if len(current) > 1 and math.dist(current[0], p) < 1e-6:
            polygons.append(current)
            current = []
    assert current == [] and all(len(poly) == 5 for poly in polygons)
    expected = []
    for road in doc.roads:
        for obj in road.objects:
            if obj.type != OBJECT_TYPE_CROSSWALK:
                continue
            x, y, h = _ref_point(road, obj.s)
            t = obj.t + _offset_at(road, obj.s)  # CARLA's base: the centre lane
            mid_u = sum(c.u for c in obj.outline[:4]) / 4
            nx, ny = -math.sin(h), math.cos(h)
            expected.append((x + (t + mid_u) * nx, y + (t + mid_u) * ny, obj.length))
    assert len(polygons) == len(expected) > 0
    for poly in polygons:
        cx = sum(p[0] for p in poly[:4]) / 4
        cy = sum(p[1] for p in poly[:4]) / 4
        span = max(math.dist(poly[0], poly[1]), math.dist(poly[1], poly[2]))
        match = [e for e in expected if math.dist((cx, cy), e[:2]) < 0.01]
        assert len(match) == 1, (cx, cy)
        assert span == pytest.approx(match[0][2], abs=0.01)


@pytest.mark.parametrize("name", MAPS)
def test_signals_come_back_as_landmarks_with_lane_validities(name):
    doc, cmap = loaded(name)
    want = {str(sig.id): (road.id, sig) for road in doc.roads for sig in road.signals}
    got = {lm.id: lm for lm in cmap.get_all_landmarks()}
    assert set(got) == set(want) and want
    for sid, (road_id, sig) in want.items():
        lm = got[sid]
        assert lm.road_id == road_id
        assert lm.s == pytest.approx(sig.s)
        assert lm.type == "1000001" and lm.is_dynamic
        expected = [(v.from_lane, v.to_lane) for v in sig.validities]
        assert [tuple(v) for v in lm.get_lane_validities()] == expected
        wanted = (
            carla.LandmarkOrientation.Positive
            if sig.orientation == "+"
            else (carla.LandmarkOrientation.Negative)
        )
        assert lm.orientation == wanted


def test_lane_change_permissions_reach_carla():
    doc, cmap = loaded("sangam")
    road = next(r for r in doc.roads if r.id == 10000)  # 2 lanes per direction
    s = road.length / 2
    inner = cmap.get_waypoint_xodr(road.id, -1, s)
    outer = cmap.get_waypoint_xodr(road.id, -2, s)
    assert inner.lane_change == carla.LaneChange.Right  # centre line solid, lane line broken
    assert outer.lane_change == carla.LaneChange.Left  # edge line solid
    assert inner.left_lane_marking.type == carla.LaneMarkingType.SolidSolid
    assert inner.left_lane_marking.color == carla.LaneMarkingColor.Yellow
