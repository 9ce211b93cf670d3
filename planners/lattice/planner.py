"""Frenet lattice planner (sampling planner after Werling et al., ICRA 2010).

Every cycle samples candidates = horizons x lateral targets x longitudinal modes:

* lateral: quintic d(t) from (d, d_d, d_dd) to (d_target, 0, 0) over T; the targets are
  ``n_d`` offsets uniform over the allowed band [d_min, d_max], the one nearest d_pref
  replaced by d_pref;
* longitudinal: ``n_v`` velocity-keeping quartics from (s, s_d, s_dd) to (v_target, 0) over
  T with v_target = v_max (j + 1) / n_v, plus one stopping mode: a quintic to
  (s_stop - ego_length / 2 - stop_margin, 0, 0) when s_stop is finite, else a quartic to
  speed 0 (stop in lane, e.g. behind a blockage the band does not let it pass).

All candidates are evaluated on the common grid t_k = k dt up to the longest horizon; past its
own T a candidate keeps its end speed with d constant (stopping ones stay stopped), so short
horizons gain nothing by ending early. Frenet -> Cartesian uses the reference path.

Feasible means, from step 1 on: s_d >= -v_reverse (no reversing); s_d <= max(v_max, s_d0) +
v_tol (the speed cap applies to the speed along the path; an ego already above the cap may
keep its current speed while every target brings it down to the cap, so not every candidate
is rejected); a_min <= s_dd <= a_max; |kappa| <= kappa_max wherever speed >= v_kappa; d within
[d_min, d_max] widened to include the start d (same reason as the cap); the ego front
s + ego_length / 2 never beyond s_stop; 1 - kappa_ref d >= 0.1. A feasible candidate must
also miss every predicted obstacle box (ego box grown by collision_margin).

Cost = w_jerk_lat J_lat + w_jerk_lon J_lon + w_time T + w_offset |d_target - d_pref|
+ w_speed (v_end - v_max)^2 - w_progress (s_end - s_start), where J is the integral of the
squared jerk over [0, T] and v_end, s_end are taken at the end of the common grid. The
cheapest feasible, collision-free candidate wins; if there is none the result is an
emergency stop (braking at a_min along the path, d held) with ``emergency`` set.

The speed cap is one scalar: the behaviour layer passes the lowest limit over the look-ahead
(the simplest design that is never too fast; a per-s profile is not supported).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from planners.lattice import _kernels as K
from planners.lattice.collision import _obstacle_arrays
from planners.lattice.frenet import ReferencePath, path_at, to_frenet

__all__ = ["Constraints", "FrenetState", "LatticeConfig", "LatticePlanner", "LatticeResult",
           "Obstacles", "ReferencePath"]


@dataclass(frozen=True)
class FrenetState:
    """Ego start state on the reference path: s [m], s_d [m/s], s_dd [m/s^2] along it;
    d [m] (left positive), d_d [m/s], d_dd [m/s^2] across it (time derivatives)."""

    s: float
    s_d: float
    s_dd: float = 0.0
    d: float = 0.0
    d_d: float = 0.0
    d_dd: float = 0.0

    @classmethod
    def from_cartesian(cls, path: ReferencePath, x: float, y: float, yaw: float, v: float,
                       a: float = 0.0) -> FrenetState:
        """From a Cartesian pose [m, rad], speed v [m/s] and acceleration a [m/s^2]
        (d_dd from a only: the centripetal part is neglected)."""
        s, d = to_frenet(path, [x], [y])
        _, _, h, kr = path_at(path, s)
        dth = math.remainder(yaw - float(h[0]), math.tau)
        one_kd = 1.0 - float(kr[0]) * float(d[0])
        return cls(float(s[0]), v * math.cos(dth) / one_kd, a * math.cos(dth) / one_kd,
                   float(d[0]), v * math.sin(dth), a * math.sin(dth))


@dataclass(frozen=True)
class Obstacles:
    """Predicted obstacles on the planner grid t_k = k dt, k = 0 .. n_t - 1.

    x, y: (n_obs, n_t) float64 [m] box centres; yaw: (n_obs, n_t) [rad]; length, width:
    (n_obs,) [m]; valid: (n_obs, n_t) bool, False where no prediction exists.
    """

    x: np.ndarray
    y: np.ndarray
    yaw: np.ndarray
    length: np.ndarray
    width: np.ndarray
    valid: np.ndarray

    @classmethod
    def none(cls, n_t: int) -> Obstacles:
        """No obstacles."""
        z = np.zeros((0, n_t))
        return cls(z, z, z, np.zeros(0), np.zeros(0), np.zeros((0, n_t), np.bool_))

    @classmethod
    def constant_velocity(cls, x, y, yaw, speed, length, width, n_t: int,
                          dt: float) -> Obstacles:
        """Predict (n_obs,) current poses [m, rad] at constant speed [m/s] and heading."""
        x, y, yaw, speed = (np.atleast_1d(np.asarray(a, dtype=np.float64))
                            for a in (x, y, yaw, speed))
        t = np.arange(n_t) * dt
        px = x[:, None] + (speed * np.cos(yaw))[:, None] * t
        py = y[:, None] + (speed * np.sin(yaw))[:, None] * t
        return cls(px, py, np.repeat(yaw[:, None], n_t, axis=1),
                   np.broadcast_to(np.asarray(length, np.float64), x.shape).copy(),
                   np.broadcast_to(np.asarray(width, np.float64), x.shape).copy(),
                   np.ones(px.shape, np.bool_))


@dataclass(frozen=True)
class Constraints:
    """From the behaviour layer: v_max [m/s] speed cap (also the desired speed); s_stop [m]
    the ego front must not pass (inf = none: red light, crosswalk in use); d_min, d_max [m]
    band for the ego centre's d (the caller leaves room for half the ego width); d_pref [m]
    preferred offset (0 = lane centre)."""

    v_max: float
    s_stop: float = math.inf
    d_min: float = -1.0
    d_max: float = 1.0
    d_pref: float = 0.0

    def __post_init__(self) -> None:
        # a NaN or infinite cap would turn every speed target into NaN silently
        if not (math.isfinite(self.v_max) and self.v_max >= 0.0):
            raise ValueError(f"Constraints.v_max must be finite and >= 0 [m/s], got {self.v_max}")
        for name in ("d_min", "d_max", "d_pref"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"Constraints.{name} must be finite [m], got "
                                 f"{getattr(self, name)}")
        if self.d_min > self.d_max:
            raise ValueError(f"Constraints: d_min {self.d_min} > d_max {self.d_max}")
        if math.isnan(self.s_stop):
            raise ValueError("Constraints.s_stop is NaN; use inf for no stop")


_PRESETS = {  # n_candidates -> (horizons [s], n_d, n_v)
    210: ((3.0, 4.0, 5.0), 7, 9),
    1000: ((3.0, 3.5, 4.0, 4.5, 5.0), 10, 19),
    4000: ((1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0), 20, 24),
}


@dataclass(frozen=True)
class LatticeConfig:
    """Sampling grid, limits and cost weights. Defaults give 5 x 10 x 20 = 1,000 candidates.

    dt [s] grid step; horizons [s]; n_d lateral targets; n_v speed targets (+1 stopping
    mode); a_max, a_min [m/s^2]; kappa_max [1/m] checked at speed >= v_kappa [m/s]; v_tol
    [m/s] over the cap; v_reverse [m/s] tolerated backwards speed; ego_length, ego_width [m];
    collision_margin [m] per side; stop_margin [m] before s_stop; cost weights w_*.
    """

    dt: float = 0.1
    horizons: tuple[float, ...] = (3.0, 3.5, 4.0, 4.5, 5.0)
    n_d: int = 10
    n_v: int = 19
    a_max: float = 2.5
    a_min: float = -6.0
    kappa_max: float = 0.2
    v_kappa: float = 1.0
    v_tol: float = 0.1
    v_reverse: float = 0.1
    ego_length: float = 4.6
    ego_width: float = 1.9
    collision_margin: float = 0.3
    stop_margin: float = 0.5
    w_jerk_lat: float = 0.1
    w_jerk_lon: float = 0.1
    w_time: float = 0.1
    w_offset: float = 1.0
    w_speed: float = 1.0
    w_progress: float = 0.05

    def __post_init__(self):
        object.__setattr__(self, "horizons", tuple(float(T) for T in self.horizons))
        if not self.horizons or min(self.horizons) <= 0.0 or self.dt <= 0.0:
            raise ValueError("horizons and dt must be positive")
        if self.n_d < 1 or self.n_v < 1:
            raise ValueError("n_d and n_v must be >= 1")

    @property
    def n_lon(self) -> int:
        """Longitudinal modes per horizon: n_v speeds + stopping."""
        return self.n_v + 1

    @property
    def n_candidates(self) -> int:
        return len(self.horizons) * self.n_d * self.n_lon

    @property
    def n_t(self) -> int:
        """Grid steps, t_k = k dt up to the longest horizon."""
        return int(round(max(self.horizons) / self.dt)) + 1

    @property
    def weights(self) -> np.ndarray:
        """(6,) in the kernel's order: jerk lat, jerk lon, time, offset, speed, progress."""
        return np.array([self.w_jerk_lat, self.w_jerk_lon, self.w_time, self.w_offset,
                         self.w_speed, self.w_progress])

    @classmethod
    def with_size(cls, n: int, **kw) -> LatticeConfig:
        """Config with exactly 210, 1,000 or 4,000 candidates, or close to another n."""
        if n in _PRESETS:
            horizons, n_d, n_v = _PRESETS[n]
        else:
            horizons = _PRESETS[210 if n < 500 else 1000 if n < 2500 else 4000][0]
            per = max(n / len(horizons), 2.0)
            n_d = max(1, round(math.sqrt(per / 2.0)))
            n_v = max(1, round(per / n_d) - 1)
        return cls(horizons=horizons, n_d=n_d, n_v=n_v, **kw)


