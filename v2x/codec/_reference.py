"""Plain-Python reference of the CAM wire quantisation: CAM <-> wire field vector W.

W holds one int64 per wire value, in wire order (layout ``W_*``): the pycrate codec
(:mod:`v2x.codec.cam_asn1`) turns W into UPER, the Numba kernels (:mod:`v2x.codec._kernels`)
re-implement both W <-> bytes and the SI <-> W quantisation, and the tests compare them. The
rounding rules are documented in :mod:`v2x.messages.cam`.
"""

from __future__ import annotations

import math

from v2x.errors import DecodeError, MessageRangeError
from v2x.messages.cam import (
    ALTITUDE_CONFIDENCE_LEVELS_M,
    CAM,
    CURVATURE_CONFIDENCE_LEVELS_PER_M,
    LEVEL_TOLERANCE,
    YAW_RATE_CONFIDENCE_LEVELS_RADPS,
    CurvatureCalculationMode,
    DriveDirection,
    ExteriorLights,
    LowFrequencyContainer,
    PathPoint,
    VehicleLengthConfidenceIndication,
    VehicleRole,
)
from v2x.messages.common import StationType

# ---- wire field vector W: one int64 per wire value, in wire order -------------------------
# Absent optional parts (lane, lateral acceleration, low-frequency container, path points
# past PATH_LENGTH, a path point's delta time = 0) are 0; an RSU's vehicle fields hold their
# "unavailable" codes.
(W_STATION_ID, W_GENERATION_DELTA_TIME, W_STATION_TYPE, W_LATITUDE, W_LONGITUDE, W_SEMI_MAJOR,
 W_SEMI_MINOR, W_SEMI_MAJOR_ORIENTATION, W_ALTITUDE, W_ALTITUDE_CONFIDENCE, W_HEADING,
 W_HEADING_CONFIDENCE, W_SPEED, W_SPEED_CONFIDENCE, W_DRIVE_DIRECTION, W_VEHICLE_LENGTH,
 W_VEHICLE_LENGTH_CONFIDENCE_INDICATION, W_VEHICLE_WIDTH, W_LONGITUDINAL_ACCELERATION,
 W_LONGITUDINAL_ACCELERATION_CONFIDENCE, W_CURVATURE, W_CURVATURE_CONFIDENCE,
 W_CURVATURE_CALCULATION_MODE, W_YAW_RATE, W_YAW_RATE_CONFIDENCE, W_LANE_POSITION_PRESENT,
 W_LANE_POSITION, W_LATERAL_ACCELERATION_PRESENT, W_LATERAL_ACCELERATION,
 W_LATERAL_ACCELERATION_CONFIDENCE, W_LOW_FREQUENCY_PRESENT, W_VEHICLE_ROLE, W_EXTERIOR_LIGHTS,
 W_PATH_LENGTH) = range(34)
W_PATH = 34  # point i: W_PATH + 4 i + (0 delta lat, 1 delta lon, 2 delta alt, 3 delta time)
MAX_PATH_POINTS = 40
W_SIZE = W_PATH + 4 * MAX_PATH_POINTS

_ST_VALUES = frozenset(int(s) for s in StationType)
_H = 1800.0 / math.pi  # 0.1 deg steps per radian
_YAW = 18000.0 / math.pi  # 0.01 deg/s steps per rad/s

