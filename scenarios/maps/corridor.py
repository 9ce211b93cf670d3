"""Procedural OpenDRIVE 1.8 corridors: non-grid roads built from a frozen spec.

A :class:`CorridorSpec` lists roads (plan view as line/arc records, lane sections with lanes
named by a ``key``) and junctions (which connecting road leaves which incoming road).
:func:`build_corridor` turns it into xodr text, byte-identical for the same spec. Lane
links are derived, never written by hand: a lane links to the lane with the same key in the
neighbouring section, or across a road link in the linked road's touching section (on the
side whose traffic continues), except where its width is zero at that end (ASAM rules
zero_width_at_start / zero_width_at_end). Junction ``<laneLink>`` records come from the
connecting roads' lane predecessors the same way. Lengths [m], angles [rad] counter-clockwise
from +x, speeds [km/h]; right lanes (negative ids) travel +s (right-hand traffic).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .geometry import Pose, end_pose, pose_at, wrap
from .xml_writer import to_xml
from .xodr import (
    Access,
    Connection,
    Controller,
    Geometry,
    Header,
    Junction,
    Lane,
    LaneSection,
    OpenDrive,
    Poly3,
    Road,
    RoadLinkEnd,
    RoadMark,
    RoadObject,
    Signal,
    Tunnel,
    UserData,
)
from .zones import proj_string, zone

LANE_TYPES = ("driving", "sidewalk", "shoulder", "parking", "median", "border", "restricted")

# Marking on a lane's outer border (conventions: solid lines laneChange none, broken both).
MARKS: dict[str, RoadMark | None] = {
    "none": None,
    "broken": RoadMark("broken", "white", "both"),
    "solid": RoadMark("solid", "white", "none"),
    "yellow": RoadMark("solid", "yellow", "none"),
    "bus": RoadMark("solid solid", "blue", "none"),  # blue double line: bus only all day
}


@dataclass(frozen=True)
class LaneDef:
    """One lane of a section: ``width`` [m] at the section start, ``width_end`` [m] at its end
    (None: constant; else a cubic with zero slope at both ends). ``key`` names the lane for
    linking, ``mark`` (a :data:`MARKS` key) is its outer-border marking, ``bus`` makes it bus
    only all day, ``speed_kmh`` overrides the road's limit on this lane."""

    key: str
    type: str
    width: float
    width_end: float | None = None
    mark: str = "none"
    speed_kmh: float | None = None
    bus: bool = False

    def poly(self, length: float) -> Poly3:
        if self.width_end is None or self.width_end == self.width:
            return Poly3(self.width)
        dw = self.width_end - self.width
        return Poly3(self.width, 0.0, 3.0 * dw / length**2, -2.0 * dw / length**3)


@dataclass(frozen=True)
class SectionDef:
    """Lanes from road s ``s`` [m] on; ``left`` / ``right`` ordered from the centre out."""

    s: float
    left: tuple[LaneDef, ...]
    right: tuple[LaneDef, ...]
    centre_mark: str = "none"


@dataclass(frozen=True)
class RoadDef:
    """A road: reference line from ``start`` (x, y [m], hdg [rad]) along ``plan`` records
    (length [m], curvature [1/m] or None for a line); ``junction`` -1 outside junctions."""

    id: int
    name: str
    start: tuple[float, float, float]
    plan: tuple[tuple[float, float | None], ...]
    sections: tuple[SectionDef, ...]
    speed_kmh: float
    road_type: str = "town"
    junction: int = -1
    predecessor: RoadLinkEnd | None = None
    successor: RoadLinkEnd | None = None
    objects: tuple[RoadObject, ...] = ()
    signals: tuple[Signal, ...] = ()
    user_data: tuple[UserData, ...] = ()
    tunnels: tuple[Tunnel, ...] = ()

    @property
    def length(self) -> float:
        return sum(length for length, _ in self.plan)

    def geometry(self) -> tuple[Geometry, ...]:
        x, y, hdg = self.start
        pose, s, out = Pose(x, y, hdg), 0.0, []
        for length, curvature in self.plan:
            g = Geometry(s, pose.x, pose.y, wrap(pose.hdg), length, curvature)
            out.append(g)
            pose, s = end_pose(g), s + length
        return tuple(out)

    def pose(self, s: float) -> Pose:
        """Reference-line pose at road s [m]."""
        return pose_at(self.geometry(), s)

    def section_end(self, k: int) -> float:
        return self.sections[k + 1].s if k + 1 < len(self.sections) else self.length


