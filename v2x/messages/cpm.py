"""Collective Perception Message (CPM) of ETSI TR 103 562 V2.1.1 in SI units.

This is the CPM Debian's Wireshark 4.0 dissects (ItsPduHeader protocolVersion 1,
messageID 14); the wire codec is :mod:`v2x.codec.cpm`. Conventions for every class:

* angles are radians, distances metres, speeds m/s, times milliseconds, percentages ints;
* ``None`` stands for the data element's ``unavailable`` code or an absent OPTIONAL part;
* ``math.inf`` stands for its ``outOfRange`` code. Confidences are upper bounds coded by
  ceiling (code ``n`` means "at most n units"), so a finite confidence above the largest
  code goes out as ``outOfRange``, which is how the standard defines that code. Measured
  values are never clipped or wrapped: out-of-range ones raise
  :class:`~v2x.errors.MessageRangeError` naming the dotted field path;
* :func:`quantise` returns the message exactly as a receiver decodes it.

Coordinate frames (the PerceivedObject descriptions of the TR 103 562 CPM, repeated in
TS 103 324; Wireshark's ASN.1 carries no comments): an RSU reports objects in a frame
centred on its reference position with x pointing East, y North and z up; a vehicle
reports them in its ISO 8855 body frame at its reference point: x forward along its
heading, y to the left, z up. Object distances, speeds and yaw angles are in the
originator's frame; yaw is counter-clockwise about z from +x. Speeds are relative to the
frame's origin (for a moving vehicle: relative to the vehicle, not over ground).

Sizes: kav sends at most 128 sensors and 128 objects per message (the root of the
containers' ``SIZE(1..128, ...)``; Wireshark flags extension sizes with an expert warning);
use :class:`SegmentInfo` for more. The decoder still accepts extension sizes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property

from v2x.errors import MessageRangeError
from v2x.messages.common import StationType

# Most sensors / objects kav puts in one message (see the module docstring)
OBJECTS_MAX = 128
SENSORS_MAX = 128
# AltitudeConfidence (TS 102 894-2) enumerates these bounds [m], then outOfRange, unavailable
ALTITUDE_CONFIDENCE_M = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200)


class SensorType(IntEnum):
    """SensorType (0..15; 12..15 reserved)."""

    UNDEFINED = 0
    RADAR = 1
    LIDAR = 2
    MONOVIDEO = 3
    STEREOVISION = 4
    NIGHTVISION = 5
    ULTRASONIC = 6
    PMD = 7
    FUSION = 8
    INDUCTION_LOOP = 9
    SPHERICAL_CAMERA = 10
    ITS_AGGREGATION = 11


class DynamicStatus(IntEnum):
    DYNAMIC = 0
    HAS_BEEN_DYNAMIC = 1
    STATIC = 2


class ObjectRefPoint(IntEnum):
    """Point of the object's box the kinematics refer to (ObjectRefPoint)."""

    MID = 0
    BOTTOM_LEFT = 1
    MID_LEFT = 2
    TOP_LEFT = 3
    BOTTOM_MID = 4
    TOP_MID = 5
    BOTTOM_RIGHT = 6
    MID_RIGHT = 7
    TOP_RIGHT = 8


class ObjectClassKind(IntEnum):
    """Alternative of ObjectClass.class (its CHOICE index)."""

    VEHICLE = 0
    PERSON = 1
    ANIMAL = 2
    OTHER = 3


class VehicleSubclass(IntEnum):
    UNKNOWN = 0
    MOPED = 1
    MOTORCYCLE = 2
    PASSENGER_CAR = 3
    BUS = 4
    LIGHT_TRUCK = 5
    HEAVY_TRUCK = 6
    TRAILER = 7
    SPECIAL_VEHICLES = 8
    TRAM = 9
    EMERGENCY_VEHICLE = 10
    AGRICULTURAL = 11


