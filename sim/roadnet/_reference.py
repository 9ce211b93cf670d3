"""Plain-Python twins of :mod:`sim.roadnet._kernels`, for tests (same inputs, same outputs)."""

from __future__ import annotations

import heapq
import math

import numpy as np


def locate_points_ref(qx, qy, max_dist, lane_ok, pt_x, pt_y, pt_s, pt_lane):
    """Brute force over every segment: returns (lane, s, d, dist) arrays like the kernel."""
    m = len(qx)
    out_lane = np.full(m, -1, np.int32)
    out_s, out_d, out_dist = np.zeros(m), np.zeros(m), np.full(m, np.inf)
    for q in range(m):
        best = (math.inf, -1, 0.0, 0.0)
        for i in range(len(pt_x) - 1):
            lane = int(pt_lane[i])
            if pt_lane[i + 1] != lane or not lane_ok[lane]:
                continue
            ax, ay, bx, by = pt_x[i], pt_y[i], pt_x[i + 1], pt_y[i + 1]
            ex, ey = bx - ax, by - ay
            ll = ex * ex + ey * ey
            t = 0.0 if ll == 0 else min(max(((qx[q] - ax) * ex + (qy[q] - ay) * ey) / ll, 0.0), 1.0)
            px, py = ax + t * ex, ay + t * ey
            dist = math.hypot(qx[q] - px, qy[q] - py)
            lat = dist if ex * (qy[q] - ay) - ey * (qx[q] - ax) >= 0 else -dist
            if dist < best[0] or (dist == best[0] and lane < best[1]):
                best = (dist, lane, pt_s[i] + t * (pt_s[i + 1] - pt_s[i]), lat)
        if best[1] >= 0 and best[0] <= max_dist:
            out_dist[q], out_lane[q], out_s[q], out_d[q] = best
    return out_lane, out_s, out_d, out_dist


def pose_on_lanes_ref(lane, s, pt_ptr, pt_s, pt_x, pt_y):
    """Interpolated centreline point and segment heading at (lane, s)."""
    xs, ys, hs = [], [], []
    for ln, sq in zip(lane, s):
        a, b = pt_ptr[ln], pt_ptr[ln + 1]
        ls, lx, ly = pt_s[a:b], pt_x[a:b], pt_y[a:b]
        sq = min(max(sq, ls[0]), ls[-1])
        k = min(int(np.searchsorted(ls, sq, side="right")) - 1, len(ls) - 2)
        t = (sq - ls[k]) / (ls[k + 1] - ls[k]) if ls[k + 1] > ls[k] else 0.0
        xs.append(lx[k] + t * (lx[k + 1] - lx[k]))
        ys.append(ly[k] + t * (ly[k + 1] - ly[k]))
        hs.append(math.atan2(ly[k + 1] - ly[k], lx[k + 1] - lx[k]))
    return np.array(xs), np.array(ys), np.array(hs)


def shortest_lane_path_ref(start, start_s, goal, goal_ahead, length, succ_ptr, succ, left, right,
                           lc_left, lc_right, allowed, lc_penalty):
    """heapq Dijkstra over whole and partial lane nodes, as the kernel; returns
    (goal node or -1, prev, cost)."""
    n = len(length)
    prev = np.full(2 * n, -1, np.int32)
    cost = np.full(2 * n, np.inf)
    cost[n + start] = max(length[start] - start_s, 0.0)
    heap = [(cost[n + start], n + start)]
    while heap:
        c, u = heapq.heappop(heap)
        if c > cost[u]:
            continue
        partial = u >= n
        lane = u - n if partial else u
        if lane == goal and (goal_ahead or not partial):
            return u, prev, cost
        moves = [(int(v), c + float(length[v])) for v in succ[succ_ptr[lane]:succ_ptr[lane + 1]]]
        for v, ok in ((left[lane], lc_left[lane]), (right[lane], lc_right[lane])):
            if v >= 0 and ok:
                moves.append((int(v) + (n if partial else 0), c + float(lc_penalty)))
        for v, cv in moves:
            if allowed[v % n] and cv < cost[v]:
                cost[v], prev[v] = cv, u
                heapq.heappush(heap, (cv, v))
    return -1, prev, cost
