"""Motion prediction of tracked objects over a fixed time grid t_k = k dt, k = 0..n_t-1:
constant velocity, constant turn rate, and lane following on the road network.

Lane following calls the kernels in :mod:`planners.prediction._kernels`; the closed-form
models are vectorised NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planners.prediction import _kernels
from sim.roadnet.network import LaneType, RoadNetwork


@dataclass(frozen=True)
class Predictions:
    """Predicted boxes of n_obj objects at t_k = k dt.

    x, y: (n_obj, n_t) float64 [m] box centre; yaw: (n_obj, n_t) float64 [rad];
    length, width: (n_obj,) float64 [m]; valid: (n_obj, n_t) bool, false where the object's
    state was not finite (nothing is predicted there); lane: (n_obj,) int32 lane the object
    was snapped to (-1: predicted by a motion model, not the lane graph); dt: [s]; n_t.
    """

    x: np.ndarray
    y: np.ndarray
    yaw: np.ndarray
    length: np.ndarray
    width: np.ndarray
    valid: np.ndarray
    lane: np.ndarray
    dt: float
    n_t: int

    @property
    def n_obj(self) -> int:
        return int(self.x.shape[0])

    @property
    def t(self) -> np.ndarray:
        """(n_t,) float64 [s] the time grid."""
        return np.arange(self.n_t) * self.dt


def _f64(*arrays):
    out = [np.atleast_1d(np.asarray(a, np.float64)) for a in arrays]
    shape = np.broadcast_shapes(*(a.shape for a in out))
    return [np.ascontiguousarray(np.broadcast_to(a, shape)) for a in out]


def _finish(x, y, yaw, length, width, dt, n_t, lane=None) -> Predictions:
    valid = np.isfinite(x) & np.isfinite(y) & np.isfinite(yaw)
    lane = np.full(x.shape[0], -1, np.int32) if lane is None else lane
    return Predictions(np.where(valid, x, np.nan), np.where(valid, y, np.nan),
                       np.where(valid, yaw, np.nan), length, width, valid, lane, float(dt),
                       int(n_t))


def predict_cv(x, y, yaw, speed, length, width, dt: float, n_t: int) -> Predictions:
    """Constant velocity along the heading. x, y [m], yaw [rad], speed [m/s], length,
    width [m]: (n_obj,) arrays (or scalars, broadcast); dt [s]."""
    x, y, yaw, speed, length, width = _f64(x, y, yaw, speed, length, width)
    t = np.arange(int(n_t)) * float(dt)
    dist = speed[:, None] * t[None, :]
    return _finish(x[:, None] + dist * np.cos(yaw)[:, None],
                   y[:, None] + dist * np.sin(yaw)[:, None],
                   np.repeat(yaw[:, None], len(t), 1), length, width, dt, n_t)


def predict_ctrv(x, y, yaw, speed, yaw_rate, length, width, dt: float, n_t: int,
                 max_yaw_rate: float = 1.0) -> Predictions:
    """Constant speed and turn rate: arcs of radius speed / yaw_rate. yaw_rate [rad/s] is
    clipped to +-max_yaw_rate [rad/s] (a tracker's noisy yaw rate would otherwise curl a
    slow object into a circle)."""
    x, y, yaw, speed, w, length, width = _f64(x, y, yaw, speed, yaw_rate, length, width)
    w = np.clip(w, -max_yaw_rate, max_yaw_rate)
    t = np.arange(int(n_t)) * float(dt)
    h = yaw[:, None] + w[:, None] * t[None, :]
    straight = np.abs(w) < 1e-6
    ws = np.where(straight, 1.0, w)[:, None]  # the straight rows use the limit below
    v = speed[:, None]
    px = np.where(straight[:, None], v * t * np.cos(yaw)[:, None],
                  v / ws * (np.sin(h) - np.sin(yaw)[:, None]))
    py = np.where(straight[:, None], v * t * np.sin(yaw)[:, None],
                  v / ws * (np.cos(yaw)[:, None] - np.cos(h)))
    yaw_t = (h + np.pi) % (2 * np.pi) - np.pi
    return _finish(x[:, None] + px, y[:, None] + py, yaw_t, length, width, dt, n_t)


def predict_lane_following(net: RoadNetwork, x, y, yaw, speed, length, width, dt: float,
                           n_t: int, max_dist: float = 2.5, max_heading: float = np.pi / 4,
                           heading_weight: float = 2.0, offset_decay_s: float = 1.5,
                           lane_ok: np.ndarray | None = None, kernels=None) -> Predictions:
    """Objects on a lane drive along it at constant speed; the others keep constant
    velocity.

    An object snaps to the lane whose centreline passes within ``max_dist`` [m] with a
    direction within ``max_heading`` [rad] of its yaw (best distance + heading_weight
    [m/rad] x heading difference) among ``lane_ok`` lanes (default: driving lanes). It then
    moves along the centreline at its speed, its lateral offset decaying with time constant
    ``offset_decay_s`` [s]; at a fork it takes the successor whose exit heading turns least
    (straight on through a junction; the turn it has already begun inside one, since it was
    snapped by heading); past the end of the lane graph it goes on straight. Reversing
    (speed < 0) objects keep constant velocity. ``kernels`` swaps in another implementation
    (the plain reference, for tests); leave it None.
    """
    K = _kernels if kernels is None else kernels
    x, y, yaw, speed, length, width = _f64(x, y, yaw, speed, length, width)
    ok = (net.lanes.type == LaneType.DRIVING) if lane_ok is None else np.asarray(lane_ok, bool)
    m = x.shape[0]
    lane = np.empty(m, np.int32)
    s0, d0 = np.empty(m), np.empty(m)
    g, p, ln = net.grid, net.points, net.lanes
    K.snap_to_lanes(x, y, yaw, float(max_dist), float(max_heading), float(heading_weight), ok,
                    g.origin_x, g.origin_y, g.cell, g.nx, g.ny, g.cell_ptr, g.seg, p.x, p.y,
                    p.s, p.lane, lane, s0, d0)
    lane[~(speed >= 0.0)] = -1
    cv = predict_cv(x, y, yaw, speed, length, width, dt, n_t)
    on = np.flatnonzero(lane >= 0)
    px, py, pyaw = cv.x.copy(), cv.y.copy(), cv.yaw.copy()
    if on.size:
        shape = (on.size, int(n_t))
        lx, ly, lyaw = np.empty(shape), np.empty(shape), np.empty(shape)
        K.follow_lanes(lane[on], s0[on], d0[on], speed[on], float(dt), float(offset_decay_s),
                       ok, ln.succ_ptr, ln.succ, ln.pt_ptr, p.s, p.x, p.y, lx, ly, lyaw)
        px[on], py[on], pyaw[on] = lx, ly, lyaw
    return _finish(px, py, pyaw, length, width, dt, n_t, lane)


def predict(objects, dt: float, n_t: int, net: RoadNetwork | None = None,
            model: str = "cv", **lane_kw) -> Predictions:
    """Predict anything with x, y, yaw, speed, length, width arrays (a tracker's
    :class:`~planners.perception.tracking.Tracks`, a WorldState's valid rows ...).

    With ``net`` objects on lanes follow them (``lane_kw`` go to
    :func:`predict_lane_following`) and the rest use ``model``; ``model`` "ctrv" needs a
    ``yaw_rate`` attribute.
    """
    o = objects
    if model not in ("cv", "ctrv"):
        raise ValueError(f"model must be 'cv' or 'ctrv', got {model!r}")
    if model == "ctrv":
        base = predict_ctrv(o.x, o.y, o.yaw, o.speed, o.yaw_rate, o.length, o.width, dt, n_t)
    else:
        base = predict_cv(o.x, o.y, o.yaw, o.speed, o.length, o.width, dt, n_t)
    if net is None:
        return base
    lf = predict_lane_following(net, o.x, o.y, o.yaw, o.speed, o.length, o.width, dt, n_t,
                                **lane_kw)
    on = (lf.lane >= 0)[:, None]
    return Predictions(np.where(on, lf.x, base.x), np.where(on, lf.y, base.y),
                       np.where(on, lf.yaw, base.yaw), base.length, base.width,
                       np.where(on, lf.valid, base.valid), lf.lane, float(dt), int(n_t))


def brake_along(x: np.ndarray, y: np.ndarray, yaw: np.ndarray, speed: np.ndarray,
                accel: np.ndarray, dt: float, braking: float = 0.5) -> None:
    """Turn constant-speed predictions (n, n_t) of braking objects into constant-deceleration
    ones in place, along the same predicted path: the position at time t is the constant-
    speed position at the time that covers the braked distance. Objects that are not
    braking (accel > -braking [m/s^2]) keep their prediction: a noisy positive estimate must not
    make a leader run away from the ego in its own prediction."""
    n_t = x.shape[1]
    t = np.arange(n_t) * dt
    idx = np.arange(n_t, dtype=np.float64)
    for i in np.flatnonzero((accel < -braking) & (speed > 0.5)):
        v, a = float(speed[i]), float(accel[i])
        t_stop = v / -a
        tt = np.minimum(t, t_stop)
        k = (v * tt + 0.5 * a * tt * tt) / v / dt  # fractional index on the speed-v grid
        x[i] = np.interp(k, idx, x[i])
        y[i] = np.interp(k, idx, y[i])
        yaw[i] = np.interp(k, idx, np.unwrap(yaw[i]))
