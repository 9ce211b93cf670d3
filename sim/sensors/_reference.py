"""Brute-force twins of :mod:`sim.sensors._kernels`: every sight line against every box,
every ray against every box, no early-outs. Same arithmetic as the kernels so results agree
to rounding; used by the tests and the benchmark."""

from __future__ import annotations

import math

import numpy as np

from sim.sensors._kernels import HIT_GROUND, NO_HIT, PARALLEL_EPS


def _to_box(px, py, box):
    cx, cy, c, s = box[0], box[1], box[2], box[3]
    return (px - cx) * c + (py - cy) * s, -(px - cx) * s + (py - cy) * c


def segment_hits_box_ref(ax, ay, bx, by, box) -> bool:
    """box: (cx, cy, cos, sin, half length, half width). Clip the segment to both slabs."""
    hl, hw = box[4], box[5]
    px, py = _to_box(ax, ay, box)
    qx, qy = _to_box(bx, by, box)
    t0, t1 = 0.0, 1.0
    for p, d, half in ((px, qx - px, hl), (py, qy - py, hw)):
        if abs(d) < PARALLEL_EPS:
            if p < -half or p > half:
                return False
            continue
        ta, tb = sorted(((-half - p) / d, (half - p) / d))
        t0, t1 = max(t0, ta), min(t1, tb)
        if t0 > t1:
            return False
    return True


def _outline_points(x, y, yaw, length, width, samples_per_side):
    c, s = math.cos(yaw), math.sin(yaw)
    hl, hw = 0.5 * length, 0.5 * width
    corners = [(hl, hw), (-hl, hw), (-hl, -hw), (hl, -hw)]
    per_side = samples_per_side - 1
    pts = []
    for e in range(4):
        (ua, va), (ub, vb) = corners[e], corners[(e + 1) % 4]
        for j in range(per_side):
            t = j / per_side
            u, v = ua + (ub - ua) * t, va + (vb - va) * t
            pts.append((x + c * u - s * v, y + s * u + c * v))
    return pts


def object_visibility_ref(ox, oy, cos_h, sin_h, cos_half_fov, range_m, occlusion,
                          samples_per_side, valid, x, y, yaw, length, width, ego_row,
                          s_x, s_y, s_yaw, s_len, s_wid) -> np.ndarray:
    """Same contract as :func:`sim.sensors._kernels.object_visibility`; returns out_frac."""
    n = len(x)
    boxes = []  # (owner row or -1 for a structure, box tuple)
    for j in range(n):
        if valid[j] and j != ego_row:
            boxes.append((j, (x[j], y[j], math.cos(yaw[j]), math.sin(yaw[j]), 0.5 * length[j],
                              0.5 * width[j])))
    for q in range(len(s_x)):
        boxes.append((-1, (s_x[q], s_y[q], math.cos(s_yaw[q]), math.sin(s_yaw[q]),
                           0.5 * s_len[q], 0.5 * s_wid[q])))
    # a box around the mount point does not blind the sensor
    blockers = []
    for owner, box in boxes:
        u, v = _to_box(ox, oy, box)
        if not (abs(u) <= box[4] and abs(v) <= box[5]):
            blockers.append((owner, box))
    out = np.zeros(n)
    for i in range(n):
        if not valid[i] or i == ego_row:
            continue
        pts = _outline_points(x[i], y[i], yaw[i], length[i], width[i], samples_per_side)
        seen = 0
        for px, py in pts:
            dx, dy = px - ox, py - oy
            d2 = dx * dx + dy * dy
            if d2 > range_m * range_m:
                continue
            if cos_half_fov > -1.0 and dx * cos_h + dy * sin_h < cos_half_fov * math.sqrt(d2):
                continue
            if occlusion and any(owner != i and segment_hits_box_ref(ox, oy, px, py, box)
                                 for owner, box in blockers):
                continue
            seen += 1
        out[i] = seen / len(pts)
    return out


def ray_box_entry_ref(p, u, hl, hw, h) -> float:
    """p, u: ray origin and unit direction in the box frame (3-tuples)."""
    t0, t1 = 0.0, math.inf
    for pa, ua, lo, hi in ((p[0], u[0], -hl, hl), (p[1], u[1], -hw, hw), (p[2], u[2], 0.0, h)):
        if abs(ua) < PARALLEL_EPS:
            if pa < lo or pa > hi:
                return math.inf
            continue
        ta, tb = sorted(((lo - pa) / ua, (hi - pa) / ua))
        t0, t1 = max(t0, ta), min(t1, tb)
        if t0 > t1:
            return math.inf
    return t0


def lidar_scan_ref(ox, oy, oz, az0, elev, n_azimuth, range_m, bx, by, byaw, blen, bwid, bh,
                   bid, columns=None) -> tuple[np.ndarray, np.ndarray]:
    """Same contract as :func:`sim.sensors._kernels.lidar_scan`, ray by ray, for the azimuth
    indices ``columns`` (default all). Returns (range (n_beams, n_cols), hit (n_beams,
    n_cols) int32)."""
    cols = range(n_azimuth) if columns is None else [int(k) for k in columns]
    dphi = 2.0 * math.pi / n_azimuth
    boxes = []
    for q in range(len(bx)):
        c, s = math.cos(byaw[q]), math.sin(byaw[q])
        hl, hw = 0.5 * blen[q], 0.5 * bwid[q]
        px = (ox - bx[q]) * c + (oy - by[q]) * s
        py = -(ox - bx[q]) * s + (oy - by[q]) * c
        if abs(px) <= hl and abs(py) <= hw and 0.0 <= oz <= bh[q]:
            continue  # the origin is inside: this box is not seen
        boxes.append((c, s, hl, hw, bh[q], (px, py, oz), int(bid[q])))
    rng = np.full((len(elev), len(cols)), math.inf)
    hit = np.full((len(elev), len(cols)), NO_HIT, np.int32)
    for b, el in enumerate(elev):
        ce, se = math.cos(el), math.sin(el)
        for col, k in enumerate(cols):
            ca, sa = math.cos(az0 + k * dphi), math.sin(az0 + k * dphi)
            best, what = math.inf, NO_HIT
            if se < 0.0 and oz / -se <= range_m:
                best, what = oz / -se, HIT_GROUND
            for c, s, hl, hw, h, p, code in boxes:
                u = (ce * (ca * c + sa * s), ce * (-ca * s + sa * c), se)
                t = ray_box_entry_ref(p, u, hl, hw, h)
                if t < best and t <= range_m:
                    best, what = t, code
            rng[b, col], hit[b, col] = best, what
    return rng, hit


def lidar_points_ref(ox, oy, oz, az0, elev, ranges, hits, keep):
    """Same contract as :func:`sim.sensors._kernels.lidar_points`; returns
    (x, y, z, ring, hit) arrays."""
    n_az = ranges.shape[1]
    dphi = 2.0 * math.pi / n_az
    pts = []
    for b, el in enumerate(elev):
        ce, se = math.cos(el), math.sin(el)
        for k in range(n_az):
            if keep[b, k]:
                r = ranges[b, k]
                ca, sa = math.cos(az0 + k * dphi), math.sin(az0 + k * dphi)
                pts.append((ox + r * (ce * ca), oy + r * (ce * sa), oz + r * se, b, hits[b, k]))
    cols = list(zip(*pts)) if pts else [(), (), (), (), ()]
    return (np.array(cols[0], np.float64), np.array(cols[1], np.float64),
            np.array(cols[2], np.float64), np.array(cols[3], np.int16),
            np.array(cols[4], np.int32))
