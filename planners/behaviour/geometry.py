"""Plain geometry the behaviour layer needs: points onto a polyline, points to a polygon."""

from __future__ import annotations

import math

import numpy as np


def project_polyline(px: np.ndarray, py: np.ndarray, x: np.ndarray, y: np.ndarray):
    """(s, d) [m] of points (x, y) (k,) on polyline (px, py) (m,): s along it, d left +."""
    ex, ey = np.diff(px), np.diff(py)
    seg = np.hypot(ex, ey)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    seg = np.maximum(seg, 1e-9)
    rx = x[:, None] - px[None, :-1]
    ry = y[:, None] - py[None, :-1]
    t = np.clip((rx * ex + ry * ey) / seg ** 2, 0.0, 1.0)
    dist2 = (rx - t * ex) ** 2 + (ry - t * ey) ** 2
    j = np.argmin(dist2, axis=1)
    rows = np.arange(len(x))
    s = cum[j] + t[rows, j] * seg[j]
    cross = ex[j] * ry[rows, j] - ey[j] * rx[rows, j]
    d = np.sign(cross) * np.sqrt(dist2[rows, j])
    return s, d


def poly_distance(poly: np.ndarray, x: float, y: float) -> float:
    """Distance [m] from (x, y) to a convex or concave polygon (k, 2); 0 inside."""
    n = len(poly)
    inside = False
    best = math.inf
    for i in range(n):
        ax, ay = poly[i]
        bx, by = poly[(i + 1) % n]
        if (ay > y) != (by > y) and x < (bx - ax) * (y - ay) / (by - ay) + ax:
            inside = not inside
        ex, ey = bx - ax, by - ay
        t = min(max(((x - ax) * ex + (y - ay) * ey) / max(ex * ex + ey * ey, 1e-12), 0.0), 1.0)
        best = min(best, math.hypot(x - ax - t * ex, y - ay - t * ey))
    return 0.0 if inside else best
