"""Road-network queries: world point -> (lane, s, d), pose at (lane, s), lane-graph routes.

Thin wrappers that allocate outputs and call the kernels in :mod:`sim.roadnet._kernels`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.actors import ActorKind
from sim.roadnet import _kernels as K
from sim.roadnet.network import (
    LANE_BUS_ONLY,
    LANE_JUNCTION,
    PT_LC_LEFT,
    PT_LC_RIGHT,
    LaneType,
    RoadNetwork,
)


class RouteError(ValueError):
    """No route exists between the requested points."""


@dataclass(frozen=True)
class Located:
    """Result of :func:`locate`, each (m,): lane int32 (-1 if none), s, d, dist float64 [m]."""

    lane: np.ndarray
    s: np.ndarray
    d: np.ndarray
    dist: np.ndarray


@dataclass(frozen=True)
class Route:
    """A lane-level route. lanes: (k,) int32 in driving order; lane_change: (k,) bool, true
    where lanes[i] is entered by changing lanes from lanes[i-1]; start_s / goal_s [m] on the
    first / last lane; length [m] driven along it."""

    lanes: np.ndarray
    lane_change: np.ndarray
    start_s: float
    goal_s: float
    length: float


def lane_type_mask(net: RoadNetwork, types=(LaneType.DRIVING,)) -> np.ndarray:
    """(n_lanes,) bool: lanes whose type is one of ``types``."""
    return np.isin(net.lanes.type, [int(t) for t in types])


def locate(net: RoadNetwork, x, y, max_dist: float = 20.0,
           types=(LaneType.DRIVING,), lane_ok: np.ndarray | None = None) -> Located:
    """Nearest lane centreline to each world point (x, y [m], scalars or (m,) arrays)."""
    qx = np.atleast_1d(np.asarray(x, dtype=np.float64))
    qy = np.atleast_1d(np.asarray(y, dtype=np.float64))
    if qx.shape != qy.shape:
        raise ValueError(f"x and y must have the same shape, got {qx.shape} and {qy.shape}")
    ok = lane_type_mask(net, types) if lane_ok is None else np.asarray(lane_ok, dtype=np.bool_)
    m = qx.shape[0]
    out = Located(np.empty(m, np.int32), np.empty(m), np.empty(m), np.empty(m))
    g, p = net.grid, net.points
    K.locate_points(qx, qy, float(max_dist), ok, g.origin_x, g.origin_y, g.cell, g.nx, g.ny,
                    g.cell_ptr, g.seg, p.x, p.y, p.s, p.lane, out.lane, out.s, out.d, out.dist)
    return out


def pose_at(net: RoadNetwork, lane, s) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centreline (x, y [m], heading [rad]) at (lane, s); s is clamped to the lane."""
    lanes = np.atleast_1d(np.asarray(lane, dtype=np.int32))
    ss = np.broadcast_to(np.atleast_1d(np.asarray(s, dtype=np.float64)), lanes.shape).copy()
    if np.any((lanes < 0) | (lanes >= net.lanes.n)):
        raise IndexError(f"lane index out of range [0, {net.lanes.n})")
    ox, oy, oh = np.empty(lanes.shape), np.empty(lanes.shape), np.empty(lanes.shape)
    p = net.points
    K.pose_on_lanes(lanes, ss, net.lanes.pt_ptr, p.s, p.x, p.y, ox, oy, oh)
    return ox, oy, oh


def lane_width_at(net: RoadNetwork, lane, s) -> np.ndarray:
    """Lane width [m] at (lane, s): (m,) float64, from the sample at or before s."""
    lanes = np.atleast_1d(np.asarray(lane, dtype=np.int64))
    ss = np.atleast_1d(np.asarray(s, dtype=np.float64))
    out = np.empty(lanes.shape)
    for q, (ln, sq) in enumerate(zip(lanes, ss)):
        a, b = net.lanes.pt_ptr[ln], net.lanes.pt_ptr[ln + 1]
        k = a + max(int(np.searchsorted(net.points.s[a:b], sq, side="right")) - 1, 0)
        out[q] = net.points.width[k]
    return out


def lane_change_ok(net: RoadNetwork) -> tuple[np.ndarray, np.ndarray]:
    """(n_lanes,) bool each: a lane change left / right is allowed somewhere on the lane."""
    ln, flags = net.lanes, net.points.flags
    starts = ln.pt_ptr[:-1]
    left = np.logical_or.reduceat((flags & PT_LC_LEFT) > 0, starts)
    right = np.logical_or.reduceat((flags & PT_LC_RIGHT) > 0, starts)
    outside = (ln.flags & LANE_JUNCTION) == 0
    return left & outside & (ln.left >= 0), right & outside & (ln.right >= 0)


def lane_access_mask(net: RoadNetwork, kind: ActorKind,
                     time_of_day_s: float | None = None) -> np.ndarray:
    """(n_lanes,) bool: driving lanes open to ``kind`` at ``time_of_day_s`` [s since 00:00].

    Bus-only lanes are open to buses always and to others outside their hours; with no time
    given, a bus-only lane counts as restricted.
    """
    ln = net.lanes
    ok = ln.type == LaneType.DRIVING
    if kind == ActorKind.BUS:
        return ok
    bus = (ln.flags & LANE_BUS_ONLY) > 0
    if time_of_day_s is None:
        return ok & ~bus
    tod = float(time_of_day_s) % 86400.0
    restricted = np.zeros(ln.n, dtype=bool)
    for lane in np.flatnonzero(bus):
        for a, b in ln.bus_hours[ln.bus_hours_ptr[lane]:ln.bus_hours_ptr[lane + 1]]:
            inside = (a <= tod < b) if a <= b else (tod >= a or tod < b)
            restricted[lane] |= inside
    return ok & ~restricted


