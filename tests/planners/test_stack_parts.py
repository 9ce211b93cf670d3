"""Small pieces of the reference stack: braking predictions and the time-gap obstacles."""

import numpy as np
import pytest

from planners.lattice.planner import Obstacles
from planners.lattice.time_gap import with_time_gap
from planners.prediction.motion import brake_along, predict_cv


def test_brake_along_turns_constant_speed_into_constant_deceleration():
    p = predict_cv(np.zeros(2), np.zeros(2), np.zeros(2), np.array([10.0, 10.0]),
                   np.full(2, 4.5), np.full(2, 1.8), 0.1, 71)
    x, y, yaw = p.x.copy(), p.y.copy(), p.yaw.copy()
    brake_along(x, y, yaw, np.array([10.0, 10.0]), np.array([-2.0, 1.0]), 0.1)
    t = np.arange(71) * 0.1
    tt = np.minimum(t, 5.0)
    np.testing.assert_allclose(x[0], 10 * tt - tt * tt, atol=1e-9)  # stops at 25 m at 5 s
    assert x[0, -1] == pytest.approx(25.0)
    np.testing.assert_array_equal(x[1], p.x[1])  # accelerating: prediction kept
    np.testing.assert_array_equal(y, p.y)


def test_time_gap_obstacles_are_delayed_copies_tested_late():
    n_t = 10
    x = np.arange(n_t, dtype=float)[None, :] * np.array([[1.0], [2.0]])
    obs = Obstacles(x=x, y=np.zeros((2, n_t)), yaw=np.zeros((2, n_t)), length=np.ones(2),
                    width=np.ones(2), valid=np.ones((2, n_t), bool))
    assert with_time_gap(obs, 0, 3) is obs
    g = with_time_gap(obs, 2, 5)
    assert g.x.shape == (4, n_t) and np.array_equal(g.x[:2], obs.x)
    np.testing.assert_array_equal(g.x[2:, 2:], obs.x[:, :-2])
    assert not g.valid[2:, :5].any() and g.valid[2:, 5:].all()
    g = with_time_gap(obs, 4, 1)  # never before the lag itself
    assert not g.valid[2:, :4].any() and g.valid[2:, 4:].all()
