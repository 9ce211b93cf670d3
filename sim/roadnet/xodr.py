"""Read the parts of an OpenDRIVE file that CARLA's client map does not expose.

``carla.Map`` gives lane geometry, topology and signals; this module reads speeds, access
rules, kav's ``userData`` (bus-lane hours, child protection zones), stop lines, crosswalk
outlines and the lane-offset / width polynomials we need to place objects. It also checks
the file's structure first, because CARLA's parser crashes the whole process (SIGSEGV) on
some malformed input, e.g. a road without ``<planView>`` or a negative length.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from sim.roadnet import conventions as cv


class MapError(ValueError):
    """A map file that kav cannot use; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Poly3:
    """a + b*ds + c*ds^2 + d*ds^3 starting at ``s0`` (road s or section-relative s)."""

    s0: float
    a: float
    b: float
    c: float
    d: float

    def at(self, s: float) -> float:
        ds = s - self.s0
        return self.a + ds * (self.b + ds * (self.c + ds * self.d))


def eval_poly_records(records: tuple[Poly3, ...], s: float) -> float:
    """Value of a piecewise cubic (records sorted by s0) at ``s``; 0 before the first."""
    value = 0.0
    for rec in records:
        if rec.s0 <= s + 1e-9:
            value = rec.at(s)
        else:
            break
    return value


@dataclass(frozen=True)
class XLane:
    odr_id: int
    type: str
    widths: tuple[Poly3, ...]  # s0 relative to the lane section start
    speeds: tuple[tuple[float, float], ...]  # (sOffset [m], max [m/s])
    bus_only: bool
    bus_hours: tuple[tuple[int, int], ...]  # seconds of day; () = all day


@dataclass(frozen=True)
class XSection:
    s: float
    s_end: float
    lanes: tuple[XLane, ...]

    def lane(self, odr_id: int) -> XLane | None:
        for ln in self.lanes:
            if ln.odr_id == odr_id:
                return ln
        return None


@dataclass(frozen=True)
class XObject:
    id: str
    type: str
    subtype: str
    s: float
    t: float
    hdg: float
    width: float
    length: float
    orientation: str
    outline: tuple[tuple[float, float], ...]  # cornerLocal (u, v) [m]
    outline_road: tuple[tuple[float, float], ...]  # cornerRoad (s, t) [m]
    height: float = 0.0  # [m] above the road surface; 0 when the file gives none


@dataclass(frozen=True)
class XRoad:
    id: int
    length: float
    junction: int
    type_speeds: tuple[tuple[float, float], ...]  # (s, max [m/s])
    lane_offsets: tuple[Poly3, ...]
    sections: tuple[XSection, ...]
    objects: tuple[XObject, ...]
    child_zones: tuple[tuple[float, float, bool], ...]  # (s0, s1, has_sidewalk)

    def section_at(self, s: float) -> XSection:
        for sec in reversed(self.sections):
            if sec.s <= s + 1e-9:
                return sec
        return self.sections[0]


@dataclass(frozen=True)
class XodrDoc:
    source: str
    name: str
    geo_reference: str
    roads: dict[int, XRoad] = field(repr=False)
    junction_ids: tuple[int, ...] = ()


_NO_LIMIT = (None, "no limit", "undefined")
_SPEED_UNITS = {"m/s": 1.0, "km/h": 1.0 / 3.6, "mph": 0.44704}


