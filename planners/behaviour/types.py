"""What the behaviour layer reads and returns: perceived objects, the ego on its corridor,
its configuration, and the decision (constraints for the planner, with their reasons)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Perceived:
    """Objects around the ego (tracks, sensor detections or ground truth), shape (k,):
    x, y [m], vx, vy [m/s], length, width [m]; kind int8 ActorKind; accel [m/s^2] along
    the velocity (estimated; None when unknown); yaw [rad] box heading (None: the velocity's
    direction, which says nothing for a standing object)."""

    x: np.ndarray
    y: np.ndarray
    vx: np.ndarray
    vy: np.ndarray
    length: np.ndarray
    width: np.ndarray
    kind: np.ndarray
    accel: np.ndarray | None = None
    yaw: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @property
    def speed(self) -> np.ndarray:
        return np.hypot(self.vx, self.vy)


@dataclass(frozen=True)
class EgoView:
    """The ego in path coordinates: s [m] of its centre, v [m/s], half_length [m]."""

    s: float
    v: float
    half_length: float
    width: float


@dataclass(frozen=True)
class BehaviourConfig:
    """Distances [m], speeds and decelerations of the behaviour layer."""

    lookahead_m: float = 120.0
    comfort_decel: float = 2.0  # [m/s^2] for approach speeds
    stop_margin_m: float = 1.0  # [m] front bumper stops this far before a crosswalk
    at_line_m: float = 3.0  # [m] within this of a line the vehicle counts as standing at it
    curve_lat_accel: float = 2.0  # [m/s^2]
    min_gap_m: float = 3.0  # [m] stop this far behind a stopped vehicle
    yield_horizon_s: float = 8.0  # [s] conflicting vehicles further away are ignored
    speed_margin_kmh: float = 0.5  # [km/h] target this far under every speed limit


@dataclass(frozen=True)
class Constraint:
    """One binding rule: its name, why, and the path s [m] it applies at."""

    rule: str
    reason: str
    s: float  # [m] path s where it applies


@dataclass(frozen=True)
class Decision:
    """v_max [m/s]; s_stop [m] path s the front bumper must not pass (inf: none);
    d_min, d_max [m] lateral band; d_pref [m]; active: the constraints that bind."""

    v_max: float
    s_stop: float
    d_min: float
    d_max: float
    d_pref: float = 0.0
    active: tuple[Constraint, ...] = ()