def route_lanes(net: RoadNetwork, start_lane: int, start_s: float, goal_lane: int, goal_s: float,
                allowed: np.ndarray | None = None, lc_penalty: float = 30.0) -> Route:
    """Cheapest lane sequence from (start_lane, start_s) to (goal_lane, goal_s)."""
    ln = net.lanes
    for name, lane in (("start", start_lane), ("goal", goal_lane)):
        if not 0 <= lane < ln.n:
            raise RouteError(f"{name} lane {lane} is not a lane of {net.source}")
    allowed = (ln.type == LaneType.DRIVING) if allowed is None else np.asarray(allowed, bool)
    if start_lane == goal_lane and goal_s >= start_s:
        return Route(np.array([start_lane], np.int32), np.zeros(1, bool), float(start_s),
                     float(goal_s), float(goal_s - start_s))
    lc_l, lc_r = lane_change_ok(net)
    n = ln.n
    prev = np.empty(2 * n, np.int32)
    cost = np.empty(2 * n)
    # A lane change keeps the position along the road: a parallel goal lane counts only if
    # the goal lies ahead of the start (compared as fractions of the two lanes' lengths).
    goal_ahead = start_lane != goal_lane and (
        goal_s / max(ln.length[goal_lane], 1e-9) >= start_s / max(ln.length[start_lane], 1e-9))
    node = K.shortest_lane_path(int(start_lane), float(start_s), int(goal_lane), goal_ahead,
                                ln.length, ln.succ_ptr, ln.succ, ln.left, ln.right, lc_l, lc_r,
                                allowed, float(lc_penalty), prev, cost)
    if node < 0:
        raise RouteError(f"{net.source}: no route from lane {net.lane_key(start_lane)} to lane "
                         f"{net.lane_key(goal_lane)}")
    path = []
    while node >= 0:
        path.append(int(node) % n)
        node = int(prev[node])
    path.reverse()
    lanes = np.asarray(path, np.int32)
    change = np.zeros(len(lanes), bool)
    change[1:] = (ln.left[lanes[:-1]] == lanes[1:]) | (ln.right[lanes[:-1]] == lanes[1:])
    length = float(ln.length[start_lane] - start_s)
    for i in range(1, len(lanes)):
        if not change[i]:
            length += float(ln.length[lanes[i]])
    length -= float(ln.length[goal_lane] - goal_s)
    return Route(lanes, change, float(start_s), float(goal_s), length)


def route_offsets(net: RoadNetwork, r: Route) -> np.ndarray:
    """Route distance [m] at the start of each route lane: (k,) float64. A lane change keeps
    the position along the road; a successor starts where its predecessor ends."""
    off = np.zeros(len(r.lanes))
    for k in range(1, len(r.lanes)):
        off[k] = off[k - 1] + (0.0 if r.lane_change[k] else net.lanes.length[r.lanes[k - 1]])
    return off


def route(net: RoadNetwork, start_xy, goal_xy, kind: ActorKind = ActorKind.CAR,
          time_of_day_s: float | None = None, max_dist: float = 10.0) -> Route:
    """Route between two world points [m], each snapped to the nearest lane open to ``kind``."""
    allowed = lane_access_mask(net, kind, time_of_day_s)
    loc = locate(net, [start_xy[0], goal_xy[0]], [start_xy[1], goal_xy[1]], max_dist=max_dist,
                 lane_ok=allowed)
    for i, name in enumerate(("start", "goal")):
        if loc.lane[i] < 0:
            raise RouteError(f"{net.source}: {name} point {(start_xy, goal_xy)[i]} is more than "
                             f"{max_dist} m from any lane open to {ActorKind(kind).name}")
    return route_lanes(net, int(loc.lane[0]), float(loc.s[0]), int(loc.lane[1]), float(loc.s[1]),
                       allowed=allowed)


def route_polyline(net: RoadNetwork, r: Route) -> np.ndarray:
    """Centreline of a route from its start to its goal: (k, 2) float64 [m].

    A lane change has no place on the map, so the polyline switches lanes halfway through
    the stretch the two parallel lanes share (as fractions of their lengths); metrics use it
    for progress and deviation, where that half-lane-width step does not matter."""
    ln, pts = net.lanes, net.points
    k = len(r.lanes)
    lo, hi = np.zeros(k), np.ones(k)
    lo[0] = r.start_s / max(float(ln.length[r.lanes[0]]), 1e-9)
    hi[-1] = r.goal_s / max(float(ln.length[r.lanes[-1]]), 1e-9)
    for i in range(1, k):
        if r.lane_change[i]:
            cut = 0.5 * (lo[i - 1] + hi[i])
            hi[i - 1] = lo[i] = cut
    parts = []
    for i, lane in enumerate(r.lanes.tolist()):
        sl = net.lane_points(lane)
        s = pts.s[sl] / max(float(ln.length[lane]), 1e-9)
        keep = (s >= lo[i] - 1e-9) & (s <= hi[i] + 1e-9)
        parts.append(np.stack([pts.x[sl][keep], pts.y[sl][keep]], axis=1))
    xy = np.concatenate(parts) if parts else np.zeros((0, 2))
    if len(xy) == 0:
        raise RouteError(f"{net.source}: the route has no centreline points")
    # drop repeated points where one lane ends and its successor starts
    step = np.r_[True, np.hypot(*np.diff(xy, axis=0).T) > 1e-6]
    return xy[step]
