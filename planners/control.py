"""Control: turn a planned trajectory into the engine's actions (accel, front-wheel steer).

Lateral: pure pursuit about the rear axle (the geometric controller of Coulter 1992: the
arc through the rear axle and a look-ahead point on the path), with the look-ahead growing
with speed. Longitudinal: the plan's acceleration as feed-forward plus a PID on the speed
error, because the bicycle model's speed cap, drag-free integration and the plan's
discretisation leave a small steady error that feed-forward alone never removes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

CRUISE_ACCEL = 0.2  # [m/s^2] plans accelerating less than this count as cruising


@dataclass(frozen=True)
class ControlConfig:
    """Gains and limits.

    lookahead_min [m], lookahead_gain [s]: look-ahead = max(min, gain * v);
    kp [1/s], ki [1/s^2], kd [-]: speed PID; i_limit [m/s^2] anti-windup bound on the integral
    term; preview_s [s]: the trajectory is read this far ahead of now (actuator lag).
    """

    lookahead_min: float = 4.0
    lookahead_gain: float = 0.6
    kp: float = 1.2
    ki: float = 0.2
    kd: float = 0.0
    i_limit: float = 1.0
    preview_s: float = 0.1

    def __post_init__(self) -> None:
        for name in ("lookahead_min", "lookahead_gain", "kp", "ki", "kd", "i_limit",
                     "preview_s"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"ControlConfig.{name} must be >= 0, got {getattr(self, name)}")


def pure_pursuit(x: float, y: float, yaw: float, v: float, path_x: np.ndarray,
                 path_y: np.ndarray, wheelbase: float, lookahead: float,
                 max_steer: float) -> float:
    """Front-wheel angle [rad] that puts the rear axle on the arc through the first path
    point at least ``lookahead`` [m] from it (the last point when none is that far).

    x, y [m]: box centre; yaw [rad]; path_x, path_y: (k,) float64 [m], in driving order.
    """
    if len(path_x) == 0:
        return 0.0
    rx = x - 0.5 * wheelbase * math.cos(yaw)
    ry = y - 0.5 * wheelbase * math.sin(yaw)
    dist = np.hypot(path_x - rx, path_y - ry)
    # only points ahead of the rear axle count: a path that starts behind us must not pull
    # the car back round
    ahead = (path_x - rx) * math.cos(yaw) + (path_y - ry) * math.sin(yaw) > 0.0
    far = np.flatnonzero(ahead & (dist >= lookahead))
    k = int(far[0]) if len(far) else int(np.argmax(np.where(ahead, dist, -1.0)))
    if not ahead[k]:
        return 0.0
    alpha = math.atan2(path_y[k] - ry, path_x[k] - rx) - yaw
    steer = math.atan2(2.0 * wheelbase * math.sin(alpha), max(float(dist[k]), 1e-3))
    return float(min(max(steer, -max_steer), max_steer))


class SpeedPid:
    """PID on speed error with feed-forward acceleration; call :meth:`reset` between runs."""

    def __init__(self, cfg: ControlConfig) -> None:
        self.cfg = cfg
        self.reset()

    def reset(self) -> None:
        self.integral = 0.0
        self.prev_error: float | None = None

    def accel(self, v_target: float, a_ff: float, v: float, dt: float) -> float:
        """Acceleration command [m/s^2] for target speed [m/s], feed-forward [m/s^2], speed
        [m/s] and step [s] (unclipped: the caller applies the vehicle's limits)."""
        c = self.cfg
        err = v_target - v
        # integrate only while cruising: the lag behind an accelerating plan is the
        # feed-forward's to cover, and integrating it would overshoot the target speed
        if c.ki > 0 and abs(a_ff) < CRUISE_ACCEL:
            self.integral = min(max(self.integral + err * dt, -c.i_limit / c.ki),
                                c.i_limit / c.ki)
        deriv = 0.0 if self.prev_error is None or dt <= 0 else (err - self.prev_error) / dt
        self.prev_error = err
        return a_ff + c.kp * err + c.ki * self.integral + c.kd * deriv


class TrajectoryTracker:
    """Pure pursuit + speed PID along a timed trajectory."""

    def __init__(self, cfg: ControlConfig, wheelbase: float, max_steer: float,
                 max_accel: float, max_decel: float) -> None:
        self.cfg, self.wheelbase, self.max_steer = cfg, wheelbase, max_steer
        self.max_accel, self.max_decel = max_accel, max_decel
        self.pid = SpeedPid(cfg)

    def control(self, time_us: int, x: float, y: float, yaw: float, v: float, dt: float,
                t_us: np.ndarray, px: np.ndarray, py: np.ndarray, pv: np.ndarray,
                pa: np.ndarray) -> tuple[float, float]:
        """(accel [m/s^2], steer [rad]) to follow the trajectory (t_us (k,) int64 absolute
        times, px, py [m], pv [m/s], pa [m/s^2], all (k,))."""
        t = (time_us + self.cfg.preview_s * 1e6 - t_us[0]) / 1e6
        ts = (t_us - t_us[0]) / 1e6
        v_target = float(np.interp(t, ts, pv))
        a_ff = float(np.interp(t, ts, pa))
        if v_target <= 0.05 and pv[-1] <= 0.05 and v < 0.3:
            # holding a stop: brake firmly so that PID noise never creeps the car forward
            self.pid.reset()
            accel = -min(2.0, self.max_decel)
        else:
            accel = self.pid.accel(v_target, a_ff, v, dt)
        accel = min(max(accel, -self.max_decel), self.max_accel)
        look = max(self.cfg.lookahead_min, self.cfg.lookahead_gain * abs(v))
        steer = pure_pursuit(x, y, yaw, v, px, py, self.wheelbase, look, self.max_steer)
        return float(accel), steer
