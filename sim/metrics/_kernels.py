"""Numba kernel of the per-state surrogate safety measures (:mod:`sim.metrics.surrogate`):
box gaps of the ego against every other actor, TTC along the line between the centres,
DRAC for others in the ego's path and nuPlan's constant-velocity projected TTC, in one
serial pass. Plain twin: :mod:`sim.metrics._reference`; ``tests/sim/metrics/
test_surrogate_kernels.py`` compares them.

The box tests repeat :mod:`sim.metrics.geometry` (``overlaps``, ``box_gap``) operation for
operation, so the numbers agree with the vectorised helpers to rounding.
"""

from __future__ import annotations

from sim._numba_env import configure_numba_cache

configure_numba_cache()  # before numba is imported, as ``sim`` does

import math  # noqa: E402

import numba as nb  # noqa: E402
import numpy as np  # noqa: E402

# out_f layout of ``surrogate_step``
OUT_TTC = 0  # least TTC [s] this state (inf: none closing)
OUT_GAP = 1  # least box gap [m] this state (inf: no other)
OUT_DRAC = 2  # greatest DRAC [m/s^2] this state (0: none in the path)
OUT_NU_TTC = 3  # least nuPlan projected TTC [s] this state (inf: none within the horizon)
OUT_SIZE = 4


@nb.njit(cache=True)
def _overlap(dx, dy, ca, sa, hal, haw, cb, sb, hbl, hbw):
    """Separating-axis test of box a (at the origin, axes (ca, sa), half extents hal, haw)
    against box b (centre (dx, dy) relative to a, axes (cb, sb), half extents hbl, hbw);
    touching counts. Same arithmetic as ``geometry.overlaps``."""
    cab = abs(ca * cb + sa * sb)
    sab = abs(ca * sb - sa * cb)
    if abs(dx * ca + dy * sa) > hal + hbl * cab + hbw * sab:
        return False
    if abs(-dx * sa + dy * ca) > haw + hbl * sab + hbw * cab:
        return False
    if abs(dx * cb + dy * sb) > hbl + hal * cab + haw * sab:
        return False
    return abs(-dx * sb + dy * cb) <= hbw + hal * sab + haw * cab


@nb.njit(cache=True)
def _corner_to_box(px, py, bx, by, c, s, hl, hw):
    """Distance [m] from a point to a box (centre bx, by; axes c, s; half extents hl, hw),
    0 inside."""
    dx, dy = px - bx, py - by
    lx = max(abs(dx * c + dy * s) - hl, 0.0)
    ly = max(abs(-dx * s + dy * c) - hw, 0.0)
    return math.hypot(lx, ly)


@nb.njit(cache=True)
def _box_gap(ax, ay, ca, sa, hal, haw, bx, by, cb, sb, hbl, hbw):
    """Least distance [m] between two boxes (0 when they touch): the least corner-to-box
    distance both ways, as ``geometry.box_gap``."""
    if _overlap(bx - ax, by - ay, ca, sa, hal, haw, cb, sb, hbl, hbw):
        return 0.0
    g = np.inf
    for k in range(4):
        # corner signs front-left, front-right, rear-right, rear-left
        sl = 1.0 if k < 2 else -1.0
        sw = 1.0 if (k == 0 or k == 3) else -1.0
        ul, uw = sl * hal, sw * haw
        d = _corner_to_box(ax + ul * ca - uw * sa, ay + ul * sa + uw * ca, bx, by, cb, sb,
                           hbl, hbw)
        g = min(g, d)
        ul, uw = sl * hbl, sw * hbw
        d = _corner_to_box(bx + ul * cb - uw * sb, by + ul * sb + uw * cb, ax, ay, ca, sa,
                           hal, haw)
        g = min(g, d)
    return g


