"""Oriented-box collision check of candidate trajectories against predicted obstacles.

``check_collisions`` runs the Numba kernel; ``check_collisions_numpy`` is the same test
written with whole-array NumPy operations (the benchmark baseline). Both take the ego poses
as arrays and the obstacles as any object with the fields of
:class:`planners.lattice.planner.Obstacles` (x, y, yaw, length, width, valid).
Touching boxes count as colliding.
"""

from __future__ import annotations

import numpy as np

from planners.lattice import _kernels as K


def _obstacle_arrays(obstacles, n_t):
    ox = np.ascontiguousarray(obstacles.x, dtype=np.float64)
    if ox.ndim != 2 or ox.shape[1] != n_t:
        raise ValueError(f"obstacle predictions must have shape (n_obs, {n_t})")
    return (ox, np.ascontiguousarray(obstacles.y, dtype=np.float64),
            np.ascontiguousarray(obstacles.yaw, dtype=np.float64),
            np.ascontiguousarray(obstacles.length, dtype=np.float64),
            np.ascontiguousarray(obstacles.width, dtype=np.float64),
            np.ascontiguousarray(obstacles.valid, dtype=np.bool_))


def check_collisions(x, y, yaw, obstacles, ego_length: float, ego_width: float,
                     margin: float = 0.0, check=None) -> np.ndarray:
    """(n_cand,) bool: candidate i's ego box meets an obstacle box at some common step.

    x, y, yaw: (n_cand, n_t) float64 [m, m, rad], ego box ego_length x ego_width [m]
    centred on each pose and grown by ``margin`` [m] on every side; check: (n_cand,) bool
    rows to test (default all; untested rows are False).
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    n = x.shape[0]
    check = np.ones(n, np.bool_) if check is None else np.asarray(check, dtype=np.bool_)
    out = np.empty(n, np.bool_)
    K.collision_flags(x, np.ascontiguousarray(y, dtype=np.float64),
                      np.ascontiguousarray(yaw, dtype=np.float64), check, float(ego_length),
                      float(ego_width), float(margin), *_obstacle_arrays(obstacles, x.shape[1]),
                      out)
    return out


def check_collisions_numpy(x, y, yaw, obstacles, ego_length: float, ego_width: float,
                           margin: float = 0.0, check=None) -> np.ndarray:
    """Vectorised NumPy version of :func:`check_collisions` (same arguments and result):
    bounding circles on the whole (n_cand, n_t, n_obs) block, then the separating axis
    test on every near pair at once."""
    x = np.asarray(x, dtype=np.float64)
    n, n_t = x.shape
    ox, oy, oyaw, olen, owid, ovalid = _obstacle_arrays(obstacles, n_t)
    rows = np.arange(n) if check is None else np.flatnonzero(check)
    hl, hw = 0.5 * ego_length + margin, 0.5 * ego_width + margin
    reach = np.sqrt(hl * hl + hw * hw) + 0.5 * np.sqrt(olen * olen + owid * owid)
    dx = ox.T[None, :, :] - x[rows][:, :, None]  # (n_rows, n_t, n_obs)
    dy = oy.T[None, :, :] - np.asarray(y, dtype=np.float64)[rows][:, :, None]
    near = (dx * dx + dy * dy <= reach * reach) & ovalid.T[None]
    ci, ck, cj = np.nonzero(near)
    dx, dy = dx[ci, ck, cj], dy[ci, ck, cj]
    ey = np.asarray(yaw, dtype=np.float64)[rows[ci], ck]
    c1, s1 = np.cos(ey), np.sin(ey)
    c2, s2 = np.cos(oyaw[cj, ck]), np.sin(oyaw[cj, ck])
    hl2, hw2 = 0.5 * olen[cj], 0.5 * owid[cj]
    cr, sr = np.abs(c1 * c2 + s1 * s2), np.abs(s1 * c2 - c1 * s2)
    sep = ((np.abs(dx * c1 + dy * s1) > hl + hl2 * cr + hw2 * sr)
           | (np.abs(dy * c1 - dx * s1) > hw + hl2 * sr + hw2 * cr)
           | (np.abs(dx * c2 + dy * s2) > hl2 + hl * cr + hw * sr)
           | (np.abs(dy * c2 - dx * s2) > hw2 + hl * sr + hw * cr))
    out = np.zeros(n, np.bool_)
    out[rows[np.unique(ci[~sep])]] = True
    return out
