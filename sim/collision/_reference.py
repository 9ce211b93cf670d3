"""Brute-force twin of :mod:`sim.collision._kernels`: every pair, corners-based SAT."""

from __future__ import annotations

import numpy as np


def _corners(x, y, h, ln, w):
    c, s = np.cos(h), np.sin(h)
    local = np.array([[ln, w], [ln, -w], [-ln, -w], [-ln, w]]) * 0.5
    return np.array([[x + c * u - s * v, y + s * u + c * v] for u, v in local])


def boxes_overlap_ref(a, b) -> bool:
    """a, b: (x, y, heading, length, width). Separating axis test on the corner sets."""
    ca, cb = _corners(*a), _corners(*b)
    for poly in (ca, cb):
        for k in range(4):
            e = poly[(k + 1) % 4] - poly[k]
            axis = np.array([-e[1], e[0]])
            pa, pb = ca @ axis, cb @ axis
            if pa.max() < pb.min() or pb.max() < pa.min():
                return False
    return True


def overlapping_pairs_ref(valid, x, y, yaw, length, width, kind, skip_kind) -> np.ndarray:
    rows = np.flatnonzero(valid)
    pairs = [(i, j) for k, i in enumerate(rows) for j in rows[k + 1:]
             if not (kind[i] == skip_kind and kind[j] == skip_kind)
             and boxes_overlap_ref((x[i], y[i], yaw[i], length[i], width[i]),
                                  (x[j], y[j], yaw[j], length[j], width[j]))]
    return np.asarray(sorted(pairs), dtype=np.int32).reshape(-1, 2)