# Field specs, in CAM field order: (name, W index, kind, scale | enum | levels, lo, hi,
# unavailable code, below-range code, above-range code). Kinds: "int" exact integer,
# "enum", "round" (nearest step), "ceil" (confidence: next step up), "level" (enumerated
# confidence levels). _VEHICLE: the vehicle high-frequency fields.
_SPECS = (
    ("station_id", W_STATION_ID, "int", None, 0, 4294967295, None, None, None),
    ("generation_delta_time_ms", W_GENERATION_DELTA_TIME, "int", None, 0, 65535, None, None,
     None),
    ("station_type", W_STATION_TYPE, "enum", StationType, 0, 255, None, None, None),
    ("latitude_deg", W_LATITUDE, "round", 1e7, -900000000, 900000000, 900000001, None, None),
    ("longitude_deg", W_LONGITUDE, "round", 1e7, -1800000000, 1800000000, 1800000001, None,
     None),
    ("heading_rad", W_HEADING, "round", _H, 0, 3600, 3601, None, None),
    ("speed_mps", W_SPEED, "round", 100.0, 0, 16382, 16383, None, None),
    ("drive_direction", W_DRIVE_DIRECTION, "enum", DriveDirection, 0, 2, 2, None, None),
    ("longitudinal_acceleration_mps2", W_LONGITUDINAL_ACCELERATION, "round", 10.0, -160, 160,
     161, None, None),
    ("yaw_rate_radps", W_YAW_RATE, "round", _YAW, -32765, 32765, 32767, -32766, 32766),
    ("curvature_per_m", W_CURVATURE, "round", 10000.0, -1022, 1021, 1023, -1023, 1022),
    ("curvature_calculation_mode", W_CURVATURE_CALCULATION_MODE, "enum",
     CurvatureCalculationMode, 0, 2, 2, None, None),
    ("lateral_acceleration_mps2", W_LATERAL_ACCELERATION, "round", 10.0, -160, 160, 161, None,
     None),
    ("lane_position", W_LANE_POSITION, "int", None, -1, 14, None, None, None),
    ("vehicle_length_m", W_VEHICLE_LENGTH, "round", 10.0, 1, 1021, 1023, None, 1022),
    ("vehicle_length_confidence_indication", W_VEHICLE_LENGTH_CONFIDENCE_INDICATION, "enum",
     VehicleLengthConfidenceIndication, 0, 4, 4, None, None),
    ("vehicle_width_m", W_VEHICLE_WIDTH, "round", 10.0, 1, 60, 62, None, 61),
    ("altitude_m", W_ALTITUDE, "round", 100.0, -100000, 800000, 800001, None, None),
    ("position_semi_major_m", W_SEMI_MAJOR, "ceil", 100.0, 0, 4093, 4095, None, 4094),
    ("position_semi_minor_m", W_SEMI_MINOR, "ceil", 100.0, 0, 4093, 4095, None, 4094),
    ("position_semi_major_orientation_rad", W_SEMI_MAJOR_ORIENTATION, "round", _H, 0, 3600,
     3601, None, None),
    ("altitude_confidence_m", W_ALTITUDE_CONFIDENCE, "level", ALTITUDE_CONFIDENCE_LEVELS_M, 0,
     13, 15, None, 14),
    ("heading_confidence_rad", W_HEADING_CONFIDENCE, "ceil", _H, 1, 125, 127, None, 126),
    ("speed_confidence_mps", W_SPEED_CONFIDENCE, "ceil", 100.0, 1, 125, 127, None, 126),
    ("longitudinal_acceleration_confidence_mps2", W_LONGITUDINAL_ACCELERATION_CONFIDENCE,
     "ceil", 10.0, 0, 100, 102, None, 101),
    ("yaw_rate_confidence_radps", W_YAW_RATE_CONFIDENCE, "level",
     YAW_RATE_CONFIDENCE_LEVELS_RADPS, 0, 6, 8, None, 7),
    ("curvature_confidence_per_m", W_CURVATURE_CONFIDENCE, "level",
     CURVATURE_CONFIDENCE_LEVELS_PER_M, 0, 5, 7, None, 6),
    ("lateral_acceleration_confidence_mps2", W_LATERAL_ACCELERATION_CONFIDENCE, "ceil", 10.0,
     0, 100, 102, None, 101),
)
_VEHICLE = frozenset(range(5, 17)) | frozenset(range(22, 28))  # indices into _SPECS
_LATERAL, _LANE, _LAT_CONF = 12, 13, 27
_PATH_SPECS = (
    ("delta_latitude_deg", 0, "round", 1e7, -131071, 131071, 131072, None, None),
    ("delta_longitude_deg", 1, "round", 1e7, -131071, 131071, 131072, None, None),
    ("delta_altitude_m", 2, "round", 100.0, -12700, 12799, 12800, None, None),
    ("delta_time_s", 3, "round", 100.0, 1, 65535, None, None, None),
)
FIELD_NAMES = tuple(s[0] for s in _SPECS)  # the CAM's scalar fields, in order


