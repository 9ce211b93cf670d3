"""nuPlan comfort of the ego ("ego_is_comfortable", ``shared/design/metrics.md``).

Bounds (nuPlan): longitudinal accel in [-4.05, 2.40] m/s^2, |lateral accel| <= 4.89 m/s^2,
|yaw accel| <= 1.93 rad/s^2, |yaw rate| <= 0.95 rad/s, |longitudinal jerk| <= 4.13 m/s^3,
|jerk| (derivative of the acceleration magnitude) <= 8.37 m/s^3. ``comfort_ok`` = 1 when
every smoothed sample lies inside every bound (nuPlan's strict ``within_bound``).

Signals from the ego's per-state history: longitudinal accel = ``state.accel``; lateral
accel = speed x yaw_rate; heading = ``state.yaw`` unwrapped. nuPlan smooths and
differentiates with Savitzky-Golay filters (nuplan-devkit ``state_extractors``): accel
smoothed with poly 2 over 8 samples, jerk = poly-2 derivative of the smoothed accel over
15 samples, yaw rate = poly-2 first derivative of the heading over 5 samples, yaw accel =
poly-3 second derivative over 5 samples, all at nuPlan's 10 Hz. kav keeps those windows in
seconds (0.8, 1.5, 0.5, 0.5 s), rounded up to an odd number of its own steps, and uses the
same filter (least-squares polynomial over the window; the first and last half-window take
the derivative of the polynomial fitted to the first / last window, as scipy's
``mode="interp"``), implemented here in NumPy (scipy is not a kav dependency).

``ego_max_decel`` / ``ego_max_accel`` [m/s^2] are the raw extremes of ``state.accel``
(positive numbers, 0 when never braking / accelerating), as ``scenarios.criteria``.
"""

from __future__ import annotations

import math

import numpy as np

from sim.metrics.base import Metric, MetricEvent, MetricReport, RunContext, StepInput
from sim.state import WorldState

LON_ACCEL = (-4.05, 2.40)  # [m/s^2]
MAX_LAT_ACCEL = 4.89  # [m/s^2]
MAX_YAW_ACCEL = 1.93  # [rad/s^2]
MAX_YAW_RATE = 0.95  # [rad/s]
MAX_LON_JERK = 4.13  # [m/s^3]
MAX_JERK = 8.37  # [m/s^3]
ACCEL_WINDOW_S, JERK_WINDOW_S, YAW_WINDOW_S = 0.8, 1.5, 0.5


def savgol(y: np.ndarray, window: int, poly: int, deriv: int, dt: float) -> np.ndarray:
    """Savitzky-Golay smoothing / derivative of a uniformly sampled y (n,) -> (n,).

    window: samples (made odd, capped to n); poly: polynomial order (capped below the
    window); deriv: derivative order; dt [s]: sample spacing. Edges as scipy's interp."""
    y = np.asarray(y, float)
    n = len(y)
    w = min(int(window), n)
    if w % 2 == 0:
        w -= 1
    poly = min(poly, w - 1)
    if w < 1 or poly < deriv:
        return np.zeros(n)
    m = w // 2
    tt = np.arange(-m, m + 1, dtype=float)
    pinv = np.linalg.pinv(np.vander(tt, poly + 1, increasing=True))  # (poly+1, w)
    scale = math.factorial(deriv) / dt ** deriv
    out = np.empty(n)
    if n > 2 * m:
        out[m:n - m] = np.lib.stride_tricks.sliding_window_view(y, w) @ (pinv[deriv] * scale)

    def fit_eval(seg: np.ndarray, at: np.ndarray) -> np.ndarray:
        c = pinv @ seg
        k = np.arange(deriv, poly + 1)
        fac = np.array([math.factorial(int(i)) / math.factorial(int(i - deriv)) for i in k])
        return (c[k] * fac) @ (at[None, :] ** (k - deriv)[:, None]) / dt ** deriv

    out[:m] = fit_eval(y[:w], tt[:m])
    out[n - m:] = fit_eval(y[n - w:], tt[w - m:])
    return out


def odd_window(seconds: float, dt: float) -> int:
    """Samples covering ``seconds`` at spacing dt, rounded up to odd (at least 3)."""
    k = max(3, math.ceil(seconds / dt - 1e-9))
    return k if k % 2 else k + 1


def unwrap(yaw: np.ndarray) -> np.ndarray:
    """Headings [rad] made continuous (successive differences within +-pi)."""
    return np.unwrap(np.asarray(yaw, float))


