"""Lidar clustering: kernels vs the plain reference, boxes recovered from synthetic clouds."""

from __future__ import annotations

import numpy as np
import pytest

from planners.perception import ClusterConfig, cluster_points
from planners.perception import _kernels as K
from planners.perception import _reference as R

# (x, y, yaw, length, width, height) of three objects: a car, a bus, a pedestrian
BOXES = [(10.0, 5.0, 0.3, 4.8, 1.9, 1.5), (25.0, -8.0, -1.2, 11.0, 2.5, 3.2),
         (4.0, -6.0, 0.0, 0.6, 0.5, 1.7)]


def box_cloud(rng, x, y, yaw, length, width, height, spacing=0.15, noise=0.02):
    """Points on the four side faces of a box (a fused 360-degree view), z in (0.3, height)."""
    pts = []
    for (ax, ay), (bx, by) in (((-1, -1), (1, -1)), ((1, -1), (1, 1)), ((1, 1), (-1, 1)),
                               ((-1, 1), (-1, -1))):
        p = np.array([ax * length / 2, ay * width / 2])
        q = np.array([bx * length / 2, by * width / 2])
        n_e = max(int(np.linalg.norm(q - p) / spacing), 2)
        t = np.linspace(0, 1, n_e, endpoint=False)
        for zz in np.arange(0.3, height, 0.25):
            e = p + t[:, None] * (q - p)
            pts.append(np.column_stack([e, np.full(n_e, zz)]))
    pts = np.concatenate(pts)
    c, s = np.cos(yaw), np.sin(yaw)
    wx = x + c * pts[:, 0] - s * pts[:, 1]
    wy = y + s * pts[:, 0] + c * pts[:, 1]
    return (wx + rng.normal(0, noise, len(wx)), wy + rng.normal(0, noise, len(wx)),
            pts[:, 2] + rng.normal(0, noise, len(wx)))


def scene(seed=0, ground_n=4000, slope=0.0):
    rng = np.random.default_rng(seed)
    parts = [box_cloud(rng, *b) for b in BOXES]
    gx, gy = rng.uniform(-10, 40, ground_n), rng.uniform(-20, 20, ground_n)
    gz = slope * gx + rng.normal(0, 0.03, ground_n)
    parts.append((gx, gy, gz))
    x, y, z = (np.concatenate([p[i] for p in parts]) for i in range(3))
    order = rng.permutation(len(x))
    return x[order], y[order], z[order]


def _yaw_err(a, b):
    """Difference of two box axes (ambiguous by pi) [rad]."""
    d = (a - b) % np.pi
    return min(d, np.pi - d)


@pytest.mark.parametrize("ground", ["grid", "threshold"])
def test_three_boxes_recovered(ground):
    x, y, z = scene()
    det = cluster_points(x, y, z, ClusterConfig(ground=ground))
    assert det.n == 3
    for bx, by, byaw, bl, bw, bh in BOXES:
        k = int(np.argmin(np.hypot(det.x - bx, det.y - by)))
        assert abs(det.x[k] - bx) < 0.3 and abs(det.y[k] - by) < 0.3
        assert abs(det.length[k] - bl) < 0.3 and abs(det.width[k] - bw) < 0.3
        assert det.length[k] >= det.width[k]
        assert -np.pi / 2 < det.yaw[k] <= np.pi / 2
        if bl - bw > 0.5:  # the pedestrian's near-square box has no meaningful axis
            assert _yaw_err(det.yaw[k], byaw) < np.radians(3)
        assert abs(det.height[k] - (bh - 0.3)) < 0.35


def test_grid_ground_follows_a_slope():
    # a 4 % grade: at x = 40 m the ground is 1.6 m up, far above any fixed threshold
    x, y, z = scene()
    z = z + 0.04 * x
    assert cluster_points(x, y, z, ClusterConfig(ground="grid")).n == 3
    assert cluster_points(x, y, z, ClusterConfig(ground="threshold")).n > 3


def test_grid_keeps_a_wide_roof():
    # a 3.6 m wide trailer roof at 3 m hides the ground under it: the roof is no ground
    rng = np.random.default_rng(2)
    sx, sy, sz = box_cloud(rng, 0.0, 0.0, 0.0, 12.0, 3.6, 3.2)
    rx, ry = rng.uniform(-6, 6, 3000), rng.uniform(-1.8, 1.8, 3000)
    gx, gy = rng.uniform(-15, 15, 3000), rng.uniform(-15, 15, 3000)
    out = (np.abs(gx) > 6.2) | (np.abs(gy) > 2.0)
    x = np.concatenate([sx, rx, gx[out]])
    y = np.concatenate([sy, ry, gy[out]])
    z = np.concatenate([sz, np.full(3000, 3.0), np.zeros(out.sum())])
    det = cluster_points(x, y, z, ClusterConfig(ground="grid"))
    assert det.n == 1 and det.n_points[0] == len(sx) + 3000


def test_min_points_and_empty_cloud():
    x, y, z = scene()
    det = cluster_points(x, y, z, ClusterConfig(min_points=200))
    assert det.n == 2  # the pedestrian has fewer points
    e = cluster_points(np.zeros(0), np.zeros(0), np.zeros(0))
    assert e.n == 0 and e.x.shape == (0,)
    nan = cluster_points([np.nan, 1.0], [0.0, 0.0], [1.0, np.nan])
    assert nan.n == 0


def test_kernels_match_reference():
    x, y, z = scene(seed=3, ground_n=1500)
    far = x.copy()
    far[:20] += 1e5  # a huge, sparse extent: the kernel's sorted-cell path, not the dense grid
    for use_grid, qx in ((True, far), (False, x), (True, x)):
        a, b = np.empty(len(x), bool), np.empty(len(x), bool)
        K.ground_keep(qx, y, z, use_grid, 0.2, 1.0, 0.2, 3, 0.5, 4.5, a)
        R.ground_keep_ref(qx, y, z, use_grid, 0.2, 1.0, 0.2, 3, 0.5, 4.5, b)
        assert np.array_equal(a, b) and 0 < a.sum() < len(a)
    px, py, pz = x[a], y[a], z[a]
    la, lb = np.empty(len(px), np.int64), np.empty(len(px), np.int64)
    ma = K.cluster_labels(px, py, 0.6, la)
    mb = R.cluster_labels_ref(px, py, 0.6, lb)
    assert ma == mb and np.array_equal(la, lb)
    outs = []
    for fit in (K.fit_boxes, R.fit_boxes_ref):
        out = [np.empty(ma) for _ in range(6)] + [np.empty(ma, np.int64)]
        fit(px, py, pz, la, ma, 5, 10000, 90, *out)
        outs.append(out)
    for u, v in zip(*outs):
        assert np.allclose(u, v, atol=1e-9, equal_nan=True)
    # random clouds: many small clusters and chains
    rng = np.random.default_rng(1)
    for n in (1, 50, 800):
        qx, qy = rng.uniform(0, 20, n), rng.uniform(0, 20, n)
        la, lb = np.empty(n, np.int64), np.empty(n, np.int64)
        assert K.cluster_labels(qx, qy, 0.7, la) == R.cluster_labels_ref(qx, qy, 0.7, lb)
        assert np.array_equal(la, lb)
