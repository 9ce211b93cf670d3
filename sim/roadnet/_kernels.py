"""Numba kernels for road-network queries. Arrays and scalars in, results into ``out``.

Plain-Python twins live in :mod:`sim.roadnet._reference`; tests compare the two.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np


@nb.njit(cache=True)
def _project_segment(qx, qy, ax, ay, bx, by):
    """Closest point of segment a-b to q: returns (t in [0,1], distance, signed lateral)."""
    ex, ey = bx - ax, by - ay
    ll = ex * ex + ey * ey
    t = 0.0
    if ll > 0.0:
        t = ((qx - ax) * ex + (qy - ay) * ey) / ll
        t = min(max(t, 0.0), 1.0)
    px, py = ax + t * ex, ay + t * ey
    dist = math.hypot(qx - px, qy - py)
    cross = ex * (qy - ay) - ey * (qx - ax)
    lat = dist if cross >= 0.0 else -dist
    return t, dist, lat


@nb.njit(cache=True)
def locate_points(qx, qy, max_dist, lane_ok, origin_x, origin_y, cell, nx, ny, cell_ptr, seg,
                  pt_x, pt_y, pt_s, pt_lane, out_lane, out_s, out_d, out_dist):
    """Nearest centreline point on an allowed lane for each query point.

    qx, qy: (m,) float64 [m]; lane_ok: (n_lanes,) bool; out_lane: (m,) int32 (-1 if none
    within max_dist [m]); out_s, out_d, out_dist: (m,) float64 [m] (d: left of lane +).
    """
    for q in range(qx.shape[0]):
        x, y = qx[q], qy[q]
        cx = int(math.floor((x - origin_x) / cell))
        cy = int(math.floor((y - origin_y) / cell))
        best, best_lane, best_s, best_d = np.inf, -1, 0.0, 0.0
        max_ring = int(min(max_dist / cell + 1.0, max(nx, ny) + 1.0))
        for r in range(max_ring + 1):
            for gy in range(cy - r, cy + r + 1):
                if gy < 0 or gy >= ny:
                    continue
                step = 1 if (gy == cy - r or gy == cy + r) else 2 * r
                for gx in range(cx - r, cx + r + 1, max(step, 1)):
                    if gx < 0 or gx >= nx:
                        continue
                    c = gy * nx + gx
                    for k in range(cell_ptr[c], cell_ptr[c + 1]):
                        i = seg[k]
                        lane = pt_lane[i]
                        if not lane_ok[lane]:
                            continue
                        t, dist, lat = _project_segment(x, y, pt_x[i], pt_y[i], pt_x[i + 1],
                                                        pt_y[i + 1])
                        if dist < best or (dist == best and lane < best_lane):
                            best, best_lane, best_d = dist, lane, lat
                            best_s = pt_s[i] + t * (pt_s[i + 1] - pt_s[i])
            if best <= r * cell:
                break
        if best_lane >= 0 and best <= max_dist:
            out_lane[q], out_s[q], out_d[q], out_dist[q] = best_lane, best_s, best_d, best
        else:
            out_lane[q], out_s[q], out_d[q], out_dist[q] = -1, 0.0, 0.0, np.inf


@nb.njit(cache=True)
def pose_on_lanes(lane, s, pt_ptr, pt_s, pt_x, pt_y, out_x, out_y, out_h):
    """Centreline point and heading at (lane, s) for each query (s clamped to the lane).

    lane: (m,) int32; s: (m,) float64 [m]; out_x, out_y [m], out_h [rad]: (m,) float64.
    """
    for q in range(lane.shape[0]):
        a, b = pt_ptr[lane[q]], pt_ptr[lane[q] + 1] - 1
        sq = min(max(s[q], pt_s[a]), pt_s[b])
        lo, hi = a, b
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if pt_s[mid] <= sq:
                lo = mid
            else:
                hi = mid
        ds = pt_s[hi] - pt_s[lo]
        t = (sq - pt_s[lo]) / ds if ds > 0.0 else 0.0
        out_x[q] = pt_x[lo] + t * (pt_x[hi] - pt_x[lo])
        out_y[q] = pt_y[lo] + t * (pt_y[hi] - pt_y[lo])
        out_h[q] = math.atan2(pt_y[hi] - pt_y[lo], pt_x[hi] - pt_x[lo])


@nb.njit(cache=True)
def _heap_push(cost, node, size, c, v):
    i = size
    cost[i], node[i] = c, v
    while i > 0:
        p = (i - 1) // 2
        if cost[p] < cost[i] or (cost[p] == cost[i] and node[p] <= node[i]):
            break
        cost[p], cost[i] = cost[i], cost[p]
        node[p], node[i] = node[i], node[p]
        i = p
    return size + 1


@nb.njit(cache=True)
def _heap_pop(cost, node, size):
    c, v = cost[0], node[0]
    size -= 1
    cost[0], node[0] = cost[size], node[size]
    i = 0
    while True:
        lft, rgt, m = 2 * i + 1, 2 * i + 2, i
        if lft < size and (cost[lft] < cost[m] or (cost[lft] == cost[m] and node[lft] < node[m])):
            m = lft
        if rgt < size and (cost[rgt] < cost[m] or (cost[rgt] == cost[m] and node[rgt] < node[m])):
            m = rgt
        if m == i:
            break
        cost[m], cost[i] = cost[i], cost[m]
        node[m], node[i] = node[i], node[m]
        i = m
    return c, v, size


@nb.njit(cache=True)
def _relax(hc, hn, size, out_cost, out_prev, v, c, u):
    if c < out_cost[v]:
        out_cost[v] = c
        out_prev[v] = u
        size = _heap_push(hc, hn, size, c, v)
    return size


@nb.njit(cache=True)
def shortest_lane_path(start, start_s, goal, goal_ahead, length, succ_ptr, succ, left, right,
                       lc_left, lc_right, allowed, lc_penalty, out_prev, out_cost):
    """Dijkstra over lanes from (start, start_s) to ``goal``; costs are metres to a lane's end.

    Node v (< n) means "lane v driven from its beginning"; successor edges cost the
    successor's length. A lane change keeps the position along the road, so lanes reached
    from the start by lane changes alone are "partial" nodes n + v, seeded from n + start at
    cost length[start] - start_s; a lane change costs ``lc_penalty`` [m] and stays partial
    or whole as it was. The goal counts as a partial node only if ``goal_ahead`` (its s is
    ahead of the start's), so a goal behind the start needs a real loop.
    out_prev: (2*n_lanes,) int32 predecessor node (-1); out_cost: (2*n_lanes,) float64 [m].
    Returns the goal node reached (goal or n + goal), or -1.
    """
    n = length.shape[0]
    for i in range(2 * n):
        out_prev[i] = -1
        out_cost[i] = np.inf
    cap = succ.shape[0] + 4 * n + 2
    hc = np.empty(cap, np.float64)
    hn = np.empty(cap, np.int32)
    out_cost[n + start] = max(length[start] - start_s, 0.0)
    size = _heap_push(hc, hn, 0, out_cost[n + start], n + start)
    while size > 0:
        c, u, size = _heap_pop(hc, hn, size)
        if c > out_cost[u]:
            continue
        partial = u >= n
        lane = u - n if partial else u
        if lane == goal and (goal_ahead or not partial):
            return u
        for k in range(succ_ptr[lane], succ_ptr[lane + 1]):
            v = succ[k]
            if allowed[v]:
                size = _relax(hc, hn, size, out_cost, out_prev, v, c + length[v], u)
        for side in range(2):
            v = left[lane] if side == 0 else right[lane]
            ok = lc_left[lane] if side == 0 else lc_right[lane]
            if v >= 0 and ok and allowed[v]:
                target = v + n if partial else v
                size = _relax(hc, hn, size, out_cost, out_prev, target, c + lc_penalty, u)
    return -1
