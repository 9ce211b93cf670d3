"""Roads of a roundabout map: arms, ring segments, and the junctions' connecting roads.

Ids: arm k is road ``1 + k``, the ring segment from arm k's junction to the next one
``11 + k``; arm k's ring junction ``100 + k`` and its far-end turnaround ``200 + k``;
connecting roads ``100 * junction id + n`` (as in the grid builder); objects
``10 * road id + n``. Every connecting road has one lane (-1) whose reference line runs
along the lane's left border, so it meets the lanes it joins exactly (see
:mod:`scenarios.maps.junction`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.roadnet.conventions import OBJECT_TYPE_CROSSWALK

from .arm import CENTRE_MARK, EDGE_MARK, LANE_MARK
from .geometry import path_length, turn_path
from .roundabout_geometry import (
    RingLayout,
    arm_pose,
    loop_centre,
    loop_path,
    offset_path,
    ring_arc,
    ring_pose,
)
from .roundabout_spec import FAR_TURNAROUND, RoundaboutSpec
from .xodr import (
    Connection,
    CornerLocal,
    Geometry,
    Junction,
    Lane,
    LaneSection,
    Poly3,
    RoadLinkEnd,
    RoadMark,
    RoadObject,
)
from .xodr import Road as XRoad

MEDIAN_MARK = RoadMark("solid", "yellow", "none")
ISLAND_MARK = RoadMark("solid", "white", "none")  # edge of the central island


def arm_id(k: int) -> int:
    return 1 + k


def segment_id(k: int) -> int:
    return 11 + k


def ring_junction_id(k: int) -> int:
    return 100 + k


def turnaround_id(k: int) -> int:
    return 200 + k


@dataclass(frozen=True)
class ArmLanes:
    """Lane ids of one arm, inside out: ``inbound`` (left, toward the ring), ``outbound``
    (right), ``curb`` (outbound drop-off lane or None); ``t0`` [m] the left border of the
    innermost driving lane on each side (half the median)."""

    inbound: tuple[int, ...]
    outbound: tuple[int, ...]
    curb: int | None
    t0: float


def arm_lanes(spec: RoundaboutSpec, k: int) -> ArmLanes:
    first = 2 if spec.median_width > 0.0 else 1
    ids = tuple(range(first, first + spec.arm_lanes))
    curb = -(first + spec.arm_lanes) if k == spec.curb_arm else None
    return ArmLanes(ids, tuple(-i for i in ids), curb, spec.median_width / 2.0)


def _flare(spec: RoundaboutSpec) -> tuple[tuple[float, Poly3], ...]:
    """Driving-lane width records: ``ring_lane_width`` at the ring end (s = 0) easing to
    ``lane_width`` over ``flare_length`` (cubic, zero slope at both ends)."""
    w0, w1, length = spec.ring_lane_width, spec.lane_width, spec.flare_length
    if w0 == w1:
        return ((0.0, Poly3(w1)),)
    dw = w1 - w0
    return ((0.0, Poly3(w0, 0.0, 3.0 * dw / length**2, -2.0 * dw / length**3)),
            (length, Poly3(w1)))


def width_at(lane: Lane, s: float) -> float:
    """Width [m] of ``lane`` at ``s`` [m] from its (single) section's start."""
    s0, poly = [rec for rec in lane.widths if rec[0] <= s][-1]
    return poly(s - s0)


def _side(spec: RoundaboutSpec, lanes: ArmLanes, left: bool) -> tuple[Lane, ...]:
    """One side's lanes with marks on their outer borders (median, driving, curb, sidewalk)."""
    sign, flare = (1 if left else -1), _flare(spec)
    rows: list[tuple[str, tuple, RoadMark | None, float | None]] = []
    if spec.median_width > 0.0:
        rows.append(("median", ((0.0, Poly3(spec.median_width / 2.0)),), MEDIAN_MARK, None))
    curb = lanes.curb is not None and not left
    for i in range(spec.arm_lanes):
        outer = i == spec.arm_lanes - 1 and not curb
        rows.append(("driving", flare, EDGE_MARK if outer else LANE_MARK, None))
    if curb:
        rows.append(("driving", flare, EDGE_MARK, spec.curb_speed_kmh))
    rows.append(("sidewalk", ((0.0, Poly3(spec.sidewalk_width)),), None, None))
    return tuple(
        Lane(id=sign * (n + 1), type=kind, widths=widths, road_mark=mark, speed_kmh=speed)
        for n, (kind, widths, mark, speed) in enumerate(rows)
    )


