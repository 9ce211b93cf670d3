"""The corridor: the lanes the ego will drive next, laid end to end as one path.

The lattice planner works in the Frenet frame of one reference line; the behaviour layer
places stop lines, crosswalks, junction entries and speed limits on that same line. A
corridor starts on the ego's lane (or the lane it is changing into) a little behind it,
follows the mission route while the route goes straight on from lane to lane, and where the
route asks for a lane change further ahead it keeps going on the straightest successor:
the change itself happens when the behaviour layer switches the corridor's first lane.

Path coordinate: ``path_s = offset[k] + lane_s - start_s`` for the k-th corridor lane,
where ``start_s`` is where the corridor begins on its first lane [m].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.roadnet.network import RoadNetwork
from sim.roadnet.queries import Route

BEHIND_M = 10.0  # [m] of path kept behind the ego, so it always projects inside the path


@dataclass(frozen=True)
class Corridor:
    """lanes: (k,) int64 corridor lanes in driving order; offset: (k,) float64 [m] path s
    where each lane starts (before trimming); start_s [m]: corridor start on lanes[0];
    route_index: (k,) int64 index of each lane in the mission route (-1: off the route, on
    the straightest successor); x, y: (m,) float64 [m] the reference polyline."""

    lanes: np.ndarray
    offset: np.ndarray
    start_s: float
    route_index: np.ndarray
    x: np.ndarray
    y: np.ndarray

    def path_s(self, k: int, lane_s: float) -> float:
        """Path coordinate [m] of arc length ``lane_s`` on the k-th corridor lane."""
        return float(self.offset[k] + lane_s - self.start_s)

    def index_of(self, lane: int) -> int:
        """Position of ``lane`` in the corridor, -1 if absent."""
        hit = np.flatnonzero(self.lanes == lane)
        return int(hit[0]) if len(hit) else -1


LOOP_GUARD_M = 30.0  # [m] past this much corridor, a lane passing near the start ends it


def _comes_back(net: RoadNetwork, lane: int, x0: float, y0: float) -> bool:
    """True if ``lane`` passes within BEHIND_M + 5 m of (x0, y0) [m]: a path through it
    would loop back over its own start and make projections onto it ambiguous."""
    sl = net.lane_points(lane)
    return bool(np.min(np.hypot(net.points.x[sl] - x0, net.points.y[sl] - y0)) < BEHIND_M + 5.0)


def straightest_successor(net: RoadNetwork, lane: int) -> int:
    """The successor whose start heading continues ``lane``'s end heading best (-1: none)."""
    succ = net.lanes.successors(lane)
    if len(succ) == 0:
        return -1
    p, ptr = net.points, net.lanes.pt_ptr
    h_end = p.heading[ptr[lane + 1] - 1]
    turn = [abs(math.remainder(p.heading[min(ptr[int(q)] + 3, ptr[int(q) + 1] - 1)] - h_end,
                               2 * math.pi)) for q in succ]
    return int(succ[int(np.argmin(turn))])


def build_corridor(net: RoadNetwork, route: Route, lane: int, lane_s: float, route_pos: int,
                   ahead_m: float) -> Corridor:
    """Corridor from (``lane``, ``lane_s``) [m], ``ahead_m`` [m] long (shorter where the map
    ends). ``route_pos`` is the route index of ``lane`` (or of the lane it is changing
    from, when ``lane`` is the neighbour the route asks for)."""
    ln = net.lanes
    lanes, rindex, offset = [lane], [route_pos], [0.0]
    sl = net.lane_points(lane)
    k0 = sl.start + min(int(np.searchsorted(net.points.s[sl], lane_s)), sl.stop - sl.start - 1)
    x0, y0 = float(net.points.x[k0]), float(net.points.y[k0])
    total = ln.length[lane] - lane_s
    r = route_pos
    while total < ahead_m:
        cur = lanes[-1]
        nxt, r_next = -1, -1
        if r >= 0 and r + 1 < len(route.lanes) and not route.lane_change[r + 1]:
            cand = int(route.lanes[r + 1])
            if cand in ln.successors(cur):
                nxt, r_next = cand, r + 1
        if nxt < 0:
            nxt = straightest_successor(net, cur)
        if nxt < 0 or nxt in lanes or (total > LOOP_GUARD_M and _comes_back(net, nxt, x0, y0)):
            break  # end of the map, or a ring road about to come round to the start
        offset.append(offset[-1] + float(ln.length[cur]))
        lanes.append(nxt)
        rindex.append(r_next)
        r = r_next
        total += float(ln.length[nxt])
    p = net.points
    sl0 = net.lane_points(lane)
    # the first kept point: BEHIND_M behind the ego, but keep at least the lane's last two
    i0 = min(int(np.searchsorted(p.s[sl0], max(0.0, lane_s - BEHIND_M) - 1e-9)),
             max(sl0.stop - sl0.start - 2, 0))
    start_s = float(p.s[sl0.start + i0])
    xs, ys = [p.x[sl0.start + i0:sl0.stop]], [p.y[sl0.start + i0:sl0.stop]]
    for q in lanes[1:]:
        sl = net.lane_points(q)
        xs.append(p.x[sl.start + 1:sl.stop])  # a lane starts where its predecessor ends
        ys.append(p.y[sl.start + 1:sl.stop])
    x, y = np.concatenate(xs), np.concatenate(ys)
    if len(x) < 2:  # a one-point stub: extend it straight so the path has a direction
        h = p.heading[sl0.stop - 1]
        x = np.array([x[0], x[0] + 5.0 * math.cos(h)])
        y = np.array([y[0], y[0] + 5.0 * math.sin(h)])
    return Corridor(np.asarray(lanes, np.int64), np.asarray(offset), start_s,
                    np.asarray(rindex, np.int64), x, y)
