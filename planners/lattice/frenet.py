"""The reference path of the lattice planner and Cartesian <-> Frenet conversion.

A reference path is the centreline of the lane the ego should follow, resampled to a uniform
arc-length step so the kernels find the segment of a point by one division instead of a
search. Frenet coordinates: ``s`` [m] arc length along the path, ``d`` [m] signed lateral
offset, left of the direction of travel positive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ReferencePath:
    """Centreline sampled at a uniform arc-length step.

    s: (m,) float64 [m] arc length, uniform step, strictly increasing;
    x, y: (m,) float64 [m] centreline points; heading: (m,) float64 [rad], unwrapped
    (continuous, so interpolating between samples never jumps by 2 pi);
    kappa: (m,) float64 [1/m] signed curvature (left turn positive).
    Beyond either end the path continues straight along the end heading (kappa 0).
    """

    s: np.ndarray
    x: np.ndarray
    y: np.ndarray
    heading: np.ndarray
    kappa: np.ndarray

    def __post_init__(self):
        m = len(self.s)
        if m < 2 or any(len(a) != m for a in (self.x, self.y, self.heading, self.kappa)):
            raise ValueError("reference path arrays must all have the same length >= 2")
        step = np.diff(self.s)
        if step.min() <= 0.0 or step.max() - step.min() > 1e-6 * step.mean():
            # the kernels index the path as (s - s0) / ds
            raise ValueError("reference path s must be uniformly spaced and increasing")

    @property
    def ds(self) -> float:
        """Arc-length step [m]."""
        return float((self.s[-1] - self.s[0]) / (len(self.s) - 1))

    @property
    def length(self) -> float:
        """Arc length [m] from the first sample to the last."""
        return float(self.s[-1] - self.s[0])


def reference_path(xy, ds: float = 0.5, smooth_m: float = 3.0) -> ReferencePath:
    """Build a :class:`ReferencePath` from a centreline polyline ``xy`` (k, 2) [m].

    The polyline is resampled at a uniform step close to ``ds`` [m] by linear interpolation;
    heading is the direction of the central difference (one-sided at the ends), unwrapped;
    kappa is the arc-length derivative of the heading smoothed by a moving average over
    ``smooth_m`` [m] (a coarse polyline has corners whose heading jumps would otherwise give
    curvature spikes). Repeated points are dropped.
    """
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError("xy must have shape (k, 2)")
    seg = np.hypot(np.diff(xy[:, 0]), np.diff(xy[:, 1]))
    keep = np.concatenate(([True], seg > 1e-9))
    xy = xy[keep]
    if len(xy) < 2:
        raise ValueError("the polyline needs two distinct points")
    chord = np.concatenate(([0.0], np.cumsum(np.hypot(np.diff(xy[:, 0]), np.diff(xy[:, 1])))))
    n = max(int(math.ceil(chord[-1] / ds)), 1) + 1
    s = np.linspace(0.0, chord[-1], n)
    x = np.interp(s, chord, xy[:, 0])
    y = np.interp(s, chord, xy[:, 1])
    heading = np.unwrap(np.arctan2(np.gradient(y), np.gradient(x)))
    step = s[1] - s[0]
    half = int(round(0.5 * smooth_m / step))
    smooth = heading
    if half > 0 and n > 2:
        # curvature from a smoothed copy (a coarse polyline's corners would give spikes);
        # the heading itself stays the points' own direction so offsets and the straight
        # extrapolation past the ends agree with the polyline. Linear extension at the ends
        # keeps the average unbiased on a curve.
        lo = heading[0] - (heading[1] - heading[0]) * np.arange(half, 0, -1)
        hi = heading[-1] + (heading[-1] - heading[-2]) * np.arange(1, half + 1)
        kernel = np.full(2 * half + 1, 1.0 / (2 * half + 1))
        smooth = np.convolve(np.concatenate((lo, heading, hi)), kernel, mode="valid")
    kappa = np.gradient(smooth, s) if n > 2 else np.zeros(n)
    return ReferencePath(s, x, y, heading, kappa)


def path_at(path: ReferencePath, s):
    """Centreline point at arc length ``s`` (n,) [m]: x, y [m], heading [rad], kappa [1/m],
    each (n,) float64; linear interpolation, straight extrapolation beyond the ends."""
    s = np.atleast_1d(np.asarray(s, dtype=np.float64))
    x = np.interp(s, path.s, path.x)
    y = np.interp(s, path.s, path.y)
    h = np.interp(s, path.s, path.heading)
    k = np.interp(s, path.s, path.kappa)
    for end, sign in ((0, s < path.s[0]), (-1, s > path.s[-1])):
        e = s[sign] - path.s[end]
        x[sign] = path.x[end] + e * math.cos(path.heading[end])
        y[sign] = path.y[end] + e * math.sin(path.heading[end])
        k[sign] = 0.0
    return x, y, h, k


def to_cartesian(path: ReferencePath, s, d):
    """Frenet (s, d) (n,) [m] -> Cartesian x, y (n,) [m] and the path heading there [rad]."""
    rx, ry, h, _ = path_at(path, s)
    d = np.asarray(d, dtype=np.float64)
    return rx - d * np.sin(h), ry + d * np.cos(h), h


def to_frenet(path: ReferencePath, x, y):
    """Cartesian points (n,) [m] -> Frenet s, d (n,) float64 [m].

    Projects each point on the nearest path segment; the first and last segments are
    extended so points before or after the path get s below s[0] or beyond s[-1], matching
    the straight extrapolation of :func:`to_cartesian`.
    """
    px = np.atleast_1d(np.asarray(x, dtype=np.float64))[:, None]
    py = np.atleast_1d(np.asarray(y, dtype=np.float64))[:, None]
    ax, ay = path.x[:-1], path.y[:-1]
    ex, ey = np.diff(path.x), np.diff(path.y)
    len2 = ex * ex + ey * ey
    u = ((px - ax) * ex + (py - ay) * ey) / len2
    lo = np.zeros_like(len2)
    hi = np.ones_like(len2)
    lo[0], hi[-1] = -np.inf, np.inf
    u = np.clip(u, lo, hi)
    qx, qy = ax + u * ex, ay + u * ey
    best = np.argmin((px - qx) ** 2 + (py - qy) ** 2, axis=1)
    rows = np.arange(len(best))
    ub, seg = u[rows, best], np.sqrt(len2[best])
    s = path.s[best] + ub * seg
    rx, ry = qx[rows, best], qy[rows, best]
    cross = ex[best] * (py[:, 0] - ry) - ey[best] * (px[:, 0] - rx)
    d = np.sign(cross) * np.hypot(px[:, 0] - rx, py[:, 0] - ry)
    return s, d