def arm_road(spec: RoundaboutSpec, lay: RingLayout, k: int) -> XRoad:
    theta = math.radians(spec.arm_angles_deg[k])
    lanes = arm_lanes(spec, k)
    left, right = _side(spec, lanes, True), _side(spec, lanes, False)
    centre = Lane(0, "none", road_mark=None if spec.median_width > 0.0 else CENTRE_MARK)
    start = arm_pose(theta, lay.arm_start, 0.0, inbound=False)
    objects = ()
    if spec.crosswalks:
        s = spec.crosswalk_setback + spec.crosswalk_width / 2.0
        t_max = sum(width_at(ln, s) for ln in left if ln.type != "sidewalk")
        t_min = -sum(width_at(ln, s) for ln in right if ln.type != "sidewalk")
        objects = (_crosswalk(10 * arm_id(k), s, spec.crosswalk_width, t_min, t_max),)
    far = RoadLinkEnd("junction", turnaround_id(k)) if spec.far_ends == FAR_TURNAROUND else None
    return XRoad(
        id=arm_id(k),
        name=f"arm_{k}_{spec.arm_name(k)}",
        length=spec.arm_length,
        geometry=(Geometry(0.0, start.x, start.y, start.hdg, spec.arm_length),),
        sections=(LaneSection(0.0, left, centre, right),),
        predecessor=RoadLinkEnd("junction", ring_junction_id(k)),
        successor=far,
        speed_kmh=spec.arm_speed_kmh,
        objects=objects,
    )


def _crosswalk(object_id: int, s: float, width: float, t_min: float, t_max: float) -> RoadObject:
    """Kerb-to-kerb crosswalk centred at ``s``; outline as in traffic_control.crosswalk."""
    half = width / 2.0
    corners = [(t_min, -half), (t_max, -half), (t_max, half), (t_min, half), (t_min, -half)]
    return RoadObject(id=object_id, type=OBJECT_TYPE_CROSSWALK, name=f"crosswalk_{object_id}",
                      s=s, t=0.0, hdg=math.pi / 2.0, length=t_max - t_min, width=width,
                      outline=tuple(CornerLocal(u, v) for u, v in corners))


def segment_road(spec: RoundaboutSpec, lay: RingLayout, k: int) -> XRoad:
    """Ring road from arm k's junction to arm k+1's, lanes -1 (inner) .. -n (outer)."""
    n = spec.n_arms
    a0 = math.radians(spec.arm_angles_deg[k]) + lay.alpha
    gap = math.radians((spec.arm_angles_deg[(k + 1) % n] - spec.arm_angles_deg[k]) % 360.0)
    geometry = ring_arc(lay.r0, a0, a0 + gap - 2.0 * lay.alpha)
    m = spec.circulating_lanes
    right = tuple(
        Lane(id=-(j + 1), type="driving", widths=((0.0, Poly3(spec.ring_lane_width)),),
             road_mark=EDGE_MARK if j == m - 1 else LANE_MARK)
        for j in range(m)
    )
    return XRoad(
        id=segment_id(k),
        name=f"ring_{spec.arm_name(k)}_{spec.arm_name((k + 1) % n)}",
        length=path_length(geometry),
        geometry=geometry,
        sections=(LaneSection(0.0, (), Lane(0, "none", road_mark=ISLAND_MARK), right),),
        predecessor=RoadLinkEnd("junction", ring_junction_id(k)),
        successor=RoadLinkEnd("junction", ring_junction_id((k + 1) % n)),
        speed_kmh=spec.ring_speed_kmh,
    )


@dataclass(frozen=True)
class _Move:
    """A lane-to-lane movement: (road, contact, lane) at each end and the path."""

    name: str
    src: tuple[int, str, int]
    dst: tuple[int, str, int]
    path: tuple[Geometry, ...]


