"""Plain twins of :mod:`v2x.channel._kernels`: every link against every box, no grid, no
early-outs, scalar Python. Same arithmetic as the kernels, so geometry agrees exactly and
floats to rounding; used by the tests, by ``ChannelModel(..., backend="reference")`` and the
timing script."""

from __future__ import annotations

import math

import numpy as np

from v2x.channel._kernels import (
    BASE_BLOCK,
    BLOCKED,
    LIGHT_M_PER_US,
    LN9,
    LOS,
    NLOS,
    NLOSV,
    OUT_OF_RANGE,
    PARALLEL_EPS,
    SELF,
    SIGMA_BLOCK,
)
from v2x.channel.pathloss import MIN_DISTANCE_M


def segment_box_ref(ax, ay, bx, by, cx, cy, c, s, hl, hw):
    """(hit, t0, t1) of the segment a -> b against the box; see the kernel."""
    px, py = (ax - cx) * c + (ay - cy) * s, -(ax - cx) * s + (ay - cy) * c
    dx = (bx - cx) * c + (by - cy) * s - px
    dy = -(bx - cx) * s + (by - cy) * c - py
    t0, t1 = 0.0, 1.0
    for p, d, half in ((px, dx, hl), (py, dy, hw)):
        if abs(d) < PARALLEL_EPS:
            if p < -half or p > half:
                return False, t0, t1
            continue
        ta, tb = sorted(((-half - p) / d, (half - p) / d))
        t0, t1 = max(t0, ta), min(t1, tb)
        if t0 > t1:
            return False, t0, t1
    return True, t0, t1


def _inside(px, py, cx, cy, c, s, hl, hw):
    return abs((px - cx) * c + (py - cy) * s) <= hl and abs(-(px - cx) * s + (py - cy) * c) <= hw


def occluder_blocks_ref(ax, ay, ah, bx, by, bh, cx, cy, c, s, hl, hw, height, vehicle) -> int:
    """-1, BLOCKED, or antennas below a crossed vehicle; see the kernel."""
    hit, t0, t1 = segment_box_ref(ax, ay, bx, by, cx, cy, c, s, hl, hw)
    if not hit or _inside(ax, ay, cx, cy, c, s, hl, hw) or _inside(bx, by, cx, cy, c, s, hl, hw):
        return -1
    if vehicle:
        return int(ah < height) + int(bh < height)
    if min(ah + t0 * (bh - ah), ah + t1 * (bh - ah)) <= height:
        return BLOCKED
    return -1


def link_geometry_ref(tx_x, tx_y, tx_h, rx_x, rx_y, rx_h, ob_x, ob_y, ob_yaw, ob_len, ob_wid,
                      ob_h, ob_vehicle, filter_m, highway, f_ghz):
    """Same contract as the kernel; returns (state, below, dist, pl, mu), each (p, m)."""
    p, m = len(tx_x), len(rx_x)
    state = np.zeros((p, m), np.int8)
    below = np.zeros((p, m), np.int8)
    dist, pl, mu = np.zeros((p, m)), np.zeros((p, m)), np.zeros((p, m))
    boxes = [(ob_x[q], ob_y[q], math.cos(ob_yaw[q]), math.sin(ob_yaw[q]), 0.5 * ob_len[q],
              0.5 * ob_wid[q], ob_h[q], bool(ob_vehicle[q])) for q in range(len(ob_x))]
    a_los, b_los = ((32.4 + 20.0 * math.log10(f_ghz), 20.0) if highway
                    else (38.77 + 18.2 * math.log10(f_ghz), 16.7))
    a_nlos = 36.85 + 18.9 * math.log10(f_ghz)
    for i in range(p):
        for j in range(m):
            ax, ay, ah, bx, by, bh = tx_x[i], tx_y[i], tx_h[i], rx_x[j], rx_y[j], rx_h[j]
            dx, dy = bx - ax, by - ay
            d2 = dx * dx + dy * dy
            dist[i, j] = math.sqrt(d2 + (bh - ah) ** 2)
            if d2 > filter_m * filter_m:
                state[i, j] = OUT_OF_RANGE
                continue
            worst = max([0] + [occluder_blocks_ref(ax, ay, ah, bx, by, bh, *box)
                               for box in boxes])
            d = max(dist[i, j], MIN_DISTANCE_M)
            if worst == BLOCKED:
                state[i, j], pl[i, j] = NLOS, a_nlos + 30.0 * math.log10(d)
                continue
            pl[i, j] = a_los + b_los * math.log10(d)
            state[i, j] = NLOSV if worst > 0 else LOS
            below[i, j] = worst
            if worst > 0:
                mu[i, j] = BASE_BLOCK[worst] + max(0.0, 15.0 * math.log10(d) - 41.0)
    return state, below, dist, pl, mu