class PersonSubclass(IntEnum):
    UNKNOWN = 0
    PEDESTRIAN = 1
    PERSON_IN_WHEELCHAIR = 2
    CYCLIST = 3
    PERSON_WITH_STROLLER = 4
    PERSON_ON_SKATES = 5
    PERSON_GROUP = 6


class DriveDirection(IntEnum):
    FORWARD = 0
    BACKWARD = 1
    UNAVAILABLE = 2


class VehicleLengthIndication(IntEnum):
    """VehicleLengthConfidenceIndication: does the length include a trailer?"""

    NO_TRAILER_PRESENT = 0
    TRAILER_PRESENT_WITH_KNOWN_LENGTH = 1
    TRAILER_PRESENT_WITH_UNKNOWN_LENGTH = 2
    TRAILER_PRESENCE_IS_UNKNOWN = 3
    UNAVAILABLE = 4


@dataclass(frozen=True)
class ReferencePosition:
    """Originator's position (ReferencePosition): WGS84 degrees, ellipse in metres, the
    ellipse orientation in radians clockwise from North, altitude in metres."""

    latitude_deg: float | None  # 1e-7 deg steps; None = unavailable
    longitude_deg: float | None
    semi_major_confidence_m: float | None = None  # 0.01 m steps, up to 40.93 m
    semi_minor_confidence_m: float | None = None
    semi_major_orientation_rad: float | None = None  # 0.1 deg steps, 0..2*pi
    altitude_m: float | None = None  # 0.01 m steps, -1000..8000 m
    altitude_confidence_m: float | None = None  # rounded up to ALTITUDE_CONFIDENCE_M


@dataclass(frozen=True)
class OriginatingVehicle:
    """OriginatingVehicleContainer: heading [rad clockwise from North, 0.1 deg steps],
    speed [m/s, 0.01 steps, 0..163.82], confidences as upper bounds (0.1 deg / 0.01 m/s
    steps, at most 12.5 deg / 1.25 m/s), vehicle length [m, 0.1 steps, 0.1..102.1] with
    its trailer indication, width [m, 0.1 steps, 0.1..6.0]."""

    heading_rad: float | None
    speed_mps: float | None
    heading_confidence_rad: float | None = None
    speed_confidence_mps: float | None = None
    drive_direction: DriveDirection = DriveDirection.FORWARD
    vehicle_length_m: float | None = None
    vehicle_length_indication: VehicleLengthIndication = VehicleLengthIndication.UNAVAILABLE
    vehicle_width_m: float | None = None


@dataclass(frozen=True)
class OriginatingRsu:
    """OriginatingRSUContainer, a CHOICE: set exactly one of ``intersection_id`` and
    ``road_segment_id`` (0..65535); ``region`` (RoadRegulatorID 0..65535) is optional. An
    RSU with neither id simply sends no station data container (``CPM.originating=None``)."""

    intersection_id: int | None = None
    road_segment_id: int | None = None
    region: int | None = None


@dataclass(frozen=True)
class NodeOffset:
    """OffsetPoint: offset [m, 0.01 steps, -327.68..327.67] from the reference position,
    x East, y North, z up (z optional)."""

    x_m: float
    y_m: float
    z_m: float | None = None


@dataclass(frozen=True)
class VehicleSensorProperty:
    """One field of view of a vehicle sensor: range [m, 0.1 steps, 0..1000] and opening
    angles [rad, 0.1 deg steps, counter-clockwise from the vehicle's x axis, 0..2*pi]."""

    range_m: float
    horizontal_start_rad: float | None
    horizontal_end_rad: float | None
    vertical_start_rad: float | None = None
    vertical_end_rad: float | None = None


@dataclass(frozen=True)
class VehicleSensorArea:
    """DetectionArea.vehicleSensor: mounting offset from the vehicle reference point
    [m, 0.01 steps; x -50..0, y -10..10, z 0..10] and 1..10 fields of view."""

    x_offset_m: float
    y_offset_m: float
    properties: tuple[VehicleSensorProperty, ...]
    z_offset_m: float | None = None
    ref_point_id: int = 0


