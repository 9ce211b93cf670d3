"""Deterministic, pretty OpenDRIVE XML from the :mod:`scenarios.maps.xodr` model.

Written by hand instead of through ``xml.etree`` for two reasons: the ``<geoReference>``
must be a CDATA section (as in CARLA's own maps), which etree cannot write, and every number
goes through :func:`num` so the same model always gives the same bytes. Child elements
follow the sequence order of the OpenDRIVE 1.8 XSD (the ASAM schema check rejects any
other order).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.roadnet.conventions import XODR_REV_MAJOR, XODR_REV_MINOR

from .xodr import (
    Controller,
    Geometry,
    Junction,
    Lane,
    LaneSection,
    OpenDrive,
    Poly3,
    Road,
    RoadLinkEnd,
    RoadObject,
    Signal,
    Tunnel,
)

_INDENT = "  "


def num(x: float) -> str:
    """Shortest text for ``x`` rounded to 1e-10 (sub-nanometre; keeps output stable)."""
    r = round(float(x), 10)
    if r == 0.0:
        return "0"
    text = repr(r)
    return text[:-2] if text.endswith(".0") else text


def _esc(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


@dataclass
class _El:
    tag: str
    attrs: list[tuple[str, str]]
    children: list[_El]
    cdata: str | None = None

    def add(self, tag: str, **attrs: object) -> _El:
        child = _el(tag, **attrs)
        self.children.append(child)
        return child


def _el(tag: str, **attrs: object) -> _El:
    """Element with attributes in keyword order; ``None`` values are left out."""
    items = []
    for key, value in attrs.items():
        if value is None:
            continue
        name = key.rstrip("_")  # from_ -> from
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, float):
            text = num(value)
        else:
            text = str(value)
        items.append((name, _esc(text)))
    return _El(tag, items, [])


def _render(el: _El, depth: int, out: list[str]) -> None:
    pad = _INDENT * depth
    attrs = "".join(f' {k}="{v}"' for k, v in el.attrs)
    if el.cdata is not None:
        out.append(f"{pad}<{el.tag}{attrs}><![CDATA[{el.cdata}]]></{el.tag}>")
    elif not el.children:
        out.append(f"{pad}<{el.tag}{attrs}/>")
    else:
        out.append(f"{pad}<{el.tag}{attrs}>")
        for child in el.children:
            _render(child, depth + 1, out)
        out.append(f"{pad}</{el.tag}>")


def _poly(el: _El, tag: str, poly: Poly3, **pos: object) -> None:
    el.add(tag, **pos, a=float(poly.a), b=float(poly.b), c=float(poly.c), d=float(poly.d))


def _link_end(parent: _El, tag: str, end: RoadLinkEnd | None) -> None:
    if end is not None:
        parent.add(
            tag,
            elementType=end.element_type,
            elementId=end.element_id,
            contactPoint=end.contact_point,
        )


def _geometry(plan: _El, g: Geometry) -> None:
    el = plan.add(
        "geometry",
        s=float(g.s),
        x=float(g.x),
        y=float(g.y),
        hdg=float(g.hdg),
        length=float(g.length),
    )
    if g.curvature is None:
        el.add("line")
    else:
        el.add("arc", curvature=float(g.curvature))


def _lane(parent: _El, lane: Lane) -> None:
    el = parent.add("lane", id=lane.id, type=lane.type, level=False)
    if lane.predecessors or lane.successors:
        link = el.add("link")
        for p in lane.predecessors:
            link.add("predecessor", id=p)
        for s in lane.successors:
            link.add("successor", id=s)
    for s_offset, poly in lane.widths:
        _poly(el, "width", poly, sOffset=float(s_offset))
    if lane.road_mark is not None:
        m = lane.road_mark
        el.add(
            "roadMark",
            sOffset=0.0,
            type=m.type,
            weight="standard",
            color=m.color,
            width=float(m.width) if m.type != "none" else None,
            laneChange=m.lane_change,
        )
    if lane.speed_kmh is not None:
        el.add("speed", sOffset=0.0, max=float(lane.speed_kmh), unit="km/h")
    for acc in lane.access:
        el.add("access", sOffset=float(acc.s_offset), rule=acc.rule, restriction=acc.restriction)
    for ud in lane.user_data:
        el.add("userData", code=ud.code, value=ud.value)


def _section(lanes: _El, sec: LaneSection) -> None:
    el = lanes.add("laneSection", s=float(sec.s))
    if sec.left:
        left = el.add("left")
        for lane in sorted(sec.left, key=lambda ln: -ln.id):  # outermost first, as usual
            _lane(left, lane)
    _lane(el.add("center"), sec.center)
    if sec.right:
        right = el.add("right")
        for lane in sorted(sec.right, key=lambda ln: -ln.id):
            _lane(right, lane)


def _object(objects: _El, o: RoadObject) -> None:
    el = objects.add(
        "object",
        id=o.id,
        name=o.name,
        type=o.type,
        subtype=o.subtype,
        s=float(o.s),
        t=float(o.t),
        zOffset=float(o.z_offset),
        hdg=float(o.hdg),
        pitch=0.0,
        roll=0.0,
        orientation=o.orientation,
        length=float(o.length),
        width=float(o.width),
        height=float(o.height) if o.height > 0 else None,
    )
    if o.outline:
        outline = el.add("outline", id=0, closed=o.outline_closed)
        for i, c in enumerate(o.outline):
            outline.add(
                "cornerLocal",
                id=i,
                u=float(c.u),
                v=float(c.v),
                z=float(c.z),
                height=float(c.height),
            )


def _tunnel(objects: _El, tn: Tunnel) -> None:
    objects.add(
        "tunnel",
        id=tn.id,
        name=tn.name,
        s=float(tn.s),
        length=float(tn.length),
        type=tn.type,
        lighting=None if tn.lighting is None else float(tn.lighting),
        daylight=None if tn.daylight is None else float(tn.daylight),
    )


def _signal(signals: _El, sig: Signal) -> None:
    el = signals.add(
        "signal",
        id=sig.id,
        name=sig.name,
        s=float(sig.s),
        t=float(sig.t),
        zOffset=float(sig.z_offset),
        hOffset=0.0,
        orientation=sig.orientation,
        dynamic="yes" if sig.dynamic else "no",
        country=sig.country,
        type=sig.type,
        subtype=sig.subtype,
        height=float(sig.height),
        width=float(sig.width),
        pitch=0.0,
        roll=0.0,
    )
    for v in sig.validities:
        el.add("validity", fromLane=v.from_lane, toLane=v.to_lane)


def _road(root: _El, road: Road) -> None:
    el = root.add(
        "road",
        id=road.id,
        junction=road.junction,
        length=float(road.length),
        name=road.name,
        rule="RHT",
    )
    if road.predecessor is not None or road.successor is not None:
        link = el.add("link")
        _link_end(link, "predecessor", road.predecessor)
        _link_end(link, "successor", road.successor)
    rtype = el.add("type", s=0.0, type=road.road_type)
    if road.speed_kmh is not None:
        rtype.add("speed", max=float(road.speed_kmh), unit="km/h")
    plan = el.add("planView")
    for g in road.geometry:
        _geometry(plan, g)
    lanes = el.add("lanes")
    for lo in road.lane_offsets:
        _poly(lanes, "laneOffset", lo.poly, s=float(lo.s))
    for sec in road.sections:
        _section(lanes, sec)
    if road.objects or road.tunnels:
        objects = el.add("objects")
        for o in road.objects:
            _object(objects, o)
        for tn in road.tunnels:  # the XSD puts <tunnel> after every <object>
            _tunnel(objects, tn)
    if road.signals:
        signals = el.add("signals")
        for sig in road.signals:
            _signal(signals, sig)
    for ud in road.user_data:
        el.add("userData", code=ud.code, value=ud.value)


def _controller(root: _El, c: Controller) -> None:
    el = root.add("controller", id=c.id, name=c.name)
    for sid in c.signal_ids:
        el.add("control", signalId=sid, type="0")


def _junction(root: _El, j: Junction) -> None:
    el = root.add("junction", id=j.id, name=j.name, type="default")
    for c in j.connections:
        conn = el.add(
            "connection",
            id=c.id,
            incomingRoad=c.incoming_road,
            connectingRoad=c.connecting_road,
            contactPoint=c.contact_point,
        )
        for frm, to in c.lane_links:
            conn.add("laneLink", from_=frm, to=to)
    for cid, seq in j.controllers:
        el.add("controller", id=cid, type="0", sequence=seq)


def to_xml(doc: OpenDrive) -> str:
    """The whole document as text (UTF-8 declaration, two-space indent, trailing newline)."""
    h = doc.header
    root = _el("OpenDRIVE")
    bounds = h.bounds or (None, None, None, None)
    header = root.add(
        "header",
        revMajor=XODR_REV_MAJOR,
        revMinor=XODR_REV_MINOR,
        name=h.name,
        version=h.version,
        date=h.date,
        north=bounds[0],
        south=bounds[1],
        east=bounds[2],
        west=bounds[3],
        vendor=h.vendor,
    )
    header.add("geoReference").cdata = h.geo_reference
    for road in doc.roads:
        _road(root, road)
    for c in doc.controllers:
        _controller(root, c)
    for j in doc.junctions:
        _junction(root, j)
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    _render(root, 0, out)
    return "\n".join(out) + "\n"
