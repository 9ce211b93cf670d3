"""Numba kernels of the radio channel: link geometry (LOS / NLOSv / NLOS against oriented
boxes), link budget and delivery. Deterministic: every random number is drawn by the Python
wrapper (:mod:`v2x.channel.model`) and passed in. Plain twin: :mod:`v2x.channel._reference`.

Boxes are oriented rectangles standing on the ground: centre (x, y) [m], heading yaw [rad] of
the length axis, length, width, height [m]. Link states: :data:`LOS`, :data:`NLOSV`,
:data:`NLOS`, :data:`OUT_OF_RANGE`, :data:`SELF`.

Random numbers are consumed in row-major (frame, receiver) order: the k-th link that is
neither out of range nor the sender itself uses ``z_sf[k]``, ``u_los[k]`` and ``u_del[k]``;
the q-th link that ends up NLOSv uses ``z_b[q]``.
"""

from __future__ import annotations

import math

from sim._numba_env import configure_numba_cache

configure_numba_cache()

import numba as nb  # noqa: E402  (the cache folder must be set before numba is imported)
import numpy as np  # noqa: E402

from v2x.channel.pathloss import BLOCKAGE_BASE_DB, BLOCKAGE_SIGMA_DB, MIN_DISTANCE_M  # noqa: E402

LOS, NLOSV, NLOS, OUT_OF_RANGE, SELF = 0, 1, 2, 3, 4
PARALLEL_EPS = 1e-12  # a direction component below this is parallel to a slab
GRID_PAD_M = 1e-3  # boxes are registered 1 mm wider so rounding never loses a candidate
MAX_CELLS = 1 << 16  # the broad-phase grid grows its cells rather than exceed this
LIGHT_M_PER_US = 299.792458
SIGMA_BLOCK = BLOCKAGE_SIGMA_DB  # NLOSv blockage sigma [dB] by antennas below the blocker
BASE_BLOCK = BLOCKAGE_BASE_DB  # NLOSv blockage base mu [dB]
LN9 = math.log(9.0)
BLOCKED = 3  # occluder_blocks: a structure blocks the link (above any vehicle's 0-2)


@nb.njit(cache=True)
def segment_box(ax, ay, bx, by, cx, cy, c, s, hl, hw):
    """Clip the segment a -> b [m] to the oriented box (centre (cx, cy), heading cos/sin
    (c, s), half length/width hl, hw [m]). Returns (hit, t0, t1): the parameter interval
    [t0, t1] within [0, 1] inside the box; touching the outline counts."""
    px = (ax - cx) * c + (ay - cy) * s
    py = -(ax - cx) * s + (ay - cy) * c
    dx = (bx - cx) * c + (by - cy) * s - px
    dy = -(bx - cx) * s + (by - cy) * c - py
    t0 = 0.0
    t1 = 1.0
    for axis in range(2):
        p = px if axis == 0 else py
        d = dx if axis == 0 else dy
        half = hl if axis == 0 else hw
        if abs(d) < PARALLEL_EPS:
            if p < -half or p > half:
                return False, t0, t1
            continue
        ta = (-half - p) / d
        tb = (half - p) / d
        if ta > tb:
            ta, tb = tb, ta
        t0 = max(t0, ta)
        t1 = min(t1, tb)
        if t0 > t1:
            return False, t0, t1
    return True, t0, t1


@nb.njit(cache=True)
def inside_box(px, py, cx, cy, c, s, hl, hw):
    """True if (px, py) [m] lies inside or on the oriented box."""
    u = (px - cx) * c + (py - cy) * s
    v = -(px - cx) * s + (py - cy) * c
    return abs(u) <= hl and abs(v) <= hw


@nb.njit(cache=True)
def occluder_blocks(ax, ay, ah, bx, by, bh, cx, cy, c, s, hl, hw, height, vehicle):
    """What one occluder does to the link a -> b (antenna heights ah, bh [m]).

    Returns -1 if it does not block, :data:`BLOCKED` for a structure whose box the 3-D
    segment touches, or the number of antennas below a crossed vehicle's roof (0, 1, 2; TR 37.885
    compares heights rather than intersecting in 3-D). A box containing either end point in
    plan view is ignored: it is the station's own vehicle, or the mast or roof it stands on.
    """
    hit, t0, t1 = segment_box(ax, ay, bx, by, cx, cy, c, s, hl, hw)
    if not hit:
        return -1
    if inside_box(ax, ay, cx, cy, c, s, hl, hw) or inside_box(bx, by, cx, cy, c, s, hl, hw):
        return -1
    if vehicle:
        return (1 if ah < height else 0) + (1 if bh < height else 0)
    # the segment's height is linear in t, so its lowest point inside the box is an end
    if min(ah + t0 * (bh - ah), ah + t1 * (bh - ah)) <= height:
        return BLOCKED
    return -1


