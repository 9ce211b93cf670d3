"""Local east-north frame <-> WGS-84, for putting simulator positions into ETSI messages.

The simulator works in a flat map frame (x east, y north [m]) anchored at a WGS-84 point.
Over a pilot zone (a few km) an equirectangular projection about the anchor is accurate to
well under the 1e-7 deg (~1 cm) resolution of ETSI latitude/longitude, so nothing heavier is
needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# WGS-84 semi-major axis and first eccentricity squared
_A = 6378137.0
_E2 = 6.69437999014e-3


@dataclass(frozen=True)
class LocalFrame:
    """A map frame anchored at ``lat0``/``lon0`` [deg]: x east, y north [m].

    Headings convert between the simulator's yaw (radians, counter-clockwise from east) and
    ETSI's heading (radians, clockwise from north, in [0, 2 pi)).
    """

    lat0: float
    lon0: float

    def __post_init__(self):
        if not (-89.0 <= self.lat0 <= 89.0 and -180.0 <= self.lon0 <= 180.0):
            raise ValueError(f"anchor ({self.lat0}, {self.lon0}) deg is not a usable WGS-84 point")

    @property
    def _radii(self) -> tuple[float, float]:
        """Metres per radian of latitude and of longitude at the anchor."""
        s = math.sin(math.radians(self.lat0))
        w = math.sqrt(1.0 - _E2 * s * s)
        m_north = _A * (1.0 - _E2) / (w * w * w)  # meridional radius
        m_east = _A / w * math.cos(math.radians(self.lat0))  # prime vertical x cos(lat)
        return m_north, m_east

    def to_latlon(self, x, y):
        """x, y: scalar or (n,) [m] -> (lat, lon) [deg], same shape."""
        rn, re = self._radii
        lat = self.lat0 + np.degrees(np.asarray(y, dtype=np.float64) / rn)
        lon = self.lon0 + np.degrees(np.asarray(x, dtype=np.float64) / re)
        if np.ndim(lat) == 0:
            return float(lat), float(lon)
        return lat, lon

    def to_xy(self, lat, lon):
        """lat, lon: scalar or (n,) [deg] -> (x, y) [m], same shape."""
        rn, re = self._radii
        y = np.radians(np.asarray(lat, dtype=np.float64) - self.lat0) * rn
        x = np.radians(np.asarray(lon, dtype=np.float64) - self.lon0) * re
        if np.ndim(x) == 0:
            return float(x), float(y)
        return x, y


def yaw_to_heading(yaw):
    """Simulator yaw [rad, CCW from east] -> ETSI heading [rad, CW from north, in [0, 2 pi)]."""
    return np.mod(np.pi / 2.0 - np.asarray(yaw, dtype=np.float64), 2.0 * np.pi)


def heading_to_yaw(heading):
    """ETSI heading [rad, CW from north] -> simulator yaw [rad, CCW from east, in (-pi, pi]]."""
    h = np.pi / 2.0 - np.asarray(heading, dtype=np.float64)
    return np.pi - np.mod(np.pi - h, 2.0 * np.pi)