@dataclass(frozen=True)
class StationaryRadialArea:
    """DetectionArea.stationarySensorRadial, a sector: the natural form for a roadside
    camera, radar or lidar. Range [m, 0.1 steps, 0..1000]; horizontal opening angles
    [rad clockwise from North (WGS84 angle), 0.1 deg steps]; vertical opening angles
    [rad, Cartesian]; sensor offset from the reference position; mounting height
    [m, 0.01 steps, -50..50]."""

    range_m: float
    horizontal_start_rad: float | None
    horizontal_end_rad: float | None
    vertical_start_rad: float | None = None
    vertical_end_rad: float | None = None
    sensor_offset: NodeOffset | None = None
    sensor_height_m: float | None = None


@dataclass(frozen=True)
class StationaryCircularArea:
    """DetectionArea.stationarySensorCircular: radius [m, 0.1 steps, 0..1000] around
    ``center`` (offset from the reference position; ``None`` = the reference position)."""

    radius_m: float
    center: NodeOffset | None = None


DetectionArea = VehicleSensorArea | StationaryRadialArea | StationaryCircularArea


@dataclass(frozen=True)
class SensorInformation:
    """SensorInformation: id 0..255, type, detection area, free-space confidence
    [percent 0..100, 101 = unavailable]."""

    sensor_id: int
    sensor_type: SensorType | int
    detection_area: DetectionArea
    free_space_confidence_pct: int | None = None


@dataclass(frozen=True)
class ObjectClass:
    """One ObjectClass hypothesis: class, its confidence [percent 0..100, 101 =
    unavailable], subclass code (VehicleSubclass / PersonSubclass / 0..255) and the
    subclass confidence (same scale)."""

    kind: ObjectClassKind
    confidence_pct: int
    subclass: int = 0
    subclass_confidence_pct: int = 0


@dataclass(frozen=True)
class PerceivedObject:
    """PerceivedObject, in the originator's frame (TR 103 562): from an RSU, x East and
    y North of its reference position; from a vehicle, its ISO 8855 body frame at its
    reference point, x forward along its heading and y to the left. Yaw is
    counter-clockwise from +x in that frame; speeds are relative to its origin.

    ``time_of_measurement_ms`` [-1500..1500] is relative to the generation time
    (negative: measured before). Distances [m, 0.01 steps, -1327.68..1327.67] and their
    confidences [m, 0.01 steps, up to 1 m]; speeds [m/s, 0.01 steps, -163.83..163.82]
    and their confidences [up to 1.25 m/s]; yaw [rad counter-clockwise from +x, 0.1 deg
    steps, 0..2*pi] and its confidence [up to 12.5 deg]; box dimensions [m, 0.1 steps,
    0..102.3] with confidences [m, 0.01 steps, up to 1 m]: dimension 1 lies across the
    yaw direction, dimension 2 along it. ``object_age_ms`` 0..1500 (1500 = older);
    ``object_confidence_pct`` 0..100 (101 = unavailable)."""

    object_id: int
    time_of_measurement_ms: int
    x_distance_m: float
    y_distance_m: float
    x_speed_mps: float | None
    y_speed_mps: float | None
    x_distance_confidence_m: float | None = None
    y_distance_confidence_m: float | None = None
    x_speed_confidence_mps: float | None = None
    y_speed_confidence_mps: float | None = None
    z_distance_m: float | None = None
    z_distance_confidence_m: float | None = None
    yaw_angle_rad: float | None = None
    yaw_angle_confidence_rad: float | None = None
    planar_dimension1_m: float | None = None
    planar_dimension1_confidence_m: float | None = None
    planar_dimension2_m: float | None = None
    planar_dimension2_confidence_m: float | None = None
    vertical_dimension_m: float | None = None
    vertical_dimension_confidence_m: float | None = None
    object_ref_point: ObjectRefPoint = ObjectRefPoint.MID
    object_age_ms: int | None = None
    object_confidence_pct: int = 0
    dynamic_status: DynamicStatus | None = None
    classification: tuple[ObjectClass, ...] = ()  # 0..8 hypotheses
    sensor_ids: tuple[int, ...] = ()  # ids of the sensors that saw it, 0..128 of them


