"""Numba kernels for perception: lidar ground removal, Euclidean clustering, box fitting,
Kalman predict / gate / update for a bank of tracks, and optimal assignment.

Plain twin: :mod:`planners.perception._reference` (same signatures, same outputs).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

# -- clustering ------------------------------------------------------------------------------


@nb.njit(cache=True)
def _lower_bound(keys, target):
    lo, hi = 0, keys.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        if keys[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo


@nb.njit(cache=True)
def _cell_keys(x, y, cell, pad):
    """Cell key per point on a grid padded by ``pad`` cells on each side, so that the
    (2 pad + 1)^2 neighbourhood of any occupied cell never wraps into another row."""
    n = x.shape[0]
    xmin, ymin = np.inf, np.inf
    for i in range(n):
        xmin, ymin = min(xmin, x[i]), min(ymin, y[i])
    cx = np.empty(n, np.int64)
    cy = np.empty(n, np.int64)
    nx = 1
    for i in range(n):
        cx[i] = int((x[i] - xmin) // cell) + pad
        cy[i] = int((y[i] - ymin) // cell) + pad
        nx = max(nx, cx[i] + pad + 1)
    return cy * nx + cx, nx


@nb.njit(cache=True)
def _window_min(ukey, val, nx, c, w):
    """Lowest ``val`` over the (2w+1)^2 cells around unique cell c (sorted keys ``ukey``)."""
    lv = np.inf
    for dyc in range(-w, w + 1):
        for dxc in range(-w, w + 1):
            t = ukey[c] + dyc * nx + dxc
            b = _lower_bound(ukey, t)
            if b < ukey.shape[0] and ukey[b] == t:
                lv = min(lv, val[b])
    return lv


@nb.njit(cache=True)
def _min_filter(grid, nx, ny, r):
    """Minimum over the (2r+1)^2 window around each cell of a row-major (ny, nx) grid."""
    rows = np.empty(nx * ny)
    for cy in range(ny):
        for cx in range(nx):
            m = np.inf
            for k in range(max(cx - r, 0), min(cx + r + 1, nx)):
                m = min(m, grid[cy * nx + k])
            rows[cy * nx + cx] = m
    out = np.empty(nx * ny)
    for cy in range(ny):
        for cx in range(nx):
            m = np.inf
            for k in range(max(cy - r, 0), min(cy + r + 1, ny)):
                m = min(m, rows[k * nx + cx])
            out[cy * nx + cx] = m
    return out


@nb.njit(cache=True)
def ground_keep(x, y, z, use_grid, ground_z, cell, margin, window, max_step, max_z, out_keep):
    """Mark the points that are neither ground nor overhead.

    x, y, z: (k,) float64 [m] world frame, z up; out_keep: (k,) bool.
    Without ``use_grid`` a point is ground when z <= ground_z [m]. With it the ground level
    of a point is the lowest z in the 3 x 3 cells of size ``cell`` [m] around it, and the
    point is ground when z <= level + margin [m] -- unless that level stands more than
    ``max_step`` [m] above the lowest level within ``window`` cells: then the ground there
    is hidden (under a truck roof, say) and the level is the object's own bottom.
    Points above ``max_z`` [m] (bridges, tree crowns) are dropped as well.
    """
    n = x.shape[0]
    if not use_grid or n == 0:
        for i in range(n):
            out_keep[i] = ground_z < z[i] <= max_z
        return
    w = max(window, 1)
    key, nx = _cell_keys(x, y, cell, w)
    ny = 0
    for i in range(n):
        ny = max(ny, key[i] // nx + w + 1)
    if nx * ny <= 4 * n + 250_000:  # a dense grid is small: separable min filters, O(cells)
        low = np.full(nx * ny, np.inf)
        for i in range(n):
            low[key[i]] = min(low[key[i]], z[i])
        level = _min_filter(low, nx, ny, 1)
        wide = _min_filter(low, nx, ny, w)
        for i in range(n):
            c = key[i]
            ground = level[c] - wide[c] <= max_step and z[i] <= level[c] + margin
            out_keep[i] = (not ground) and z[i] <= max_z
        return
    order = np.argsort(key, kind="mergesort")
    ukey = np.empty(n, np.int64)
    umin = np.empty(n)
    slot = np.empty(n, np.int64)
    u = -1
    for a in range(n):
        i = order[a]
        if u < 0 or key[i] != ukey[u]:
            u += 1
            ukey[u], umin[u] = key[i], z[i]
        else:
            umin[u] = min(umin[u], z[i])
        slot[i] = u
    nu = u + 1
    ukey = ukey[:nu]
    level = np.empty(nu)
    for c in range(nu):
        level[c] = _window_min(ukey, umin, nx, c, 1)
    hidden = np.empty(nu, np.bool_)
    for c in range(nu):
        hidden[c] = level[c] - _window_min(ukey, umin, nx, c, w) > max_step
    for i in range(n):
        c = slot[i]
        ground = (not hidden[c]) and z[i] <= level[c] + margin
        out_keep[i] = (not ground) and z[i] <= max_z


@nb.njit(cache=True)
def _find(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]  # path halving keeps later finds short
        i = parent[i]
    return i


@nb.njit(cache=True)
def cluster_labels(x, y, eps, out_label):
    """Connected components of the graph "xy distance <= eps [m]" (z ignored: objects on a
    road stand upright, so their footprints separate them).

    x, y: (k,) float64 [m]; out_label: (k,) int64 cluster index, clusters numbered in order
    of their lowest point index. Returns the number of clusters.
    """
    n = x.shape[0]
    if n == 0:
        return 0
    key, nx = _cell_keys(x, y, eps, 1)
    order = np.argsort(key, kind="mergesort")
    keys = key[order]
    parent = np.arange(n)
    eps2 = eps * eps
    for a in range(n):
        i = order[a]
        for dyc in range(-1, 2):
            for dxc in range(-1, 2):
                b = _lower_bound(keys, key[i] + dyc * nx + dxc)
                while b < n and keys[b] == key[i] + dyc * nx + dxc:
                    j = order[b]
                    b += 1
                    if j <= i:
                        continue
                    ri, rj = _find(parent, i), _find(parent, j)
                    if ri == rj:
                        continue
                    if (x[j] - x[i]) ** 2 + (y[j] - y[i]) ** 2 <= eps2:
                        # the smaller index becomes the root: the result is order-free
                        if ri < rj:
                            parent[rj] = ri
                        else:
                            parent[ri] = rj
    root_label = np.full(n, -1, np.int64)
    m = 0
    for i in range(n):
        r = _find(parent, i)
        if root_label[r] < 0:
            root_label[r] = m
            m += 1
        out_label[i] = root_label[r]
    return m


@nb.njit(cache=True)
def _rect_area(x, y, idx, a, b, theta):
    c, s = math.cos(theta), math.sin(theta)
    u0, u1, v0, v1 = np.inf, -np.inf, np.inf, -np.inf
    for q in range(a, b):
        i = idx[q]
        u = x[i] * c + y[i] * s
        v = -x[i] * s + y[i] * c
        u0, u1, v0, v1 = min(u0, u), max(u1, u), min(v0, v), max(v1, v)
    return (u1 - u0) * (v1 - v0), u0, u1, v0, v1


@nb.njit(cache=True)
def fit_boxes(x, y, z, label, n_clusters, min_points, max_points, n_angles, out_x, out_y,
              out_yaw, out_length, out_width, out_height, out_n):
    """Minimum-area rectangle of each cluster, by search over the box angle.

    x, y, z: (k,) float64 [m]; label: (k,) int64 from :func:`cluster_labels`.
    The angle runs over [0, pi/2) in ``n_angles`` steps, then ten finer steps either side
    of the best one. Outputs (n_clusters,) float64: centre out_x, out_y [m], out_yaw [rad]
    of the long side in (-pi/2, pi/2], out_length >= out_width [m], out_height = z extent
    [m]; out_n int64 point count. Clusters outside [min_points, max_points] get NaN boxes.
    """
    n = x.shape[0]
    ptr = np.zeros(n_clusters + 1, np.int64)
    for i in range(n):
        ptr[label[i] + 1] += 1
    for c in range(n_clusters):
        ptr[c + 1] += ptr[c]
    fill = ptr[:-1].copy()
    idx = np.empty(n, np.int64)
    for i in range(n):
        idx[fill[label[i]]] = i
        fill[label[i]] += 1
    step = 0.5 * math.pi / n_angles
    for c in range(n_clusters):
        a, b = ptr[c], ptr[c + 1]
        out_n[c] = b - a
        if b - a < min_points or b - a > max_points:
            out_x[c] = out_y[c] = out_yaw[c] = np.nan
            out_length[c] = out_width[c] = out_height[c] = np.nan
            continue
        best, best_t = np.inf, 0.0
        for k in range(n_angles):
            area = _rect_area(x, y, idx, a, b, k * step)[0]
            if area < best:
                best, best_t = area, k * step
        coarse = best_t
        for k in range(-10, 11):
            t = coarse + k * step / 10.0
            area = _rect_area(x, y, idx, a, b, t)[0]
            if area < best:
                best, best_t = area, t
        _, u0, u1, v0, v1 = _rect_area(x, y, idx, a, b, best_t)
        cs, sn = math.cos(best_t), math.sin(best_t)
        um, vm = 0.5 * (u0 + u1), 0.5 * (v0 + v1)
        out_x[c] = um * cs - vm * sn
        out_y[c] = um * sn + vm * cs
        yaw = best_t
        if u1 - u0 >= v1 - v0:
            out_length[c], out_width[c] = u1 - u0, v1 - v0
        else:
            out_length[c], out_width[c] = v1 - v0, u1 - u0
            yaw += 0.5 * math.pi
        while yaw > 0.5 * math.pi:
            yaw -= math.pi
        while yaw <= -0.5 * math.pi:
            yaw += math.pi
        out_yaw[c] = yaw
        z0, z1 = np.inf, -np.inf
        for q in range(a, b):
            z0, z1 = min(z0, z[idx[q]]), max(z1, z[idx[q]])
        out_height[c] = z1 - z0


# -- Kalman filters ----------------------------------------------------------------------------


@nb.njit(cache=True)
def _wrap(a):
    return (a + math.pi) % (2.0 * math.pi) - math.pi


@nb.njit(cache=True)
def _propagate(P, i, F, Q, tmp):
    """P[i] <- F P[i] F^T + Q, symmetrised (round-off would otherwise drift it)."""
    n = F.shape[0]
    for r in range(n):
        for c in range(n):
            acc = 0.0
            for k in range(n):
                acc += F[r, k] * P[i, k, c]
            tmp[r, c] = acc
    for r in range(n):
        for c in range(n):
            acc = 0.0
            for k in range(n):
                acc += tmp[r, k] * F[c, k]
            tmp[n + r, c] = acc + Q[r, c]
    for r in range(n):
        for c in range(n):
            P[i, r, c] = 0.5 * (tmp[n + r, c] + tmp[n + c, r])


@nb.njit(cache=True)
def cv_predict(active, X, P, dt, accel_sigma):
    """Constant-velocity predict of every active track by dt [s], in place.

    active: (cap,) bool; X: (cap, 4) [x, y, vx, vy] in [m, m, m/s, m/s]; P: (cap, 4, 4).
    Process noise: white acceleration of std ``accel_sigma`` [m/s^2] on each axis, held
    over the step (discrete white-noise acceleration model).
    """
    F = np.eye(4)
    F[0, 2] = F[1, 3] = dt
    q = accel_sigma * accel_sigma
    Q = np.zeros((4, 4))
    for ax in range(2):
        Q[ax, ax] = 0.25 * dt ** 4 * q
        Q[ax, ax + 2] = Q[ax + 2, ax] = 0.5 * dt ** 3 * q
        Q[ax + 2, ax + 2] = dt * dt * q
    tmp = np.empty((8, 4))
    for i in range(X.shape[0]):
        if not active[i]:
            continue
        X[i, 0] += dt * X[i, 2]
        X[i, 1] += dt * X[i, 3]
        _propagate(P, i, F, Q, tmp)


@nb.njit(cache=True)
def ctrv_predict(active, X, P, dt, accel_sigma, yaw_accel_sigma):
    """Constant turn rate and velocity (EKF) predict of every active track, in place.

    X: (cap, 5) [x, y, v, yaw, yaw_rate] in [m, m, m/s, rad, rad/s]; P: (cap, 5, 5).
    Process noise: longitudinal acceleration std ``accel_sigma`` [m/s^2] and yaw
    acceleration std ``yaw_accel_sigma`` [rad/s^2], mapped through the motion.
    """
    F = np.eye(5)
    Q = np.zeros((5, 5))
    G = np.zeros((5, 2))
    tmp = np.empty((10, 5))
    qa, qw = accel_sigma ** 2, yaw_accel_sigma ** 2
    for i in range(X.shape[0]):
        if not active[i]:
            continue
        px, py, v, h, w = X[i, 0], X[i, 1], X[i, 2], X[i, 3], X[i, 4]
        ch, sh = math.cos(h), math.sin(h)
        if abs(w) > 1e-4:
            h1 = h + w * dt
            c1, s1 = math.cos(h1), math.sin(h1)
            X[i, 0] = px + v / w * (s1 - sh)
            X[i, 1] = py + v / w * (ch - c1)
            F[0, 2] = (s1 - sh) / w
            F[0, 3] = v / w * (c1 - ch)
            F[0, 4] = v * dt * c1 / w - v / (w * w) * (s1 - sh)
            F[1, 2] = (ch - c1) / w
            F[1, 3] = v / w * (s1 - sh)
            F[1, 4] = v * dt * s1 / w - v / (w * w) * (ch - c1)
        else:  # straight-line limit of the same motion, avoiding 0/0
            X[i, 0] = px + v * ch * dt
            X[i, 1] = py + v * sh * dt
            F[0, 2], F[0, 3], F[0, 4] = ch * dt, -v * sh * dt, -0.5 * v * dt * dt * sh
            F[1, 2], F[1, 3], F[1, 4] = sh * dt, v * ch * dt, 0.5 * v * dt * dt * ch
        F[3, 4] = dt
        X[i, 3] = _wrap(h + w * dt)
        G[0, 0], G[1, 0], G[2, 0] = 0.5 * dt * dt * ch, 0.5 * dt * dt * sh, dt
        G[3, 1], G[4, 1] = 0.5 * dt * dt, dt
        for r in range(5):
            for c in range(5):
                Q[r, c] = G[r, 0] * G[c, 0] * qa + G[r, 1] * G[c, 1] * qw
        _propagate(P, i, F, Q, tmp)


@nb.njit(cache=True)
def gate_costs(active, X, P, mx, my, mvar, gate_d2, gate_dist, out_cost):
    """Association cost of every (track, measurement) pair on position.

    X: (cap, nx) with x, y [m] first; P: (cap, nx, nx); mx, my: (k,) float64 [m];
    mvar: (k,) float64 [m^2] position variance per axis; out_cost: (cap, k) float64.
    Cost = d^2 + ln det S (Mahalanobis distance plus the normaliser of the Gaussian
    likelihood, so that an uncertain track does not attract everything); inf where the
    track is inactive, the distance exceeds ``gate_dist`` [m] or d^2 exceeds ``gate_d2``.
    """
    g2 = gate_dist * gate_dist
    for i in range(X.shape[0]):
        for j in range(mx.shape[0]):
            out_cost[i, j] = np.inf
            if not active[i]:
                continue
            dx, dy = mx[j] - X[i, 0], my[j] - X[i, 1]
            if dx * dx + dy * dy > g2:
                continue
            s00, s11, s01 = P[i, 0, 0] + mvar[j], P[i, 1, 1] + mvar[j], P[i, 0, 1]
            det = s00 * s11 - s01 * s01
            d2 = (s11 * dx * dx - 2.0 * s01 * dx * dy + s00 * dy * dy) / det
            if d2 <= gate_d2:
                out_cost[i, j] = d2 + math.log(det)


@nb.njit(cache=True)
def kf_update(rows, cols, X, P, Z, R, comp, angle_comp):
    """Kalman update of track rows[q] with measurement cols[q], for every q, in place.

    Measurement components are direct observations of state entries (H has unit rows) with
    independent noise, so the update is done one scalar component at a time (equivalent
    to the joint update, without a matrix inverse). Z: (k, nz) values; R: (k, nz)
    variances, NaN where a component was not measured; comp: (nz,) int64 state index of
    each component; angle_comp: state index whose innovation is wrapped to [-pi, pi) (-1
    none). rows, cols: (q,) int64.
    """
    nx = X.shape[1]
    gain = np.empty(nx)
    prow = np.empty(nx)
    for q in range(rows.shape[0]):
        i, j = rows[q], cols[q]
        for c in range(comp.shape[0]):
            r = R[j, c]
            if not (r >= 0.0 and r < np.inf and math.isfinite(Z[j, c])):
                continue
            k = comp[c]
            innov = Z[j, c] - X[i, k]
            if k == angle_comp:
                innov = _wrap(innov)
            s = P[i, k, k] + r
            for a in range(nx):
                prow[a] = P[i, k, a]
                gain[a] = P[i, a, k] / s
            for a in range(nx):
                X[i, a] += gain[a] * innov
            for a in range(nx):
                for b in range(nx):
                    P[i, a, b] -= gain[a] * prow[b]
        for a in range(nx):
            for b in range(a + 1, nx):
                m = 0.5 * (P[i, a, b] + P[i, b, a])
                P[i, a, b] = P[i, b, a] = m
        if angle_comp >= 0:
            X[i, angle_comp] = _wrap(X[i, angle_comp])


# -- assignment --------------------------------------------------------------------------------


@nb.njit(cache=True)
def assign_min_cost(cost, out_col):
    """Optimal assignment (Hungarian method, shortest augmenting paths with potentials,
    O(n^2 m)) minimising the summed cost of min(n, m) pairs.

    cost: (n, m) float64, all finite; out_col: (n,) int64 column of each row, -1 if none.
    Returns the total cost. A wide matrix is solved as is, a tall one transposed.
    """
    n, m = cost.shape
    out_col[:] = -1
    tr = n > m
    nr, nc = (m, n) if tr else (n, m)
    if nr == 0:
        return 0.0
    u = np.zeros(nr + 1)
    v = np.zeros(nc + 1)
    p = np.zeros(nc + 1, np.int64)  # p[j]: row (1-based) holding column j, 0 none
    way = np.zeros(nc + 1, np.int64)
    minv = np.empty(nc + 1)
    used = np.empty(nc + 1, np.bool_)
    for i in range(1, nr + 1):
        p[0] = i
        j0 = 0
        minv[:] = np.inf
        used[:] = False
        while True:
            used[j0] = True
            i0 = p[j0]
            delta, j1 = np.inf, 0
            for j in range(1, nc + 1):
                if not used[j]:
                    cij = cost[j - 1, i0 - 1] if tr else cost[i0 - 1, j - 1]
                    cur = cij - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(nc + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0 != 0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    total = 0.0
    for j in range(1, nc + 1):
        if p[j] != 0:
            if tr:
                out_col[j - 1] = p[j] - 1
                total += cost[j - 1, p[j] - 1]
            else:
                out_col[p[j] - 1] = j - 1
                total += cost[p[j] - 1, j - 1]
    return total