@nb.njit(cache=True)
def surrogate_step(r, valid, x, y, yaw, speed, length, width, nu_t, stopped_mps, horizon_s,
                   min_ttc, min_dist, seen, out_f):
    """One state of the surrogate measures, ego row ``r`` against every other valid row.

    valid (n,) bool; x, y, yaw, speed, length, width (n,) float64 (SI); nu_t (m,) float64
    ascending nuPlan projection times [s]; stopped_mps: ego speed below which the nuPlan
    check is skipped; horizon_s: nuPlan horizon [s] (candidate filter).
    Updates per row j in place: ``min_ttc[j]``, ``min_dist[j]`` (running minima) and
    ``seen[j] = True``. Writes ``out_f`` (OUT_SIZE,) float64, see ``OUT_*``.
    Returns the row of the greatest DRAC (the first such row; the first other when every
    DRAC is 0), or -1 when the ego is invalid or alone (out_f then inf, inf, 0, inf).
    """
    n = x.shape[0]
    out_f[OUT_TTC] = np.inf
    out_f[OUT_GAP] = np.inf
    out_f[OUT_DRAC] = 0.0
    out_f[OUT_NU_TTC] = np.inf
    if not valid[r]:
        return -1
    ex, ey, eyaw, ev = x[r], y[r], yaw[r], speed[r]
    el, ew = length[r], width[r]
    ca, sa = math.cos(eyaw), math.sin(eyaw)
    hal, haw = 0.5 * el, 0.5 * ew
    vex, vey = ev * ca, ev * sa
    nuplan = abs(ev) >= stopped_mps
    ereach = math.hypot(el, ew)
    best_row = -1
    best_drac = 0.0
    nu_best = np.inf
    n_t = nu_t.shape[0]
    for j in range(n):
        if j == r or not valid[j]:
            continue
        seen[j] = True
        ox, oy, oyaw, ov = x[j], y[j], yaw[j], speed[j]
        ol, ow = length[j], width[j]
        cb, sb = math.cos(oyaw), math.sin(oyaw)
        hbl, hbw = 0.5 * ol, 0.5 * ow
        gap = _box_gap(ex, ey, ca, sa, hal, haw, ox, oy, cb, sb, hbl, hbw)
        dx, dy = ox - ex, oy - ey
        dist = max(math.hypot(dx, dy), 1e-9)
        rvx, rvy = vex - ov * cb, vey - ov * sb
        closing = (rvx * dx + rvy * dy) / dist
        ttc = gap / closing if closing > 1e-6 else np.inf
        if ttc < min_ttc[j]:
            min_ttc[j] = ttc
        if gap < min_dist[j]:
            min_dist[j] = gap
        out_f[OUT_TTC] = min(out_f[OUT_TTC], ttc)
        out_f[OUT_GAP] = min(out_f[OUT_GAP], gap)
        # DRAC for those ahead in the ego's path
        lon = dx * ca + dy * sa
        lat = -dx * sa + dy * ca
        rel = oyaw - eyaw
        half_lat = 0.5 * (ol * abs(math.sin(rel)) + ow * abs(math.cos(rel)))
        vc = ev - ov * math.cos(rel)
        drac = 0.0
        if lon > 0 and abs(lat) < 0.5 * ew + half_lat and vc > 0 and gap > 0:
            drac = vc ** 2 / (2.0 * gap)
        if best_row < 0 or drac > best_drac:
            best_row, best_drac = j, drac
        # nuPlan: the boxes can meet within the horizon only if the relative motion covers
        # the distance between their circumscribed circles
        if not nuplan or not (gap > 0 and lon > 0):
            continue
        reach = 0.5 * (ereach + math.hypot(ol, ow))
        if not dist - reach <= horizon_s * math.hypot(rvx, rvy):
            continue
        for k in range(n_t):
            t = nu_t[k]
            if t >= nu_best:
                break
            if _overlap(dx - rvx * t, dy - rvy * t, ca, sa, hal, haw, cb, sb, hbl, hbw):
                nu_best = t
                break
    out_f[OUT_DRAC] = best_drac
    out_f[OUT_NU_TTC] = nu_best
    return best_row
