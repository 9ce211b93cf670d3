"""Numba kernels of the Frenet lattice planner. Plain twin: ``tests/planners/lattice_reference.py``.

Candidate numbering (shared with the reference): ``i = (iT * n_d + jd) * n_lon + jl`` with
``n_lon = n_v + 1``; ``jl < n_v`` keeps speed ``v_tgt[jl]``, ``jl == n_v`` is the stopping
mode. Lateral profile rows are ``iT * n_d + jd``, longitudinal rows ``iT * n_lon + jl``: a
profile is evaluated once and shared by every candidate that uses it.

Time grid: ``t_k = k * dt``, ``k = 0 .. n_t - 1``. A profile past its own horizon T continues
at its end speed with zero acceleration, so every candidate covers the whole grid.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

V_EPS = 1e-3  # [m/s] below this the direction of motion is undefined: the yaw is held
MIN_ONE_KD = 0.1  # 1 - kappa * d below this: offset too close to the centre of curvature


@nb.njit(cache=True)
def quintic_coeffs(x0, v0, a0, x1, v1, a1, T):
    """Coefficients c0..c5 of x(t) = sum c_i t^i with x, x', x'' = (x0, v0, a0) at 0 and
    (x1, v1, a1) at T [s]."""
    c2 = 0.5 * a0
    T2 = T * T
    T3 = T2 * T
    b0 = x1 - (x0 + v0 * T + c2 * T2)
    b1 = v1 - (v0 + a0 * T)
    b2 = a1 - a0
    c3 = (10.0 * b0 - 4.0 * b1 * T + 0.5 * b2 * T2) / T3
    c4 = (-15.0 * b0 + 7.0 * b1 * T - b2 * T2) / (T3 * T)
    c5 = (6.0 * b0 - 3.0 * b1 * T + 0.5 * b2 * T2) / (T3 * T2)
    return x0, v0, c2, c3, c4, c5


@nb.njit(cache=True)
def quartic_coeffs(x0, v0, a0, v1, a1, T):
    """Coefficients c0..c5 (c5 = 0) of the quartic with (x0, v0, a0) at 0, (v1, a1) at T."""
    c2 = 0.5 * a0
    b1 = v1 - (v0 + a0 * T)
    b2 = a1 - a0
    c3 = (3.0 * b1 - b2 * T) / (3.0 * T * T)
    c4 = (b2 * T - 2.0 * b1) / (4.0 * T * T * T)
    return x0, v0, c2, c3, c4, 0.0


@nb.njit(cache=True)
def jerk_integral(c3, c4, c5, T):
    """Integral over [0, T] of the squared jerk (6 c3 + 24 c4 t + 60 c5 t^2)^2 [unit^2/s^5]."""
    p = 6.0 * c3
    q = 24.0 * c4
    r = 60.0 * c5
    return T * (p * p + T * (p * q + T * ((q * q + 2.0 * p * r) / 3.0
                                          + T * (0.5 * q * r + T * r * r / 5.0))))


@nb.njit(cache=True)
def fill_profile(c0, c1, c2, c3, c4, c5, T, dt, out_x, out_v, out_a):
    """Position, speed, acceleration of the polynomial on the grid into (n_t,) rows; past T
    the motion continues at the speed reached at T (x linear, a = 0)."""
    xT = c0 + T * (c1 + T * (c2 + T * (c3 + T * (c4 + T * c5))))
    vT = c1 + T * (2.0 * c2 + T * (3.0 * c3 + T * (4.0 * c4 + T * 5.0 * c5)))
    for k in range(out_x.shape[0]):
        t = k * dt
        if t <= T:
            out_x[k] = c0 + t * (c1 + t * (c2 + t * (c3 + t * (c4 + t * c5))))
            out_v[k] = c1 + t * (2.0 * c2 + t * (3.0 * c3 + t * (4.0 * c4 + t * 5.0 * c5)))
            out_a[k] = 2.0 * c2 + t * (6.0 * c3 + t * (12.0 * c4 + t * 20.0 * c5))
        else:
            out_x[k] = xT + vT * (t - T)
            out_v[k] = vT
            out_a[k] = 0.0


STOP_MIN_GAP = 0.05  # [m] closer than this to the stop target the stop mode just holds
STOP_COMFORT_ACCEL = 1.0  # [m/s^2] sizes a rest-to-rest creep up to the line


@nb.njit(cache=True)
def stop_time(gap, v0, i, n, t_max):
    """Duration [s] of the stopping quintic over ``gap`` [m] from speed ``v0`` [m/s].

    The sampled horizons would make the stop re-planned every cycle arrive "in T seconds"
    again and again, a creep that never ends; the stop instead takes the time a constant
    deceleration would (2 gap / v0), or from near standstill a comfortable rest-to-rest
    move (sqrt(6 gap / a)), so successive re-plans agree. Candidate i of n spreads it by
    -20 %..+20 %; clipped to [1 s, 3 t_max].
    """
    t = math.sqrt(6.0 * gap / STOP_COMFORT_ACCEL)
    if v0 > 1e-3:
        t = min(t, 2.0 * gap / v0)
    f = 0.8 + 0.4 * i / (n - 1) if n > 1 else 1.0
    return min(max(t * f, 1.0), 3.0 * t_max)


@nb.njit(cache=True)
def brake_time(v0, a0, T):
    """Duration [s] of the quartic to standstill: T, but when already braking about twice the
    time the current deceleration needs (at least 0.3 s), since a long quartic from a hard
    braking start overshoots into reversing."""
    if a0 >= 0.0:
        return T
    return min(T, max(0.3, 2.2 * v0 / max(-a0, 1e-3)))


@nb.njit(cache=True)
def lattice_profiles(s0, s_d0, s_dd0, d0, d_d0, d_dd0, horizons, dt, d_min, d_max, d_pref,
                     v_max, s_stop_c, s_front_c, a_min, a_max, v_rev, v_tol,
                     d_tgt, v_tgt, lat_d, lat_v, lat_a, lat_ok, lat_jerk,
                     lon_s, lon_v, lon_a, lon_ok, lon_jerk):
    """Sample the targets and evaluate every lateral and longitudinal profile.

    Start state (s0 [m], s_d0 [m/s], s_dd0 [m/s^2], d0, d_d0, d_dd0); horizons (n_T,) [s].
    Lateral targets d_tgt (n_d,) [m]: uniform over [d_min, d_max], the sample nearest d_pref
    replaced by d_pref (clipped to the band). Speed targets v_tgt (n_v,) [m/s]:
    v_max * (j + 1) / n_v (zero speed is the stopping mode's job).
    Stopping mode: quintic to (s_stop_c, 0, 0) over :func:`stop_time` when s_stop_c is
    finite (centre target [m]) and more than STOP_MIN_GAP ahead, else quartic to speed 0.
    s_front_c [m]: largest centre s allowed (inf = none).
    Outputs: lat_d/v/a (n_T*n_d, n_t) [m, m/s, m/s^2], lon_s/v/a (n_T*n_lon, n_t),
    lat_ok/lon_ok (rows,) bool, lat_jerk/lon_jerk (rows,) squared-jerk integrals.
    Row checks from step 1 on (step 0 is the given state): d within the band widened to
    include d0; s_d >= -v_rev; s_d <= max(v_max, s_d0) + v_tol (an ego above the cap is
    allowed its current speed while it comes down); a_min <= s_dd <= a_max; s <= s_front_c.
    """
    n_T = horizons.shape[0]
    n_d = d_tgt.shape[0]
    n_v = v_tgt.shape[0]
    n_lon = n_v + 1
    n_t = lat_d.shape[1]
    pref = min(max(d_pref, d_min), d_max)
    best, best_gap = 0, np.inf
    for j in range(n_d):
        d_tgt[j] = d_min + j * (d_max - d_min) / (n_d - 1) if n_d > 1 else pref
        if abs(d_tgt[j] - pref) < best_gap:
            best, best_gap = j, abs(d_tgt[j] - pref)
    d_tgt[best] = pref
    for j in range(n_v):
        v_tgt[j] = v_max * (j + 1) / n_v
    d_lo, d_hi = min(d_min, d0), max(d_max, d0)
    v_cap = max(v_max, s_d0) + v_tol
    for iT in range(n_T):
        T = horizons[iT]
        for jd in range(n_d):
            r = iT * n_d + jd
            c0, c1, c2, c3, c4, c5 = quintic_coeffs(d0, d_d0, d_dd0, d_tgt[jd], 0.0, 0.0, T)
            lat_jerk[r] = jerk_integral(c3, c4, c5, T)
            fill_profile(c0, c1, c2, c3, c4, c5, T, dt, lat_d[r], lat_v[r], lat_a[r])
            ok = True
            for k in range(1, n_t):
                if lat_d[r, k] < d_lo or lat_d[r, k] > d_hi:
                    ok = False
                    break
            lat_ok[r] = ok
        for jl in range(n_lon):
            r = iT * n_lon + jl
            t_end = T
            if jl < n_v:
                c0, c1, c2, c3, c4, c5 = quartic_coeffs(s0, s_d0, s_dd0, v_tgt[jl], 0.0, T)
            elif math.isfinite(s_stop_c) and s_stop_c - s0 > STOP_MIN_GAP:
                t_end = stop_time(s_stop_c - s0, s_d0, iT, n_T, horizons[n_T - 1])
                c0, c1, c2, c3, c4, c5 = quintic_coeffs(s0, s_d0, s_dd0, s_stop_c, 0.0, 0.0,
                                                        t_end)
            else:
                t_end = brake_time(s_d0, s_dd0, T)
                c0, c1, c2, c3, c4, c5 = quartic_coeffs(s0, s_d0, s_dd0, 0.0, 0.0, t_end)
            lon_jerk[r] = jerk_integral(c3, c4, c5, t_end)
            fill_profile(c0, c1, c2, c3, c4, c5, t_end, dt, lon_s[r], lon_v[r], lon_a[r])
            ok = True
            for k in range(1, n_t):
                v, a = lon_v[r, k], lon_a[r, k]
                if v < -v_rev or v > v_cap or a < a_min or a > a_max or lon_s[r, k] > s_front_c:
                    ok = False
                    break
            lon_ok[r] = ok


@nb.njit(cache=True)
def path_point(s0, ds, px, py, ph, pk, s):
    """Centreline x, y [m], heading [rad], kappa [1/m] at arc length s [m] on a path sampled
    at uniform step ds from s0; straight along the end heading (kappa 0) beyond the ends."""
    m = px.shape[0]
    u = (s - s0) / ds
    if u < 0.0:
        e = s - s0
        return px[0] + e * math.cos(ph[0]), py[0] + e * math.sin(ph[0]), ph[0], 0.0
    if u > m - 1:
        e = s - (s0 + (m - 1) * ds)
        h = ph[m - 1]
        return px[m - 1] + e * math.cos(h), py[m - 1] + e * math.sin(h), h, 0.0
    i = min(int(u), m - 2)
    f = u - i
    return (px[i] + f * (px[i + 1] - px[i]), py[i] + f * (py[i + 1] - py[i]),
            ph[i] + f * (ph[i + 1] - ph[i]), pk[i] + f * (pk[i + 1] - pk[i]))


@nb.njit(cache=True)
def cartesian_point(rx, ry, ch, sh, kr, s_d, s_dd, d, d_d, d_dd, cy_prev, sy_prev):
    """Frenet state -> Cartesian x, y [m], cos/sin of yaw, speed v [m/s], tangential
    acceleration a [m/s^2], curvature kappa [1/m], and 1 - kappa_ref * d.

    Reference point (rx, ry), heading cos/sin (ch, sh), curvature kr. The velocity in the
    path frame is (s_d (1 - kr d), d_d); its derivative adds the frame's rotation kr s_d
    (dkappa/ds neglected). Below V_EPS, or moving backwards, the yaw is (cy_prev, sy_prev)
    and kappa that of the offset curve, kr / (1 - kr d).
    """
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


@nb.njit(cache=True)
def lattice_evaluate(s0_path, ds, px, py, ph, pk, horizons, d_tgt, d_pref, v_max,
                     stop_line, kappa_max, v_kappa, weights,
                     lat_d, lat_v, lat_a, lat_ok, lat_jerk, lon_s, lon_v, lon_a, lon_ok, lon_jerk,
                     ref_x, ref_y, ref_c, ref_sn, ref_k,
                     x, y, cyaw, syaw, v, a, kappa, feasible, cost):
    """Cartesian rows, curvature feasibility and cost of every candidate.

    Path (s0_path, ds, px, py, ph, pk: (m,)); profiles from :func:`lattice_profiles`.
    Work rows ref_* (n_lon_rows, n_t) hold the centreline point of each longitudinal row.
    Outputs x, y [m], cyaw, syaw, v [m/s], a [m/s^2], kappa [1/m]: (n_cand, n_t) (rows of
    infeasible candidates are left partly written); feasible (n_cand,) bool; cost (n_cand,)
    (inf when infeasible). Curvature is checked only at speed >= v_kappa [m/s]: near a stop
    the path curvature of a joint lateral/longitudinal quintic is unbounded yet harmless.
    Cost = w0 J_lat + w1 J_lon + w2 T + w3 |d_target - d_pref| + w4 (v_end - v_max)^2
    - w5 (s_end - s_start), end values at the last grid step. With a stop line (stop_line
    true) the stopping mode's speed term is 0: standing at the line is its target, so once a
    comfortable stop there is feasible it beats creeping up to the line slowly.
    """
    n_T = horizons.shape[0]
    n_d = d_tgt.shape[0]
    n_lon = lon_s.shape[0] // n_T
    n_t = lon_s.shape[1]
    for r in range(lon_s.shape[0]):
        if not lon_ok[r]:
            continue
        for k in range(n_t):
            rx, ry, h, kr = path_point(s0_path, ds, px, py, ph, pk, lon_s[r, k])
            ref_x[r, k] = rx
            ref_y[r, k] = ry
            ref_c[r, k] = math.cos(h)
            ref_sn[r, k] = math.sin(h)
            ref_k[r, k] = kr
    for i in range(feasible.shape[0]):
        iT = i // (n_d * n_lon)
        jd = (i // n_lon) % n_d
        lr = iT * n_d + jd
        sr = iT * n_lon + i % n_lon
        feasible[i] = False
        cost[i] = np.inf
        if not (lat_ok[lr] and lon_ok[sr]):
            continue
        cp, sp = ref_c[sr, 0], ref_sn[sr, 0]
        ok = True
        for k in range(n_t):
            xk, yk, cp, sp, vk, ak, kk, one_kd = cartesian_point(
                ref_x[sr, k], ref_y[sr, k], ref_c[sr, k], ref_sn[sr, k], ref_k[sr, k],
                lon_v[sr, k], lon_a[sr, k], lat_d[lr, k], lat_v[lr, k], lat_a[lr, k], cp, sp)
            x[i, k] = xk
            y[i, k] = yk
            cyaw[i, k] = cp
            syaw[i, k] = sp
            v[i, k] = vk
            a[i, k] = ak
            kappa[i, k] = kk
            if one_kd < MIN_ONE_KD or (vk >= v_kappa and abs(kk) > kappa_max):
                ok = False
                break
        if not ok:
            continue
        feasible[i] = True
        dv = 0.0 if stop_line and i % n_lon == n_lon - 1 else lon_v[sr, n_t - 1] - v_max
        cost[i] = (weights[0] * lat_jerk[lr] + weights[1] * lon_jerk[sr]
                   + weights[2] * horizons[iT] + weights[3] * abs(d_tgt[jd] - d_pref)
                   + weights[4] * dv * dv - weights[5] * (lon_s[sr, n_t - 1] - lon_s[sr, 0]))


@nb.njit(cache=True)
def frenet_to_cartesian(s0_path, ds, px, py, ph, pk, s, s_d, s_dd, d, d_d, d_dd,
                        x, y, cyaw, syaw, v, a, kappa):
    """One Frenet row (n,) -> Cartesian rows (n,) (see :func:`cartesian_point`); the yaw of
    a standing start is the path heading."""
    cp, sp = 1.0, 0.0
    for k in range(s.shape[0]):
        rx, ry, h, kr = path_point(s0_path, ds, px, py, ph, pk, s[k])
        if k == 0:
            cp, sp = math.cos(h), math.sin(h)
        x[k], y[k], cp, sp, v[k], a[k], kappa[k], _ = cartesian_point(
            rx, ry, math.cos(h), math.sin(h), kr, s_d[k], s_dd[k], d[k], d_d[k], d_dd[k], cp, sp)
        cyaw[k] = cp
        syaw[k] = sp


@nb.njit(cache=True)
def separated(dx, dy, c1, s1, hl1, hw1, c2, s2, hl2, hw2):
    """Separating-axis test of two oriented boxes: centre offset (dx, dy) [m] of box 2 from
    box 1, heading cos/sin, half length/width [m]. True if one of the four box axes
    separates them (touching boxes are not separated). The projections of a box on its own
    axes are its half sizes, and on the other box's axes they need only the cos/sin of the
    relative heading, so the four tests are written out."""
    cr = abs(c1 * c2 + s1 * s2)
    sr = abs(s1 * c2 - c1 * s2)
    if abs(dx * c1 + dy * s1) > hl1 + hl2 * cr + hw2 * sr:
        return True
    if abs(dy * c1 - dx * s1) > hw1 + hl2 * sr + hw2 * cr:
        return True
    if abs(dx * c2 + dy * s2) > hl2 + hl1 * cr + hw1 * sr:
        return True
    return abs(dy * c2 - dx * s2) > hw2 + hl1 * sr + hw1 * cr


FAR = 1e150  # [m] stand-in position of a missing prediction: never within reach


@nb.njit(cache=True)
def _obstacle_tables(ox, oy, oyaw, olength, owidth, ovalid, ego_r):
    """Positions with FAR where no prediction exists (so the bounding-circle pass needs
    no validity test), cos/sin of the yaws (n_obs, n_t), and the squared reach (ego +
    obstacle bounding radii) per obstacle (n_obs,)."""
    n_obs, n_t = ox.shape
    tx = np.full((n_obs, n_t), FAR)
    ty = np.full((n_obs, n_t), FAR)
    tc = np.ones((n_obs, n_t))
    ts = np.zeros((n_obs, n_t))
    reach2 = np.empty(n_obs)
    for j in range(n_obs):
        r = ego_r + 0.5 * math.sqrt(olength[j] * olength[j] + owidth[j] * owidth[j])
        reach2[j] = r * r
        for k in range(n_t):
            if ovalid[j, k]:
                tx[j, k] = ox[j, k]
                ty[j, k] = oy[j, k]
                tc[j, k] = math.cos(oyaw[j, k])
                ts[j, k] = math.sin(oyaw[j, k])
    return tx, ty, tc, ts, reach2


@nb.njit(cache=True)
def _hits(i, near, x, y, cyaw, syaw, yaw, use_yaw, hl, hw, ox, oy, tc, ts, reach2, olength,
          owidth):
    """True if row i's ego box meets an obstacle box at the same step, trying obstacle j
    from its first near step near[j] on; the ego heading is yaw[i] when use_yaw (cos/sin
    taken only for near poses), else cyaw[i], syaw[i]."""
    n_obs, n_t = ox.shape
    for j in range(n_obs):
        for k in range(near[j], n_t):
            dx = ox[j, k] - x[i, k]
            dy = oy[j, k] - y[i, k]
            if dx * dx + dy * dy > reach2[j]:
                continue
            if use_yaw:
                c, s = math.cos(yaw[i, k]), math.sin(yaw[i, k])
            else:
                c, s = cyaw[i, k], syaw[i, k]
            if not separated(dx, dy, c, s, hl, hw, tc[j, k], ts[j, k], 0.5 * olength[j],
                             0.5 * owidth[j]):
                return True
    return False


@nb.njit(cache=True)
def _collisions(x, y, cyaw, syaw, yaw, use_yaw, check, ego_length, ego_width, margin,
                ox, oy, oyaw, olength, owidth, ovalid, out):
    hl = 0.5 * ego_length + margin
    hw = 0.5 * ego_width + margin
    ox, oy, tc, ts, reach2 = _obstacle_tables(ox, oy, oyaw, olength, owidth, ovalid,
                                              math.sqrt(hl * hl + hw * hw))
    n_obs, n_t = ox.shape
    near = np.empty(n_obs, np.int64)
    for i in range(out.shape[0]):
        out[i] = False
        if not check[i]:
            continue
        xi, yi = x[i], y[i]
        first = n_t
        for j in range(n_obs):
            oxj, oyj, rj = ox[j], oy[j], reach2[j]
            f = n_t
            for k in range(n_t):  # branch-free so it vectorises (the common answer: none)
                dx = oxj[k] - xi[k]
                dy = oyj[k] - yi[k]
                f = min(f, k if dx * dx + dy * dy <= rj else n_t)
            near[j] = f
            first = min(first, f)
        if first < n_t:
            out[i] = _hits(i, near, x, y, cyaw, syaw, yaw, use_yaw, hl, hw, ox, oy, tc, ts, reach2,
                           olength, owidth)


@nb.njit(cache=True)
def collision_flags_cs(x, y, cyaw, syaw, check, ego_length, ego_width, margin,
                       ox, oy, oyaw, olength, owidth, ovalid, out):
    """Collision of candidate poses with predicted obstacles, yaw given as cos/sin.

    x, y, cyaw, syaw: (n_cand, n_t) [m, -]; check: (n_cand,) bool rows to test (others get
    False); ego box ego_length x ego_width [m] centred on the pose, grown by margin [m] on
    every side; obstacles ox, oy, oyaw: (n_obs, n_t) [m, rad], olength, owidth: (n_obs,) [m],
    ovalid: (n_obs, n_t) bool. out: (n_cand,) bool, True if some step overlaps a valid
    obstacle box at the same step (bounding circles first, then the separating axis test).
    """
    _collisions(x, y, cyaw, syaw, x, False, check, ego_length, ego_width, margin,
                ox, oy, oyaw, olength, owidth, ovalid, out)


@nb.njit(cache=True)
def collision_flags(x, y, yaw, check, ego_length, ego_width, margin,
                    ox, oy, oyaw, olength, owidth, ovalid, out):
    """:func:`collision_flags_cs` with the ego yaw (n_cand, n_t) [rad]; cos/sin are taken
    only for poses that pass the bounding-circle test."""
    _collisions(x, y, x, x, yaw, True, check, ego_length, ego_width, margin,
                ox, oy, oyaw, olength, owidth, ovalid, out)