@dataclass(frozen=True)
class SegmentInfo:
    """PerceivedObjectContainerSegmentInfo: this segment of ``total`` (1..127)."""

    total: int
    this: int


@dataclass(frozen=True)
class CPM:
    """A Collective Perception Message (TR 103 562 V2.1.1).

    ``station_id`` 0..2^32-1; ``generation_delta_time_ms`` 0..65535 (TimestampIts mod
    65536); ``station_type`` 0..255. ``sensors`` and ``perceived_objects`` are sent as
    containers only when non-empty (up to 128 each).
    ``number_of_perceived_objects`` is the sender's total; ``None`` means
    ``len(perceived_objects)`` and is what a decoder returns when the two agree."""

    station_id: int
    generation_delta_time_ms: int
    station_type: StationType | int
    reference_position: ReferencePosition
    originating: OriginatingVehicle | OriginatingRsu | None = None
    sensors: tuple[SensorInformation, ...] = ()
    perceived_objects: tuple[PerceivedObject, ...] = ()
    number_of_perceived_objects: int | None = None
    segment: SegmentInfo | None = None


# ---------------------------------------------------------------- SI <-> code mapping
@dataclass(frozen=True)
class Scaled:
    """An INTEGER data element ``lo..hi`` carrying ``value * scale`` (``angle``: value in
    radians, code in degrees * scale), with optional ``unavailable`` / ``outOfRange``
    codes. ``confidence`` elements are upper bounds: coded by ceiling, and a finite value
    above the largest code maps to ``outOfRange``."""

    lo: int
    hi: int
    scale: int
    unit: str
    unavailable: int | None = None
    out_of_range: int | None = None
    confidence: bool = False
    angle: bool = False

    @cached_property  # hot: every coded value checks it
    def top(self) -> int:
        """Largest code that carries a value."""
        specials = [c for c in (self.unavailable, self.out_of_range) if c is not None]
        return min(specials) - 1 if specials else self.hi

    def allowed(self) -> str:
        lo, hi = self.lo / self.scale, self.top / self.scale
        extra = ", None" if self.unavailable is not None else ""
        extra += ", inf" if self.out_of_range is not None else ""
        if self.angle:
            return f"{math.radians(lo):.6g}..{math.radians(hi):.6g} rad{extra}"
        return f"{lo:g}..{hi:g} {self.unit}{extra}"

    def code(self, value, path: str) -> int:
        if value is None:
            if self.unavailable is None:
                raise MessageRangeError(path, value, self.allowed())
            return self.unavailable
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise MessageRangeError(path, value, self.allowed())
        if value == math.inf and self.out_of_range is not None:
            return self.out_of_range
        if not math.isfinite(value):
            raise MessageRangeError(path, value, self.allowed())
        x = (math.degrees(value) if self.angle else value) * self.scale
        if self.confidence:
            if x < 0:
                raise MessageRangeError(path, value, self.allowed())
            # the tolerance keeps decoded values (k / scale) * scale coding back to k
            code = max(self.lo, math.ceil(x - 1e-9))
            return code if code <= self.top else self.out_of_range
        code = round(x)
        if not self.lo <= code <= self.top:
            raise MessageRangeError(path, value, self.allowed())
        return code

    def value(self, code: int) -> float | None:
        if code == self.unavailable:
            return None
        if code == self.out_of_range:
            return math.inf
        v = code / self.scale
        return math.radians(v) if self.angle else v


def _conf(lo: int, hi: int, scale: int, unit: str, angle: bool = False) -> Scaled:
    return Scaled(lo, hi, scale, unit, hi, hi - 1, confidence=True, angle=angle)


