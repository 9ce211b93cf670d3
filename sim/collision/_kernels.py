"""Numba kernels: oriented-box overlap (separating axis test) with a uniform-grid broad
phase. Plain twin: :mod:`sim.collision._reference`."""

from __future__ import annotations

import math

import numba as nb
import numpy as np


@nb.njit(cache=True)
def boxes_overlap(x1, y1, h1, l1, w1, x2, y2, h2, l2, w2):
    """True if two oriented rectangles (centre [m], heading [rad], length, width [m]) touch."""
    dx, dy = x2 - x1, y2 - y1
    c1, s1, c2, s2 = math.cos(h1), math.sin(h1), math.cos(h2), math.sin(h2)
    for k in range(4):
        if k == 0:
            ax, ay = c1, s1
        elif k == 1:
            ax, ay = -s1, c1
        elif k == 2:
            ax, ay = c2, s2
        else:
            ax, ay = -s2, c2
        r1 = 0.5 * l1 * abs(c1 * ax + s1 * ay) + 0.5 * w1 * abs(-s1 * ax + c1 * ay)
        r2 = 0.5 * l2 * abs(c2 * ax + s2 * ay) + 0.5 * w2 * abs(-s2 * ax + c2 * ay)
        if abs(dx * ax + dy * ay) > r1 + r2:
            return False
    return True


@nb.njit(cache=True)
def overlapping_pairs(valid, x, y, yaw, length, width, kind, skip_kind, out_pairs):
    """All overlapping pairs (i < j) of valid rows into ``out_pairs`` (m, 2) int32, except
    pairs where both rows have kind ``skip_kind`` (pedestrians brushing past each other).

    Returns the number of pairs found; when it exceeds m only the first m are written and the
    caller retries with a larger buffer.
    """
    n = x.shape[0]
    idx = np.empty(n, np.int64)
    m = 0
    rmax = 0.0
    xmin, ymin = np.inf, np.inf
    for i in range(n):
        if valid[i]:
            idx[m] = i
            m += 1
            rmax = max(rmax, 0.5 * math.hypot(length[i], width[i]))
            xmin, ymin = min(xmin, x[i]), min(ymin, y[i])
    found = 0
    if m < 2:
        return 0
    cell = max(2.0 * rmax, 1.0)
    cx = np.empty(m, np.int64)
    cy = np.empty(m, np.int64)
    nx = 1
    for k in range(m):
        i = idx[k]
        cx[k] = int((x[i] - xmin) // cell)
        cy[k] = int((y[i] - ymin) // cell)
        nx = max(nx, cx[k] + 2)
    key = cy * nx + cx
    order = np.argsort(key, kind="mergesort")
    keys = key[order]
    for a in range(m):
        ka = order[a]
        i = idx[ka]
        ri = 0.5 * math.hypot(length[i], width[i])
        for dyc in range(-1, 2):
            for dxc in range(-1, 2):
                target = (cy[ka] + dyc) * nx + cx[ka] + dxc
                lo, hi = 0, m
                while lo < hi:
                    mid = (lo + hi) // 2
                    if keys[mid] < target:
                        lo = mid + 1
                    else:
                        hi = mid
                b = lo
                while b < m and keys[b] == target:
                    j = idx[order[b]]
                    b += 1
                    if j <= i or (kind[i] == skip_kind and kind[j] == skip_kind):
                        continue
                    rj = 0.5 * math.hypot(length[j], width[j])
                    if math.hypot(x[j] - x[i], y[j] - y[i]) > ri + rj:
                        continue
                    if boxes_overlap(x[i], y[i], yaw[i], length[i], width[i], x[j], y[j],
                                     yaw[j], length[j], width[j]):
                        if found < out_pairs.shape[0]:
                            out_pairs[found, 0] = i
                            out_pairs[found, 1] = j
                        found += 1
    return found
