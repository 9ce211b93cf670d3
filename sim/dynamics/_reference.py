"""Vectorised NumPy twin of :mod:`sim.dynamics._kernels` (same model, same outputs)."""

from __future__ import annotations

import numpy as np


def bicycle_step_ref(mask, x, y, yaw, v, accel, steer, wheelbase, v_max, allow_reverse, dt):
    """Returns (x, y, yaw, v, yaw_rate, accel_applied), each (n,) float64."""
    v_new = np.minimum(v + accel * dt, v_max)
    v_new = np.where(allow_reverse, np.maximum(v_new, -v_max), np.maximum(v_new, 0.0))
    a_eff = (v_new - v) / dt
    v_avg = 0.5 * (v + v_new)
    has_wb = wheelbase > 0
    beta = np.where(has_wb, np.arctan(0.5 * np.tan(steer)), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        yaw_rate = np.where(has_wb, v_avg * np.cos(beta) * np.tan(steer) / wheelbase, 0.0)
    nx = x + v_avg * np.cos(yaw + beta) * dt
    ny = y + v_avg * np.sin(yaw + beta) * dt
    nyaw = yaw + yaw_rate * dt
    nyaw = np.arctan2(np.sin(nyaw), np.cos(nyaw))
    keep = ~mask
    return (np.where(keep, x, nx), np.where(keep, y, ny), np.where(keep, yaw, nyaw),
            np.where(keep, v, v_new), np.where(keep, 0.0, yaw_rate), np.where(keep, 0.0, a_eff))
