"""Actions: what the outside world (planners, scenario scripts) commands for one step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Actions:
    """Low-level commands, one row per actor (n,). Rows with ``controlled`` False are driven
    by the engine's own traffic model.

    controlled: bool; accel: float64 [m/s^2] longitudinal; steer: float64 [rad] front-wheel
    angle (pedestrians: heading rate [rad/s]; a controlled pedestrian leaves the walk graph
    and moves as a unicycle); reverse: bool, allow the speed to go negative.
    """

    controlled: np.ndarray
    accel: np.ndarray
    steer: np.ndarray
    reverse: np.ndarray

    @staticmethod
    def none(n: int) -> Actions:
        """No actor is externally controlled."""
        return Actions(np.zeros(n, bool), np.zeros(n), np.zeros(n), np.zeros(n, bool))

    def with_control(self, row: int, accel: float, steer: float, reverse: bool = False) -> Actions:
        """A copy with one row controlled."""
        c, a, s, r = (self.controlled.copy(), self.accel.copy(), self.steer.copy(),
                      self.reverse.copy())
        c[row], a[row], s[row], r[row] = True, accel, steer, reverse
        return Actions(c, a, s, r)

    def check(self, n: int) -> None:
        for name, dtype in (("controlled", np.bool_), ("accel", np.float64),
                            ("steer", np.float64), ("reverse", np.bool_)):
            arr = getattr(self, name)
            if not isinstance(arr, np.ndarray) or arr.shape != (n,) or arr.dtype != dtype:
                raise ValueError(f"Actions.{name}: expected ({n},) {np.dtype(dtype)} array")
        if not (np.all(np.isfinite(self.accel)) and np.all(np.isfinite(self.steer))):
            raise ValueError("Actions.accel and Actions.steer must be finite")
