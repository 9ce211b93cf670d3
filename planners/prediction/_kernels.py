"""Numba kernels for lane-following prediction: snap objects to lanes by position and
heading, then walk along lane centrelines through successors.

Plain twin: :mod:`planners.prediction._reference` (same signatures, same outputs).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np


@nb.njit(cache=True)
def _wrap(a):
    return (a + math.pi) % (2.0 * math.pi) - math.pi


@nb.njit(cache=True)
def snap_to_lanes(qx, qy, qyaw, max_dist, max_dh, heading_weight, lane_ok, origin_x,
                  origin_y, cell, nx, ny, cell_ptr, seg, pt_x, pt_y, pt_s, pt_lane, out_lane,
                  out_s, out_d):
    """Best lane for each object by distance and heading.

    qx, qy: (m,) float64 [m]; qyaw: (m,) float64 [rad]. Candidates are centreline segments
    within ``max_dist`` [m] whose direction is within ``max_dh`` [rad] of the object's
    heading; the best minimises distance + heading_weight [m/rad] * heading difference (so
    at a junction, where the lanes of all turns overlap, the one the object is already
    turning into wins). out_lane: (m,) int32, -1 none; out_s: [m] along the lane;
    out_d: [m] lateral offset, left +. The grid arguments are :class:`SegmentGrid`'s.
    """
    for q in range(qx.shape[0]):
        x, y, yaw = qx[q], qy[q], qyaw[q]
        best, best_lane, best_i = np.inf, -1, -1
        best_s, best_d = 0.0, 0.0
        if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(yaw)):
            out_lane[q], out_s[q], out_d[q] = -1, 0.0, 0.0
            continue
        gx0 = max(int(math.floor((x - max_dist - origin_x) / cell)), 0)
        gx1 = min(int(math.floor((x + max_dist - origin_x) / cell)), nx - 1)
        gy0 = max(int(math.floor((y - max_dist - origin_y) / cell)), 0)
        gy1 = min(int(math.floor((y + max_dist - origin_y) / cell)), ny - 1)
        for gy in range(gy0, gy1 + 1):
            for gx in range(gx0, gx1 + 1):
                c = gy * nx + gx
                for k in range(cell_ptr[c], cell_ptr[c + 1]):
                    i = seg[k]
                    lane = pt_lane[i]
                    if not lane_ok[lane]:
                        continue
                    ex, ey = pt_x[i + 1] - pt_x[i], pt_y[i + 1] - pt_y[i]
                    e2 = ex * ex + ey * ey
                    if e2 <= 0.0:
                        continue
                    t = min(max(((x - pt_x[i]) * ex + (y - pt_y[i]) * ey) / e2, 0.0), 1.0)
                    px, py = pt_x[i] + t * ex, pt_y[i] + t * ey
                    dist = math.hypot(x - px, y - py)
                    dh = abs(_wrap(yaw - math.atan2(ey, ex)))
                    if dist > max_dist or dh > max_dh:
                        continue
                    cost = dist + heading_weight * dh
                    if cost < best or (cost == best and (lane < best_lane or (
                            lane == best_lane and i < best_i))):
                        best, best_lane, best_i = cost, lane, i
                        best_s = pt_s[i] + t * (pt_s[i + 1] - pt_s[i])
                        best_d = (ex * (y - pt_y[i]) - ey * (x - pt_x[i])) / math.sqrt(e2)
        out_lane[q], out_s[q], out_d[q] = best_lane, best_s, best_d


@nb.njit(cache=True)
def _pose(lane, s, pt_ptr, pt_s, pt_x, pt_y):
    """Centreline point [m] and heading [rad] at s on lane (s clamped to the lane)."""
    a, b = pt_ptr[lane], pt_ptr[lane + 1] - 1
    sq = min(max(s, pt_s[a]), pt_s[b])
    lo, hi = a, b
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if pt_s[mid] <= sq:
            lo = mid
        else:
            hi = mid
    ds = pt_s[hi] - pt_s[lo]
    t = (sq - pt_s[lo]) / ds if ds > 0.0 else 0.0
    return (pt_x[lo] + t * (pt_x[hi] - pt_x[lo]), pt_y[lo] + t * (pt_y[hi] - pt_y[lo]),
            math.atan2(pt_y[hi] - pt_y[lo], pt_x[hi] - pt_x[lo]))


@nb.njit(cache=True)
def _end_heading(lane, pt_ptr, pt_x, pt_y):
    b = pt_ptr[lane + 1] - 1
    return math.atan2(pt_y[b] - pt_y[b - 1], pt_x[b] - pt_x[b - 1])


@nb.njit(cache=True)
def straightest_successor(lane, lane_ok, succ_ptr, succ, pt_ptr, pt_x, pt_y):
    """The allowed successor whose exit heading turns least from this lane's exit heading
    (the lanes of a junction all start where the approach ends, so their entries cannot
    tell a left turn from straight on; their exits can). Ties go to the lower lane index;
    -1 when there is none."""
    h0 = _end_heading(lane, pt_ptr, pt_x, pt_y)
    best, best_turn = -1, np.inf
    for k in range(succ_ptr[lane], succ_ptr[lane + 1]):
        nxt = succ[k]
        if not lane_ok[nxt]:
            continue
        turn = abs(_wrap(_end_heading(nxt, pt_ptr, pt_x, pt_y) - h0))
        if turn < best_turn or (turn == best_turn and nxt < best):
            best, best_turn = nxt, turn
    return best


@nb.njit(cache=True)
def follow_lanes(lane0, s0, d0, speed, dt, decay_s, lane_ok, succ_ptr, succ, pt_ptr, pt_s,
                 pt_x, pt_y, out_x, out_y, out_yaw):
    """Positions along the lane graph at t_k = k dt for each object.

    lane0: (m,) int32 start lane; s0: (m,) float64 [m] along it; d0: (m,) float64 [m]
    lateral offset, decaying as exp(-t / decay_s) [s] (drivers return to the lane centre);
    speed: (m,) float64 [m/s] >= 0, held constant. At a fork the straightest successor is
    taken (:func:`straightest_successor`); past the end of the lane graph the object goes on
    straight along the last heading. out_x, out_y [m], out_yaw [rad]: (m, n_t) float64.
    """
    n_t = out_x.shape[1]
    for q in range(lane0.shape[0]):
        lane = lane0[q]
        start = -s0[q]  # distance from the object to the start of ``lane`` (<= 0)
        ended = False
        for k in range(n_t):
            t = k * dt
            dist = speed[q] * t
            while not ended:
                length = pt_s[pt_ptr[lane + 1] - 1]
                if dist - start <= length:
                    break
                nxt = straightest_successor(lane, lane_ok, succ_ptr, succ, pt_ptr, pt_x, pt_y)
                if nxt < 0:
                    ended = True
                else:
                    start += length
                    lane = nxt
            s = dist - start
            x, y, h = _pose(lane, s, pt_ptr, pt_s, pt_x, pt_y)
            length = pt_s[pt_ptr[lane + 1] - 1]
            if s > length:
                h = _end_heading(lane, pt_ptr, pt_x, pt_y)
                x += (s - length) * math.cos(h)
                y += (s - length) * math.sin(h)
            off = d0[q] * math.exp(-t / decay_s) if decay_s > 0.0 else 0.0
            out_x[q, k] = x - off * math.sin(h)
            out_y[q, k] = y + off * math.cos(h)
            out_yaw[q, k] = h
