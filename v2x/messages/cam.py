"""CAM (Cooperative Awareness Message, EN 302 637-2 v1.4.1, protocolVersion 2) in SI units.

One flat frozen dataclass, :class:`CAM`, holds the ItsPduHeader, generationDeltaTime, the basic
container and the high-frequency container; the optional low-frequency container is the
nested :class:`LowFrequencyContainer`. The high-frequency container follows the station type,
as EN 302 637-2 prescribes: a road-side unit (``StationType.ROAD_SIDE_UNIT``) sends the RSU
container (no protected zones), every other station the basic vehicle container. For an RSU
every vehicle field must stay at its default (``None`` / ``UNAVAILABLE``).

Units: positions in degrees (WGS-84), angles in radians (heading clockwise from north),
lengths in metres, speeds in m/s, accelerations in m/s^2, curvature in 1/m (positive: turning
left), yaw rate in rad/s (positive: counter-clockwise), times in seconds (generationDeltaTime in
milliseconds, as on the wire). Confidences are 95 % bounds in the same units.

Special values (decided here, applied by every codec):

- ``None`` is ETSI "unavailable" (speed -> 16383, heading -> 3601, latitude -> 900000001,
  ...); NaN in a float field means the same. Callers never pass the raw special codes.
- Where the data element has out-of-range codes (semi-axis lengths, confidences, vehicle
  length/width, curvature, yaw rate) a value beyond the last regular step is sent as that code
  and decodes as ``math.inf`` (or ``-math.inf``): "more than the scale can say".
- Everything else the wire cannot carry raises :class:`MessageRangeError` naming the field;
  nothing is clipped or wrapped. Values are rounded to the nearest wire step (confidences up
  to the next step, as ETSI defines "equal to or less than"), so e.g. a heading of -0.0005 rad
  rounds onto 0 and is accepted, -0.01 rad is rejected.
- Optional data elements: ``lane_position`` and the lateral acceleration are sent only when
  set (a received lateral acceleration with an unavailable value decodes as ``None``).

:func:`quantise` is what a decoder returns after an encode (plain-Python reference:
:mod:`v2x.codec._reference`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum, IntFlag

from v2x.messages.common import StationType


class DriveDirection(IntEnum):
    """ETSI DriveDirection."""

    FORWARD = 0
    BACKWARD = 1
    UNAVAILABLE = 2


class VehicleLengthConfidenceIndication(IntEnum):
    """ETSI VehicleLengthConfidenceIndication (trailer presence)."""

    NO_TRAILER_PRESENT = 0
    TRAILER_PRESENT_WITH_KNOWN_LENGTH = 1
    TRAILER_PRESENT_WITH_UNKNOWN_LENGTH = 2
    TRAILER_PRESENCE_IS_UNKNOWN = 3
    UNAVAILABLE = 4


class CurvatureCalculationMode(IntEnum):
    """ETSI CurvatureCalculationMode (root values only)."""

    YAW_RATE_USED = 0
    YAW_RATE_NOT_USED = 1
    UNAVAILABLE = 2


class VehicleRole(IntEnum):
    """ETSI VehicleRole."""

    DEFAULT = 0
    PUBLIC_TRANSPORT = 1
    SPECIAL_TRANSPORT = 2
    DANGEROUS_GOODS = 3
    ROAD_WORK = 4
    RESCUE = 5
    EMERGENCY = 6
    SAFETY_CAR = 7
    AGRICULTURE = 8
    COMMERCIAL = 9
    MILITARY = 10
    ROAD_OPERATOR = 11
    TAXI = 12
    RESERVED1 = 13
    RESERVED2 = 14
    RESERVED3 = 15


class ExteriorLights(IntFlag):
    """ETSI ExteriorLights; flag value ``1 << n`` is the standard's named bit n."""

    LOW_BEAM_HEADLIGHTS_ON = 1 << 0
    HIGH_BEAM_HEADLIGHTS_ON = 1 << 1
    LEFT_TURN_SIGNAL_ON = 1 << 2
    RIGHT_TURN_SIGNAL_ON = 1 << 3
    DAYTIME_RUNNING_LIGHTS_ON = 1 << 4
    REVERSE_LIGHT_ON = 1 << 5
    FOG_LIGHT_ON = 1 << 6
    PARKING_LIGHTS_ON = 1 << 7


# Enumerated confidences as their upper bounds in SI units (code i = "<= level i")
ALTITUDE_CONFIDENCE_LEVELS_M = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0,
                                50.0, 100.0, 200.0)