@dataclass(frozen=True)
class LatticeResult:
    """The chosen trajectory and the candidate statistics.

    best: candidate index (-1 when none is feasible and collision-free); emergency: True if
    the trajectory is the fallback emergency stop. t, x, y [m], yaw [rad], v [m/s],
    a [m/s^2], kappa [1/m], s, d [m]: (n_t,) float64 on the planner grid. costs: (n_cand,)
    (inf when infeasible or colliding); feasible, collision_free: (n_cand,) bool.
    """

    best: int
    emergency: bool
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    yaw: np.ndarray
    v: np.ndarray
    a: np.ndarray
    kappa: np.ndarray
    s: np.ndarray
    d: np.ndarray
    n_candidates: int
    n_feasible: int
    n_collision_free: int
    costs: np.ndarray = field(repr=False)
    feasible: np.ndarray = field(repr=False)
    collision_free: np.ndarray = field(repr=False)


class LatticePlanner:
    """``LatticePlanner(config).plan(path, state, obstacles, constraints)``; the work
    buffers are allocated once here, so a cycle allocates only its result."""

    def __init__(self, config: LatticeConfig | None = None):
        c = self.config = config or LatticeConfig()
        n, n_t = c.n_candidates, c.n_t
        n_lat, n_lon = len(c.horizons) * c.n_d, len(c.horizons) * c.n_lon
        self.t = np.arange(n_t) * c.dt
        self._horizons = np.array(c.horizons)
        self._weights = c.weights
        self._d_tgt, self._v_tgt = np.empty(c.n_d), np.empty(c.n_v)
        self._lat = [np.empty((n_lat, n_t)) for _ in range(3)]
        self._lon = [np.empty((n_lon, n_t)) for _ in range(3)]
        self._lat_ok, self._lon_ok = np.empty(n_lat, np.bool_), np.empty(n_lon, np.bool_)
        self._lat_j, self._lon_j = np.empty(n_lat), np.empty(n_lon)
        self._ref = [np.empty((n_lon, n_t)) for _ in range(5)]
        self._cart = [np.empty((n, n_t)) for _ in range(7)]  # x, y, cyaw, syaw, v, a, kappa
        self._feasible, self._hit = np.empty(n, np.bool_), np.empty(n, np.bool_)
        self._cost = np.empty(n)

    def plan(self, path: ReferencePath, state: FrenetState, obstacles: Obstacles,
             constraints: Constraints) -> LatticeResult:
        c, st, cn = self.config, state, constraints
        half = 0.5 * c.ego_length
        stop_c = float(cn.s_stop) - half - c.stop_margin  # inf - x stays inf
        K.lattice_profiles(float(st.s), float(st.s_d), float(st.s_dd), float(st.d),
                           float(st.d_d), float(st.d_dd), self._horizons, c.dt,
                           float(cn.d_min), float(cn.d_max), float(cn.d_pref), float(cn.v_max),
                           stop_c, float(cn.s_stop) - half,
                           c.a_min, c.a_max, c.v_reverse, c.v_tol, self._d_tgt, self._v_tgt,
                           *self._lat, self._lat_ok, self._lat_j,
                           *self._lon, self._lon_ok, self._lon_j)
        pa = (float(path.s[0]), path.ds, path.x, path.y, path.heading, path.kappa)
        # the stopping mode aims at the stop line (its speed term is then 0)
        stop_line = bool(math.isfinite(stop_c) and stop_c - float(st.s) > K.STOP_MIN_GAP)
        K.lattice_evaluate(*pa, self._horizons, self._d_tgt, float(cn.d_pref),
                           float(cn.v_max), stop_line, c.kappa_max, c.v_kappa, self._weights,
                           *self._lat, self._lat_ok, self._lat_j,
                           *self._lon, self._lon_ok, self._lon_j, *self._ref, *self._cart,
                           self._feasible, self._cost)
        x, y, cyaw, syaw, v, a, kappa = self._cart
        K.collision_flags_cs(x, y, cyaw, syaw, self._feasible, c.ego_length, c.ego_width,
                             c.collision_margin, *_obstacle_arrays(obstacles, c.n_t), self._hit)
        free = self._feasible & ~self._hit
        costs = np.where(free, self._cost, np.inf)
        n_free = int(free.sum())
        stats = dict(n_candidates=c.n_candidates, n_feasible=int(self._feasible.sum()),
                     n_collision_free=n_free, costs=costs, feasible=self._feasible.copy(),
                     collision_free=free)
        if n_free == 0:
            return self._emergency(pa, st, stats)
        best = int(np.argmin(costs))
        n_lon, n_d = c.n_lon, c.n_d
        iT = best // (n_d * n_lon)
        lr, sr = iT * n_d + (best // n_lon) % n_d, iT * n_lon + best % n_lon
        return LatticeResult(best, False, self.t.copy(), x[best].copy(), y[best].copy(),
                             np.arctan2(syaw[best], cyaw[best]), v[best].copy(),
                             a[best].copy(), kappa[best].copy(), self._lon[0][sr].copy(),
                             self._lat[0][lr].copy(), **stats)

    def _emergency(self, pa, st: FrenetState, stats) -> LatticeResult:
        """Brake at a_min along the path from the current speed, d held."""
        c, t = self.config, self.t
        v0 = max(float(st.s_d), 0.0)
        t_stop = v0 / -c.a_min
        tb = np.minimum(t, t_stop)
        s = st.s + v0 * tb + 0.5 * c.a_min * tb * tb
        s_d = v0 + c.a_min * tb
        s_dd = np.where(t < t_stop, c.a_min, 0.0)
        d = np.full_like(t, st.d)
        zero = np.zeros_like(t)
        out = [np.empty_like(t) for _ in range(7)]
        K.frenet_to_cartesian(*pa, s, s_d, s_dd, d, zero, zero, *out)
        x, y, cyaw, syaw, v, a, kappa = out
        return LatticeResult(-1, True, t.copy(), x, y, np.arctan2(syaw, cyaw), v, a, kappa, s,
                             d, **stats)