def link_budget_ref(inv, sender, tx_power, gain_db, g_state, g_below, g_pl, g_mu, use_prob,
                    p_los, p_below, p_mu, sigma_los, sigma_nlosv, sigma_nlos, shadowing, z_sf,
                    z_b, u_los, cs_threshold, airtime):
    """Same contract as the kernel; returns (power (n, m), state (n, m), heard (m,))."""
    n, m = len(inv), g_state.shape[1]
    power = np.full((n, m), -np.inf)
    state = np.zeros((n, m), np.int8)
    heard = np.zeros(m)
    k = q = 0
    for i in range(n):
        u = inv[i]
        for j in range(m):
            st = int(g_state[u, j])
            if j == sender[i]:
                state[i, j] = SELF
                continue
            if st == OUT_OF_RANGE:
                state[i, j] = OUT_OF_RANGE
                continue
            below, mu = int(g_below[u, j]), g_mu[u, j]
            if use_prob and st == LOS and p_below[u, j] > 0 and u_los[k] >= p_los[u, j]:
                st, below, mu = NLOSV, int(p_below[u, j]), p_mu[u, j]
            loss = g_pl[u, j]
            sig = {LOS: sigma_los, NLOSV: sigma_nlosv, NLOS: sigma_nlos}[st]
            if st == NLOSV:
                loss += max(0.0, mu + SIGMA_BLOCK[below] * z_b[q])
                q += 1
            if shadowing:
                loss += sig * z_sf[k]
            power[i, j] = tx_power[i] + gain_db - loss
            state[i, j] = st
            if power[i, j] >= cs_threshold:
                heard[j] += airtime[i]
            k += 1
    return power, state, heard


def draw_success_ref(u, keep, power, sensitivity, slope_db, lr) -> bool:
    """u < keep * succ; the same bounds-first evaluation as the kernel."""
    x = -(power - sensitivity) / slope_db - LN9
    if x < -40.0:
        return u < keep
    e = math.exp(-lr * max(x, 0.0))
    if u >= keep * e:
        return False
    if x > 30.0 or u < keep * (e * 2.0 ** -lr):
        return True
    return u < keep * math.exp(-lr * math.log1p(math.exp(x)))


def link_delivery_ref(inv, sender, size_bytes, airtime, power, state, g_dist, cbr, cs_threshold,
                      sensitivity, slope_db, reference_bytes, overhead_bytes, coll_at_ref,
                      cbr_ref, coll_exp, coll_max, pdr, u_del, latency_floor, access_uniform,
                      access_exp_mean, cbr_cap, u_acc, e_acc, extra_us):
    """Same contract as the kernel; returns (delivered (n, m), latency_us (n, m))."""
    n, m = power.shape
    delivered = np.zeros((n, m), bool)
    latency = np.zeros((n, m), np.int64)
    cl = [min(max(c, 0.0), 1.0) for c in cbr]
    keep = [(1.0 - min(coll_max, coll_at_ref * (c / cbr_ref) ** coll_exp)) * pdr for c in cl]
    k = 0
    for i in range(n):
        if sender[i] >= 0:
            cs = cbr[sender[i]]
        else:
            heard = [cbr[j] for j in range(m)
                     if state[i, j] < OUT_OF_RANGE and power[i, j] >= cs_threshold]
            cs = sum(heard) / len(heard) if heard else 0.0
        cs = min(max(cs, 0.0), cbr_cap)
        access = (latency_floor + airtime[i] + u_acc[i] * access_uniform
                  + e_acc[i] * access_exp_mean / (1.0 - cs) + extra_us)
        lr = (size_bytes[i] + overhead_bytes) / reference_bytes
        for j in range(m):
            lat = access + g_dist[inv[i], j] / LIGHT_M_PER_US
            latency[i, j] = max(1, math.floor(lat + 0.5))
            if state[i, j] >= OUT_OF_RANGE:
                continue
            delivered[i, j] = draw_success_ref(u_del[k], keep[j], power[i, j], sensitivity,
                                               slope_db, lr)
            k += 1
    return delivered, latency
