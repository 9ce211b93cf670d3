"""Lidar object detection without learning: ground removal, Euclidean clustering, and a
minimum-area box per cluster.

Thin wrapper that allocates outputs and calls the kernels in
:mod:`planners.perception._kernels`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planners.perception import _kernels


@dataclass(frozen=True)
class ClusterConfig:
    """How points become boxes.

    ground: "grid" (ground level = lowest point in the 3 x 3 cells of ``ground_cell`` [m]
        around a point; follows slopes and kerbs) or "threshold" (flat ground at z = 0).
    ground_z: [m] threshold mode: points at or below are ground.
    ground_cell: [m] grid mode cell size; ground_margin: [m] height above the local ground
        level still counted as ground; ground_window: [cells] and max_ground_step: [m] a
        local level more than max_ground_step above the lowest one within ground_window
        cells is not ground (the ground under a wide vehicle is hidden by its roof).
    max_z: [m] points above are dropped (overhead structures).
    eps: [m] two points closer than this in x-y belong to the same object.
    min_points, max_points: clusters outside this range are not reported (noise, walls).
    n_angles: box angle search steps over [0, 90 deg) (then refined tenfold).
    """

    ground: str = "grid"
    ground_z: float = 0.2
    ground_cell: float = 1.0
    ground_margin: float = 0.2
    ground_window: int = 3
    max_ground_step: float = 0.5
    max_z: float = 4.5
    eps: float = 0.6
    min_points: int = 5
    max_points: int = 20000
    n_angles: int = 90

    def __post_init__(self):
        if self.ground not in ("grid", "threshold"):
            raise ValueError(f"ground must be 'grid' or 'threshold', got {self.ground!r}")
        if self.eps <= 0 or self.ground_cell <= 0 or self.n_angles < 1:
            raise ValueError("eps, ground_cell must be > 0 and n_angles >= 1")


@dataclass(frozen=True)
class Detections:
    """Boxes found in one point cloud, each (k,), ordered by their first point's index.

    x, y: float64 [m] box centre; yaw: float64 [rad] direction of the long side in
    (-pi/2, pi/2] (a box has no front: the heading is ambiguous by pi);
    length >= width: float64 [m]; height: float64 [m] vertical extent of the points;
    n_points: int64 points in the cluster.
    """

    x: np.ndarray
    y: np.ndarray
    yaw: np.ndarray
    length: np.ndarray
    width: np.ndarray
    height: np.ndarray
    n_points: np.ndarray

    @property
    def n(self) -> int:
        return int(self.x.shape[0])


def remove_ground(x, y, z, cfg: ClusterConfig = ClusterConfig(), kernels=None) -> np.ndarray:
    """(k,) bool: points kept for clustering (not ground, not overhead)."""
    K = _kernels if kernels is None else kernels
    keep = np.empty(x.shape[0], np.bool_)
    K.ground_keep(x, y, z, cfg.ground == "grid", float(cfg.ground_z), float(cfg.ground_cell),
                  float(cfg.ground_margin), int(cfg.ground_window), float(cfg.max_ground_step),
                  float(cfg.max_z), keep)
    return keep


def cluster_points(x, y, z, cfg: ClusterConfig = ClusterConfig(), kernels=None) -> Detections:
    """Detections in a point cloud x, y, z: (k,) float64 [m] world frame (z up, ground
    near z = 0). ``kernels`` swaps in another implementation of the kernel functions (the
    plain reference, for benchmarks); leave it None."""
    K = _kernels if kernels is None else kernels
    x, y, z = (np.ascontiguousarray(a, dtype=np.float64) for a in (x, y, z))
    if not x.shape == y.shape == z.shape or x.ndim != 1:
        raise ValueError(f"x, y, z must be equal (k,) arrays, got {x.shape} {y.shape} {z.shape}")
    finite = np.isfinite(x) & np.isfinite(y) & np.isfinite(z)
    if not finite.all():  # lidar returns without a hit come as NaN in some drivers
        x, y, z = x[finite], y[finite], z[finite]
    keep = remove_ground(x, y, z, cfg, K)
    px, py, pz = x[keep], y[keep], z[keep]
    label = np.empty(px.shape[0], np.int64)
    m = int(K.cluster_labels(px, py, float(cfg.eps), label))
    out = [np.empty(m) for _ in range(6)]
    n_pts = np.empty(m, np.int64)
    K.fit_boxes(px, py, pz, label, m, int(cfg.min_points), int(cfg.max_points),
                int(cfg.n_angles), *out, n_pts)
    ok = np.isfinite(out[0])
    return Detections(*(a[ok] for a in out), n_points=n_pts[ok])
