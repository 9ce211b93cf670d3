"""Numba motion kernels. Plain twins in :mod:`sim.dynamics._reference`.

Kinematic bicycle about the box centre (front and rear axle equidistant from it, so
l_r = wheelbase / 2): slip angle beta = atan(tan(delta) / 2). Speed integrates the
commanded acceleration; positions use the step's mean speed, which is exact for constant
acceleration.
"""

from __future__ import annotations

import math

import numba as nb


@nb.njit(cache=True)
def bicycle_one(x, y, yaw, v, accel, steer, wheelbase, v_max, allow_reverse, dt):
    """One actor, one step -> (x, y, yaw, v, yaw_rate, accel_applied).

    The slip angle enters through tan(beta) = tan(delta) / 2 and cos(beta) =
    1 / sqrt(1 + tan^2 beta), the yaw wraps by one subtraction: three transcendental calls
    where the textbook form takes nine (this runs for every vehicle every step).
    """
    v_new = v + accel * dt
    if v_new > v_max:
        v_new = v_max
    if not allow_reverse and v_new < 0.0:
        v_new = 0.0
    if allow_reverse and v_new < -v_max:
        v_new = -v_max
    a_eff = (v_new - v) / dt
    v_avg = 0.5 * (v + v_new)
    cb, sb, yaw_rate = 1.0, 0.0, 0.0
    if wheelbase > 0.0:
        tb = 0.5 * math.tan(steer)
        cb = 1.0 / math.sqrt(1.0 + tb * tb)
        sb = tb * cb
        yaw_rate = v_avg * cb * (2.0 * tb) / wheelbase
    c, s = math.cos(yaw), math.sin(yaw)
    x_new = x + v_avg * (c * cb - s * sb) * dt
    y_new = y + v_avg * (s * cb + c * sb) * dt
    yaw_new = yaw + yaw_rate * dt
    if yaw_new > math.pi:
        yaw_new -= 2.0 * math.pi
    elif yaw_new <= -math.pi:
        yaw_new += 2.0 * math.pi
    return x_new, y_new, yaw_new, v_new, yaw_rate, a_eff


@nb.njit(cache=True)
def bicycle_step(mask, x, y, yaw, v, accel, steer, wheelbase, v_max, allow_reverse, dt,
                 out_x, out_y, out_yaw, out_v, out_yaw_rate, out_accel):
    """Kinematic bicycle for every row where ``mask``; other rows are copied.

    All (n,) float64 except mask / allow_reverse (n,) bool. accel [m/s^2], steer [rad]
    (front wheel angle), wheelbase [m], v_max [m/s], dt [s].
    """
    for i in range(x.shape[0]):
        if mask[i]:
            (out_x[i], out_y[i], out_yaw[i], out_v[i], out_yaw_rate[i],
             out_accel[i]) = bicycle_one(x[i], y[i], yaw[i], v[i], accel[i], steer[i],
                                         wheelbase[i], v_max[i], allow_reverse[i], dt)
        else:
            out_x[i], out_y[i], out_yaw[i], out_v[i] = x[i], y[i], yaw[i], v[i]
            out_yaw_rate[i], out_accel[i] = 0.0, 0.0
