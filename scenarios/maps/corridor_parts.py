"""Building blocks for corridor presets: turnaround loops, crosswalks, stop lines, signal
heads and traffic cones, all placed from a :class:`~scenarios.maps.corridor.RoadDef`.

Encodings follow ``sim/roadnet/conventions.py``. Lengths [m], angles [rad].
"""

from __future__ import annotations

import dataclasses
import math

from sim.roadnet.conventions import (
    OBJECT_SUBTYPE_STOP_LINE,
    OBJECT_TYPE_CROSSWALK,
    OBJECT_TYPE_STOP_LINE,
    SIGNAL_TYPE_VEHICLE,
)

from .corridor import CorridorSpec, JunctionDef, LaneDef, RoadDef, SectionDef, lane_borders
from .geometry import Geometry, Pose, end_pose
from .xodr import CornerLocal, RoadLinkEnd, RoadObject, Signal, Validity

STOP_LINE_THICKNESS = 0.45  # [m] along the road, as in the grid maps
SIGNAL_Z_OFFSET = 5.0  # [m] head above the road
TURNAROUND_RADIUS = 30.0  # [m] reference-line radius of both arcs of a turnaround loop
TURNAROUND_SPEED_KMH = 40.0


def mirrored(s: float, lanes: tuple[LaneDef, ...], centre_mark: str = "none") -> SectionDef:
    """Section with the same lanes on both sides (a divided road's usual cross-section)."""
    return SectionDef(s, lanes, lanes, centre_mark)


def turnaround(junction_id: int, road_id: int, main: RoadDef, at_end: bool,
               radius: float = TURNAROUND_RADIUS) -> tuple[RoadDef, JunctionDef]:
    """A balloon loop that turns the traffic arriving at one end of a divided road back.

    The loop's reference line starts on the inner border of the arriving driving lanes (the
    median edge, ``a`` [m] from the centre line) and ends on that of the departing ones, with
    the arriving lanes on its right. It turns right by ``alpha``, left by ``pi + 2 alpha``
    and right by ``alpha`` again, all on ``radius``: symmetric about the road axis, so it
    closes exactly when ``cos(alpha) = (a + R) / 2R``. A plain semicircle would have radius
    ``a`` (~1 m), far too tight; the balloon keeps every lane above ~20 m radius.
    """
    s_end = main.length if at_end else 0.0
    rows = [row for row in lane_borders(main, min(s_end, main.length - 1e-6), left=not at_end)
            if row[1].type == "driving"]
    a = abs(rows[0][2])
    lanes = tuple(LaneDef(ln.key, ln.type, ln.width, mark=ln.mark, bus=ln.bus)
                  for _, ln, _, _ in rows)
    p = main.pose(s_end)
    hdg = p.hdg if at_end else p.hdg + math.pi
    x, y = p.at(0.0, -a if at_end else a)
    alpha = math.acos((a + radius) / (2.0 * radius))
    k = 1.0 / radius
    plan = ((radius * alpha, -k), (radius * (math.pi + 2.0 * alpha), k), (radius * alpha, -k))
    contact = "end" if at_end else "start"
    loop = RoadDef(
        id=road_id, name=f"{main.name}_turnaround_{contact}", start=(x, y, hdg), plan=plan,
        sections=(SectionDef(0.0, (), lanes),), speed_kmh=TURNAROUND_SPEED_KMH,
        road_type=main.road_type, junction=junction_id,
        predecessor=RoadLinkEnd("road", main.id, contact),
        successor=RoadLinkEnd("road", main.id, contact),
    )
    return loop, JunctionDef(junction_id, f"{main.name}_turnaround_{contact}",
                             ((main.id, road_id, "start"),))


def backward_start(end: Pose, plan: tuple[tuple[float, float | None], ...]
                   ) -> tuple[float, float, float]:
    """Start (x, y, hdg) of a road with ``plan`` that must end exactly at pose ``end``:
    walk the plan backwards (reversed heading, each arc's curvature negated)."""
    pose = Pose(end.x, end.y, end.hdg + math.pi)
    for length, k in reversed(plan):
        pose = end_pose(Geometry(0.0, pose.x, pose.y, pose.hdg, length,
                                 None if k is None else -k))
    return pose.x, pose.y, pose.hdg - math.pi


def divided_lanes(n: int, width: float, median_half: float, outer: LaneDef,
                  speed_kmh: float | None = None) -> tuple[LaneDef, ...]:
    """One side of a divided road from the centre out: half the median (yellow edge line),
    ``n`` driving lanes ``d1..dn`` (broken between, solid at the edge), then ``outer``."""
    lanes = [LaneDef("med", "median", median_half, mark="yellow")]
    for i in range(1, n + 1):
        lanes.append(LaneDef(f"d{i}", "driving", width, mark="broken" if i < n else "solid",
                             speed_kmh=speed_kmh))
    return (*lanes, outer)