def _bad(field, value, spec) -> MessageRangeError:
    _, _, kind, arg, lo, hi, unav, below, above = spec
    if kind == "enum":
        allowed = f"a {arg.__name__} member"
    elif kind == "int":
        allowed = f"an integer in {lo}..{hi}"
    elif kind == "level":
        allowed = f"a number >= 0 (levels {arg[0]:g}..{arg[-1]:g}; more is sent as out of range)"
    elif kind == "ceil":
        allowed = (f"a number >= 0 in steps of {1 / arg:.6g}; more than {hi / arg:.6g} is sent"
                   " as out of range")
    else:
        allowed = f"a number in [{lo / arg:.10g}, {hi / arg:.10g}] in steps of {1 / arg:.6g}"
        if below is not None or above is not None:
            allowed += "; beyond is sent as out of range"
    if unav is not None and kind not in ("int", "enum"):
        allowed += ", or None"
    return MessageRangeError(field, value, allowed)


def _quant(field: str, v, spec) -> int:
    """One SI value -> its wire code (plain reference of the kernel's quantiser)."""
    _, _, kind, arg, lo, hi, unav, below, above = spec
    if isinstance(v, (str, bytes, bytearray)):
        raise _bad(field, v, spec)
    try:
        f = math.nan if v is None else float(v)
    except (TypeError, ValueError, OverflowError):
        raise _bad(field, v, spec) from None
    if f != f:  # None or NaN
        if unav is None or kind in ("int", "enum"):
            raise _bad(field, v, spec)
        return unav
    if kind in ("int", "enum"):
        if not (math.isfinite(f) and f == math.floor(f) and lo <= f <= hi):
            raise _bad(field, v, spec)
        members = _ST_VALUES if arg is StationType else range(lo, hi + 1)
        if kind == "enum" and int(f) not in members:
            raise _bad(field, v, spec)
        return int(f)
    if kind == "round":
        t = f * arg + 0.5
        if t >= hi + 1:
            if above is None:
                raise _bad(field, v, spec)
            return above
        if t < lo:
            if below is None:
                raise _bad(field, v, spec)
            return below
        return math.floor(t)
    if not f >= 0.0:
        raise _bad(field, v, spec)
    if kind == "ceil":
        c = f * arg - 1e-6  # tolerance: a decoded value maps back onto its own step
        if c > hi:
            return above
        return max(lo, math.ceil(c))
    for i, level in enumerate(arg):  # "level"
        if f <= level * (1.0 + LEVEL_TOLERANCE):
            return i
    return above


def _dequant(code: int, spec):
    """One wire code -> its SI value (inverse of :func:`_quant` on the wire's value set)."""
    _, _, kind, arg, lo, hi, unav, below, above = spec
    if kind == "int":
        return code
    if kind == "enum":
        if arg is StationType and code not in _ST_VALUES:
            raise DecodeError("unsupported", f"reserved station type {code}")
        return arg(code)
    if code == unav:
        return None
    if code == above:
        return math.inf
    if code == below:
        return -math.inf
    return arg[code] if kind == "level" else code / arg


