"""Junction look-ups for the behaviour layer: the straight movement's signal, the crosswalks
around a junction lane, and when perceived vehicles reach a conflicting movement."""

from __future__ import annotations

import math

import numpy as np

from planners.behaviour.types import Perceived
from sim.actors import ActorKind
from sim.roadnet.network import RoadNetwork, Turn
from sim.roadnet.queries import locate
from sim.traffic.signals import SIG_NONE


def straight_state(net: RoadNetwork, q: int, sig_lanes: np.ndarray) -> int:
    """State of the straight movement from approach lane q (or of its neighbours' when
    q has none, as from a turn pocket); SIG_NONE if none is signalled."""
    ln = net.lanes
    for lane in (q, int(ln.left[q]), int(ln.right[q])):
        if lane < 0:
            continue
        for o in ln.successors(lane):
            if ln.turn[int(o)] == Turn.STRAIGHT and int(o) < len(sig_lanes):
                return int(sig_lanes[int(o)])
    return SIG_NONE

def junction_crosswalks(net: RoadNetwork, jl: int) -> list[int]:
    cw, ln = net.crosswalks, net.lanes
    out = []
    for q in list(ln.predecessors(jl)) + list(ln.successors(jl)):
        q = int(q)
        out += [int(c) for c in cw.lane_cw[cw.lane_ptr[q]:cw.lane_ptr[q + 1]]]
    return out

def arrival_times(net: RoadNetwork, rivals: list[int], objs: Perceived,
                  horizon_s: float) -> np.ndarray:
    """Time [s] each perceived vehicle needs to reach the start of a rival junction lane
    it is heading for (0 while it is on one, until it is most of the way through),
    searching upstream through predecessor lanes; vehicles beyond the yield horizon
    or not heading along their lane are left out."""
    veh = np.flatnonzero(objs.kind != int(ActorKind.PEDESTRIAN))
    if not len(veh):
        return np.zeros(0)
    ln, p = net.lanes, net.points
    reach = max(float(objs.speed[veh].max()), 5.0) * horizon_s
    # distance from the end of each upstream lane to the start of a rival lane
    upstream: dict[int, float] = {}
    frontier = [(int(q), 0.0) for c in rivals for q in ln.predecessors(c)]
    while frontier:
        q, dist = frontier.pop()
        if dist > reach or upstream.get(q, math.inf) <= dist:
            continue
        upstream[q] = dist
        frontier += [(int(r), dist + float(ln.length[q])) for r in ln.predecessors(q)]
    loc = locate(net, objs.x[veh], objs.y[veh], max_dist=3.0)
    out = []
    for i, lane, s in zip(veh, loc.lane.tolist(), loc.s.tolist()):
        if lane < 0:
            continue
        v = float(objs.speed[i])
        if v > 1.0:
            k = ln.pt_ptr[lane] + min(int(np.searchsorted(p.s[net.lane_points(lane)],
                                                           s)),
                                      ln.pt_ptr[lane + 1] - ln.pt_ptr[lane] - 1)
            if abs(math.remainder(math.atan2(objs.vy[i], objs.vx[i]) - p.heading[k],
                                  2 * math.pi)) > math.pi / 3:
                continue  # not travelling along the lane it is nearest to
        if lane in rivals:
            out.append(0.0 if s < 0.8 * ln.length[lane] else math.inf)
        elif lane in upstream:
            dist = upstream[lane] + float(ln.length[lane]) - s
            t = dist / v if v > 0.5 else math.inf
            out.append(t if t < horizon_s else math.inf)
    return np.asarray(out, np.float64)