def with_loops(name: str, zone_key: str, mains: tuple[RoadDef, ...], first: RoadDef,
               last: RoadDef, extra_junctions=(), controllers=()) -> CorridorSpec:
    """The spec with turnaround loops at the start of ``first`` and the end of ``last``."""
    loop_a, ja = turnaround(9001, 901, first, at_end=False)
    loop_b, jb = turnaround(9002, 902, last, at_end=True)
    mains = tuple(
        dataclasses.replace(
            r,
            predecessor=RoadLinkEnd("junction", 9001) if r.id == first.id else r.predecessor,
            successor=RoadLinkEnd("junction", 9002) if r.id == last.id else r.successor,
        )
        for r in mains
    )
    return CorridorSpec(name, zone_key, (*mains, loop_a, loop_b),
                        (*extra_junctions, ja, jb), controllers)


def carriageway(road: RoadDef, s: float) -> tuple[float, float]:
    """(t_min, t_max) [m] between the sidewalks (or road edges) at road s."""
    ts = [0.0]
    for left in (True, False):
        ts += [t for _, ln, _, t in lane_borders(road, s, left) if ln.type != "sidewalk"]
    return min(ts), max(ts)


def _approach(road: RoadDef, s: float, left: bool) -> tuple[list[int], float, float]:
    rows = [r for r in lane_borders(road, s, left) if r[1].type == "driving"]
    ts = [t for r in rows for t in (r[2], r[3])]
    return [r[0] for r in rows], min(ts), max(ts)


def crosswalk(road: RoadDef, object_id: int, s: float, width: float = 4.0) -> RoadObject:
    """Crosswalk ``width`` [m] along the road centred at ``s``, curb to curb: a closed
    5-point cornerLocal outline at t = 0 with the local frame turned by pi/2 (u across the
    road), exactly like the grid maps (see traffic_control.crosswalk for the CARLA quirks)."""
    t_min, t_max = carriageway(road, s)
    half = width / 2.0
    corners = [(t_min, -half), (t_max, -half), (t_max, half), (t_min, half), (t_min, -half)]
    return RoadObject(
        id=object_id, type=OBJECT_TYPE_CROSSWALK, name=f"crosswalk_{object_id}", s=s, t=0.0,
        hdg=math.pi / 2.0, length=t_max - t_min, width=width,
        outline=tuple(CornerLocal(u, v) for u, v in corners),
    )


def stop_line(road: RoadDef, object_id: int, s: float, left: bool) -> RoadObject:
    """Stop line across one side's driving lanes at ``s``: '+' for right lanes."""
    _, t_min, t_max = _approach(road, s, left)
    return RoadObject(
        id=object_id, type=OBJECT_TYPE_STOP_LINE, subtype=OBJECT_SUBTYPE_STOP_LINE,
        name=f"stop_line_{object_id}", s=s, t=(t_min + t_max) / 2.0,
        length=STOP_LINE_THICKNESS, width=t_max - t_min, orientation="-" if left else "+",
    )


def signal_head(road: RoadDef, signal_id: int, s: float, left: bool,
                beyond: float = 1.5) -> Signal:
    """Vehicle signal head ``beyond`` [m] outside the carriageway at the stop line ``s``,
    valid for that side's driving lanes."""
    ids, _, _ = _approach(road, s, left)
    t_min, t_max = carriageway(road, s)
    return Signal(
        id=signal_id, name=f"signal_{signal_id}", s=s,
        t=t_max + beyond if left else t_min - beyond, type=SIGNAL_TYPE_VEHICLE, subtype="-1",
        orientation="-" if left else "+", dynamic=True, z_offset=SIGNAL_Z_OFFSET,
        height=1.0, width=0.4, validities=(Validity(min(ids), max(ids)),),
    )


def cones(road: RoadDef, first_id: int, s0: float, s1: float, key: str, left: bool,
          step: float = 10.0) -> tuple[RoadObject, ...]:
    """Traffic cones every ``step`` [m] on [s0, s1] along the inner border of lane ``key``
    (the edge of a closed area): ``<object type="obstacle" subtype="trafficCone">``."""
    out = []
    n = int(math.floor((s1 - s0) / step + 1e-9)) + 1
    for i in range(n):
        s = min(s0 + i * step, s1 - 1e-3)
        t = next(r[2] for r in lane_borders(road, s, left) if r[1].key == key)
        out.append(RoadObject(
            id=first_id + i, type="obstacle", subtype="trafficCone", name=f"cone_{first_id + i}",
            s=s, t=t, length=0.4, width=0.4, z_offset=0.0,
        ))
    return tuple(out)