@nb.njit(cache=True)
def _build_grid(ox, oy, oc, os_, ohl, ohw, cell):
    """Uniform grid over the occluders' padded bounding boxes, CSR cell lists."""
    k = ox.shape[0]
    ex = np.abs(oc) * ohl + np.abs(os_) * ohw + GRID_PAD_M
    ey = np.abs(os_) * ohl + np.abs(oc) * ohw + GRID_PAD_M
    gx0 = np.min(ox - ex)
    gy0 = np.min(oy - ey)
    w = max(np.max(ox + ex) - gx0, 1e-6)
    h = max(np.max(oy + ey) - gy0, 1e-6)
    while math.ceil(w / cell) * math.ceil(h / cell) > MAX_CELLS:
        cell *= 1.5
    nx = int(math.ceil(w / cell))
    ny = int(math.ceil(h / cell))
    count = np.zeros(nx * ny + 1, np.int64)
    for q in range(2):  # pass 0 counts, pass 1 fills
        items = np.empty(count[nx * ny] if q == 1 else 0, np.int64)
        fill = count.copy()
        for j in range(k):
            i0 = min(max(int((ox[j] - ex[j] - gx0) / cell), 0), nx - 1)
            i1 = min(max(int((ox[j] + ex[j] - gx0) / cell), 0), nx - 1)
            j0 = min(max(int((oy[j] - ey[j] - gy0) / cell), 0), ny - 1)
            j1 = min(max(int((oy[j] + ey[j] - gy0) / cell), 0), ny - 1)
            for iy in range(j0, j1 + 1):
                for ix in range(i0, i1 + 1):
                    if q == 0:
                        count[iy * nx + ix + 1] += 1
                    else:
                        items[fill[iy * nx + ix]] = j
                        fill[iy * nx + ix] += 1
        if q == 0:
            for b in range(nx * ny):
                count[b + 1] += count[b]
    return gx0, gy0, cell, nx, ny, count, items


