"""Plain Python / NumPy twin of :mod:`planners.perception._kernels`: same signatures, same
outputs (floats to round-off), written for clarity rather than speed. A dict replaces the
sorted cell keys; NumPy matrix products replace the hand-written loops."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np


def ground_keep_ref(x, y, z, use_grid, ground_z, cell, margin, window, max_step, max_z,
                    out_keep):
    if not use_grid or len(x) == 0:
        out_keep[:] = (z > ground_z) & (z <= max_z)
        return
    cx = ((x - x.min()) // cell).astype(np.int64)
    cy = ((y - y.min()) // cell).astype(np.int64)
    low: dict[tuple[int, int], float] = {}
    for i in range(len(x)):
        k = (int(cx[i]), int(cy[i]))
        low[k] = min(low.get(k, np.inf), float(z[i]))

    def window_min(k, w):
        return min(low.get((k[0] + a, k[1] + b), np.inf)
                   for a in range(-w, w + 1) for b in range(-w, w + 1))

    level = {k: window_min(k, 1) for k in low}
    hidden = {k: level[k] - window_min(k, max(window, 1)) > max_step for k in low}
    for i in range(len(x)):
        k = (int(cx[i]), int(cy[i]))
        ground = not hidden[k] and z[i] <= level[k] + margin
        out_keep[i] = (not ground) and z[i] <= max_z


def cluster_labels_ref(x, y, eps, out_label):
    n = len(x)
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            i = parent[i]
        return i

    cells: dict[tuple[int, int], list[int]] = {}
    for i in range(n):
        cells.setdefault((math.floor(x[i] / eps), math.floor(y[i] / eps)), []).append(i)
    for (cx, cy), members in cells.items():
        near = [j for a in (-1, 0, 1) for b in (-1, 0, 1) for j in cells.get((cx + a, cy + b), [])]
        for i in members:
            for j in near:
                if j > i and (x[j] - x[i]) ** 2 + (y[j] - y[i]) ** 2 <= eps * eps:
                    ri, rj = find(i), find(j)
                    parent[max(ri, rj)] = min(ri, rj)
    labels: dict[int, int] = {}
    for i in range(n):
        out_label[i] = labels.setdefault(find(i), len(labels))
    return len(labels)


def _area(px, py, theta):
    u = px * math.cos(theta) + py * math.sin(theta)
    v = -px * math.sin(theta) + py * math.cos(theta)
    return (u.max() - u.min()) * (v.max() - v.min()), u.min(), u.max(), v.min(), v.max()


def fit_boxes_ref(x, y, z, label, n_clusters, min_points, max_points, n_angles, out_x, out_y,
                  out_yaw, out_length, out_width, out_height, out_n):
    step = 0.5 * math.pi / n_angles
    for c in range(n_clusters):
        sel = np.flatnonzero(label == c)
        out_n[c] = len(sel)
        if not min_points <= len(sel) <= max_points:
            for out in (out_x, out_y, out_yaw, out_length, out_width, out_height):
                out[c] = np.nan
            continue
        px, py = x[sel], y[sel]
        coarse = min((k * step for k in range(n_angles)), key=lambda t: _area(px, py, t)[0])
        cands = [k * step for k in range(n_angles)] + [coarse + k * step / 10 for k in
                                                       range(-10, 11)]
        best = min(cands, key=lambda t: _area(px, py, t)[0])  # first of equal areas wins
        _, u0, u1, v0, v1 = _area(px, py, best)
        um, vm = (u0 + u1) / 2, (v0 + v1) / 2
        out_x[c] = um * math.cos(best) - vm * math.sin(best)
        out_y[c] = um * math.sin(best) + vm * math.cos(best)
        yaw = best if u1 - u0 >= v1 - v0 else best + math.pi / 2
        out_length[c], out_width[c] = max(u1 - u0, v1 - v0), min(u1 - u0, v1 - v0)
        out_yaw[c] = -(((-yaw) + math.pi / 2) % math.pi - math.pi / 2)  # into (-pi/2, pi/2]
        out_height[c] = z[sel].max() - z[sel].min()


def _wrap(a):
    return (a + math.pi) % (2.0 * math.pi) - math.pi


def cv_predict_ref(active, X, P, dt, accel_sigma):
    F = np.eye(4)
    F[0, 2] = F[1, 3] = dt
    g = np.array([[0.5 * dt * dt, 0], [0, 0.5 * dt * dt], [dt, 0], [0, dt]])
    Q = g @ g.T * accel_sigma ** 2
    for i in np.flatnonzero(active):
        X[i] = F @ X[i]
        Pn = F @ P[i] @ F.T + Q
        P[i] = 0.5 * (Pn + Pn.T)


def ctrv_predict_ref(active, X, P, dt, accel_sigma, yaw_accel_sigma):
    for i in np.flatnonzero(active):
        px, py, v, h, w = X[i]
        F = np.eye(5)
        F[3, 4] = dt
        if abs(w) > 1e-4:
            h1 = h + w * dt
            X[i, 0] = px + v / w * (math.sin(h1) - math.sin(h))
            X[i, 1] = py + v / w * (math.cos(h) - math.cos(h1))
            F[0, 2:] = [(math.sin(h1) - math.sin(h)) / w, v / w * (math.cos(h1) - math.cos(h)),
                        v * dt * math.cos(h1) / w - v / w ** 2 * (math.sin(h1) - math.sin(h))]
            F[1, 2:] = [(math.cos(h) - math.cos(h1)) / w, v / w * (math.sin(h1) - math.sin(h)),
                        v * dt * math.sin(h1) / w - v / w ** 2 * (math.cos(h) - math.cos(h1))]
        else:
            X[i, 0] = px + v * math.cos(h) * dt
            X[i, 1] = py + v * math.sin(h) * dt
            F[0, 2:] = [math.cos(h) * dt, -v * math.sin(h) * dt, -v * dt * dt * math.sin(h) / 2]
            F[1, 2:] = [math.sin(h) * dt, v * math.cos(h) * dt, v * dt * dt * math.cos(h) / 2]
        X[i, 3] = _wrap(h + w * dt)
        G = np.array([[dt * dt / 2 * math.cos(h), 0], [dt * dt / 2 * math.sin(h), 0], [dt, 0],
                      [0, dt * dt / 2], [0, dt]])
        Q = G @ np.diag([accel_sigma ** 2, yaw_accel_sigma ** 2]) @ G.T
        Pn = F @ P[i] @ F.T + Q
        P[i] = 0.5 * (Pn + Pn.T)


def gate_costs_ref(active, X, P, mx, my, mvar, gate_d2, gate_dist, out_cost):
    out_cost[:] = np.inf
    for i in np.flatnonzero(active):
        for j in range(len(mx)):
            r = np.array([mx[j] - X[i, 0], my[j] - X[i, 1]])
            if math.hypot(*r) > gate_dist:
                continue
            S = P[i, :2, :2] + np.eye(2) * mvar[j]
            d2 = float(r @ np.linalg.solve(S, r))
            if d2 <= gate_d2:
                out_cost[i, j] = d2 + math.log(np.linalg.det(S))


def kf_update_ref(rows, cols, X, P, Z, R, comp, angle_comp):
    """Joint (matrix) update over the measured components: checks the scalar sequence."""
    nx = X.shape[1]
    for i, j in zip(rows, cols):
        ok = np.isfinite(R[j]) & (R[j] >= 0) & np.isfinite(Z[j])
        if not ok.any():
            continue
        H = np.eye(nx)[comp[ok]]
        innov = Z[j, ok] - H @ X[i]
        for q, k in enumerate(comp[ok]):
            if k == angle_comp:
                innov[q] = _wrap(innov[q])
        S = H @ P[i] @ H.T + np.diag(R[j, ok])
        K = P[i] @ H.T @ np.linalg.inv(S)
        X[i] = X[i] + K @ innov
        Pn = (np.eye(nx) - K @ H) @ P[i]
        P[i] = 0.5 * (Pn + Pn.T)
        if angle_comp >= 0:
            X[i, angle_comp] = _wrap(X[i, angle_comp])


def assign_min_cost_ref(cost, out_col):
    """Same Hungarian method as the kernel, on Python lists."""
    n, m = cost.shape
    out_col[:] = -1
    tr = n > m
    c = cost.T.tolist() if tr else cost.tolist()
    nr, nc = (m, n) if tr else (n, m)
    u, v, p, way = [0.0] * (nr + 1), [0.0] * (nc + 1), [0] * (nc + 1), [0] * (nc + 1)
    for i in range(1, nr + 1):
        p[0], j0 = i, 0
        minv, used = [math.inf] * (nc + 1), [False] * (nc + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = p[j0], math.inf, 0
            row = c[i0 - 1]
            for j in range(1, nc + 1):
                if not used[j]:
                    cur = row[j - 1] - u[i0] - v[j]
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
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    total = 0.0
    for j in range(1, nc + 1):
        if p[j]:
            r, col = (j - 1, p[j] - 1) if tr else (p[j] - 1, j - 1)
            out_col[r] = col
            total += cost[r, col]
    return total


def as_kernels() -> SimpleNamespace:
    """The reference functions under the kernel names, to swap in for
    :mod:`planners.perception._kernels` (benchmarks, equivalence tests)."""
    return SimpleNamespace(
        ground_keep=ground_keep_ref, cluster_labels=cluster_labels_ref,
        fit_boxes=fit_boxes_ref, cv_predict=cv_predict_ref, ctrv_predict=ctrv_predict_ref,
        gate_costs=gate_costs_ref, kf_update=kf_update_ref, assign_min_cost=assign_min_cost_ref)
