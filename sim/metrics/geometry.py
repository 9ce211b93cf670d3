"""Oriented-box helpers shared by the safety metrics, vectorised over the other boxes.

A box is (x, y, yaw, length, width): centre [m], heading of the length axis [rad], full
dimensions [m]. "One box against many" is the common shape (the ego against every other
actor, or against every map structure), so each helper takes a scalar box ``a`` and
(n,) arrays for the boxes ``b``.
"""

from __future__ import annotations

import numpy as np

# corner signs (front-left, front-right, rear-right, rear-left) along (length, width)
_SIGN_L = np.array([1.0, 1.0, -1.0, -1.0])
_SIGN_W = np.array([1.0, -1.0, -1.0, 1.0])


def corners(x, y, yaw, length, width) -> tuple[np.ndarray, np.ndarray]:
    """Box corners: inputs scalars or (n,) arrays -> (cx, cy), each (..., 4) float64 [m],
    in the order front-left, front-right, rear-right, rear-left."""
    x, y, yaw = np.asarray(x, float), np.asarray(y, float), np.asarray(yaw, float)
    c, s = np.cos(yaw)[..., None], np.sin(yaw)[..., None]
    hl = np.asarray(length, float)[..., None] * 0.5 * _SIGN_L
    hw = np.asarray(width, float)[..., None] * 0.5 * _SIGN_W
    return x[..., None] + hl * c - hw * s, y[..., None] + hl * s + hw * c


def overlaps(ax: float, ay: float, ayaw: float, al: float, aw: float,
             bx, by, byaw, bl, bw) -> np.ndarray:
    """Separating-axis test of box ``a`` against boxes ``b`` ((n,) arrays or scalars) ->
    (n,) bool, true where they overlap (touching counts)."""
    bx, by, byaw = np.asarray(bx, float), np.asarray(by, float), np.asarray(byaw, float)
    dx, dy = bx - ax, by - ay
    ca, sa = np.cos(ayaw), np.sin(ayaw)
    cb, sb = np.cos(byaw), np.sin(byaw)
    hal, haw = 0.5 * al, 0.5 * aw
    hbl, hbw = 0.5 * np.asarray(bl, float), 0.5 * np.asarray(bw, float)
    # |cos| of the angle between a's and b's axes: projection radii of b on a's axes
    cab, sab = np.abs(ca * cb + sa * sb), np.abs(ca * sb - sa * cb)
    sep = np.abs(dx * ca + dy * sa) > hal + hbl * cab + hbw * sab
    sep |= np.abs(-dx * sa + dy * ca) > haw + hbl * sab + hbw * cab
    sep |= np.abs(dx * cb + dy * sb) > hbl + hal * cab + haw * sab
    sep |= np.abs(-dx * sb + dy * cb) > hbw + hal * sab + haw * cab
    return ~sep


def _point_box_dist(px, py, bx, by, byaw, bl, bw) -> np.ndarray:
    """Distance [m] from points (n, k) to boxes (n,) (0 inside): the point in the box frame,
    clamped to the half extents."""
    c, s = np.cos(byaw)[:, None], np.sin(byaw)[:, None]
    dx, dy = px - bx[:, None], py - by[:, None]
    lx = np.maximum(np.abs(dx * c + dy * s) - 0.5 * bl[:, None], 0.0)
    ly = np.maximum(np.abs(-dx * s + dy * c) - 0.5 * bw[:, None], 0.0)
    return np.hypot(lx, ly)


def box_gap(ax: float, ay: float, ayaw: float, al: float, aw: float,
            bx, by, byaw, bl, bw) -> np.ndarray:
    """Smallest distance [m] between box ``a`` and each box ``b``: (n,) float64, 0 where
    they overlap. Between two disjoint convex polygons in the plane the closest pair always
    includes a vertex of one of them, so the gap is the least corner-to-box distance both
    ways."""
    bx, by, byaw = (np.atleast_1d(np.asarray(v, float)) for v in (bx, by, byaw))
    bl = np.broadcast_to(np.asarray(bl, float), bx.shape)
    bw = np.broadcast_to(np.asarray(bw, float), bx.shape)
    n = bx.shape[0]
    acx, acy = corners(ax, ay, ayaw, al, aw)
    bcx, bcy = corners(bx, by, byaw, bl, bw)
    d_ab = _point_box_dist(np.broadcast_to(acx, (n, 4)), np.broadcast_to(acy, (n, 4)),
                           bx, by, byaw, bl, bw).min(axis=1)
    one = np.ones(n)
    d_ba = _point_box_dist(bcx, bcy, ax * one, ay * one, ayaw * one, al * one,
                           aw * one).min(axis=1)
    gap = np.minimum(d_ab, d_ba)
    gap[overlaps(ax, ay, ayaw, al, aw, bx, by, byaw, bl, bw)] = 0.0
    return gap


def to_frame(ox: float, oy: float, oyaw: float, x, y) -> tuple[np.ndarray, np.ndarray]:
    """World points (x, y [m]) in the frame of a pose (ox, oy, oyaw): (lon, lat) [m], lon
    along the heading, lat to the left."""
    c, s = np.cos(oyaw), np.sin(oyaw)
    dx, dy = np.asarray(x, float) - ox, np.asarray(y, float) - oy
    return dx * c + dy * s, -dx * s + dy * c


def half_extent_along(yaw_rel, length, width) -> np.ndarray:
    """Half the extent [m] of boxes (length, width [m]) rotated by ``yaw_rel`` [rad] from an
    axis, measured along that axis."""
    return 0.5 * (np.asarray(length) * np.abs(np.cos(yaw_rel))
                  + np.asarray(width) * np.abs(np.sin(yaw_rel)))


def lane_point(pt_ptr: np.ndarray, pt_s: np.ndarray, lane: int, s: float) -> int:
    """Index of the lane's centreline sample at or before ``s`` [m] (its first sample when
    s lies before it), for reading per-point width, heading and speed limit."""
    a, b = int(pt_ptr[lane]), int(pt_ptr[lane + 1])
    return a + max(int(np.searchsorted(pt_s[a:b], s, side="right")) - 1, 0)


def convex_hull(xy: np.ndarray) -> np.ndarray:
    """Counter-clockwise convex hull of points xy (k, 2) [m] (Andrew's monotone chain):
    (h, 2) float64, h >= 1."""
    pts = np.unique(np.asarray(xy, np.float64), axis=0)
    if len(pts) < 3:
        return pts

    def half(seq):
        out: list = []
        for p in seq:
            while len(out) >= 2 and ((out[-1][0] - out[-2][0]) * (p[1] - out[-2][1])
                                     - (out[-1][1] - out[-2][1]) * (p[0] - out[-2][0])) <= 0:
                out.pop()
            out.append(p)
        return out

    lower, upper = half(pts), half(pts[::-1])
    return np.array(lower[:-1] + upper[:-1])


def inside_convex(hull: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(m,) bool: points (x, y [m]) inside (or on) the counter-clockwise convex ``hull``."""
    x, y = np.atleast_1d(x), np.atleast_1d(y)
    if len(hull) < 3:
        return np.zeros(x.shape, bool)
    a, b = hull, np.roll(hull, -1, axis=0)
    cross = ((b[:, 0] - a[:, 0])[None, :] * (y[:, None] - a[None, :, 1])
             - (b[:, 1] - a[:, 1])[None, :] * (x[:, None] - a[None, :, 0]))
    return np.all(cross >= -1e-9, axis=1)
