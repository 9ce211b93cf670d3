"""Plain-Python twin of :mod:`sim.metrics._kernels` (loops, no Numba): the surrogate
measures of one state, written from the definitions in :mod:`sim.metrics.surrogate`.

Boxes are handled through their corner lists: the gap is the least corner-to-box distance
both ways, the overlap test the separating-axis test on the four edge normals.
"""

from __future__ import annotations

import math

_SIGNS = ((1.0, 1.0), (1.0, -1.0), (-1.0, -1.0), (-1.0, 1.0))  # FL, FR, RR, RL


def _corners(x, y, yaw, length, width):
    c, s = math.cos(yaw), math.sin(yaw)
    return [(x + sl * 0.5 * length * c - sw * 0.5 * width * s,
             y + sl * 0.5 * length * s + sw * 0.5 * width * c) for sl, sw in _SIGNS]


def _overlap(a, b) -> bool:
    """a, b: (x, y, yaw, length, width); touching counts."""
    for box in (a, b):
        for axis in (box[2], box[2] + 0.5 * math.pi):
            c, s = math.cos(axis), math.sin(axis)
            # projection of each box on the axis: centre and half extent
            ra = 0.5 * (a[3] * abs(math.cos(a[2] - axis)) + a[4] * abs(math.sin(a[2] - axis)))
            rb = 0.5 * (b[3] * abs(math.cos(b[2] - axis)) + b[4] * abs(math.sin(b[2] - axis)))
            if abs((b[0] - a[0]) * c + (b[1] - a[1]) * s) > ra + rb:
                return False
    return True


def _point_box(px, py, box) -> float:
    x, y, yaw, length, width = box
    c, s = math.cos(yaw), math.sin(yaw)
    dx, dy = px - x, py - y
    return math.hypot(max(abs(dx * c + dy * s) - 0.5 * length, 0.0),
                      max(abs(-dx * s + dy * c) - 0.5 * width, 0.0))


def box_gap_ref(a, b) -> float:
    """Least distance [m] between boxes a and b (0 when they touch)."""
    if _overlap(a, b):
        return 0.0
    return min(min(_point_box(px, py, b) for px, py in _corners(*a)),
               min(_point_box(px, py, a) for px, py in _corners(*b)))


def surrogate_step_ref(r, valid, x, y, yaw, speed, length, width, nu_t, stopped_mps,
                       horizon_s, min_ttc, min_dist, seen, out_f) -> int:
    """Same contract as :func:`sim.metrics._kernels.surrogate_step`."""
    out_f[:] = (math.inf, math.inf, 0.0, math.inf)
    if not valid[r]:
        return -1
    ego = (float(x[r]), float(y[r]), float(yaw[r]), float(length[r]), float(width[r]))
    ev = float(speed[r])
    vex, vey = ev * math.cos(ego[2]), ev * math.sin(ego[2])
    best_row, best_drac, nu_best = -1, 0.0, math.inf
    for j in range(len(x)):
        if j == r or not valid[j]:
            continue
        seen[j] = True
        other = (float(x[j]), float(y[j]), float(yaw[j]), float(length[j]), float(width[j]))
        ov = float(speed[j])
        gap = box_gap_ref(ego, other)
        dx, dy = other[0] - ego[0], other[1] - ego[1]
        dist = max(math.hypot(dx, dy), 1e-9)
        rvx = vex - ov * math.cos(other[2])
        rvy = vey - ov * math.sin(other[2])
        closing = (rvx * dx + rvy * dy) / dist
        ttc = gap / closing if closing > 1e-6 else math.inf
        min_ttc[j] = min(min_ttc[j], ttc)
        min_dist[j] = min(min_dist[j], gap)
        out_f[0] = min(out_f[0], ttc)
        out_f[1] = min(out_f[1], gap)
        # DRAC: ahead of the ego's centre, overlapping laterally across its heading
        lon = dx * math.cos(ego[2]) + dy * math.sin(ego[2])
        lat = -dx * math.sin(ego[2]) + dy * math.cos(ego[2])
        rel = other[2] - ego[2]
        half_lat = 0.5 * (other[3] * abs(math.sin(rel)) + other[4] * abs(math.cos(rel)))
        vc = ev - ov * math.cos(rel)
        in_path = lon > 0 and abs(lat) < 0.5 * ego[4] + half_lat and vc > 0 and gap > 0
        drac = vc * vc / (2.0 * gap) if in_path else 0.0
        if best_row < 0 or drac > best_drac:
            best_row, best_drac = j, drac
        # nuPlan: project both at constant velocity; first step at which the boxes overlap
        if abs(ev) < stopped_mps or gap <= 0 or lon <= 0:
            continue
        reach = 0.5 * (math.hypot(ego[3], ego[4]) + math.hypot(other[3], other[4]))
        if dist - reach > horizon_s * math.hypot(rvx, rvy):
            continue
        for t in nu_t:
            t = float(t)
            moved = (dx - rvx * t, dy - rvy * t, other[2], other[3], other[4])
            if _overlap((0.0, 0.0, ego[2], ego[3], ego[4]), moved):
                nu_best = min(nu_best, t)
                break
    out_f[2] = best_drac
    out_f[3] = nu_best
    return best_row