@dataclass(frozen=True)
class JunctionDef:
    """``connections``: (incoming road id, connecting road id, contact point) triples;
    ``controllers``: (controller id, sequence) references."""

    id: int
    name: str
    connections: tuple[tuple[int, int, str], ...]
    controllers: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class CorridorSpec:
    """A whole corridor map, geo-referenced on the pilot zone ``zone`` (see zones.py)."""

    name: str
    zone: str
    roads: tuple[RoadDef, ...]
    junctions: tuple[JunctionDef, ...] = ()
    controllers: tuple[Controller, ...] = ()
    date: str = "2025-01-01T00:00:00"

    def road(self, road_id: int) -> RoadDef:
        for r in self.roads:
            if r.id == road_id:
                return r
        raise KeyError(f"{self.name}: no road {road_id}")

    def validate(self) -> None:
        """Raise ValueError naming the first inconsistency."""
        zone(self.zone)
        ids = [r.id for r in self.roads]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.name}: duplicate road ids")
        if set(ids) & {j.id for j in self.junctions}:
            raise ValueError(f"{self.name}: road and junction ids overlap (CARLA needs them apart)")
        for r in self.roads:
            where = f"{self.name}: road {r.id}"
            if not r.plan or any(length <= 0 for length, _ in r.plan):
                raise ValueError(f"{where}: plan records need positive lengths")
            starts = [sec.s for sec in r.sections]
            if not starts or starts[0] != 0.0 or starts != sorted(set(starts)) or (
                    starts[-1] >= r.length):
                raise ValueError(f"{where}: sections must start at 0 and increase, got {starts}")
            for sec in r.sections:
                for ln in sec.left + sec.right:
                    if ln.type not in LANE_TYPES or ln.mark not in MARKS:
                        raise ValueError(f"{where}: lane {ln.key!r}: bad type or mark")
            for end in (r.predecessor, r.successor):
                if end is not None and end.element_type == "road" and end.element_id not in ids:
                    raise ValueError(f"{where}: links to missing road {end.element_id}")


Touching = tuple[tuple[LaneDef, ...], float, float, int]


def _touching(spec: CorridorSpec, road: RoadDef, k: int, left: bool,
              ahead: bool) -> Touching | None:
    """The lanes that continue one side of section ``k`` at its start (``ahead`` False) or
    end: (lanes, their section length [m], ds [m] at the contact, sign of their ids). Within
    the road that is the neighbouring section; at a road end the linked road's touching
    section, on the side whose traffic continues ours; None at a junction or no link."""
    nk = k + (1 if ahead else -1)
    if 0 <= nk < len(road.sections):
        sec = road.sections[nk]
        length = road.section_end(nk) - sec.s
        return (sec.left if left else sec.right), length, (0.0 if ahead else length), (
            1 if left else -1)
    end = road.successor if ahead else road.predecessor
    if end is None or end.element_type != "road":
        return None
    other = spec.road(end.element_id)
    at_start = end.contact_point == "start"
    ok = 0 if at_start else len(other.sections) - 1
    sec = other.sections[ok]
    length = other.section_end(ok) - sec.s
    same = at_start == ahead  # our end meets its opposite end: traffic keeps its side
    side_left = left if same else not left
    return (sec.left if side_left else sec.right), length, (0.0 if at_start else length), (
        1 if side_left else -1)


def _link(touch: Touching | None, key: str) -> tuple[int, ...]:
    """Id of lane ``key`` in ``touch`` unless absent or of zero width at the contact."""
    if touch is None:
        return ()
    lanes, length, ds, sign = touch
    for n, ln in enumerate(lanes, start=1):
        if ln.key == key:
            return () if abs(ln.poly(length)(ds)) < 1e-9 else (sign * n,)
    return ()


