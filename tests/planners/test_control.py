"""Pure pursuit + speed PID: steering sign, convergence on a circle, speed tracking, stop."""

import math

import numpy as np
import pytest

from planners.control import ControlConfig, SpeedPid, TrajectoryTracker, pure_pursuit
from sim.traffic._kernels import bicycle_one

WB = 2.9


def test_pure_pursuit_steers_towards_the_path_and_ignores_points_behind():
    px = np.linspace(-20, 50, 141)
    left = pure_pursuit(0.0, 0.0, 0.0, 10.0, px, np.full_like(px, 2.0), WB, 8.0, 0.6)
    right = pure_pursuit(0.0, 0.0, 0.0, 10.0, px, np.full_like(px, -2.0), WB, 8.0, 0.6)
    assert left > 0.0 and right == pytest.approx(-left)
    assert pure_pursuit(0.0, 0.0, 0.0, 10.0, px, np.zeros_like(px), WB, 8.0, 0.6) == 0.0
    assert pure_pursuit(0.0, 0.0, 0.0, 10.0, -px - 30, np.zeros_like(px), WB, 8.0, 0.6) == 0.0
    assert pure_pursuit(0, 0, 0, 1, np.array([0.5]), np.array([5.0]), WB, 4.0, 0.6) == 0.6


def test_pid_removes_steady_error_and_is_bounded():
    pid = SpeedPid(ControlConfig(kp=0.5, ki=0.5, i_limit=0.4))
    for _ in range(200):
        a = pid.accel(10.0, 0.0, 9.0, 0.05)
    assert a == pytest.approx(0.5 * 1.0 + 0.4)  # integral saturates at i_limit


def test_tracker_follows_a_circle_and_reaches_the_speed():
    r, v_ref = 40.0, 8.0
    ang = np.linspace(-math.pi / 2, math.pi, 400)
    px, py = r * np.cos(ang), r * np.sin(ang) + 0.0
    tr = TrajectoryTracker(ControlConfig(), WB, 0.6, 2.0, 6.0)
    x, y, yaw, v = px[0] + 0.8, py[0], 0.0, 6.0  # 0.8 m off the path
    errs = []
    for k in range(300):
        t_us = np.array([k * 50_000, k * 50_000 + 5_000_000])
        a, st = tr.control(k * 50_000, x, y, yaw, v, 0.05, t_us, px, py,
                           np.array([v_ref, v_ref]), np.zeros(2))
        x, y, yaw, v, _, _ = bicycle_one(x, y, yaw, v, a, st, WB, 30.0, False, 0.05)
        errs.append(abs(math.hypot(x, y) - r))
    assert max(errs[-100:]) < 0.3 and abs(v - v_ref) < 0.1


def test_tracker_holds_a_stop_firmly():
    tr = TrajectoryTracker(ControlConfig(), WB, 0.6, 2.0, 6.0)
    a, _ = tr.control(0, 0.0, 0.0, 0.0, 0.1, 0.05, np.array([0, 3_000_000]),
                      np.array([0.0, 0.1]), np.zeros(2), np.zeros(2), np.zeros(2))
    assert a <= -2.0