def parse_xodr(text: str, source: str) -> XodrDoc:
    """Parse and structurally validate OpenDRIVE text. Raises :class:`MapError`."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise MapError(f"{source}: not well-formed XML ({exc})") from None
    if _local(root.tag) != "OpenDRIVE":
        raise MapError(f"{source}: root element is <{_local(root.tag)}>, expected <OpenDRIVE>")
    header = _child(root, "header")
    if header is None:
        raise MapError(f"{source}: missing <header>")
    geo = _child(header, "geoReference")
    roads: dict[int, XRoad] = {}
    for el in _children(root, "road"):
        road = _parse_road(el, source)
        if road.id in roads:
            raise MapError(f"{source}: duplicate road id {road.id}")
        roads[road.id] = road
    if not roads:
        raise MapError(f"{source}: no <road> elements")
    junctions = tuple(sorted(_int(j, "id", source, "junction")
                             for j in _children(root, "junction")))
    _check_links(root, roads, set(junctions), source)
    return XodrDoc(
        source=source,
        name=header.get("name") or "",
        geo_reference=(geo.text or "").strip() if geo is not None else "",
        roads=roads,
        junction_ids=junctions,
    )


def _parse_road(el: ET.Element, source: str) -> XRoad:
    rid = _int(el, "id", source, "road")
    where = f"road {rid}"
    length = _float(el, "length", source, where)
    if not (length > 0 and math.isfinite(length)):
        raise MapError(f"{source}: {where}: length must be positive, got {length}")
    plan = _child(el, "planView")
    geoms = _children(plan, "geometry") if plan is not None else []
    if not geoms:
        raise MapError(f"{source}: {where}: <planView> with at least one <geometry> is required")
    total = 0.0
    for g in geoms:
        glen = _float(g, "length", source, f"{where} geometry")
        if not (glen > 0 and math.isfinite(glen)):
            raise MapError(f"{source}: {where}: geometry length must be positive, got {glen}")
        for attr in ("s", "x", "y", "hdg"):
            _float(g, attr, source, f"{where} geometry")
        if not any(_local(c.tag) in _GEOMETRY_KINDS for c in g):
            raise MapError(f"{source}: {where}: geometry at s={g.get('s')} has no shape element")
        total += glen
    if abs(total - length) > max(1e-3, 1e-6 * length):
        raise MapError(f"{source}: {where}: geometry lengths sum to {total:.4f} m, road length is "
                       f"{length:.4f} m")
    junction = int(el.get("junction", "-1") or -1)
    lanes_el = _child(el, "lanes")
    if lanes_el is None:
        raise MapError(f"{source}: {where}: missing <lanes>")
    offsets = tuple(_poly(o, "s", source, where) for o in _children(lanes_el, "laneOffset"))
    sec_els = _children(lanes_el, "laneSection")
    if not sec_els:
        raise MapError(f"{source}: {where}: <lanes> has no <laneSection>")
    starts = [_float(s, "s", source, f"{where} laneSection") for s in sec_els]
    if starts[0] > 1e-6 or any(b < a for a, b in zip(starts, starts[1:])) or starts[-1] >= length:
        raise MapError(f"{source}: {where}: lane sections must start at s=0 and increase within "
                       f"the road length, got s={starts}")
    sections = []
    for k, sec in enumerate(sec_els):
        s_end = starts[k + 1] if k + 1 < len(starts) else length
        sections.append(_parse_section(sec, starts[k], s_end, source, f"{where} section {k}"))
    type_speeds = []
    for t in _children(el, "type"):
        sp = _child(t, "speed")
        if sp is not None and sp.get("max") not in _NO_LIMIT:
            type_speeds.append((_float(t, "s", source, where), _speed(sp, source, where)))
    objects = []
    objs = _child(el, "objects")
    if objs is not None:
        objects = [_parse_object(o, source, where) for o in _children(objs, "object")]
    zones = []
    for ud in _children(el, "userData"):
        if ud.get("code") == cv.USERDATA_CHILD_ZONE:
            zones.append(_parse_zone(ud.get("value", ""), source, where))
    return XRoad(rid, length, junction, tuple(type_speeds), offsets, tuple(sections),
                 tuple(objects), tuple(zones))


_GEOMETRY_KINDS = {"line", "arc", "spiral", "poly3", "paramPoly3"}


def _parse_section(sec: ET.Element, s0: float, s1: float, source: str, where: str) -> XSection:
    lanes = []
    for side in ("left", "center", "right"):
        side_el = _child(sec, side)
        if side_el is None:
            continue
        for ln in _children(side_el, "lane"):
            lid = _int(ln, "id", source, where)
            if lid == 0:
                continue
            lw = f"{where} lane {lid}"
            if (side == "left") != (lid > 0):
                raise MapError(f"{source}: {lw}: lane id sign does not match <{side}>")
            widths = tuple(_poly(w, "sOffset", source, lw) for w in _children(ln, "width"))
            if not widths and not _children(ln, "border"):
                raise MapError(f"{source}: {lw}: lane has no <width> or <border>")
            speeds = tuple((_float(sp, "sOffset", source, lw), _speed(sp, source, lw))
                           for sp in _children(ln, "speed") if sp.get("max") not in _NO_LIMIT)
            bus = any(a.get("rule", "allow") == "allow"
                      and a.get("restriction") == cv.ACCESS_RESTRICTION_BUS
                      for a in _children(ln, "access"))
            hours: tuple[tuple[int, int], ...] = ()
            for ud in _children(ln, "userData"):
                if ud.get("code") == cv.USERDATA_BUS_LANE_HOURS:
                    try:
                        hours = cv.parse_hours(ud.get("value", ""))
                    except ValueError as exc:
                        raise MapError(f"{source}: {lw}: {cv.USERDATA_BUS_LANE_HOURS}: "
                                       f"{exc}") from None
            lanes.append(XLane(lid, ln.get("type", "none"), widths, speeds, bus, hours))
    if not lanes:
        raise MapError(f"{source}: {where}: lane section has no lanes besides the centre lane")
    return XSection(s0, s1, tuple(lanes))


def _parse_object(o: ET.Element, source: str, where: str) -> XObject:
    oid = o.get("id", "?")
    ow = f"{where} object {oid}"
    outline, outline_road = [], []
    for ol in _children(o, "outline"):
        for c in _children(ol, "cornerLocal"):
            outline.append((_float(c, "u", source, ow), _float(c, "v", source, ow)))
        for c in _children(ol, "cornerRoad"):
            outline_road.append((_float(c, "s", source, ow), _float(c, "t", source, ow)))
    return XObject(
        id=oid, type=o.get("type", ""), subtype=o.get("subtype", ""),
        s=_float(o, "s", source, ow), t=_float(o, "t", source, ow),
        hdg=float(o.get("hdg", 0.0) or 0.0), width=float(o.get("width", 0.0) or 0.0),
        length=float(o.get("length", 0.0) or 0.0), orientation=o.get("orientation", "none"),
        outline=tuple(outline), outline_road=tuple(outline_road),
        height=float(o.get("height", 0.0) or 0.0),
    )


def _parse_zone(value: str, source: str, where: str) -> tuple[float, float, bool]:
    parts = value.split()
    try:
        s0, s1, side = float(parts[0]), float(parts[1]), parts[2]
        if side not in ("0", "1") or not s1 > s0:
            raise ValueError
    except (ValueError, IndexError):
        raise MapError(f"{source}: {where}: {cv.USERDATA_CHILD_ZONE} value {value!r} must be "
                       f"'S_START S_END SIDEWALK(0|1)' with S_END > S_START") from None
    return s0, s1, side == "1"


def _check_links(root: ET.Element, roads: dict[int, XRoad], junctions: set[int], source: str):
    for el in _children(root, "road"):
        link = _child(el, "link")
        if link is None:
            continue
        for kind in ("predecessor", "successor"):
            ref = _child(link, kind)
            if ref is None:
                continue
            etype, eid = ref.get("elementType", "road"), ref.get("elementId")
            try:
                target = int(eid)
            except (TypeError, ValueError):
                raise MapError(f"{source}: road {el.get('id')}: {kind} elementId {eid!r} is not an "
                               f"integer") from None
            known = roads if etype == "road" else junctions
            if target not in known:
                raise MapError(f"{source}: road {el.get('id')}: {kind} refers to missing "
                               f"{etype} {target}")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(el: ET.Element | None, name: str) -> ET.Element | None:
    if el is None:
        return None
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _children(el: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if el is None else [c for c in el if _local(c.tag) == name]


def _float(el: ET.Element, attr: str, source: str, where: str) -> float:
    raw = el.get(attr)
    try:
        v = float(raw)
    except (TypeError, ValueError):
        raise MapError(f"{source}: {where}: attribute {attr}={raw!r} is not a number") from None
    if not math.isfinite(v):
        raise MapError(f"{source}: {where}: attribute {attr}={raw!r} is not finite")
    return v


def _int(el: ET.Element, attr: str, source: str, where: str) -> int:
    raw = el.get(attr)
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise MapError(f"{source}: {where}: attribute {attr}={raw!r} is not an integer") from None


def _poly(el: ET.Element, s_attr: str, source: str, where: str) -> Poly3:
    return Poly3(*(_float(el, a, source, where) for a in (s_attr, "a", "b", "c", "d")))


def _speed(el: ET.Element, source: str, where: str) -> float:
    unit = el.get("unit", "m/s")
    if unit not in _SPEED_UNITS:
        raise MapError(f"{source}: {where}: unknown speed unit {unit!r}")
    return _float(el, "max", source, where) * _SPEED_UNITS[unit]
