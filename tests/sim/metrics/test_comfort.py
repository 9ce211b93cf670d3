"""comfort: the Savitzky-Golay filter and nuPlan's bounds on synthetic ego profiles."""

from __future__ import annotations

import numpy as np
import pytest

from sim.metrics.comfort import Comfort, odd_window, savgol
from tests.sim.metrics._safety_fixtures import DT, actor, context, run, state


def _profile(accel, yaw_rate=None, v0=10.0):
    """Ego states from per-state accel [m/s^2] (and yaw rate [rad/s]), integrated."""
    n = len(accel)
    yaw_rate = np.zeros(n) if yaw_rate is None else np.asarray(yaw_rate, float)
    v, yaw, out = v0, 0.0, []
    for k in range(n):
        out.append(state(k, [actor(speed=v, yaw=yaw, accel=float(accel[k]),
                                   yaw_rate=float(yaw_rate[k]))]))
        v += accel[k] * DT
        yaw += yaw_rate[k] * DT
    return out


def test_savgol_is_exact_on_quadratics_and_matches_scipy():
    t = np.arange(40) * 0.05
    y = 3.0 * t ** 2 - t + 2.0
    assert savgol(y, 11, 2, 1, 0.05) == pytest.approx(6.0 * t - 1.0)
    assert savgol(y, 11, 2, 2, 0.05) == pytest.approx(np.full(40, 6.0))
    assert savgol(y, 11, 2, 0, 0.05) == pytest.approx(y)
    signal = pytest.importorskip("scipy.signal")
    rng = np.random.default_rng(0)
    noisy = rng.normal(size=60)
    for w, p, d in ((17, 2, 0), (31, 2, 1), (11, 3, 2)):
        ref = signal.savgol_filter(noisy, w, p, deriv=d, delta=0.05)
        assert savgol(noisy, w, p, d, 0.05) == pytest.approx(ref, abs=1e-9)
    assert odd_window(0.8, 0.05) == 17 and odd_window(1.5, 0.05) == 31


def test_steady_driving_is_comfortable():
    rep, _ = run(Comfort(), context(), _profile(np.zeros(100)))
    assert rep.values["comfort_ok"] == 1.0
    assert rep.values["lon_jerk_max_abs_mps3"] == pytest.approx(0.0, abs=1e-9)
    assert len(rep.series["lon_accel_mps2"]) == 100


def test_hard_braking_breaks_the_longitudinal_bound():
    acc = np.r_[np.zeros(40), np.full(60, -5.0), np.zeros(40)]
    rep, _ = run(Comfort(), context(), _profile(acc, v0=20.0))
    # the poly-2 fit over 17 samples reproduces the plateau exactly away from its edges
    # (where the step makes it overshoot)
    assert rep.series["lon_accel_mps2"][70] == pytest.approx(-5.0)
    assert rep.values["lon_accel_min_mps2"] <= -5.0
    assert rep.values["ego_max_decel"] == 5.0 and rep.values["ego_max_accel"] == 0.0
    assert rep.values["comfort_ok"] == 0.0


def test_turning_yaw_rate_and_lateral_accel():
    # 1.0 rad/s at 10 m/s: yaw rate above 0.95 rad/s, lateral accel 10 m/s^2 above 4.89
    rep, _ = run(Comfort(), context(), _profile(np.zeros(60), np.full(60, 1.0)))
    assert rep.values["yaw_rate_max_abs_radps"] == pytest.approx(1.0)
    assert rep.values["lat_accel_max_abs_mps2"] == pytest.approx(10.0)
    assert rep.values["yaw_accel_max_abs_radps2"] == pytest.approx(0.0, abs=1e-6)
    assert rep.values["comfort_ok"] == 0.0
    # 0.4 rad/s at 10 m/s: 4 m/s^2 lateral, both inside the bounds
    rep, _ = run(Comfort(), context(), _profile(np.zeros(60), np.full(60, 0.4)))
    assert rep.values["comfort_ok"] == 1.0


def test_jerk_bound():
    # accel ramping at 2 m/s^3 for 3 s (-3.9 to 2.1 m/s^2): a ramp longer than both windows
    # is differentiated exactly in its interior; the smoothed corners overshoot a little
    ramp = -3.9 + 2.0 * np.arange(0, 3.0, DT)
    acc = np.r_[np.full(40, -3.9), ramp, np.full(40, ramp[-1])]
    rep, _ = run(Comfort(), context(), _profile(acc, v0=30.0))
    assert rep.values["lon_jerk_max_abs_mps3"] == pytest.approx(2.0, abs=0.02)  # < 1 % overshoot
    assert rep.values["comfort_ok"] == 1.0
    steep = np.clip(-3.9 + 5.0 * np.arange(0, 2.0, DT), -3.9, 2.3)  # 5 m/s^3, 1.24 s
    acc = np.r_[np.full(40, -3.9), steep, np.full(40, 2.3)]
    rep, _ = run(Comfort(), context(), _profile(acc, v0=30.0))
    assert 4.13 < rep.values["lon_jerk_max_abs_mps3"] <= 5.0
    assert rep.values["jerk_max_abs_mps3"] <= 5.0 + 1e-9
    assert rep.values["comfort_ok"] == 0.0
    assert rep.values["lon_accel_max_mps2"] < 2.40  # only the jerk bound broke
