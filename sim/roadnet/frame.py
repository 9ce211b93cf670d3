"""The one place where CARLA's left-handed frame meets kav's right-handed one.

kav = OpenDRIVE inertial frame: x east, y north, yaw counter-clockwise, radians.
CARLA = same x, y mirrored (y_carla = -y), yaw in degrees measured clockwise seen from
above (yaw_carla = -degrees(yaw)). z is up in both.
"""

from __future__ import annotations

import math


def from_carla_xy(x_carla: float, y_carla: float) -> tuple[float, float]:
    """CARLA location (x, y) [m] -> kav (x, y) [m]."""
    return float(x_carla), -float(y_carla)


def to_carla_xy(x: float, y: float) -> tuple[float, float]:
    """kav (x, y) [m] -> CARLA location (x, y) [m]."""
    return float(x), -float(y)


def from_carla_yaw(yaw_deg: float) -> float:
    """CARLA yaw [deg, clockwise] -> kav yaw [rad, counter-clockwise], wrapped to (-pi, pi]."""
    return wrap_angle(-math.radians(yaw_deg))


def to_carla_yaw(yaw: float) -> float:
    """kav yaw [rad] -> CARLA yaw [deg]."""
    return -math.degrees(yaw)


def wrap_angle(a: float) -> float:
    """Wrap an angle [rad] to (-pi, pi]."""
    w = math.remainder(a, 2.0 * math.pi)
    return math.pi if w == -math.pi else w