@nb.njit(cache=True)
def link_geometry(tx_x, tx_y, tx_h, rx_x, rx_y, rx_h, ob_x, ob_y, ob_yaw, ob_len, ob_wid,
                  ob_h, ob_vehicle, filter_m, highway, f_ghz, cell_m,
                  out_state, out_below, out_dist, out_pl, out_mu):
    """State and median path loss of every (transmit position, receiver) pair.

    tx_x, tx_y, tx_h: (p,) float64 [m]; rx_x, rx_y, rx_h: (m,) float64 [m]; occluders
    ob_*: (k,) float64 [m, rad] (structures and vehicles), ob_vehicle (k,) bool; filter_m [m]:
    pairs farther apart in plan view are OUT_OF_RANGE; highway: bool, LOS formula;
    f_ghz [GHz]; cell_m [m]: broad-phase grid cell. Outputs (p, m): out_state int8,
    out_below int8 (antennas below the worst vehicle crossed, 0-2), out_dist float64 3-D
    distance [m], out_pl float64 TR 37.885 loss of the state [dB] (LOS formula for NLOSv),
    out_mu float64 NLOSv blockage mean [dB] (0 otherwise).

    Broad phase: a uniform grid walked cell by cell along each segment (Amanatides-Woo);
    every candidate gets the exact test of :func:`occluder_blocks` once per pair.
    """
    p = tx_x.shape[0]
    m = rx_x.shape[0]
    k = ob_x.shape[0]
    oc = np.cos(ob_yaw)
    os_ = np.sin(ob_yaw)
    ohl = 0.5 * ob_len
    ohw = 0.5 * ob_wid
    if k > 0:
        gx0, gy0, cell, nx, ny, start, items = _build_grid(ob_x, ob_y, oc, os_, ohl, ohw,
                                                           cell_m)
    else:
        gx0, gy0, cell, nx, ny = 0.0, 0.0, 1.0, 0, 0
        start = np.zeros(1, np.int64)
        items = np.zeros(0, np.int64)
    stamp = np.full(k, -1, np.int64)
    if highway:
        a_los, b_los = 32.4 + 20.0 * math.log10(f_ghz), 20.0
    else:
        a_los, b_los = 38.77 + 18.2 * math.log10(f_ghz), 16.7
    a_nlos = 36.85 + 18.9 * math.log10(f_ghz)
    for i in range(p):
        ax, ay, ah = tx_x[i], tx_y[i], tx_h[i]
        for j in range(m):
            bx, by, bh = rx_x[j], rx_y[j], rx_h[j]
            dx = bx - ax
            dy = by - ay
            d2 = dx * dx + dy * dy
            out_dist[i, j] = math.sqrt(d2 + (bh - ah) ** 2)
            out_below[i, j] = 0
            out_mu[i, j] = 0.0
            out_pl[i, j] = 0.0
            if d2 > filter_m * filter_m:
                out_state[i, j] = OUT_OF_RANGE
                continue
            sid = i * m + j
            worst = 0
            # clip the segment to the grid, then walk the cells it crosses
            t_in = 0.0
            t_out = 1.0 if k > 0 else -1.0
            for axis in range(2):
                pa = ax if axis == 0 else ay
                da = dx if axis == 0 else dy
                lo = gx0 if axis == 0 else gy0
                hi = lo + (nx if axis == 0 else ny) * cell
                if abs(da) < PARALLEL_EPS:
                    if pa < lo or pa > hi:
                        t_out = -1.0
                else:
                    ta = (lo - pa) / da
                    tb = (hi - pa) / da
                    if ta > tb:
                        ta, tb = tb, ta
                    t_in = max(t_in, ta)
                    t_out = min(t_out, tb)
            if t_in <= t_out:
                ix = min(max(int((ax + t_in * dx - gx0) / cell), 0), nx - 1)
                iy = min(max(int((ay + t_in * dy - gy0) / cell), 0), ny - 1)
                sx = 1 if dx > 0.0 else -1
                sy = 1 if dy > 0.0 else -1
                if abs(dx) < PARALLEL_EPS:
                    tmx, tdx = np.inf, np.inf
                else:
                    tmx = (gx0 + (ix + (1 if dx > 0.0 else 0)) * cell - ax) / dx
                    tdx = cell / abs(dx)
                if abs(dy) < PARALLEL_EPS:
                    tmy, tdy = np.inf, np.inf
                else:
                    tmy = (gy0 + (iy + (1 if dy > 0.0 else 0)) * cell - ay) / dy
                    tdy = cell / abs(dy)
                while True:
                    b = iy * nx + ix
                    for e in range(start[b], start[b + 1]):
                        q = items[e]
                        if stamp[q] == sid:
                            continue
                        stamp[q] = sid
                        r = occluder_blocks(ax, ay, ah, bx, by, bh, ob_x[q], ob_y[q], oc[q],
                                            os_[q], ohl[q], ohw[q], ob_h[q], ob_vehicle[q])
                        worst = max(worst, r)
                    if worst == BLOCKED:  # a structure: nothing can make it worse
                        break
                    if tmx < tmy:
                        if tmx > t_out:
                            break
                        ix += sx
                        tmx += tdx
                    else:
                        if tmy > t_out:
                            break
                        iy += sy
                        tmy += tdy
                    if ix < 0 or ix >= nx or iy < 0 or iy >= ny:
                        break
            d = max(out_dist[i, j], MIN_DISTANCE_M)
            if worst == BLOCKED:
                out_state[i, j] = NLOS
                out_pl[i, j] = a_nlos + 30.0 * math.log10(d)
            else:
                out_pl[i, j] = a_los + b_los * math.log10(d)
                if worst > 0:
                    out_state[i, j] = NLOSV
                    out_below[i, j] = worst
                    out_mu[i, j] = BASE_BLOCK[worst] + max(0.0, 15.0 * math.log10(d) - 41.0)
                else:
                    out_state[i, j] = LOS


@nb.njit(cache=True)
def link_budget(inv, sender, tx_power, gain_db, g_state, g_below, g_pl, g_mu, use_prob, p_los,
                p_below, p_mu, sigma_los, sigma_nlosv, sigma_nlos, shadowing, z_sf, z_b, u_los,
                cs_threshold, airtime, out_power, out_state, out_heard):
    """Received power and state of every (frame, receiver) link, and the airtime each
    receiver hears.

    inv: (n,) int64 row of each frame in the pair arrays; sender: (n,) int64 receiver index
    of the sender or -1; tx_power: (n,) float64 [dBm]; gain_db: tx + rx antenna gain [dB];
    g_*: (p, m) pair arrays of :func:`link_geometry`; use_prob: bool, draw LOS vs NLOSv with
    p_los (p, m) [0-1] for pairs the geometry calls LOS, then with p_below (p, m) int8 and
    p_mu (p, m) [dB] as the blockage (empty arrays otherwise); sigma_*: shadowing std [dB];
    shadowing: bool; z_sf, z_b: standard normals, u_los: uniforms [0, 1) (consumed as the
    module docstring says); cs_threshold [dBm]; airtime: (n,) float64 [us].
    Outputs: out_power (n, m) float64 [dBm] (-inf out of range and for the sender itself),
    out_state (n, m) int8, out_heard (m,) float64 [us] airtime received at or above
    cs_threshold.
    """
    n = inv.shape[0]
    m = out_power.shape[1]
    out_heard[:] = 0.0
    k = 0
    q = 0
    for i in range(n):
        u = inv[i]
        for j in range(m):
            st = g_state[u, j]
            if j == sender[i] or st == OUT_OF_RANGE:
                out_state[i, j] = SELF if j == sender[i] else OUT_OF_RANGE
                out_power[i, j] = -np.inf
                continue
            below = g_below[u, j]
            mu = g_mu[u, j]
            if use_prob and st == LOS and p_below[u, j] > 0 and u_los[k] >= p_los[u, j]:
                st = NLOSV
                below = p_below[u, j]
                mu = p_mu[u, j]
            loss = g_pl[u, j]
            if st == NLOSV:
                loss += max(0.0, mu + SIGMA_BLOCK[below] * z_b[q])
                q += 1
                sig = sigma_nlosv
            elif st == NLOS:
                sig = sigma_nlos
            else:
                sig = sigma_los
            if shadowing:
                loss += sig * z_sf[k]
            pw = tx_power[i] + gain_db - loss
            out_power[i, j] = pw
            out_state[i, j] = st
            if pw >= cs_threshold:
                out_heard[j] += airtime[i]
            k += 1


