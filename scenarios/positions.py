"""Scenario positions (world, lane, relative-lane) resolved on a road network.

Vehicles need a lane, an arc length and a lateral offset; pedestrians only a point and a
heading. Every failure names the position and why (off the map, no such road or lane).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scenarios.storyboard import LanePosition, Position, RelativeLanePosition, WorldPosition
from sim.roadnet.network import LaneType, RoadNetwork
from sim.roadnet.queries import lane_type_mask, locate, pose_at
from sim.state import WorldState


class PositionError(ValueError):
    """A position that cannot be placed on the map."""


@dataclass(frozen=True)
class Placed:
    """x, y [m], heading [rad]; lane (-1: none), s [m] along it, d [m] left of its centre."""

    x: float
    y: float
    heading: float
    lane: int = -1
    s: float = 0.0
    d: float = 0.0


def _wrap(a: float) -> float:
    return (a + math.pi) % (2.0 * math.pi) - math.pi


def on_lane(net: RoadNetwork, lane: int, s: float, d: float = 0.0) -> Placed:
    """The point ``d`` [m] left of ``lane``'s centre at arc length ``s``."""
    s = float(np.clip(s, 0.0, net.lanes.length[lane]))
    x, y, h = pose_at(net, [lane], [s])
    return Placed(float(x[0] - d * math.sin(h[0])), float(y[0] + d * math.cos(h[0])),
                  float(h[0]), int(lane), s, float(d))


def snap(net: RoadNetwork, x: float, y: float, heading: float | None = None,
         max_dist: float = 10.0, where: str = "position") -> Placed:
    """The driving lane under (x, y), travelling within 90 deg of ``heading`` if given."""
    ok = lane_type_mask(net, (LaneType.DRIVING,)).copy()
    for _ in range(8):
        loc = locate(net, x, y, max_dist=max_dist, lane_ok=ok)
        lane = int(loc.lane[0])
        if lane < 0:
            break
        placed = on_lane(net, lane, float(loc.s[0]))
        if heading is None or abs(_wrap(placed.heading - heading)) <= math.pi / 2:
            return Placed(float(x), float(y), placed.heading, lane, float(loc.s[0]),
                          float(loc.d[0]))
        ok[lane] = False  # the opposite carriageway: look for the next nearest
    raise PositionError(f"{where}: no driving lane within {max_dist:g} m of ({x:.1f}, {y:.1f})"
                        + (f" heading {math.degrees(heading):.0f} deg" if heading is not None
                           else ""))


def lane_index(net: RoadNetwork, road: int, odr_lane: int, road_s: float,
               where: str = "position") -> tuple[int, float]:
    """kav lane and lane arc length [m] for OpenDRIVE (road id, lane id, road s)."""
    ln, p = net.lanes, net.points
    cands = np.flatnonzero((ln.road == road) & (ln.odr_id == odr_lane))
    if len(cands) == 0:
        known = sorted(set(int(r) for r in ln.road))
        if road not in known:
            raise PositionError(f"{where}: no road {road} in the map")
        raise PositionError(f"{where}: road {road} has no lane {odr_lane}")
    best, best_err, best_s = -1, math.inf, 0.0
    for c in cands:
        sl = net.lane_points(int(c))
        k = int(np.argmin(np.abs(p.road_s[sl] - road_s)))
        err = abs(float(p.road_s[sl][k]) - road_s)
        if err < best_err:
            best, best_err, best_s = int(c), err, float(p.s[sl][k])
    if best_err > 2.0:
        raise PositionError(f"{where}: s = {road_s:g} m is beyond road {road}, lane {odr_lane}")
    return best, best_s


def walk_lane(net: RoadNetwork, lane: int, s: float, ds: float) -> tuple[int, float]:
    """(lane, s) ``ds`` [m] further along the lane graph (negative: back), taking the
    straightest successor (predecessor) at each lane end."""
    ln = net.lanes
    s += ds
    for _ in range(64):
        if s > ln.length[lane]:
            nxt = _straightest(net, lane, ln.successors(lane), forward=True)
            if nxt < 0:
                return lane, float(ln.length[lane])
            s -= ln.length[lane]
            lane = nxt
        elif s < 0.0:
            prv = _straightest(net, lane, ln.predecessors(lane), forward=False)
            if prv < 0:
                return lane, 0.0
            lane = prv
            s += ln.length[lane]
        else:
            break
    return lane, float(s)


def _straightest(net: RoadNetwork, lane: int, options: np.ndarray, forward: bool) -> int:
    if len(options) == 0:
        return -1
    p = net.points
    sl = net.lane_points(lane)
    h0 = p.heading[sl.stop - 1] if forward else p.heading[sl.start]

    def turn(o: int) -> float:
        so = net.lane_points(int(o))
        h1 = p.heading[so.stop - 1] if forward else p.heading[so.start]
        return abs(_wrap(float(h1 - h0)))

    return int(min(options, key=turn))


def neighbour(net: RoadNetwork, lane: int, dlane: int) -> int:
    """The lane ``dlane`` lanes to the left (negative: right), -1 if there is none."""
    for _ in range(abs(dlane)):
        lane = int(net.lanes.left[lane] if dlane > 0 else net.lanes.right[lane])
        if lane < 0:
            return -1
    return lane


def resolve(net: RoadNetwork, pos: Position, state: WorldState | None = None,
            rows: dict[str, int] | None = None, vehicle: bool = True,
            where: str = "position") -> Placed:
    """Place ``pos``; relative positions read the referenced actor from ``state``."""
    if isinstance(pos, WorldPosition):
        if not vehicle:
            return Placed(pos.x, pos.y, pos.heading if pos.heading is not None else 0.0)
        return snap(net, pos.x, pos.y, pos.heading, where=where)
    if isinstance(pos, LanePosition):
        lane, s = lane_index(net, pos.road, pos.lane, pos.s, where)
        return on_lane(net, lane, s, pos.offset)
    if isinstance(pos, RelativeLanePosition):
        if state is None or rows is None or pos.entity not in rows:
            raise PositionError(f"{where}: actor {pos.entity!r} is not placed yet (place "
                                "actors after those they are positioned from)")
        r = rows[pos.entity]
        lane0 = int(state.lane[r])
        if lane0 < 0:
            raise PositionError(f"{where}: actor {pos.entity!r} is not on a lane")
        lane = neighbour(net, lane0, pos.dlane)
        if lane < 0:
            raise PositionError(f"{where}: no lane {pos.dlane:+d} from {pos.entity!r}'s lane")
        s0 = float(state.s[r]) * net.lanes.length[lane] / max(net.lanes.length[lane0], 1e-6)
        lane, s = walk_lane(net, lane, s0, pos.ds)
        return on_lane(net, lane, s, pos.offset)
    raise PositionError(f"{where}: unsupported position {pos!r}")


def straight_route(net: RoadNetwork, lane: int, max_lanes: int, min_length: float) -> np.ndarray:
    """Lanes ahead of ``lane``, straightest successor each time, until ``min_length`` [m]
    or ``max_lanes``; what a scripted actor (keep the lane, no destination) drives."""
    out, total = [lane], float(net.lanes.length[lane])
    while len(out) < max_lanes and total < min_length:
        nxt = _straightest(net, out[-1], net.lanes.successors(out[-1]), forward=True)
        if nxt < 0 or nxt in out:
            break
        out.append(nxt)
        total += float(net.lanes.length[nxt])
    return np.asarray(out, np.int32)
