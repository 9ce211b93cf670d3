"""A signalised junction of the simulated map as ISO TS 19091 sees it: lanes with numbers,
signal groups, MAPEM geometry, and the SPATEM of the current signal state.

The RSU side (this module) numbers each junction's approach lanes and exits, groups the
junction's movements that share one signal timing into signal groups, and describes the
lane geometry in a MAPEM. The receiving vehicle never sees this object: it matches the
MAPEM's lanes to its own map (:mod:`planners.v2x_inbox`) as a real OBU would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.roadnet.network import RoadNetwork, Turn
from sim.traffic.signals import (
    SIG_GREEN,
    SIG_RED,
    SIG_YELLOW,
    SignalPlan,
    lane_states,
    lane_time_to_change_us,
)
from v2x.clock import ItsClock
from v2x.geo import LocalFrame
from v2x.messages.mapem import (
    AllowedManeuvers,
    Connection,
    IntersectionGeometry,
    Lane,
    LaneDirection,
)
from v2x.messages.spatem import (
    IntersectionRef,
    IntersectionState,
    MovementEvent,
    MovementPhaseState,
    MovementState,
    TimeChange,
)

NODE_SPAN_M = 40.0  # how much of each approach / exit the MAPEM describes [m]
MANEUVER = {Turn.STRAIGHT: AllowedManeuvers.STRAIGHT, Turn.LEFT: AllowedManeuvers.LEFT,
            Turn.RIGHT: AllowedManeuvers.RIGHT, Turn.UTURN: AllowedManeuvers.U_TURN}
PHASE = {SIG_GREEN: MovementPhaseState.PROTECTED_MOVEMENT_ALLOWED,
         SIG_YELLOW: MovementPhaseState.PROTECTED_CLEARANCE,
         SIG_RED: MovementPhaseState.STOP_AND_REMAIN}


@dataclass(frozen=True)
class Intersection:
    """One signalised junction. ``junction``: OpenDRIVE id (the IntersectionReferenceID);
    ``groups``: signal group id (1..) -> the network's junction lanes it controls;
    ``geometry``: the MAPEM description; (x, y) [m] the reference point."""

    junction: int
    x: float
    y: float
    groups: dict[int, tuple[int, ...]]
    geometry: IntersectionGeometry


def intersections(net: RoadNetwork, plan: SignalPlan, frame: LocalFrame,
                  near: tuple[float, float], range_m: float) -> list[Intersection]:
    """Every signalised junction whose centre is within ``range_m`` [m] of ``near``."""
    ln = net.lanes
    out = []
    for jid in sorted({int(j) for j in ln.junction[plan.cycle_us > 0] if j >= 0}):
        jl = np.flatnonzero((ln.junction == jid) & (plan.cycle_us > 0))
        if not len(jl):
            continue
        pts = np.concatenate([net.lane_xy(int(k)) for k in jl])
        cx, cy = (float(v) for v in pts.mean(axis=0))
        if np.hypot(cx - near[0], cy - near[1]) > range_m or jid > 65535:
            continue
        out.append(_intersection(net, plan, frame, jid, jl, cx, cy))
    return out


def _intersection(net, plan, frame, jid, jl, cx, cy) -> Intersection:
    ln = net.lanes
    # movements sharing one timing window share a signal head: one signal group each
    keys = {}
    for k in jl.tolist():
        key = (int(plan.cycle_us[k]), int(plan.offset_us[k]), int(plan.green_start_us[k]),
               int(plan.green_end_us[k]), int(plan.yellow_end_us[k]))
        keys.setdefault(key, []).append(k)
    groups = {g + 1: tuple(v) for g, (_, v) in enumerate(sorted(keys.items()))}
    group_of = {k: g for g, v in groups.items() for k in v}
    ingress = sorted({int(p) for k in jl for p in ln.predecessors(int(k))})
    egress = sorted({int(s) for k in jl for s in ln.successors(int(k))})
    ids = {lane: i + 1 for i, lane in enumerate(ingress + [e for e in egress
                                                          if e not in ingress])}
    if len(ids) > 255:
        raise ValueError(f"junction {jid}: {len(ids)} lanes exceed the MAPEM's 255")
    lanes = []
    for lane in ingress:
        conns = []
        for k in ln.successors(lane).tolist():
            if k not in group_of:
                continue
            for e in ln.successors(int(k)).tolist():
                conns.append(Connection(lane_id=ids[int(e)],
                                        maneuver=MANEUVER.get(Turn(int(ln.turn[k]))),
                                        signal_group=group_of[k], connection_id=None))
        allowed = AllowedManeuvers(0)
        for c in conns:
            allowed |= c.maneuver or AllowedManeuvers(0)
        lanes.append(Lane(lane_id=ids[lane], directional_use=LaneDirection.INGRESS,
                          nodes_m=_nodes(net, lane, cx, cy, from_end=True),
                          maneuvers=allowed, connects_to=tuple(conns[:16])))
    for lane in egress:
        if lane in ingress:
            continue
        lanes.append(Lane(lane_id=ids[lane], directional_use=LaneDirection.EGRESS,
                          nodes_m=_nodes(net, lane, cx, cy, from_end=False)))
    lat, lon = frame.to_latlon(cx, cy)
    geom = IntersectionGeometry(ref=IntersectionRef(id=jid), revision=1, ref_lat_deg=lat,
                                ref_lon_deg=lon, lanes=tuple(lanes),
                                lane_width_m=round(float(np.median(
                                    [net.points.width[net.lane_points(k)].mean()
                                     for k in ingress])), 2))
    return Intersection(jid, cx, cy, groups, geom)


def _nodes(net, lane, cx, cy, from_end: bool) -> tuple[tuple[float, float], ...]:
    """Up to NODE_SPAN_M of the lane centre line, starting at the junction (ISO 19091:
    the first node is at the stop line / the junction exit), relative to (cx, cy)."""
    xy = net.lane_xy(int(lane))
    if from_end:
        xy = xy[::-1]
    d = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    keep = xy[d <= NODE_SPAN_M]
    if len(keep) < 2:
        keep = xy[:2]
    if len(keep) > 12:  # a straight arm needs few points; the MAPEM stays small
        keep = keep[np.unique(np.linspace(0, len(keep) - 1, 12).round().astype(int))]
    return tuple((round(float(x - cx), 2), round(float(y - cy), 2)) for x, y in keep)


def spat_state(inter: Intersection, plan: SignalPlan, clock: ItsClock,
               time_us: int, revision: int) -> IntersectionState:
    """The intersection's SPaT at ``time_us``: each signal group's phase and when it ends
    (minEndTime = likelyTime = the fixed-time plan's next change)."""
    states = lane_states(plan, time_us)
    ttc = lane_time_to_change_us(plan, time_us)
    now_tenths = clock.tenths_into_hour(time_us)
    moy, dsec = clock.minute_of_year(time_us)
    movements = []
    for g, lanes in sorted(inter.groups.items()):
        k = lanes[0]
        end_tenths = (now_tenths + ttc[k] / 100_000.0) % 36000.0
        end_s = round(float(np.floor(end_tenths)) / 10.0, 1)
        movements.append(MovementState(signal_group=g, events=(MovementEvent(
            state=PHASE.get(int(states[k]), MovementPhaseState.UNAVAILABLE),
            timing=TimeChange(min_end_s=end_s, likely_s=end_s, confidence=15)),)))
    return IntersectionState(ref=IntersectionRef(id=inter.junction), revision=revision % 128,
                             states=tuple(movements), moy=int(moy), timestamp_ms=int(dsec))
