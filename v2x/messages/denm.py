"""DENM (ETSI EN 302 637-3 v1.3.1, ``protocolVersion`` 2) as frozen SI-unit dataclasses.

Units are in the field names (``_deg``, ``_m``, ``_mps``, ``_rad``, ``_s``, ``_ms``). ETSI
"unavailable" codes are ``None``; ETSI "outOfRange" codes of confidences are ``math.inf``.
Headings are radians clockwise from north in [0, 2 pi] (see :mod:`v2x.geo`).

Nothing is checked at construction (decoders build these from network input); the wire
ranges are checked by :func:`quantise` and :func:`v2x.codec.denm_asn1.encode_denm`, which raise
:class:`~v2x.errors.MessageRangeError` naming the dotted field path. Values are rounded to
the wire resolution, never clipped or wrapped. ``decode_denm(encode_denm(d)) == quantise(d)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum, IntEnum

from v2x.messages.common import StationType


class Cause(IntEnum):
    """CauseCodeType (TS 102 894-2 v1.3.1): the DENM event type."""

    TRAFFIC_CONDITION = 1
    ACCIDENT = 2
    ROADWORKS = 3
    ADVERSE_WEATHER_ADHESION = 6
    HAZARDOUS_LOCATION_SURFACE_CONDITION = 9
    HAZARDOUS_LOCATION_OBSTACLE_ON_THE_ROAD = 10
    HAZARDOUS_LOCATION_ANIMAL_ON_THE_ROAD = 11
    HUMAN_PRESENCE_ON_THE_ROAD = 12
    WRONG_WAY_DRIVING = 14
    RESCUE_AND_RECOVERY_WORK_IN_PROGRESS = 15
    ADVERSE_WEATHER_VISIBILITY = 18
    SLOW_VEHICLE = 26
    DANGEROUS_END_OF_QUEUE = 27
    VEHICLE_BREAKDOWN = 91
    POST_CRASH = 92
    STATIONARY_VEHICLE = 94
    EMERGENCY_VEHICLE_APPROACHING = 95
    HAZARDOUS_LOCATION_DANGEROUS_CURVE = 96
    COLLISION_RISK = 97
    SIGNAL_VIOLATION = 98
    DANGEROUS_SITUATION = 99


class DangerousSituationSubCause(IntEnum):
    """DangerousSituationSubCauseCode (sub cause of :attr:`Cause.DANGEROUS_SITUATION`)."""

    UNAVAILABLE = 0
    EMERGENCY_ELECTRONIC_BRAKE_ENGAGED = 1
    PRE_CRASH_SYSTEM_ENGAGED = 2
    ESP_ENGAGED = 3
    ABS_ENGAGED = 4
    AEB_ENGAGED = 5
    BRAKE_WARNING_ENGAGED = 6
    COLLISION_RISK_WARNING_ENGAGED = 7


class Termination(str, Enum):
    """Why a DENM ends an event: the originator cancels it, or another station negates it."""

    CANCELLATION = "cancellation"
    NEGATION = "negation"


class RelevanceTrafficDirection(IntEnum):
    """Which traffic the event concerns, relative to the event position."""

    ALL_TRAFFIC_DIRECTIONS = 0
    UPSTREAM_TRAFFIC = 1
    DOWNSTREAM_TRAFFIC = 2
    OPPOSITE_TRAFFIC = 3


class RoadType(IntEnum):
    """RoadType of the event location."""

    URBAN_NO_STRUCTURAL_SEPARATION = 0
    URBAN_WITH_STRUCTURAL_SEPARATION = 1
    NON_URBAN_NO_STRUCTURAL_SEPARATION = 2
    NON_URBAN_WITH_STRUCTURAL_SEPARATION = 3


# RelevanceDistance classes [m]: a distance quantises up to the first bound >= it
# ("lessThan50m" carries 50.0, "over10km" carries inf). Rounding up keeps the event relevant
# at least as far as asked, and makes quantise idempotent.
RELEVANCE_DISTANCES_M = (50.0, 100.0, 200.0, 500.0, 1000.0, 5000.0, 10000.0, math.inf)
# AltitudeConfidence classes [m] (alt-000-01 .. alt-200-00, then outOfRange = inf)
ALTITUDE_CONFIDENCES_M = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0,
                          100.0, 200.0, math.inf)
DEFAULT_VALIDITY_S = 600


@dataclass(frozen=True)
class ActionId:
    """Identifies one event: originating ITS station id (0..2**32-1) + sequence number
    (0..65535) the originator assigns."""

    originating_station_id: int
    sequence_number: int


@dataclass(frozen=True)
class ManagementContainer:
    """DENM management container.

    ``detection_time_ms`` / ``reference_time_ms``: TimestampIts [ms since 2004-01-01 TAI]
    (see :class:`v2x.clock.ItsClock`). ``event_lat_deg`` / ``event_lon_deg``: WGS-84 [deg],
    resolution 1e-7 deg, ``None`` = unavailable. ``relevance_distance_m``: an upper bound
    [m] quantised up to the classes in :data:`RELEVANCE_DISTANCES_M`. ``validity_duration_s``:
    0..86400 [s]. ``transmission_interval_ms``: 1..10000 [ms]. ``event_altitude_m``:
    -1000..8000 [m], 1 cm. Position confidence ellipse: semi axes [m] (1 cm, inf = more than
    40.93 m), orientation [rad CW from north]; ``altitude_confidence_m`` quantises up to
    :data:`ALTITUDE_CONFIDENCES_M`.
    """

    action_id: ActionId
    detection_time_ms: int
    reference_time_ms: int
    event_lat_deg: float | None
    event_lon_deg: float | None
    station_type: int = StationType.UNKNOWN
    termination: Termination | None = None
    relevance_distance_m: float | None = None
    relevance_traffic_direction: RelevanceTrafficDirection | None = None
    validity_duration_s: int = DEFAULT_VALIDITY_S
    transmission_interval_ms: int | None = None
    event_altitude_m: float | None = None
    altitude_confidence_m: float | None = None
    semi_major_confidence_m: float | None = None
    semi_minor_confidence_m: float | None = None
    semi_major_orientation_rad: float | None = None


@dataclass(frozen=True)
class SituationContainer:
    """DENM situation container: event type (cause 0..255, sub cause 0..255), information
    quality 0..7 (0 = unavailable, 7 = highest) and an optional linked (cause, sub cause)."""

    cause: int
    sub_cause: int = 0
    information_quality: int = 0
    linked_cause: tuple[int, int] | None = None


@dataclass(frozen=True)
class PathPoint:
    """One point of a trace, relative to the previous point (the first to the event position).

    ``delta_lat_deg`` / ``delta_lon_deg``: +-0.0131071 [deg] at 1e-7 deg; ``delta_alt_m``:
    -127..128 [m] at 1 cm; ``delta_time_s``: 0.01..655.35 [s] at 10 ms. ``None`` = unavailable
    (for ``delta_time_s``: absent).
    """

    delta_lat_deg: float | None
    delta_lon_deg: float | None
    delta_alt_m: float | None = None
    delta_time_s: float | None = None


@dataclass(frozen=True)
class LocationContainer:
    """DENM location container.

    ``traces``: 0..7 path histories of 0..40 points (the wire needs at least one trace, so
    ``()`` travels as one empty trace and one empty trace decodes as ``()``).
    ``event_speed_mps``: 0..163.82 [m/s] at 0.01; ``event_heading_rad``: [rad CW from north]
    at 0.1 deg. Confidences: [m/s] 0.01..1.25 and [rad] 0.1..12.5 deg, ``inf`` = worse than
    that, ``None`` = unavailable; values below one step mean "within one step".
    """

    traces: tuple[tuple[PathPoint, ...], ...] = ()
    event_speed_mps: float | None = None
    event_speed_confidence_mps: float | None = None
    event_heading_rad: float | None = None
    event_heading_confidence_rad: float | None = None
    road_type: RoadType | None = None


@dataclass(frozen=True)
class DENM:
    """A DENM: ``station_id`` is the ItsPduHeader station (the sender, 0..2**32-1);
    situation and location containers are optional (a cancellation may carry neither)."""

    station_id: int
    management: ManagementContainer
    situation: SituationContainer | None = None
    location: LocationContainer | None = None


def quantise(msg: DENM) -> DENM:
    """What :func:`~v2x.codec.denm_asn1.decode_denm` returns after encoding ``msg``: every
    value rounded to its wire resolution. Raises MessageRangeError like the encoder."""
    # The SI <-> wire-integer mapping lives in one place (the codec) so that quantise and
    # the codec can never disagree; only pycrate itself is left out here.
    from v2x.codec.denm_asn1 import denm_from_value, denm_to_value

    return denm_from_value(denm_to_value(msg))
