"""Plain-Python twin of the lattice planner (``planners.lattice``): the same sampling,
polynomials, feasibility rules, collision test and cost, written with loops and ``math``
so the Numba kernels can be checked against it and timed against it.

``plan_reference(path, state, obstacles, constraints, config)`` mirrors
``LatticePlanner(config).plan(...)``; ``collisions_reference`` mirrors the collision kernel.
Candidate numbering: ``i = (iT * n_d + jd) * n_lon + jl`` as in the kernels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

V_EPS = 1e-3
MIN_ONE_KD = 0.1


def quintic(x0, v0, a0, x1, v1, a1, T):
    c2 = 0.5 * a0
    T2 = T * T
    T3 = T2 * T
    b0 = x1 - (x0 + v0 * T + c2 * T2)
    b1 = v1 - (v0 + a0 * T)
    b2 = a1 - a0
    return (x0, v0, c2, (10.0 * b0 - 4.0 * b1 * T + 0.5 * b2 * T2) / T3,
            (-15.0 * b0 + 7.0 * b1 * T - b2 * T2) / (T3 * T),
            (6.0 * b0 - 3.0 * b1 * T + 0.5 * b2 * T2) / (T3 * T2))


def quartic(x0, v0, a0, v1, a1, T):
    c2 = 0.5 * a0
    b1 = v1 - (v0 + a0 * T)
    b2 = a1 - a0
    return (x0, v0, c2, (3.0 * b1 - b2 * T) / (3.0 * T * T),
            (b2 * T - 2.0 * b1) / (4.0 * T * T * T), 0.0)


def stop_time(gap, v0, i, n, t_max):
    """The stopping quintic's duration: constant-deceleration time or a 1 m/s^2
    rest-to-rest move, spread -20 %..+20 % over the horizons, clipped to [1, 3 t_max]."""
    t = math.sqrt(6.0 * gap / 1.0)
    if v0 > 1e-3:
        t = min(t, 2.0 * gap / v0)
    f = 0.8 + 0.4 * i / (n - 1) if n > 1 else 1.0
    return min(max(t * f, 1.0), 3.0 * t_max)


def jerk_integral(c3, c4, c5, T):
    p, q, r = 6.0 * c3, 24.0 * c4, 60.0 * c5
    return T * (p * p + T * (p * q + T * ((q * q + 2.0 * p * r) / 3.0
                                          + T * (0.5 * q * r + T * r * r / 5.0))))


def profile(c, T, dt, n_t):
    """Lists x, v, a on the grid; past T at the speed reached at T."""
    c0, c1, c2, c3, c4, c5 = c
    xT = c0 + T * (c1 + T * (c2 + T * (c3 + T * (c4 + T * c5))))
    vT = c1 + T * (2.0 * c2 + T * (3.0 * c3 + T * (4.0 * c4 + T * 5.0 * c5)))
    xs, vs, as_ = [], [], []
    for k in range(n_t):
        t = k * dt
        if t <= T:
            xs.append(c0 + t * (c1 + t * (c2 + t * (c3 + t * (c4 + t * c5)))))
            vs.append(c1 + t * (2.0 * c2 + t * (3.0 * c3 + t * (4.0 * c4 + t * 5.0 * c5))))
            as_.append(2.0 * c2 + t * (6.0 * c3 + t * (12.0 * c4 + t * 20.0 * c5)))
        else:
            xs.append(xT + vT * (t - T))
            vs.append(vT)
            as_.append(0.0)
    return xs, vs, as_


def path_point(path, s):
    s0 = float(path.s[0])
    m = len(path.s)
    ds = float((path.s[-1] - path.s[0]) / (m - 1))
    px, py, ph, pk = path.x, path.y, path.heading, path.kappa
    u = (s - s0) / ds
    if u < 0.0:
        e = s - s0
        return px[0] + e * math.cos(ph[0]), py[0] + e * math.sin(ph[0]), float(ph[0]), 0.0
    if u > m - 1:
        e = s - (s0 + (m - 1) * ds)
        h = float(ph[m - 1])
        return px[m - 1] + e * math.cos(h), py[m - 1] + e * math.sin(h), h, 0.0
    i = min(int(u), m - 2)
    f = u - i
    return (float(px[i] + f * (px[i + 1] - px[i])), float(py[i] + f * (py[i + 1] - py[i])),
            float(ph[i] + f * (ph[i + 1] - ph[i])), float(pk[i] + f * (pk[i + 1] - pk[i])))


def cartesian_point(rx, ry, ch, sh, kr, s_d, s_dd, d, d_d, d_dd, cy_prev, sy_prev):
    one_kd = 1.0 - kr * d
    vt = s_d * one_kd
    at = s_dd * one_kd - 2.0 * kr * s_d * d_d
    an = d_dd + kr * s_d * vt
    v = math.sqrt(vt * vt + d_d * d_d)
    if v > V_EPS and vt > 0.0:
        cf, sf = vt / v, d_d / v
        return (rx - d * sh, ry + d * ch, ch * cf - sh * sf, sh * cf + ch * sf, v,
                (vt * at + d_d * an) / v, (vt * an - d_d * at) / (v * v * v), one_kd)
    return rx - d * sh, ry + d * ch, cy_prev, sy_prev, v, s_dd, kr / one_kd, one_kd


def separated(dx, dy, c1, s1, hl1, hw1, c2, s2, hl2, hw2):
    cr = abs(c1 * c2 + s1 * s2)
    sr = abs(s1 * c2 - c1 * s2)
    return (abs(dx * c1 + dy * s1) > hl1 + hl2 * cr + hw2 * sr
            or abs(dy * c1 - dx * s1) > hw1 + hl2 * sr + hw2 * cr
            or abs(dx * c2 + dy * s2) > hl2 + hl1 * cr + hw1 * sr
            or abs(dy * c2 - dx * s2) > hw2 + hl1 * sr + hw1 * cr)


def _hits(poses, hl, hw, obstacles):
    """poses: list over k of (x, y, cos yaw, sin yaw)."""
    ego_r = math.sqrt(hl * hl + hw * hw)
    for k, (xi, yi, c, s) in enumerate(poses):
        for j in range(len(obstacles.length)):
            if not obstacles.valid[j][k]:
                continue
            ol, ow = float(obstacles.length[j]), float(obstacles.width[j])
            r = ego_r + 0.5 * math.sqrt(ol * ol + ow * ow)
            dx, dy = float(obstacles.x[j][k]) - xi, float(obstacles.y[j][k]) - yi
            oyaw = float(obstacles.yaw[j][k])
            if dx * dx + dy * dy <= r * r and not separated(
                    dx, dy, c, s, hl, hw, math.cos(oyaw), math.sin(oyaw), 0.5 * ol, 0.5 * ow):
                return True
    return False


def collisions_reference(x, y, yaw, obstacles, ego_length, ego_width, margin=0.0, check=None):
    """Twin of ``planners.lattice.collision.check_collisions``: list of bool per row."""
    hl, hw = 0.5 * ego_length + margin, 0.5 * ego_width + margin
    out = []
    for i in range(len(x)):
        if check is not None and not check[i]:
            out.append(False)
            continue
        poses = [(float(x[i][k]), float(y[i][k]), math.cos(yaw[i][k]), math.sin(yaw[i][k]))
                 for k in range(len(x[i]))]
        out.append(_hits(poses, hl, hw, obstacles))
    return out


@dataclass
class ReferenceResult:
    """best (-1 = none), feasible / collision_free (n_cand,) bool, costs (n_cand,) with inf
    where infeasible or colliding, and the chosen rows x, y, v, s, d (None if none)."""

    best: int
    feasible: np.ndarray
    collision_free: np.ndarray
    costs: np.ndarray
    x: list | None
    y: list | None
    v: list | None
    s: list | None
    d: list | None


def plan_reference(path, state, obstacles, constraints, config) -> ReferenceResult:
    c, st, cn = config, state, constraints
    n_t, dt, hz = c.n_t, c.dt, c.horizons
    n_d, n_v = c.n_d, c.n_v
    n_lon = n_v + 1
    half = 0.5 * c.ego_length
    s_stop_c = cn.s_stop - half - c.stop_margin
    s_front_c = cn.s_stop - half
    pref = min(max(cn.d_pref, cn.d_min), cn.d_max)
    d_tgt = [cn.d_min + j * (cn.d_max - cn.d_min) / (n_d - 1) if n_d > 1 else pref
             for j in range(n_d)]
    gaps = [abs(d - pref) for d in d_tgt]
    d_tgt[gaps.index(min(gaps))] = pref
    v_tgt = [cn.v_max * (j + 1) / n_v for j in range(n_v)]
    d_lo, d_hi = min(cn.d_min, st.d), max(cn.d_max, st.d)
    v_cap = max(cn.v_max, st.s_d) + c.v_tol
    w = [c.w_jerk_lat, c.w_jerk_lon, c.w_time, c.w_offset, c.w_speed, c.w_progress]
    hl, hw = half + c.collision_margin, 0.5 * c.ego_width + c.collision_margin

    feasible, free, costs, rows = [], [], [], []
    for T in hz:
        lats = []
        for dt_ in d_tgt:
            coef = quintic(st.d, st.d_d, st.d_dd, dt_, 0.0, 0.0, T)
            d, dd, ddd = profile(coef, T, dt, n_t)
            ok = all(d_lo <= d[k] <= d_hi for k in range(1, n_t))
            lats.append((d, dd, ddd, ok, jerk_integral(*coef[3:], T), dt_))
        lons = []
        for jl in range(n_lon):
            t_end = T
            if jl < n_v:
                coef = quartic(st.s, st.s_d, st.s_dd, v_tgt[jl], 0.0, T)
            elif math.isfinite(s_stop_c) and s_stop_c - st.s > 0.05:
                t_end = stop_time(s_stop_c - st.s, st.s_d, hz.index(T), len(hz), hz[-1])
                coef = quintic(st.s, st.s_d, st.s_dd, s_stop_c, 0.0, 0.0, t_end)
            else:
                if st.s_dd < 0.0:
                    t_end = min(T, max(0.3, 2.2 * st.s_d / max(-st.s_dd, 1e-3)))
                coef = quartic(st.s, st.s_d, st.s_dd, 0.0, 0.0, t_end)
            s, sd, sdd = profile(coef, t_end, dt, n_t)
            ok = all(-c.v_reverse <= sd[k] <= v_cap and c.a_min <= sdd[k] <= c.a_max
                     and s[k] <= s_front_c for k in range(1, n_t))
            lons.append((s, sd, sdd, ok, jerk_integral(*coef[3:], t_end)))
        for d, dd, ddd, lat_ok, j_lat, target in lats:
            for jl, (s, sd, sdd, lon_ok, j_lon) in enumerate(lons):
                ok = lat_ok and lon_ok
                poses, vs = [], []
                if ok:
                    _, _, h0, _ = path_point(path, s[0])
                    cp, sp = math.cos(h0), math.sin(h0)
                    for k in range(n_t):
                        rx, ry, h, kr = path_point(path, s[k])
                        xk, yk, cp, sp, vk, _, kk, one_kd = cartesian_point(
                            rx, ry, math.cos(h), math.sin(h), kr, sd[k], sdd[k], d[k], dd[k],
                            ddd[k], cp, sp)
                        poses.append((xk, yk, cp, sp))
                        vs.append(vk)
                        if one_kd < MIN_ONE_KD or (vk >= c.v_kappa and abs(kk) > c.kappa_max):
                            ok = False
                            break
                feasible.append(ok)
                hit = ok and _hits(poses, hl, hw, obstacles)
                free.append(ok and not hit)
                stop_mode = jl == n_v and math.isfinite(s_stop_c) and s_stop_c - st.s > 0.05
                dv = 0.0 if stop_mode else sd[-1] - cn.v_max
                cost = (w[0] * j_lat + w[1] * j_lon + w[2] * T + w[3] * abs(target - cn.d_pref)
                        + w[4] * dv * dv - w[5] * (s[-1] - s[0]))
                costs.append(cost if ok and not hit else math.inf)
                rows.append((poses, vs, s, d) if ok and not hit else None)
    best = min(range(len(costs)), key=costs.__getitem__) if any(free) else -1
    row = rows[best] if best >= 0 else None
    return ReferenceResult(
        best, np.array(feasible), np.array(free), np.array(costs),
        [p[0] for p in row[0]] if row else None, [p[1] for p in row[0]] if row else None,
        row[1] if row else None, row[2] if row else None, row[3] if row else None)