LATITUDE = Scaled(-900000000, 900000001, 10**7, "deg", unavailable=900000001)
LONGITUDE = Scaled(-1800000000, 1800000001, 10**7, "deg", unavailable=1800000001)
SEMI_AXIS = _conf(0, 4095, 100, "m")
ALTITUDE = Scaled(-100000, 800001, 100, "m", unavailable=800001)
# HeadingValue, WGS84AngleValue (clockwise from North), CartesianAngleValue (counter-clockwise)
ANGLE = Scaled(0, 3601, 10, "deg", unavailable=3601, angle=True)
ANGLE_CONFIDENCE = _conf(1, 127, 10, "deg", angle=True)  # also HeadingConfidence
SPEED = Scaled(0, 16383, 100, "m/s", unavailable=16383)
SPEED_EXTENDED = Scaled(-16383, 16383, 100, "m/s", unavailable=16383)
SPEED_CONFIDENCE = _conf(1, 127, 100, "m/s")
VEHICLE_LENGTH = Scaled(1, 1023, 10, "m", unavailable=1023, out_of_range=1022)
VEHICLE_WIDTH = Scaled(1, 62, 10, "m", unavailable=62, out_of_range=61)
DISTANCE = Scaled(-132768, 132767, 100, "m")
DISTANCE_CONFIDENCE = _conf(0, 102, 100, "m")  # also ObjectDimensionConfidence
DIMENSION = Scaled(0, 1023, 10, "m")
RANGE = Scaled(0, 10000, 10, "m")  # Range, Radius
X_SENSOR_OFFSET = Scaled(-5000, 0, 100, "m")
Y_SENSOR_OFFSET = Scaled(-1000, 1000, 100, "m")
Z_SENSOR_OFFSET = Scaled(0, 1000, 100, "m")
SENSOR_HEIGHT = Scaled(-5000, 5000, 100, "m")
NODE_OFFSET = Scaled(-32768, 32767, 100, "m")  # Offset-B16, the widest node offset