@nb.njit(cache=True)
def draw_success(u, keep, power, sensitivity, slope_db, lr, lo):
    """True if a link with uniform draw ``u`` [0, 1) is delivered: u < keep * succ, with
    succ = exp(-lr log1p(e^x)), x = -(power - sensitivity) / slope - ln 9 (= s_ref ** lr).

    succ lies in [E lo, E] with E = exp(-lr max(x, 0)) and lo = 2^-lr, so one exp decides
    unless u falls inside that band; only then are the other two evaluated.
    """
    x = -(power - sensitivity) / slope_db - LN9
    if x < -40.0:
        return u < keep  # succ rounds to 1
    e = math.exp(-lr * max(x, 0.0))
    if u >= keep * e:
        return False
    if x > 30.0 or u < keep * (e * lo):  # above 30, log1p(e^x) = x: succ = E exactly
        return True
    return u < keep * math.exp(-lr * math.log1p(math.exp(x)))


@nb.njit(cache=True)
def link_delivery(inv, sender, size_bytes, airtime, power, state, g_dist, cbr, cs_threshold,
                  sensitivity, slope_db, reference_bytes, overhead_bytes, coll_at_ref, cbr_ref,
                  coll_exp, coll_max, pdr, u_del, latency_floor, access_uniform, access_exp_mean,
                  cbr_cap, u_acc, e_acc, extra_us, out_delivered, out_latency):
    """Delivery and latency of every (frame, receiver) link.

    inv, sender: as :func:`link_budget`; size_bytes: (n,) int64; airtime: (n,) float64 [us];
    power: (n, m) float64 [dBm] and state: (n, m) int8 from :func:`link_budget`; g_dist:
    (p, m) float64 [m]; cbr: (m,) float64 [0-1]; the profile's numbers (see
    :class:`~v2x.channel.profiles.RadioProfile`); pdr: scenario delivery factor [0-1] (0 in
    a blackout); u_del: uniforms per in-range link; u_acc, e_acc: (n,) uniform and unit
    exponential per frame; extra_us: int, added latency [us].
    Outputs: out_delivered (n, m) bool; out_latency (n, m) int64 [us], >= 1, for every link
    (sender access delay + airtime + propagation + extra; meaningful where delivered).
    A frame's access delay uses its sender's CBR, or for a sender outside the receiver set
    (-1) the mean CBR of the receivers that heard it at or above cs_threshold.
    """
    n = inv.shape[0]
    m = power.shape[1]
    keep = np.empty(m)
    for j in range(m):
        c = min(max(cbr[j], 0.0), 1.0)
        keep[j] = (1.0 - min(coll_max, coll_at_ref * (c / cbr_ref) ** coll_exp)) * pdr
    k = 0
    for i in range(n):
        s = sender[i]
        if s >= 0:
            cs = cbr[s]
        else:
            tot = 0.0
            cnt = 0
            for j in range(m):
                if state[i, j] < OUT_OF_RANGE and power[i, j] >= cs_threshold:
                    tot += cbr[j]
                    cnt += 1
            cs = tot / cnt if cnt > 0 else 0.0
        cs = min(max(cs, 0.0), cbr_cap)
        access = (latency_floor + airtime[i] + u_acc[i] * access_uniform
                  + e_acc[i] * access_exp_mean / (1.0 - cs) + extra_us)
        lr = (size_bytes[i] + overhead_bytes) / reference_bytes
        lo = 2.0 ** -lr
        u = inv[i]
        for j in range(m):
            out_latency[i, j] = max(1, int(math.floor(access + g_dist[u, j] / LIGHT_M_PER_US
                                                      + 0.5)))
            if state[i, j] >= OUT_OF_RANGE:
                out_delivered[i, j] = False
                continue
            out_delivered[i, j] = draw_success(u_del[k], keep[j], power[i, j], sensitivity,
                                               slope_db, lr, lo)
            k += 1
