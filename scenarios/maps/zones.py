"""Pilot-zone anchors (WGS-84) and the transverse-Mercator PROJ string built on them.

The anchors come from ``shared/design/korea.md``: good enough to place a map's
``<geoReference>``, not survey points. Each map's inertial origin (0, 0) sits on its anchor,
so ``carla.Map.transform_to_geolocation`` of the origin gives the anchor back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Zone:
    """One pilot zone: ``lat``/``lon`` [deg, WGS-84] of its anchor.

    ``approximate`` marks anchors that korea.md itself gives only roughly (``~``) or not at
    all (K-City: the value here is a coarse placement near KATRI, Hwaseong; geocode the site
    address before relying on it).
    """

    key: str
    name: str
    lat: float
    lon: float
    approximate: bool = False


ZONES: dict[str, Zone] = {
    z.key: z
    for z in (
        Zone("sangam", "Seoul Sangam DMC", 37.5772, 126.8913),
        Zone("gangnam", "Seoul Gangnam", 37.4979, 127.0276),
        Zone("cheonggyecheon", "Seoul Cheonggyecheon", 37.5691, 126.9787),
        Zone("seoul_median_bus", "Seoul median bus lane", 37.55, 126.91, approximate=True),
        Zone("pangyo", "Pangyo Zero City", 37.3948, 127.1112),
        # korea.md gives two Sejong BRT anchors: Osong (north end) and Sejong city.
        Zone("osong", "Osong (Sejong BRT north end)", 36.6207, 127.3274),
        Zone("sejong", "Sejong BRT", 36.504, 127.265),
        Zone("daegu", "Daegu Technopolis", 35.69, 128.45, approximate=True),
        Zone("gwangju", "Gwangju", 35.1546, 126.9161, approximate=True),
        Zone("jeju", "Jeju", 33.5113, 126.4928),
        Zone("kcity", "K-City, Hwaseong (KATRI)", 37.24, 126.77, approximate=True),
    )
}


def zone(key: str) -> Zone:
    """The zone called ``key``; ValueError listing the known keys otherwise."""
    try:
        return ZONES[key]
    except KeyError:
        raise ValueError(f"unknown zone {key!r}; known: {', '.join(sorted(ZONES))}") from None


def proj_string(lat: float, lon: float) -> str:
    """Transverse-Mercator PROJ string centred on (``lat``, ``lon``) [deg].

    Scale 1 and no false easting/northing, so inertial (x, y) [m] are metres east/north of
    the anchor (to the accuracy of the projection, ~1e-4 relative within a few km).
    """
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ValueError(f"lat={lat!r} is not a latitude in [-90, 90] deg")
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise ValueError(f"lon={lon!r} is not a longitude in [-180, 180] deg")
    return (
        f"+proj=tmerc +lat_0={lat!r} +lon_0={lon!r} +k=1 +x_0=0 +y_0=0 "
        "+ellps=WGS84 +units=m +no_defs"
    )


def zone_proj_string(key: str) -> str:
    """:func:`proj_string` for the anchor of zone ``key``."""
    z = zone(key)
    return proj_string(z.lat, z.lon)
