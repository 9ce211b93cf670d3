"""Numba kernels of the sensors: outline visibility of actors (object list) and a ray-cast
lidar. Deterministic: noise and dropout are drawn by the Python wrappers. Plain twin:
:mod:`sim.sensors._reference`.

Boxes are oriented rectangles: centre (x, y) [m], heading yaw [rad] of the length axis,
length, width [m]; lidar boxes also stand on the ground z = 0 up to a height [m].
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

NO_HIT = -9  # lidar hit code of a ray that hits nothing within range (never in a PointCloud)
HIT_GROUND = -1
HIT_STRUCTURE = -2
# a direction component smaller than this is parallel to the slab: 1e-12 over a 100 m ray is
# far below any box dimension, and it keeps Numba from dividing by zero
PARALLEL_EPS = 1e-12
# bounding circles are inflated by this (relative and absolute) so that rounding can never
# make an early-out reject a box that the exact test would hit
CIRCLE_PAD = 1e-9


@nb.njit(cache=True)
def segment_hits_box(ax, ay, bx, by, cx, cy, c, s, hl, hw):
    """True if the segment a -> b [m] touches the oriented box with centre (cx, cy) [m],
    heading cosine / sine (c, s) and half length / half width (hl, hw) [m].

    Slab test in the box frame; touching the outline counts as crossing it.
    """
    px = (ax - cx) * c + (ay - cy) * s
    py = -(ax - cx) * s + (ay - cy) * c
    qx = (bx - cx) * c + (by - cy) * s
    qy = -(bx - cx) * s + (by - cy) * c
    dx = qx - px
    dy = qy - py
    t0 = 0.0
    t1 = 1.0
    if abs(dx) < PARALLEL_EPS:
        if px < -hl or px > hl:
            return False
    else:
        ta = (-hl - px) / dx
        tb = (hl - px) / dx
        if ta > tb:
            ta, tb = tb, ta
        t0 = max(t0, ta)
        t1 = min(t1, tb)
        if t0 > t1:
            return False
    if abs(dy) < PARALLEL_EPS:
        if py < -hw or py > hw:
            return False
    else:
        ta = (-hw - py) / dy
        tb = (hw - py) / dy
        if ta > tb:
            ta, tb = tb, ta
        t0 = max(t0, ta)
        t1 = min(t1, tb)
        if t0 > t1:
            return False
    return True


@nb.njit(cache=True)
def point_in_box(px, py, cx, cy, c, s, hl, hw):
    """True if the point (px, py) [m] lies inside or on the oriented box."""
    u = (px - cx) * c + (py - cy) * s
    v = -(px - cx) * s + (py - cy) * c
    return abs(u) <= hl and abs(v) <= hw


@nb.njit(cache=True)
def _segment_point_dist2(ax, ay, bx, by, px, py):
    """Squared distance [m^2] from point p to segment a -> b."""
    dx = bx - ax
    dy = by - ay
    l2 = dx * dx + dy * dy
    t = 0.0
    if l2 > 0.0:
        t = min(1.0, max(0.0, ((px - ax) * dx + (py - ay) * dy) / l2))
    ex = ax + t * dx - px
    ey = ay + t * dy - py
    return ex * ex + ey * ey


@nb.njit(cache=True)
def object_visibility(ox, oy, cos_h, sin_h, cos_half_fov, range_m, occlusion, samples_per_side,
                      valid, x, y, yaw, length, width, ego_row,
                      s_x, s_y, s_yaw, s_len, s_wid, out_frac):
    """Fraction of each actor's outline the sensor at (ox, oy) [m] sees, into ``out_frac``.

    Sensor: mount point (ox, oy) [m], heading cosine / sine (cos_h, sin_h), cos of half the
    field of view (<= -1 for a full circle), range_m [m]; occlusion: bool, test sight lines.
    Actors: valid (n,) bool; x, y, yaw, length, width (n,) float64 [m, rad]; ego_row: int.
    Structures: s_x, s_y, s_yaw, s_len, s_wid (m,) float64 [m, rad].
    out_frac: (n,) float64 [-], written for every row (0 for the ego and invalid rows).

    Each target's outline carries 4 * (samples_per_side - 1) points (corners and evenly
    spaced edge points). A point counts when it is within range_m of the mount point, inside
    the field of view, and (with occlusion) the segment from the mount point to it touches
    no box of another valid actor (ego and target excluded) nor of any structure. Boxes that
    contain the mount point are ignored: a sensor overlapping a box must not go blind.
    """
    n = x.shape[0]
    m = s_x.shape[0]
    n_occ = n + m
    oc_x = np.empty(n_occ)
    oc_y = np.empty(n_occ)
    oc_c = np.empty(n_occ)
    oc_s = np.empty(n_occ)
    oc_hl = np.empty(n_occ)
    oc_hw = np.empty(n_occ)
    oc_r = np.empty(n_occ)
    occ = np.empty(n_occ, np.int64)  # usable occluders (actors by row, then n + structure)
    k = 0
    for j in range(n_occ):
        if j < n:
            if not valid[j] or j == ego_row:
                continue
            cx, cy, h, ln, wd = x[j], y[j], yaw[j], length[j], width[j]
        else:
            q = j - n
            cx, cy, h, ln, wd = s_x[q], s_y[q], s_yaw[q], s_len[q], s_wid[q]
        oc_x[j] = cx
        oc_y[j] = cy
        oc_c[j] = math.cos(h)
        oc_s[j] = math.sin(h)
        oc_hl[j] = 0.5 * ln
        oc_hw[j] = 0.5 * wd
        oc_r[j] = math.hypot(oc_hl[j], oc_hw[j]) * (1.0 + CIRCLE_PAD) + CIRCLE_PAD
        if not point_in_box(ox, oy, cx, cy, oc_c[j], oc_s[j], oc_hl[j], oc_hw[j]):
            occ[k] = j
            k += 1

    full_fov = cos_half_fov <= -1.0
    r2 = range_m * range_m
    per_side = samples_per_side - 1
    n_samples = 4 * per_side
    cand = np.empty(n_occ, np.int64)
    for i in range(n):
        out_frac[i] = 0.0
        if not valid[i] or i == ego_row:
            continue
        c = math.cos(yaw[i])
        s = math.sin(yaw[i])
        hl = 0.5 * length[i]
        hw = 0.5 * width[i]
        ri = math.hypot(hl, hw) * (1.0 + CIRCLE_PAD) + CIRCLE_PAD
        if math.hypot(x[i] - ox, y[i] - oy) - ri > range_m:
            continue
        # Broad phase per target: every sight line to a point of the target stays within ri
        # of the line to its centre, so only occluders whose circle comes that close matter.
        nc = 0
        if occlusion:
            for q in range(k):
                j = occ[q]
                if j == i:
                    continue
                lim = oc_r[j] + ri
                if _segment_point_dist2(ox, oy, x[i], y[i], oc_x[j], oc_y[j]) <= lim * lim:
                    cand[nc] = j
                    nc += 1
        count = 0
        for e in range(4):
            # corners counter-clockwise from front-left: (+,+), (-,+), (-,-), (+,-)
            ua = hl if e == 0 or e == 3 else -hl
            va = hw if e < 2 else -hw
            ub = hl if e == 2 or e == 3 else -hl
            vb = hw if e == 0 or e == 3 else -hw
            for jj in range(per_side):
                t = jj / per_side
                u = ua + (ub - ua) * t
                v = va + (vb - va) * t
                px = x[i] + c * u - s * v
                py = y[i] + s * u + c * v
                ddx = px - ox
                ddy = py - oy
                d2 = ddx * ddx + ddy * ddy
                if d2 > r2:
                    continue
                if not full_fov and ddx * cos_h + ddy * sin_h < cos_half_fov * math.sqrt(d2):
                    continue
                blocked = False
                for q in range(nc):
                    j = cand[q]
                    if _segment_point_dist2(ox, oy, px, py, oc_x[j], oc_y[j]) > oc_r[j] ** 2:
                        continue
                    if segment_hits_box(ox, oy, px, py, oc_x[j], oc_y[j], oc_c[j], oc_s[j],
                                        oc_hl[j], oc_hw[j]):
                        blocked = True
                        break
                if not blocked:
                    count += 1
        out_frac[i] = count / n_samples


@nb.njit(cache=True)
def ray_box_entry(px, py, pz, ux, uy, uz, hl, hw, h):
    """Distance [m] along the unit ray p + t u (box frame: x along the length, z up) to where
    it enters the box [-hl, hl] x [-hw, hw] x [0, h]; inf when it misses. The caller has
    ruled out an origin inside the box."""
    t0 = 0.0
    t1 = np.inf
    for a in range(3):
        if a == 0:
            p, u, lo, hi = px, ux, -hl, hl
        elif a == 1:
            p, u, lo, hi = py, uy, -hw, hw
        else:
            p, u, lo, hi = pz, uz, 0.0, h
        if abs(u) < PARALLEL_EPS:
            if p < lo or p > hi:
                return np.inf
        else:
            ta = (lo - p) / u
            tb = (hi - p) / u
            if ta > tb:
                ta, tb = tb, ta
            t0 = max(t0, ta)
            t1 = min(t1, tb)
            if t0 > t1:
                return np.inf
    return t0


@nb.njit(cache=True)
def lidar_scan(ox, oy, oz, az0, elev, range_m, bx, by, byaw, blen, bwid, bh, bid,
               out_range, out_hit):
    """Cast every ray of a spinning lidar; nearest hit per ray into the out arrays.

    Origin (ox, oy, oz) [m]; ray (b, k) has elevation elev[b] [rad] (elev: (n_beams,)
    float64, ascending) and world azimuth az0 + 2 pi k / n_azimuth [rad].
    Boxes: bx, by, byaw, blen, bwid, bh (n_boxes,) float64 [m, rad], standing on z = 0;
    bid (n_boxes,) int32, the hit code written for the box. The ground plane z = 0 has code
    HIT_GROUND. out_range (n_beams, n_azimuth) float64 [m] (inf: no hit within range_m) and
    out_hit (n_beams, n_azimuth) int32 (NO_HIT) are overwritten. Ties go to the ground, then
    to the earlier box. Boxes that contain the origin are ignored.

    Box-major with early-outs: each box only visits the azimuth columns its bounding circle
    spans and the beams between the lowest and highest elevation any of its points can have.
    """
    n_beams, n_az = out_range.shape
    dphi = 2.0 * math.pi / n_az
    ce = np.empty(n_beams)
    se = np.empty(n_beams)
    for b in range(n_beams):
        ce[b] = math.cos(elev[b])
        se[b] = math.sin(elev[b])
    ca = np.empty(n_az)
    sa = np.empty(n_az)
    for k in range(n_az):
        ca[k] = math.cos(az0 + k * dphi)
        sa[k] = math.sin(az0 + k * dphi)
    for b in range(n_beams):
        t = np.inf
        hit = NO_HIT
        if se[b] < 0.0:
            tg = oz / -se[b]
            if tg <= range_m:
                t = tg
                hit = HIT_GROUND
        for k in range(n_az):
            out_range[b, k] = t
            out_hit[b, k] = hit

    for q in range(bx.shape[0]):
        c = math.cos(byaw[q])
        s = math.sin(byaw[q])
        hl = 0.5 * blen[q]
        hw = 0.5 * bwid[q]
        h = bh[q]
        px = (ox - bx[q]) * c + (oy - by[q]) * s
        py = -(ox - bx[q]) * s + (oy - by[q]) * c
        if abs(px) <= hl and abs(py) <= hw and 0.0 <= oz <= h:
            continue
        dx = bx[q] - ox
        dy = by[q] - oy
        d = math.hypot(dx, dy)
        r = math.hypot(hl, hw) * (1.0 + CIRCLE_PAD) + CIRCLE_PAD
        if d - r > range_m:
            continue
        # beams: elevation of a box point at horizontal distance rho in [d - r, d + r] and
        # height z in [0, h] is atan2(z - oz, rho), monotone in rho, so the ends bound it
        b0 = 0
        b1 = n_beams - 1
        if d > r:
            dn = d - r
            df = d + r
            el_lo = min(math.atan2(-oz, dn), math.atan2(-oz, df)) - CIRCLE_PAD
            el_hi = max(math.atan2(h - oz, dn), math.atan2(h - oz, df)) + CIRCLE_PAD
            while b0 < n_beams and elev[b0] < el_lo:
                b0 += 1
            while b1 >= 0 and elev[b1] > el_hi:
                b1 -= 1
        # azimuth columns: the bounding circle seen from the origin, one column of margin
        k_lo = 0
        k_hi = n_az - 1
        if d > r:
            half = math.asin(r / d)
            kc = (math.atan2(dy, dx) - az0) / dphi
            k_lo = int(math.floor(kc - half / dphi)) - 1
            k_hi = int(math.ceil(kc + half / dphi)) + 1
            if k_hi - k_lo + 1 >= n_az:
                k_lo = 0
                k_hi = n_az - 1
        for kk in range(k_lo, k_hi + 1):
            k = kk % n_az
            cu = ca[k] * c + sa[k] * s
            cv = -ca[k] * s + sa[k] * c
            for b in range(b0, b1 + 1):
                t = ray_box_entry(px, py, oz, ce[b] * cu, ce[b] * cv, se[b], hl, hw, h)
                if t < out_range[b, k] and t <= range_m:
                    out_range[b, k] = t
                    out_hit[b, k] = bid[q]


@nb.njit(cache=True)
def lidar_points(ox, oy, oz, az0, elev, ranges, hits, keep, out_x, out_y, out_z, out_ring,
                 out_hit):
    """Compact a range image into a point cloud, beam by beam, column by column.

    Origin (ox, oy, oz) [m], az0 [rad] and elev (n_beams,) [rad] as in :func:`lidar_scan`;
    ranges (n_beams, n_azimuth) float64 [m], hits (n_beams, n_azimuth) int32, keep
    (n_beams, n_azimuth) bool: rays that give a point. out_x, out_y, out_z (k,) float64 [m]
    world frame, out_ring (k,) int16, out_hit (k,) int32 with k = keep.sum(). Returns k.
    """
    n_beams, n_az = ranges.shape
    dphi = 2.0 * math.pi / n_az
    ca = np.empty(n_az)
    sa = np.empty(n_az)
    for k in range(n_az):
        ca[k] = math.cos(az0 + k * dphi)
        sa[k] = math.sin(az0 + k * dphi)
    m = 0
    for b in range(n_beams):
        ce = math.cos(elev[b])
        se = math.sin(elev[b])
        for k in range(n_az):
            if keep[b, k]:
                r = ranges[b, k]
                out_x[m] = ox + r * (ce * ca[k])
                out_y[m] = oy + r * (ce * sa[k])
                out_z[m] = oz + r * se
                out_ring[m] = b
                out_hit[m] = hits[b, k]
                m += 1
    return m