class Comfort(Metric):
    """nuPlan comfort bounds on the ego's smoothed accelerations, jerks and yaw motion."""

    name = "comfort"

    def start(self, ctx: RunContext, state: WorldState) -> None:
        self.ctx = ctx
        self.r = ctx.ego_row
        self.dt = ctx.dt_us / 1e6
        self.rows: list[tuple[float, float, float, float, float]] = []
        self._observe(state)

    def _observe(self, st: WorldState) -> None:
        r = self.r
        if st.valid[r]:
            self.rows.append((float(st.speed[r]), float(st.accel[r]), float(st.yaw[r]),
                              float(st.yaw_rate[r]), 1.0))
        else:
            self.rows.append((math.nan,) * 4 + (0.0,))

    def update(self, step: StepInput) -> list[MetricEvent]:
        self._observe(step.state)
        return []

    def signals(self) -> dict[str, np.ndarray]:
        """Smoothed signals over the states where the ego was valid (each (m,))."""
        a = np.asarray(self.rows).reshape(-1, 5)
        a = a[a[:, 4] > 0]
        speed, acc, yaw, yaw_rate = a[:, 0], a[:, 1], a[:, 2], a[:, 3]
        dt = self.dt
        wa, wj, wy = (odd_window(s, dt) for s in (ACCEL_WINDOW_S, JERK_WINDOW_S, YAW_WINDOW_S))
        lon = savgol(acc, wa, 2, 0, dt)
        lat = savgol(speed * yaw_rate, wa, 2, 0, dt)
        heading = unwrap(yaw)
        return {"lon_accel": lon, "lat_accel": lat,
                "lon_jerk": savgol(lon, wj, 2, 1, dt),
                "jerk": savgol(np.hypot(lon, lat), wj, 2, 1, dt),
                "yaw_rate": savgol(heading, wy, 2, 1, dt),
                "yaw_accel": savgol(heading, wy, 3, 2, dt), "raw_accel": acc}

    def finish(self, state: WorldState) -> MetricReport:
        if len(self.rows) and any(row[4] > 0 for row in self.rows):
            sig = self.signals()
        else:
            sig = {k: np.zeros(0) for k in ("lon_accel", "lat_accel", "lon_jerk", "jerk",
                                            "yaw_rate", "yaw_accel", "raw_accel")}

        def amax(x):
            return float(np.max(np.abs(x))) if len(x) else 0.0

        lon = sig["lon_accel"]
        values = {
            "lon_accel_max_mps2": float(lon.max()) if len(lon) else 0.0,
            "lon_accel_min_mps2": float(lon.min()) if len(lon) else 0.0,
            "lat_accel_max_abs_mps2": amax(sig["lat_accel"]),
            "yaw_accel_max_abs_radps2": amax(sig["yaw_accel"]),
            "yaw_rate_max_abs_radps": amax(sig["yaw_rate"]),
            "lon_jerk_max_abs_mps3": amax(sig["lon_jerk"]),
            "jerk_max_abs_mps3": amax(sig["jerk"]),
            "ego_max_decel": max(0.0, -float(sig["raw_accel"].min(initial=0.0))),
            "ego_max_accel": max(0.0, float(sig["raw_accel"].max(initial=0.0))),
        }
        ok = (values["lon_accel_min_mps2"] > LON_ACCEL[0]
              and values["lon_accel_max_mps2"] < LON_ACCEL[1]
              and values["lat_accel_max_abs_mps2"] < MAX_LAT_ACCEL
              and values["yaw_accel_max_abs_radps2"] < MAX_YAW_ACCEL
              and values["yaw_rate_max_abs_radps"] < MAX_YAW_RATE
              and values["lon_jerk_max_abs_mps3"] < MAX_LON_JERK
              and values["jerk_max_abs_mps3"] < MAX_JERK)
        values["comfort_ok"] = 1.0 if ok else 0.0
        units = {"lon_accel_max_mps2": "m/s^2", "lon_accel_min_mps2": "m/s^2",
                 "lat_accel_max_abs_mps2": "m/s^2", "yaw_accel_max_abs_radps2": "rad/s^2",
                 "yaw_rate_max_abs_radps": "rad/s", "lon_jerk_max_abs_mps3": "m/s^3",
                 "jerk_max_abs_mps3": "m/s^3", "ego_max_decel": "m/s^2",
                 "ego_max_accel": "m/s^2", "comfort_ok": "bool"}
        valid = np.asarray([row[4] > 0 for row in self.rows])
        series = {}
        for key in ("lon_accel", "lat_accel", "jerk"):
            full = np.full(len(self.rows), np.nan)
            full[valid] = sig[key]
            series[f"{key}_{'mps3' if key == 'jerk' else 'mps2'}"] = full
        return MetricReport(self.name, values, units, (), series)