def check_int(value, lo: int, hi: int, path: str) -> int:
    """An integer field (ids, milliseconds, percentages, enumerations) in ``lo..hi``."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise MessageRangeError(path, value, f"integer {lo}..{hi}")
    return int(value)


def altitude_confidence_code(value: float | None, path: str) -> int:
    """AltitudeConfidence index: smallest bound >= value; 14 outOfRange, 15 unavailable."""
    if value is None:
        return 15
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise MessageRangeError(path, value, "metres >= 0, inf or None")
    for i, bound in enumerate(ALTITUDE_CONFIDENCE_M):
        if value <= bound * (1 + 1e-9):
            return i
    return 14


def altitude_confidence_value(code: int) -> float | None:
    return None if code == 15 else math.inf if code == 14 else ALTITUDE_CONFIDENCE_M[code]


def as_enum(enum: type[IntEnum], code: int):
    """``enum(code)`` when defined, else the plain int (reserved codes stay valid)."""
    try:
        return enum(code)
    except ValueError:
        return code


def _q(spec: Scaled, value, path: str):
    return spec.value(spec.code(value, path))


def _q_opt(spec: Scaled, value, path: str):
    """An OPTIONAL element: ``None`` means absent, not ``unavailable``."""
    return None if value is None else _q(spec, value, path)


def _q_offset(o: NodeOffset, p: str) -> NodeOffset:
    if not isinstance(o, NodeOffset):
        raise MessageRangeError(p, o, "a NodeOffset")
    return NodeOffset(
        _q(NODE_OFFSET, o.x_m, p + ".x_m"),
        _q(NODE_OFFSET, o.y_m, p + ".y_m"),
        _q_opt(NODE_OFFSET, o.z_m, p + ".z_m"),
    )


def _q_area(a, p: str):
    if isinstance(a, StationaryCircularArea):
        centre = None if a.center is None else _q_offset(a.center, p + ".center")
        return StationaryCircularArea(_q(RANGE, a.radius_m, p + ".radius_m"), centre)
    if isinstance(a, StationaryRadialArea):
        return StationaryRadialArea(
            _q(RANGE, a.range_m, p + ".range_m"),
            _q(ANGLE, a.horizontal_start_rad, p + ".horizontal_start_rad"),
            _q(ANGLE, a.horizontal_end_rad, p + ".horizontal_end_rad"),
            _q_opt(ANGLE, a.vertical_start_rad, p + ".vertical_start_rad"),
            _q_opt(ANGLE, a.vertical_end_rad, p + ".vertical_end_rad"),
            None if a.sensor_offset is None else _q_offset(a.sensor_offset, p + ".sensor_offset"),
            _q_opt(SENSOR_HEIGHT, a.sensor_height_m, p + ".sensor_height_m"),
        )
    if isinstance(a, VehicleSensorArea):
        props = tuple(a.properties) if isinstance(a.properties, (tuple, list)) else None
        if not props or len(props) > 10:
            raise MessageRangeError(p + ".properties", a.properties, "1..10 properties")
        return VehicleSensorArea(
            _q(X_SENSOR_OFFSET, a.x_offset_m, p + ".x_offset_m"),
            _q(Y_SENSOR_OFFSET, a.y_offset_m, p + ".y_offset_m"),
            tuple(_q_property(v, f"{p}.properties[{i}]") for i, v in enumerate(props)),
            _q_opt(Z_SENSOR_OFFSET, a.z_offset_m, p + ".z_offset_m"),
            check_int(a.ref_point_id, 0, 255, p + ".ref_point_id"),
        )
    raise MessageRangeError(p, a, "a VehicleSensorArea, StationaryRadialArea or ...CircularArea")


def _q_property(v: VehicleSensorProperty, p: str) -> VehicleSensorProperty:
    return VehicleSensorProperty(
        _q(RANGE, v.range_m, p + ".range_m"),
        _q(ANGLE, v.horizontal_start_rad, p + ".horizontal_start_rad"),
        _q(ANGLE, v.horizontal_end_rad, p + ".horizontal_end_rad"),
        _q_opt(ANGLE, v.vertical_start_rad, p + ".vertical_start_rad"),
        _q_opt(ANGLE, v.vertical_end_rad, p + ".vertical_end_rad"),
    )


def _q_sensor(s: SensorInformation, p: str) -> SensorInformation:
    fsc = s.free_space_confidence_pct
    return SensorInformation(
        check_int(s.sensor_id, 0, 255, p + ".sensor_id"),
        as_enum(SensorType, check_int(s.sensor_type, 0, 15, p + ".sensor_type")),
        _q_area(s.detection_area, p + ".detection_area"),
        None if fsc is None else check_int(fsc, 0, 101, p + ".free_space_confidence_pct"),
    )


def _q_class(c: ObjectClass, p: str) -> ObjectClass:
    return ObjectClass(
        ObjectClassKind(check_int(c.kind, 0, 3, p + ".kind")),
        check_int(c.confidence_pct, 0, 101, p + ".confidence_pct"),
        check_int(c.subclass, 0, 255, p + ".subclass"),
        check_int(c.subclass_confidence_pct, 0, 101, p + ".subclass_confidence_pct"),
    )


def _q_pair(spec, conf_spec, value, conf, p: str, name: str, conf_name: str):
    """An OPTIONAL {value, confidence} pair: absent (both None) when ``value`` is None."""
    if value is None:
        return None, None
    return _q(spec, value, f"{p}.{name}"), _q(conf_spec, conf, f"{p}.{conf_name}")


def _q_object(o: PerceivedObject, p: str) -> PerceivedObject:
    dc = DISTANCE_CONFIDENCE
    z, zc = _q_pair(DISTANCE, dc, o.z_distance_m, o.z_distance_confidence_m, p,
                    "z_distance_m", "z_distance_confidence_m")
    yaw, yawc = _q_pair(ANGLE, ANGLE_CONFIDENCE, o.yaw_angle_rad, o.yaw_angle_confidence_rad,
                        p, "yaw_angle_rad", "yaw_angle_confidence_rad")
    d1, d1c = _q_pair(DIMENSION, dc, o.planar_dimension1_m, o.planar_dimension1_confidence_m,
                      p, "planar_dimension1_m", "planar_dimension1_confidence_m")
    d2, d2c = _q_pair(DIMENSION, dc, o.planar_dimension2_m, o.planar_dimension2_confidence_m,
                      p, "planar_dimension2_m", "planar_dimension2_confidence_m")
    dv, dvc = _q_pair(DIMENSION, dc, o.vertical_dimension_m, o.vertical_dimension_confidence_m,
                      p, "vertical_dimension_m", "vertical_dimension_confidence_m")
    classes = _seq(o.classification, 0, 8, p + ".classification")
    ids = _seq(o.sensor_ids, 0, 128, p + ".sensor_ids")
    age, status = o.object_age_ms, o.dynamic_status
    return PerceivedObject(
        object_id=check_int(o.object_id, 0, 255, p + ".object_id"),
        time_of_measurement_ms=check_int(o.time_of_measurement_ms, -1500, 1500,
                                         p + ".time_of_measurement_ms"),
        x_distance_m=_q(DISTANCE, o.x_distance_m, p + ".x_distance_m"),
        y_distance_m=_q(DISTANCE, o.y_distance_m, p + ".y_distance_m"),
        x_speed_mps=_q(SPEED_EXTENDED, o.x_speed_mps, p + ".x_speed_mps"),
        y_speed_mps=_q(SPEED_EXTENDED, o.y_speed_mps, p + ".y_speed_mps"),
        x_distance_confidence_m=_q(dc, o.x_distance_confidence_m, p + ".x_distance_confidence_m"),
        y_distance_confidence_m=_q(dc, o.y_distance_confidence_m, p + ".y_distance_confidence_m"),
        x_speed_confidence_mps=_q(SPEED_CONFIDENCE, o.x_speed_confidence_mps,
                                  p + ".x_speed_confidence_mps"),
        y_speed_confidence_mps=_q(SPEED_CONFIDENCE, o.y_speed_confidence_mps,
                                  p + ".y_speed_confidence_mps"),
        z_distance_m=z, z_distance_confidence_m=zc,
        yaw_angle_rad=yaw, yaw_angle_confidence_rad=yawc,
        planar_dimension1_m=d1, planar_dimension1_confidence_m=d1c,
        planar_dimension2_m=d2, planar_dimension2_confidence_m=d2c,
        vertical_dimension_m=dv, vertical_dimension_confidence_m=dvc,
        object_ref_point=ObjectRefPoint(check_int(o.object_ref_point, 0, 8,
                                                  p + ".object_ref_point")),
        object_age_ms=None if age is None else check_int(age, 0, 1500, p + ".object_age_ms"),
        object_confidence_pct=check_int(o.object_confidence_pct, 0, 101,
                                        p + ".object_confidence_pct"),
        dynamic_status=None if status is None else DynamicStatus(
            check_int(status, 0, 2, p + ".dynamic_status")),
        classification=tuple(_q_class(c, f"{p}.classification[{i}]")
                             for i, c in enumerate(classes)),
        sensor_ids=tuple(check_int(s, 0, 255, f"{p}.sensor_ids[{i}]") for i, s in enumerate(ids)),
    )


def _seq(items, lo: int, hi: int, path: str) -> tuple:
    if not isinstance(items, (tuple, list)) or not lo <= len(items) <= hi:
        raise MessageRangeError(path, items, f"a tuple of {lo}..{hi} items")
    return tuple(items)


def _q_originating(o, p: str):
    if o is None:
        return None
    if isinstance(o, OriginatingRsu):
        if (o.intersection_id is None) == (o.road_segment_id is None):
            raise MessageRangeError(p, o, "exactly one of intersection_id, road_segment_id")
        ids = [None if v is None else check_int(v, 0, 65535, f"{p}.{n}") for n, v in (
            ("intersection_id", o.intersection_id), ("road_segment_id", o.road_segment_id),
            ("region", o.region))]
        return OriginatingRsu(*ids)
    if isinstance(o, OriginatingVehicle):
        length = _q_opt(VEHICLE_LENGTH, o.vehicle_length_m, p + ".vehicle_length_m")
        indication = VehicleLengthIndication(check_int(
            o.vehicle_length_indication, 0, 4, p + ".vehicle_length_indication"))
        return OriginatingVehicle(
            heading_rad=_q(ANGLE, o.heading_rad, p + ".heading_rad"),
            speed_mps=_q(SPEED, o.speed_mps, p + ".speed_mps"),
            heading_confidence_rad=_q(ANGLE_CONFIDENCE, o.heading_confidence_rad,
                                      p + ".heading_confidence_rad"),
            speed_confidence_mps=_q(SPEED_CONFIDENCE, o.speed_confidence_mps,
                                    p + ".speed_confidence_mps"),
            drive_direction=DriveDirection(check_int(o.drive_direction, 0, 2,
                                                     p + ".drive_direction")),
            vehicle_length_m=length,
            # without a length there is nothing to carry the indication
            vehicle_length_indication=(VehicleLengthIndication.UNAVAILABLE if length is None
                                       else indication),
            vehicle_width_m=_q_opt(VEHICLE_WIDTH, o.vehicle_width_m, p + ".vehicle_width_m"),
        )
    raise MessageRangeError(p, o, "OriginatingVehicle, OriginatingRsu or None")


def _q_refpos(r: ReferencePosition, p: str) -> ReferencePosition:
    if not isinstance(r, ReferencePosition):
        raise MessageRangeError(p, r, "a ReferencePosition")
    return ReferencePosition(
        _q(LATITUDE, r.latitude_deg, p + ".latitude_deg"),
        _q(LONGITUDE, r.longitude_deg, p + ".longitude_deg"),
        _q(SEMI_AXIS, r.semi_major_confidence_m, p + ".semi_major_confidence_m"),
        _q(SEMI_AXIS, r.semi_minor_confidence_m, p + ".semi_minor_confidence_m"),
        _q(ANGLE, r.semi_major_orientation_rad, p + ".semi_major_orientation_rad"),
        _q(ALTITUDE, r.altitude_m, p + ".altitude_m"),
        altitude_confidence_value(altitude_confidence_code(
            r.altitude_confidence_m, p + ".altitude_confidence_m")),
    )


def quantise(cpm: CPM) -> CPM:
    """``cpm`` exactly as a receiver decodes it: values rounded to their wire resolution,
    confidences to their upper-bound codes, companions of absent parts and explicit
    defaults normalised (``number_of_perceived_objects`` equal to the object count becomes
    ``None``). Raises :class:`MessageRangeError` where ``encode_cpm`` would."""
    objects = _seq(cpm.perceived_objects, 0, OBJECTS_MAX, "perceived_objects")
    sensors = _seq(cpm.sensors, 0, SENSORS_MAX, "sensors")
    n = cpm.number_of_perceived_objects
    if n is not None:
        n = None if check_int(n, 0, 255, "number_of_perceived_objects") == len(objects) else n
    seg = cpm.segment
    if seg is not None:
        seg = SegmentInfo(check_int(seg.total, 1, 127, "segment.total"),
                          check_int(seg.this, 1, 127, "segment.this"))
    return CPM(
        station_id=check_int(cpm.station_id, 0, 2**32 - 1, "station_id"),
        generation_delta_time_ms=check_int(cpm.generation_delta_time_ms, 0, 65535,
                                           "generation_delta_time_ms"),
        station_type=as_enum(StationType, check_int(cpm.station_type, 0, 255, "station_type")),
        reference_position=_q_refpos(cpm.reference_position, "reference_position"),
        originating=_q_originating(cpm.originating, "originating"),
        sensors=tuple(_q_sensor(s, f"sensors[{i}]") for i, s in enumerate(sensors)),
        perceived_objects=tuple(_q_object(o, f"perceived_objects[{i}]")
                                for i, o in enumerate(objects)),
        number_of_perceived_objects=n,
        segment=seg,
    )