def to_wire(cam: CAM) -> list[int]:
    """Validate and quantise ``cam`` into the wire field vector (``34 + 4 n`` ints for n path
    points; layout ``W_*``). Raises :class:`MessageRangeError` naming the first bad field."""
    w = [0] * W_PATH
    rsu = _quant("station_type", cam.station_type, _SPECS[2]) == StationType.ROAD_SIDE_UNIT
    for i, spec in enumerate(_SPECS):
        name, wi, kind, _, _, _, unav, _, _ = spec
        v = getattr(cam, name)
        if rsu and i in _VEHICLE:
            unset = v == unav if kind == "enum" else (v is None or v != v)
            if not unset:
                raise MessageRangeError(name, v, "None (or UNAVAILABLE) for a road-side unit")
            w[wi] = 0 if i in (_LATERAL, _LANE, _LAT_CONF) else unav
        elif i == _LANE:
            if not (v is None or v != v):  # None (or NaN): not sent
                w[W_LANE_POSITION_PRESENT], w[wi] = 1, _quant(name, v, spec)
        else:
            w[wi] = _quant(name, v, spec)
    lateral = (w[W_LATERAL_ACCELERATION], w[W_LATERAL_ACCELERATION_CONFIDENCE])
    if not rsu and lateral != (161, 102):  # sent when either part is available
        w[W_LATERAL_ACCELERATION_PRESENT] = 1
    else:
        w[W_LATERAL_ACCELERATION] = w[W_LATERAL_ACCELERATION_CONFIDENCE] = 0
    lf = cam.low_frequency
    if lf is not None:
        if not isinstance(lf, LowFrequencyContainer):
            raise MessageRangeError("low_frequency", lf, "a LowFrequencyContainer or None")
        w[W_LOW_FREQUENCY_PRESENT] = 1
        w[W_VEHICLE_ROLE] = _quant("low_frequency.vehicle_role", lf.vehicle_role,
                                   ("", 0, "enum", VehicleRole, 0, 15, None, None, None))
        w[W_EXTERIOR_LIGHTS] = _quant("low_frequency.exterior_lights", lf.exterior_lights,
                                      ("", 0, "int", None, 0, 255, None, None, None))
        path = lf.path_history
        if len(path) > MAX_PATH_POINTS:
            raise MessageRangeError("low_frequency.path_history", f"{len(path)} points",
                                    f"at most {MAX_PATH_POINTS} points")
        w[W_PATH_LENGTH] = len(path)
        for k, p in enumerate(path):
            for spec in _PATH_SPECS:
                v = getattr(p, spec[0])
                if spec[1] == 3 and (v is None or v != v):  # no delta time
                    w.append(0)
                else:
                    w.append(_quant(f"low_frequency.path_history[{k}].{spec[0]}", v, spec))
    return w


def from_wire(w) -> CAM:
    """Wire field vector (valid wire values, layout ``W_*``) -> CAM. Raises
    :class:`~v2x.errors.DecodeError` ("unsupported") for a reserved station type."""
    rsu = w[W_STATION_TYPE] == StationType.ROAD_SIDE_UNIT
    kw = {}
    for i, spec in enumerate(_SPECS):
        name, wi = spec[0], spec[1]
        if rsu and i in _VEHICLE:  # not on the wire
            kw[name] = spec[3](spec[6]) if spec[2] == "enum" else None
        elif i == _LANE:
            kw[name] = int(w[wi]) if w[W_LANE_POSITION_PRESENT] else None
        elif i in (_LATERAL, _LAT_CONF) and not w[W_LATERAL_ACCELERATION_PRESENT]:
            kw[name] = None
        else:
            kw[name] = _dequant(int(w[wi]), spec)
    if w[W_LOW_FREQUENCY_PRESENT]:
        points = []
        for k in range(int(w[W_PATH_LENGTH])):
            c = [int(x) for x in w[W_PATH + 4 * k:W_PATH + 4 * k + 4]]
            points.append(PathPoint(*(None if (s[1] == 3 and c[3] == 0) else _dequant(c[s[1]], s)
                                      for s in _PATH_SPECS)))
        kw["low_frequency"] = LowFrequencyContainer(VehicleRole(int(w[W_VEHICLE_ROLE])),
                                                    ExteriorLights(int(w[W_EXTERIOR_LIGHTS])),
                                                    tuple(points))
    return CAM(**kw)