def _lane_sections(spec: CorridorSpec, road: RoadDef) -> tuple[LaneSection, ...]:
    out = []
    for k, sec in enumerate(road.sections):
        length = road.section_end(k) - sec.s
        sides = []
        for left in (True, False):
            sign = 1 if left else -1
            before = _touching(spec, road, k, left, ahead=False)
            after = _touching(spec, road, k, left, ahead=True)
            built = []
            for n, ln in enumerate(sec.left if left else sec.right, start=1):
                poly = ln.poly(length)
                # a lane of zero width at an end links nothing there (ASAM zero_width rules)
                preds = _link(before, ln.key) if abs(poly(0.0)) > 1e-9 else ()
                succs = _link(after, ln.key) if abs(poly(length)) > 1e-9 else ()
                access = (Access("allow", "bus"),) if ln.bus else ()
                built.append(Lane(id=sign * n, type=ln.type, widths=((0.0, poly),),
                                  road_mark=MARKS[ln.mark], predecessors=preds,
                                  successors=succs, speed_kmh=ln.speed_kmh, access=access))
            sides.append(tuple(built))
        centre = Lane(id=0, type="none", road_mark=MARKS[sec.centre_mark])
        out.append(LaneSection(sec.s, sides[0], centre, sides[1]))
    return tuple(out)


def _bounds(roads: tuple[Road, ...], margin: float = 50.0) -> tuple[float, float, float, float]:
    """north, south, east, west [m]: reference lines sampled every 10 m, plus ``margin``."""
    xs, ys = [], []
    for r in roads:
        n = max(2, int(math.ceil(r.length / 10.0)) + 1)
        for i in range(n):
            p = pose_at(r.geometry, r.length * i / (n - 1))
            xs.append(p.x)
            ys.append(p.y)
    return max(ys) + margin, min(ys) - margin, max(xs) + margin, min(xs) - margin


def build_document(spec: CorridorSpec) -> OpenDrive:
    """The typed OpenDRIVE model of ``spec`` (ValueError naming a bad field)."""
    spec.validate()
    roads = []
    for r in spec.roads:
        roads.append(Road(
            id=r.id, name=r.name, length=r.length, geometry=r.geometry(),
            sections=_lane_sections(spec, r), junction=r.junction, predecessor=r.predecessor,
            successor=r.successor, road_type=r.road_type, speed_kmh=r.speed_kmh,
            objects=tuple(sorted(r.objects, key=lambda o: (o.s, o.id))), signals=r.signals,
            user_data=r.user_data, tunnels=r.tunnels,
        ))
    by_id = {r.id: r for r in roads}
    junctions = []
    for j in spec.junctions:
        conns = []
        for n, (incoming, connecting, contact) in enumerate(j.connections):
            sec = by_id[connecting].sections[0 if contact == "start" else -1]
            links = tuple((lane.predecessors if contact == "start" else lane.successors)[0:1]
                          + (lane.id,) for lane in sec.left + sec.right
                          if (lane.predecessors if contact == "start" else lane.successors))
            conns.append(Connection(n, incoming, connecting, contact,
                                    tuple(sorted(links, key=lambda p: -p[1]))))
        junctions.append(Junction(j.id, j.name, tuple(conns), j.controllers))
    anchor = zone(spec.zone)
    header = Header(name=spec.name, date=spec.date, bounds=_bounds(tuple(roads)),
                    geo_reference=proj_string(anchor.lat, anchor.lon))
    return OpenDrive(header, tuple(roads), spec.controllers, tuple(junctions))


def build_corridor(spec: CorridorSpec) -> str:
    """OpenDRIVE 1.8 text of ``spec``: deterministic, same spec -> same bytes."""
    return to_xml(build_document(spec))


def lane_borders(road: RoadDef, s: float, left: bool) -> list[tuple[int, LaneDef, float, float]]:
    """(lane id, lane, t_inner, t_outer) [m] of one side's lanes at road s, inside out."""
    k = max(i for i, sec in enumerate(road.sections) if sec.s <= s + 1e-9)
    sec = road.sections[k]
    length = road.section_end(k) - sec.s
    sign = 1.0 if left else -1.0
    t, out = 0.0, []
    for n, ln in enumerate(sec.left if left else sec.right, start=1):
        w = ln.poly(length)(s - sec.s)
        out.append((int(sign) * n, ln, t, t + sign * w))
        t += sign * w
    return out
