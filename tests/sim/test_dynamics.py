"""Kinematic bicycle kernel against its NumPy twin and hand-computed motion."""

import math

import numpy as np

from sim.dynamics import _kernels as K
from sim.dynamics._reference import bicycle_step_ref


def _run_kernel(*args):
    n = args[1].shape[0]
    outs = [np.empty(n) for _ in range(6)]
    K.bicycle_step(*args, *outs)
    return outs


def test_kernel_matches_reference_random():
    rng = np.random.default_rng(0)
    n = 500
    mask = rng.random(n) < 0.9
    args = (mask, rng.uniform(-100, 100, n), rng.uniform(-100, 100, n),
            rng.uniform(-np.pi, np.pi, n), rng.uniform(-3, 20, n), rng.uniform(-8, 3, n),
            rng.uniform(-0.6, 0.6, n), np.where(rng.random(n) < 0.1, 0.0, rng.uniform(1, 6, n)),
            np.full(n, 30.0), rng.random(n) < 0.2, 0.05)
    got = _run_kernel(*args)
    ref = bicycle_step_ref(*args)
    for a, b in zip(got, ref):
        assert np.allclose(a, b, rtol=0, atol=1e-12)


def test_straight_acceleration_and_no_reverse():
    one = np.ones(1, bool)
    x, y, yaw, v, yr, a = _run_kernel(one, np.zeros(1), np.zeros(1), np.zeros(1),
                                      np.array([10.0]), np.array([2.0]), np.zeros(1),
                                      np.array([2.8]), np.array([30.0]), np.zeros(1, bool), 0.05)
    assert math.isclose(v[0], 10.1) and math.isclose(x[0], 0.5025) and y[0] == 0.0
    assert math.isclose(a[0], 2.0)
    x, y, yaw, v, yr, a = _run_kernel(one, np.zeros(1), np.zeros(1), np.zeros(1),
                                      np.array([0.2]), np.array([-8.0]), np.zeros(1),
                                      np.array([2.8]), np.array([30.0]), np.zeros(1, bool), 0.05)
    assert v[0] == 0.0 and math.isclose(a[0], -4.0)  # braking stops, never reverses


def test_constant_steer_yaw_rate():
    delta, L, v = 0.2, 2.8, 8.0
    one = np.ones(1, bool)
    _, _, yaw, _, yr, _ = _run_kernel(one, np.zeros(1), np.zeros(1), np.zeros(1), np.array([v]),
                                      np.zeros(1), np.array([delta]), np.array([L]),
                                      np.array([30.0]), np.zeros(1, bool), 0.05)
    beta = math.atan(0.5 * math.tan(delta))
    assert math.isclose(yr[0], v * math.cos(beta) * math.tan(delta) / L)
    assert math.isclose(yaw[0], yr[0] * 0.05)