def _junction(jid: int, name: str, moves: list[_Move], width: float,
              speed: float) -> tuple[Junction, list[XRoad]]:
    roads, connections = [], []
    for n, mv in enumerate(moves):
        lane = Lane(id=-1, type="driving", widths=((0.0, Poly3(width)),),
                    predecessors=(mv.src[2],), successors=(mv.dst[2],))
        rid = 100 * jid + n
        roads.append(XRoad(
            id=rid, name=f"{name}_{mv.name}", length=path_length(mv.path), geometry=mv.path,
            sections=(LaneSection(0.0, (), Lane(0, "none"), (lane,)),), junction=jid,
            predecessor=RoadLinkEnd("road", mv.src[0], mv.src[1]),
            successor=RoadLinkEnd("road", mv.dst[0], mv.dst[1]), speed_kmh=speed,
        ))
        connections.append(Connection(n, mv.src[0], rid, "start", ((mv.src[2], -1),)))
    return Junction(jid, name, tuple(connections)), roads


def ring_junction(spec: RoundaboutSpec, lay: RingLayout,
                  k: int) -> tuple[Junction, list[XRoad]]:
    """Arm k's junction: circulating lanes straight through, entries into and exits out of
    the outer circulating lanes lane by lane, and the curb exit if arm k has one."""
    n, w, m, na = spec.n_arms, spec.ring_lane_width, spec.circulating_lanes, spec.arm_lanes
    theta = math.radians(spec.arm_angles_deg[k])
    lanes = arm_lanes(spec, k)
    up, down, arm = segment_id((k - 1) % n), segment_id(k), arm_id(k)
    off = m - na
    moves = [
        _Move(f"ring{j}", (up, "end", -(j + 1)), (down, "start", -(j + 1)),
              ring_arc(lay.r0 + j * w, theta - lay.alpha, theta + lay.alpha))
        for j in range(m)
    ]
    r_in = lay.r0 + off * w
    entry = turn_path(arm_pose(theta, lay.arm_start, lanes.t0, inbound=True),
                      ring_pose(r_in, theta + lay.alpha))
    exit_ = turn_path(ring_pose(r_in, theta - lay.alpha),
                      arm_pose(theta, lay.arm_start, -lanes.t0, inbound=False))
    for i in range(na):
        moves.append(_Move(f"entry{i}", (arm, "start", lanes.inbound[i]),
                           (down, "start", -(off + i + 1)), offset_path(entry, i * w)))
    for i in range(na):
        moves.append(_Move(f"exit{i}", (up, "end", -(off + i + 1)),
                           (arm, "start", lanes.outbound[i]), offset_path(exit_, i * w)))
    if lanes.curb is not None:
        try:
            curb = turn_path(ring_pose(lay.r0 + (m - 1) * w, theta - lay.alpha),
                             arm_pose(theta, lay.arm_start, -lanes.t0 - na * w, inbound=False))
        except ValueError as exc:
            raise ValueError(f"curb_arm={k}: no room for the curb exit ({exc})") from None
        moves.append(_Move("exit_curb", (up, "end", -m), (arm, "start", lanes.curb), curb))
    speed = min(spec.ring_speed_kmh, spec.arm_speed_kmh)
    return _junction(ring_junction_id(k), f"ring_{spec.arm_name(k)}", moves, w, speed)


def turnaround(spec: RoundaboutSpec, lay: RingLayout, k: int) -> tuple[Junction, list[XRoad]]:
    """Balloon loop at arm k's far end: every outbound lane (curb lane included) loops back
    into the outer inbound lane. The loops merge, so the junction lets one vehicle at a time
    through: parallel lanes on such tight bends would let side-by-side buses touch."""
    w, na = spec.lane_width, spec.arm_lanes
    theta = math.radians(spec.arm_angles_deg[k])
    lanes, arm = arm_lanes(spec, k), arm_id(k)
    end = lay.arm_start + spec.arm_length
    centre = loop_centre(lanes.t0, spec.turnaround_radius)
    outbound = lanes.outbound + ((lanes.curb,) if lanes.curb is not None else ())
    b = lanes.t0 + (na - 1) * w  # left border of the outer inbound lane
    moves = []
    for i, lane in enumerate(outbound):
        # lane i loops on radius R0 + i W about a common centre: outer lanes stay outside
        path = loop_path(theta, end, lanes.t0 + i * w, b, spec.turnaround_radius + i * w,
                         centre, w)
        name = "uturn_curb" if lane == lanes.curb else f"uturn{i}"
        moves.append(_Move(name, (arm, "end", lane), (arm, "end", lanes.inbound[-1]), path))
    speed = min(spec.ring_speed_kmh, spec.arm_speed_kmh)
    return _junction(turnaround_id(k), f"turnaround_{spec.arm_name(k)}", moves, w, speed)
