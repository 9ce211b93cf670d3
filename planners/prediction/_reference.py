"""Plain Python / NumPy twin of :mod:`planners.prediction._kernels`: same signatures and
outputs, by brute force (every segment of every lane, a list walk along the lanes)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np


def _wrap(a):
    return (a + math.pi) % (2.0 * math.pi) - math.pi


def snap_to_lanes_ref(qx, qy, qyaw, max_dist, max_dh, heading_weight, lane_ok, origin_x,
                      origin_y, cell, nx, ny, cell_ptr, seg, pt_x, pt_y, pt_s, pt_lane,
                      out_lane, out_s, out_d):
    # every segment, no grid: the grid arguments are accepted for the same signature only
    i = np.flatnonzero(pt_lane[1:] == pt_lane[:-1])
    i = i[lane_ok[pt_lane[i]]]
    ex, ey = pt_x[i + 1] - pt_x[i], pt_y[i + 1] - pt_y[i]
    e2 = ex * ex + ey * ey
    i, ex, ey, e2 = i[e2 > 0], ex[e2 > 0], ey[e2 > 0], e2[e2 > 0]
    for q in range(len(qx)):
        out_lane[q], out_s[q], out_d[q] = -1, 0.0, 0.0
        if not (np.isfinite(qx[q]) and np.isfinite(qy[q]) and np.isfinite(qyaw[q])):
            continue
        t = np.clip(((qx[q] - pt_x[i]) * ex + (qy[q] - pt_y[i]) * ey) / e2, 0.0, 1.0)
        dist = np.hypot(qx[q] - (pt_x[i] + t * ex), qy[q] - (pt_y[i] + t * ey))
        dh = np.abs(_wrap(qyaw[q] - np.arctan2(ey, ex)))
        ok = (dist <= max_dist) & (dh <= max_dh)
        if not ok.any():
            continue
        cost = np.where(ok, dist + heading_weight * dh, np.inf)
        cands = np.flatnonzero(cost == cost.min())
        b = cands[np.lexsort((i[cands], pt_lane[i[cands]]))[0]]
        k = i[b]
        out_lane[q] = pt_lane[k]
        out_s[q] = pt_s[k] + t[b] * (pt_s[k + 1] - pt_s[k])
        out_d[q] = (ex[b] * (qy[q] - pt_y[k]) - ey[b] * (qx[q] - pt_x[k])) / math.sqrt(e2[b])


def _pose(lane, s, pt_ptr, pt_s, pt_x, pt_y):
    a, b = pt_ptr[lane], pt_ptr[lane + 1]
    ss = pt_s[a:b]
    sq = min(max(s, ss[0]), ss[-1])
    lo = min(max(int(np.searchsorted(ss, sq, side="right")) - 1, 0), len(ss) - 2)
    hi = lo + 1
    ds = ss[hi] - ss[lo]
    t = (sq - ss[lo]) / ds if ds > 0 else 0.0
    xs, ys = pt_x[a:b], pt_y[a:b]
    return (xs[lo] + t * (xs[hi] - xs[lo]), ys[lo] + t * (ys[hi] - ys[lo]),
            math.atan2(ys[hi] - ys[lo], xs[hi] - xs[lo]))


def _end_heading(lane, pt_ptr, pt_x, pt_y):
    b = pt_ptr[lane + 1] - 1
    return math.atan2(pt_y[b] - pt_y[b - 1], pt_x[b] - pt_x[b - 1])


def straightest_successor_ref(lane, lane_ok, succ_ptr, succ, pt_ptr, pt_x, pt_y):
    h0 = _end_heading(lane, pt_ptr, pt_x, pt_y)
    cands = [int(n) for n in succ[succ_ptr[lane]:succ_ptr[lane + 1]] if lane_ok[n]]
    if not cands:
        return -1
    return min(cands, key=lambda n: (abs(_wrap(_end_heading(n, pt_ptr, pt_x, pt_y) - h0)), n))


def follow_lanes_ref(lane0, s0, d0, speed, dt, decay_s, lane_ok, succ_ptr, succ, pt_ptr, pt_s,
                     pt_x, pt_y, out_x, out_y, out_yaw):
    for q in range(len(lane0)):
        # the lanes ahead and the distance at which each starts, built as far as needed
        path, starts = [int(lane0[q])], [-float(s0[q])]
        for k in range(out_x.shape[1]):
            t = k * dt
            dist = speed[q] * t
            while path[-1] >= 0 and dist - starts[-1] > pt_s[pt_ptr[path[-1] + 1] - 1]:
                nxt = straightest_successor_ref(path[-1], lane_ok, succ_ptr, succ, pt_ptr, pt_x,
                                                pt_y)
                if nxt < 0:
                    path.append(-1)
                    break
                starts.append(starts[-1] + pt_s[pt_ptr[path[-1] + 1] - 1])
                path.append(nxt)
            lane = path[-1] if path[-1] >= 0 else path[-2]
            s = dist - starts[len(path) - 1 if path[-1] >= 0 else len(path) - 2]
            x, y, h = _pose(lane, s, pt_ptr, pt_s, pt_x, pt_y)
            length = pt_s[pt_ptr[lane + 1] - 1]
            if s > length:
                h = _end_heading(lane, pt_ptr, pt_x, pt_y)
                x, y = x + (s - length) * math.cos(h), y + (s - length) * math.sin(h)
            off = d0[q] * math.exp(-t / decay_s) if decay_s > 0 else 0.0
            out_x[q, k], out_y[q, k] = x - off * math.sin(h), y + off * math.cos(h)
            out_yaw[q, k] = h


def as_kernels() -> SimpleNamespace:
    """The reference functions under the kernel names, to swap in for
    :mod:`planners.prediction._kernels`."""
    return SimpleNamespace(snap_to_lanes=snap_to_lanes_ref, follow_lanes=follow_lanes_ref,
                           straightest_successor=straightest_successor_ref)
