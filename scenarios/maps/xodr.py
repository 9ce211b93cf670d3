"""A small typed model of the OpenDRIVE 1.8 subset kav's map builders write.

Plain frozen dataclasses, one per element, holding exactly what the serializer
(:mod:`scenarios.maps.xml_writer`) writes. Lengths are [m], angles [rad] counter-clockwise
from +x (inertial frame: x east, y north), speeds [km/h]. Ids are integers because CARLA
parses road ids as unsigned integers and tells a junction from a road by whether the id is
a road id, so road and junction ids must never collide.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Poly3:
    """``a + b*ds + c*ds**2 + d*ds**3`` with ``ds`` from the record's start [m]."""

    a: float
    b: float = 0.0
    c: float = 0.0
    d: float = 0.0

    def __call__(self, ds: float) -> float:
        return self.a + ds * (self.b + ds * (self.c + ds * self.d))


@dataclass(frozen=True)
class Geometry:
    """One planView record: a line (``curvature is None``) or an arc [1/m], left positive."""

    s: float
    x: float
    y: float
    hdg: float
    length: float
    curvature: float | None = None


@dataclass(frozen=True)
class LaneOffset:
    """Lateral shift [m] of the centre lane from the reference line, from ``s`` on."""

    s: float
    poly: Poly3


@dataclass(frozen=True)
class RoadMark:
    """Marking on a lane's outer border. ``lane_change``: both | increase | decrease | none."""

    type: str
    color: str = "white"
    lane_change: str = "none"
    width: float = 0.15


@dataclass(frozen=True)
class Access:
    """``<access>`` rule (allow|deny) for a vehicle class, from ``s_offset`` [m] on."""

    rule: str
    restriction: str
    s_offset: float = 0.0


@dataclass(frozen=True)
class UserData:
    code: str
    value: str


@dataclass(frozen=True)
class Lane:
    """One lane of a lane section; ``widths`` are (sOffset [m], poly) records."""

    id: int
    type: str
    widths: tuple[tuple[float, Poly3], ...] = ()
    road_mark: RoadMark | None = None
    predecessors: tuple[int, ...] = ()
    successors: tuple[int, ...] = ()
    speed_kmh: float | None = None
    access: tuple[Access, ...] = ()
    user_data: tuple[UserData, ...] = ()


@dataclass(frozen=True)
class LaneSection:
    """Lanes from ``s`` on; ``left`` ordered 1, 2, ... and ``right`` -1, -2, ..."""

    s: float
    left: tuple[Lane, ...]
    center: Lane
    right: tuple[Lane, ...]


@dataclass(frozen=True)
class RoadLinkEnd:
    """Road predecessor/successor: ``element_type`` road|junction; contact start|end."""

    element_type: str
    element_id: int
    contact_point: str | None = None


@dataclass(frozen=True)
class CornerLocal:
    """Outline corner in the object's local (u, v, z) frame [m]; ``height`` above it [m]."""

    u: float
    v: float
    z: float = 0.0
    height: float = 0.0


@dataclass(frozen=True)
class RoadObject:
    """``<object>`` at road coordinates (s, t) [m], heading ``hdg`` [rad] relative to the road.

    ``length`` runs along local u, ``width`` along local v.
    """

    id: int
    type: str
    s: float
    t: float
    length: float
    width: float
    hdg: float = 0.0
    z_offset: float = 0.0
    orientation: str = "none"
    subtype: str | None = None
    name: str | None = None
    outline: tuple[CornerLocal, ...] = ()
    outline_closed: bool = True
    height: float = 0.0  # [m]; 0 writes no height attribute


@dataclass(frozen=True)
class Tunnel:
    """``<tunnel>`` over road s [``s``, ``s + length``] [m], the whole cross-section.

    ``lighting`` / ``daylight`` are degrees 0..1 (None: left out); ``type`` standard|underpass.
    """

    id: int
    s: float
    length: float
    name: str | None = None
    type: str = "standard"
    lighting: float | None = None
    daylight: float | None = None


@dataclass(frozen=True)
class Validity:
    """Lanes ``from_lane`` .. ``to_lane`` (from <= to) a signal applies to."""

    from_lane: int
    to_lane: int


@dataclass(frozen=True)
class Signal:
    """``<signal>`` at road coordinates (s, t) [m]; ``z_offset`` [m] above the road."""

    id: int
    s: float
    t: float
    type: str
    subtype: str
    orientation: str
    dynamic: bool
    country: str = "OpenDRIVE"
    z_offset: float = 0.0
    height: float = 0.0
    width: float = 0.0
    name: str | None = None
    validities: tuple[Validity, ...] = ()


@dataclass(frozen=True)
class Road:
    """One road. ``junction`` is -1 for a road outside any junction."""

    id: int
    name: str
    length: float
    geometry: tuple[Geometry, ...]
    sections: tuple[LaneSection, ...]
    junction: int = -1
    predecessor: RoadLinkEnd | None = None
    successor: RoadLinkEnd | None = None
    road_type: str = "town"
    speed_kmh: float | None = None
    lane_offsets: tuple[LaneOffset, ...] = ()
    objects: tuple[RoadObject, ...] = ()
    signals: tuple[Signal, ...] = ()
    user_data: tuple[UserData, ...] = ()
    tunnels: tuple[Tunnel, ...] = ()


@dataclass(frozen=True)
class Controller:
    """Top-level ``<controller>`` grouping signal heads that switch together."""

    id: int
    name: str
    signal_ids: tuple[int, ...]


@dataclass(frozen=True)
class Connection:
    """Junction connection; ``lane_links`` are (from incoming lane, to connecting lane)."""

    id: int
    incoming_road: int
    connecting_road: int
    contact_point: str
    lane_links: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Junction:
    """A junction; ``controllers`` are (controller id, sequence) references."""

    id: int
    name: str
    connections: tuple[Connection, ...]
    controllers: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Header:
    """``<header>``: fixed ``date`` so the same spec always gives the same bytes."""

    name: str
    date: str
    geo_reference: str
    vendor: str = "kav"
    version: str = "1.0"
    bounds: tuple[float, float, float, float] | None = None  # north, south, east, west [m]


@dataclass(frozen=True)
class OpenDrive:
    header: Header
    roads: tuple[Road, ...]
    controllers: tuple[Controller, ...] = ()
    junctions: tuple[Junction, ...] = field(default_factory=tuple)
