"""Multi-object tracking: a fixed-capacity bank of Kalman filters with optimal assignment.

Each step predicts every track to the measurement time, gates (track, measurement) pairs
on Mahalanobis position distance, assigns them one-to-one at minimum total cost, updates the
matched tracks, and manages births (M hits confirm) and deaths (N misses in a row delete).
Measurements from different sources (own sensors, V2X reports) are processed one source
after another at the same time, so one object seen by two sources stays one track.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planners.perception import _kernels


@dataclass(frozen=True)
class TrackerConfig:
    """model: "cv" (state x, y, vx, vy; linear KF) or "ctrv" (x, y, v, yaw, yaw_rate; EKF).
    accel_sigma: [m/s^2] process noise (white acceleration); yaw_accel_sigma: [rad/s^2]
    (CTRV only). gate_d2: [-] Mahalanobis gate on position (chi-square, 2 dof; 16 ~ 99.97 %);
    gate_dist: [m] hard Euclidean gate. birth_hits: M steps with a measurement confirm a
    track; death_misses: N steps in a row without one delete it. max_tracks: capacity (new
    objects beyond it are dropped). init_vel_sigma [m/s], init_yaw_sigma [rad],
    init_yaw_rate_sigma [rad/s]: prior std of state not measured at birth. size_alpha: [-]
    weight of a new measurement in the running average of length and width."""

    model: str = "cv"
    accel_sigma: float = 2.0
    yaw_accel_sigma: float = 0.3
    gate_d2: float = 16.0
    gate_dist: float = 8.0
    birth_hits: int = 3
    death_misses: int = 3
    max_tracks: int = 256
    init_vel_sigma: float = 10.0
    init_yaw_sigma: float = 0.5
    init_yaw_rate_sigma: float = 0.5
    size_alpha: float = 0.2

    def __post_init__(self):
        if self.model not in ("cv", "ctrv"):
            raise ValueError(f"model must be 'cv' or 'ctrv', got {self.model!r}")
        if self.birth_hits < 1 or self.death_misses < 1 or self.max_tracks < 1:
            raise ValueError("birth_hits, death_misses and max_tracks must be >= 1")


@dataclass(frozen=True)
class Measurements:
    """Objects reported by one or more sources at one time, each (k,).

    x, y: float64 [m]; yaw: float64 [rad] heading; speed: float64 [m/s] along yaw;
    length, width: float64 [m]; kind: int8 :class:`sim.actors.ActorKind`;
    pos_sigma: float64 [m] position std per axis; vel_sigma: float64 [m/s] speed std, NaN
    when speed is not measured; yaw_sigma: float64 [rad] heading std, NaN when not
    measured (a lidar box has no front: leave NaN there; None = all NaN); source: int32
    which sensor (None = all 0), the bank processes sources in ascending order.
    """

    x: np.ndarray
    y: np.ndarray
    yaw: np.ndarray
    speed: np.ndarray
    length: np.ndarray
    width: np.ndarray
    kind: np.ndarray
    pos_sigma: np.ndarray
    vel_sigma: np.ndarray
    yaw_sigma: np.ndarray | None = None
    source: np.ndarray | None = None

    def __post_init__(self):
        k = np.shape(self.x)[0]
        # optional columns: a frozen dataclass can only fill them in through object.__setattr__
        if self.yaw_sigma is None:
            object.__setattr__(self, "yaw_sigma", np.full(k, np.nan))
        if self.source is None:
            object.__setattr__(self, "source", np.zeros(k, np.int32))

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @staticmethod
    def from_arrays(x, y, yaw=None, speed=None, length=None, width=None, kind=None,
                    pos_sigma=0.5, vel_sigma=np.nan, yaw_sigma=np.nan, source=0) -> Measurements:
        """Build from arrays or scalars (broadcast to x's shape); missing yaw / speed are
        NaN / 0, size defaults to a car (4.5 x 1.8 m), kind to CAR (0)."""
        x = np.atleast_1d(np.asarray(x, np.float64))
        k = x.shape[0]

        def arr(v, default, dtype=np.float64):
            v = default if v is None else v
            return np.broadcast_to(np.asarray(v, dtype), (k,)).copy()

        return Measurements(x, arr(y, 0.0), arr(yaw, np.nan), arr(speed, 0.0),
                            arr(length, 4.5), arr(width, 1.8), arr(kind, 0, np.int8),
                            arr(pos_sigma, 0.5), arr(vel_sigma, np.nan), arr(yaw_sigma, np.nan),
                            arr(source, 0, np.int32))

    @staticmethod
    def concat(*parts: Measurements) -> Measurements:
        return Measurements(*(np.concatenate([getattr(p, f) for p in parts])
                              for f in Measurements.__dataclass_fields__))


@dataclass(frozen=True)
class Tracks:
    """Live tracks at ``time_us``, each (k,), ordered by track_id.

    track_id: int64 unique for the bank's life; x, y: float64 [m]; yaw: float64 [rad]
    (CV: direction of motion above 0.5 m/s, else the last measured heading); speed: float64
    [m/s]; yaw_rate: float64 [rad/s] (0 for CV); vx, vy: float64 [m/s]; length, width:
    float64 [m]; kind: int8; age_us: int64 [us] since birth; hits: int32 steps with a
    measurement; misses: int32 steps in a row without; confirmed: bool (hits >= M once);
    pos_cov: (k, 2, 2) float64 [m^2] position covariance.
    """

    time_us: int
    track_id: np.ndarray
    x: np.ndarray
    y: np.ndarray
    yaw: np.ndarray
    speed: np.ndarray
    yaw_rate: np.ndarray
    vx: np.ndarray
    vy: np.ndarray
    length: np.ndarray
    width: np.ndarray
    kind: np.ndarray
    age_us: np.ndarray
    hits: np.ndarray
    misses: np.ndarray
    confirmed: np.ndarray
    pos_cov: np.ndarray

    @property
    def n(self) -> int:
        return int(self.track_id.shape[0])

    def only_confirmed(self) -> Tracks:
        keep = self.confirmed
        return Tracks(self.time_us, *(getattr(self, f)[keep]
                                      for f in list(Tracks.__dataclass_fields__)[1:]))


def linear_assignment(cost: np.ndarray, kernels=None) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-cost one-to-one pairs of a (n, m) cost matrix where inf forbids a pair.

    Returns (rows, cols), (q,) int64 each, rows ascending. The most pairs possible are made
    first, then the cost is minimised among those: inf entries are replaced by a cost larger
    than any sum of finite ones, and pairs left on such entries are dropped.
    """
    K = _kernels if kernels is None else kernels
    cost = np.asarray(cost, np.float64)
    n, m = cost.shape
    finite = np.isfinite(cost)
    if n == 0 or m == 0 or not finite.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    live_r, live_c = np.flatnonzero(finite.any(1)), np.flatnonzero(finite.any(0))
    sub = cost[np.ix_(live_r, live_c)]
    ok = np.isfinite(sub)
    lo, hi = sub[ok].min(), sub[ok].max()
    big = (hi - lo + 1.0) * (min(sub.shape) + 1)
    sub = np.where(ok, sub - lo, big)  # shifted to >= 0 so that big exceeds every finite sum
    col = np.empty(sub.shape[0], np.int64)
    K.assign_min_cost(sub, col)
    r = np.flatnonzero(col >= 0)
    r = r[ok[r, col[r]]]
    return live_r[r], live_c[col[r]]


class TrackerBank:
    """Tracks of one observer. ``kernels`` swaps in another implementation of the kernel
    functions (the plain reference, for benchmarks); leave it None."""

    def __init__(self, config: TrackerConfig | None = None, kernels=None):
        self.config = TrackerConfig() if config is None else config
        self._K = _kernels if kernels is None else kernels
        cap = self.config.max_tracks
        nx = 4 if self.config.model == "cv" else 5
        self._X = np.zeros((cap, nx))
        self._P = np.zeros((cap, nx, nx))
        self._P[:] = np.eye(nx)
        self._active = np.zeros(cap, np.bool_)
        self._id = np.full(cap, -1, np.int64)
        self._born_us = np.zeros(cap, np.int64)
        self._hits = np.zeros(cap, np.int32)
        self._misses = np.zeros(cap, np.int32)
        self._confirmed = np.zeros(cap, np.bool_)
        self._length = np.zeros(cap)
        self._width = np.zeros(cap)
        self._kind = np.zeros(cap, np.int8)
        self._box_yaw = np.zeros(cap)
        self._time_us: int | None = None
        self._next_id = 0

    @property
    def time_us(self) -> int | None:
        return self._time_us

    def step(self, time_us: int, meas: Measurements | None) -> Tracks:
        """Advance to ``time_us`` [us] (not before the last step) with the measurements
        taken then, and return every live track (tentative ones included)."""
        time_us = int(time_us)
        if self._time_us is not None:
            if time_us < self._time_us:
                raise ValueError(f"time went back: {time_us} < {self._time_us} us")
            self.predict_to(time_us)
        self._time_us = time_us
        updated = np.zeros_like(self._active)
        if meas is not None and meas.n:
            z, r, comp, angle = self._measurement_vectors(meas)
            for src in np.unique(meas.source):
                self._associate(time_us, meas, np.flatnonzero(meas.source == src), z, r, comp,
                                angle, updated)
        cfg = self.config
        miss = self._active & ~updated
        self._misses[miss] += 1
        self._hits[updated] += 1
        self._misses[updated] = 0
        self._confirmed |= updated & (self._hits >= cfg.birth_hits)
        self._active &= self._misses < cfg.death_misses
        return self.tracks()

    def predict_to(self, time_us: int) -> None:
        """Move every track's state to ``time_us`` without measurements."""
        dt = (int(time_us) - self._time_us) * 1e-6
        if dt > 0.0:
            cfg = self.config
            if cfg.model == "cv":
                self._K.cv_predict(self._active, self._X, self._P, dt, cfg.accel_sigma)
            else:
                self._K.ctrv_predict(self._active, self._X, self._P, dt, cfg.accel_sigma,
                                     cfg.yaw_accel_sigma)
        self._time_us = int(time_us)

    def _measurement_vectors(self, m: Measurements):
        """Z, R (k, 4) in the model's state coordinates, the state index of each column, and
        the angle component (wrapped innovation)."""
        ps2, vs2, ys2 = m.pos_sigma ** 2, m.vel_sigma ** 2, m.yaw_sigma ** 2
        if self.config.model == "cv":
            vel_ok = np.isfinite(m.yaw) & np.isfinite(m.speed)
            z = np.stack([m.x, m.y, m.speed * np.cos(m.yaw), m.speed * np.sin(m.yaw)], 1)
            r = np.stack([ps2, ps2, np.where(vel_ok, vs2, np.nan), np.where(vel_ok, vs2, np.nan)],
                         1)
            return z, r, np.arange(4, dtype=np.int64), -1
        z = np.stack([m.x, m.y, m.speed, m.yaw], 1)
        r = np.stack([ps2, ps2, vs2, ys2], 1)
        return z, r, np.arange(4, dtype=np.int64), 3

    def _associate(self, time_us, m, idx, z, r, comp, angle, updated):
        cfg = self.config
        cost = np.empty((self._X.shape[0], idx.shape[0]))
        self._K.gate_costs(self._active, self._X, self._P, m.x[idx], m.y[idx],
                           m.pos_sigma[idx] ** 2, cfg.gate_d2, cfg.gate_dist, cost)
        rows, cols = linear_assignment(cost, self._K)
        self._K.kf_update(rows, idx[cols], self._X, self._P, z, r, comp, angle)
        j = idx[cols]
        a = cfg.size_alpha
        self._length[rows] += a * (m.length[j] - self._length[rows])
        self._width[rows] += a * (m.width[j] - self._width[rows])
        self._kind[rows] = m.kind[j]
        has_yaw = np.isfinite(m.yaw[j])
        self._box_yaw[rows[has_yaw]] = m.yaw[j[has_yaw]]
        updated[rows] = True
        # A measurement inside some track's gate is that object seen again, not a new one.
        unmatched = np.ones(idx.shape[0], np.bool_)
        unmatched[cols] = False
        unmatched &= ~np.isfinite(cost).any(0)
        for q in np.flatnonzero(unmatched):
            self._birth(time_us, m, int(idx[q]), z, r, comp, angle, updated)

    def _birth(self, time_us, m, j, z, r, comp, angle, updated):
        free = np.flatnonzero(~self._active)
        if free.shape[0] == 0:
            return  # bank full: the object is dropped until a slot frees up
        i = int(free[0])
        cfg = self.config
        yaw = float(m.yaw[j]) if np.isfinite(m.yaw[j]) else 0.0
        if cfg.model == "cv":
            self._X[i] = 0.0
            prior = [0.0, 0.0, cfg.init_vel_sigma ** 2, cfg.init_vel_sigma ** 2]
        else:
            self._X[i] = [0.0, 0.0, 0.0, yaw, 0.0]
            yaw_var = cfg.init_yaw_sigma ** 2 if np.isfinite(m.yaw[j]) else np.pi ** 2
            prior = [0.0, 0.0, cfg.init_vel_sigma ** 2, yaw_var, cfg.init_yaw_rate_sigma ** 2]
        self._P[i] = np.diag(prior)
        # position: the first update with a flat prior returns the measurement itself
        self._P[i, 0, 0] = self._P[i, 1, 1] = 1e6
        self._X[i, 0], self._X[i, 1] = m.x[j], m.y[j]
        one = np.array([i], np.int64)
        self._K.kf_update(one, np.array([j], np.int64), self._X, self._P, z, r, comp, angle)
        self._active[i] = True
        self._id[i] = self._next_id
        self._next_id += 1
        self._born_us[i] = time_us
        self._hits[i] = self._misses[i] = 0
        self._confirmed[i] = False
        self._length[i], self._width[i], self._kind[i] = m.length[j], m.width[j], m.kind[j]
        self._box_yaw[i] = yaw
        updated[i] = True

    def tracks(self) -> Tracks:
        """Every live track now (copies; the bank keeps its own state)."""
        rows = np.flatnonzero(self._active)
        rows = rows[np.argsort(self._id[rows], kind="stable")]
        X = self._X[rows]
        if self.config.model == "cv":
            vx, vy = X[:, 2].copy(), X[:, 3].copy()
            speed = np.hypot(vx, vy)
            yaw = np.where(speed > 0.5, np.arctan2(vy, vx), self._box_yaw[rows])
            yaw_rate = np.zeros(rows.shape[0])
        else:
            speed, yaw, yaw_rate = X[:, 2].copy(), X[:, 3].copy(), X[:, 4].copy()
            vx, vy = speed * np.cos(yaw), speed * np.sin(yaw)
        t = 0 if self._time_us is None else self._time_us
        return Tracks(t, self._id[rows], X[:, 0].copy(), X[:, 1].copy(), yaw, speed, yaw_rate,
                      vx, vy, self._length[rows], self._width[rows], self._kind[rows],
                      t - self._born_us[rows], self._hits[rows], self._misses[rows],
                      self._confirmed[rows], self._P[rows][:, :2, :2].copy())