YAW_RATE_CONFIDENCE_LEVELS_RADPS = tuple(math.radians(d) for d in
                                         (0.01, 0.05, 0.1, 1.0, 5.0, 10.0, 100.0))
CURVATURE_CONFIDENCE_LEVELS_PER_M = (0.00002, 0.0001, 0.0005, 0.002, 0.01, 0.1)
LEVEL_TOLERANCE = 1e-9  # relative: a level computed another way still maps onto itself


@dataclass(frozen=True)
class PathPoint:
    """One PathHistory point, relative to the previous one (the first: to the reference
    position). ``delta_latitude_deg``/``delta_longitude_deg`` [deg, |x| < 0.0131],
    ``delta_altitude_m`` [m, -127..128], ``delta_time_s`` [s, 0.01..655.35] (None: not sent)."""

    delta_latitude_deg: float | None
    delta_longitude_deg: float | None
    delta_altitude_m: float | None = None
    delta_time_s: float | None = None


@dataclass(frozen=True)
class LowFrequencyContainer:
    """Basic vehicle low-frequency container: role, lights, path history (0..40 points)."""

    vehicle_role: VehicleRole = VehicleRole.DEFAULT
    exterior_lights: ExteriorLights = ExteriorLights(0)
    path_history: tuple[PathPoint, ...] = ()

    def __post_init__(self):
        if not isinstance(self.path_history, tuple):  # keep the dataclass hashable
            object.__setattr__(self, "path_history", tuple(self.path_history))


@dataclass(frozen=True)
class CAM:
    """A CAM. Field order is part of the fast codec's contract: do not reorder.

    Required: ``station_id`` [0..2^32-1], ``generation_delta_time_ms`` [ms, 0..65535].
    Basic container: ``station_type``, ``latitude_deg`` / ``longitude_deg`` [deg],
    ``altitude_m`` [m], position confidence ellipse ``position_semi_major_m`` /
    ``position_semi_minor_m`` [m] with ``position_semi_major_orientation_rad`` [rad, from north],
    ``altitude_confidence_m`` [m].
    Vehicle high-frequency container: ``heading_rad`` [rad, clockwise from north, 0..2 pi],
    ``speed_mps`` [m/s, 0..163.82], ``drive_direction``, ``longitudinal_acceleration_mps2``
    [m/s^2, +-16], ``yaw_rate_radps`` [rad/s], ``curvature_per_m`` [1/m], its
    ``curvature_calculation_mode``, optional ``lateral_acceleration_mps2`` [m/s^2, +-16] and
    ``lane_position`` [-1 off road, 0 inner hard shoulder, 1.. lanes, 14 outer shoulder],
    ``vehicle_length_m`` [m] + ``vehicle_length_confidence_indication``, ``vehicle_width_m`` [m],
    and the confidences ``*_confidence_*`` in the unit of their value.
    """

    station_id: int
    generation_delta_time_ms: int
    station_type: StationType = StationType.PASSENGER_CAR
    latitude_deg: float | None = None
    longitude_deg: float | None = None
    heading_rad: float | None = None
    speed_mps: float | None = None
    drive_direction: DriveDirection = DriveDirection.UNAVAILABLE
    longitudinal_acceleration_mps2: float | None = None
    yaw_rate_radps: float | None = None
    curvature_per_m: float | None = None
    curvature_calculation_mode: CurvatureCalculationMode = CurvatureCalculationMode.UNAVAILABLE
    lateral_acceleration_mps2: float | None = None
    lane_position: int | None = None
    vehicle_length_m: float | None = None
    vehicle_length_confidence_indication: VehicleLengthConfidenceIndication = (
        VehicleLengthConfidenceIndication.UNAVAILABLE)
    vehicle_width_m: float | None = None
    altitude_m: float | None = None
    position_semi_major_m: float | None = None
    position_semi_minor_m: float | None = None
    position_semi_major_orientation_rad: float | None = None
    altitude_confidence_m: float | None = None
    heading_confidence_rad: float | None = None
    speed_confidence_mps: float | None = None
    longitudinal_acceleration_confidence_mps2: float | None = None
    yaw_rate_confidence_radps: float | None = None
    curvature_confidence_per_m: float | None = None
    lateral_acceleration_confidence_mps2: float | None = None
    low_frequency: LowFrequencyContainer | None = None


def quantise(cam: CAM) -> CAM:
    """The CAM a decoder returns after encoding ``cam``: every value on its wire step.
    Raises :class:`MessageRangeError` for a value the wire cannot carry."""
    from v2x.codec._reference import from_wire, to_wire  # the codec layer owns the wire layout

    return from_wire(to_wire(cam))
