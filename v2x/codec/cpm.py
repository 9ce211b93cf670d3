"""UPER codec of the TR 103 562 V2.1.1 CPM (what Debian's Wireshark 4.0 dissects).

Hand-written from the published ASN.1 (Wireshark's ``CPM-PDU-Descriptionsv1.asn``, TS
102 894-2 ITS-Container and ISO TS 19091 DSRC types it imports); component order,
OPTIONAL/DEFAULT bits, extension markers and constraints follow it field by field, and
``tests/v2x/test_cpm.py`` proves the bytes with tshark. ``encode_cpm`` raises
:class:`MessageRangeError` (never clips); ``decode_cpm`` raises only :class:`DecodeError`:
``"malformed"`` for invalid bytes, ``"unsupported"`` for valid CPMs using parts the
dataclasses do not carry (listed in ``_UNSUPPORTED``). Extension additions of extensible
SEQUENCEs are skipped as X.691 prescribes for a root-version decoder.
"""

from __future__ import annotations

from v2x.codec.uper import BitReader, BitWriter
from v2x.errors import DecodeError, MessageRangeError
from v2x.messages import cpm as m
from v2x.messages.common import PROTOCOL_VERSION, MessageId, StationType

__all__ = ["encode_cpm", "decode_cpm"]

# Node-XY-20b .. Node-XY-32b / node-Z1 .. node-Z6: Offset-B10 .. B16 bounds [cm]
_NODE_BOUNDS = (512, 1024, 2048, 4096, 8192, 32768)
_OBJ_OPTIONALS = 16  # OPTIONAL/DEFAULT components of PerceivedObject
_VEH_OPTIONALS = 12  # ... of OriginatingVehicleContainer
_UNSUPPORTED = {  # PerceivedObject / OriginatingVehicleContainer bits kav does not carry
    "object": {4: "zSpeed", 5: "xAcceleration", 6: "yAcceleration", 7: "zAcceleration",
               15: "matchedPosition"},
    "vehicle": {0: "vehicleOrientationAngle", 2: "longitudinalAcceleration",
                3: "lateralAcceleration", 4: "verticalAcceleration", 5: "yawRate",
                6: "pitchAngle", 7: "rollAngle", 10: "vehicleHeight",
                11: "trailerDataContainer"},
}


def _put(w: BitWriter, spec: m.Scaled, value, path: str) -> None:
    w.constrained_int(spec.code(value, path), spec.lo, spec.hi)


def _get(r: BitReader, spec: m.Scaled):
    return spec.value(r.constrained_int(spec.lo, spec.hi))


def _int(w: BitWriter, value, lo: int, hi: int, path: str) -> None:
    w.constrained_int(m.check_int(value, lo, hi, path), lo, hi)


def _unsupported(what: str):
    raise DecodeError("unsupported", what)


# ------------------------------------------------------------------------------ encoder
# PerceivedObject's measured values in wire order, shared by encoder and decoder:
# (value spec, confidence spec, value field, confidence field, optional-bit index or None
# when always present)
_MEASURED = (
    (m.DISTANCE, m.DISTANCE_CONFIDENCE, "x_distance_m", "x_distance_confidence_m", None),
    (m.DISTANCE, m.DISTANCE_CONFIDENCE, "y_distance_m", "y_distance_confidence_m", None),
    (m.DISTANCE, m.DISTANCE_CONFIDENCE, "z_distance_m", "z_distance_confidence_m", 3),
    (m.SPEED_EXTENDED, m.SPEED_CONFIDENCE, "x_speed_mps", "x_speed_confidence_mps", None),
    (m.SPEED_EXTENDED, m.SPEED_CONFIDENCE, "y_speed_mps", "y_speed_confidence_mps", None),
    (m.ANGLE, m.ANGLE_CONFIDENCE, "yaw_angle_rad", "yaw_angle_confidence_rad", 8),
    (m.DIMENSION, m.DISTANCE_CONFIDENCE, "planar_dimension1_m",
     "planar_dimension1_confidence_m", 9),
    (m.DIMENSION, m.DISTANCE_CONFIDENCE, "planar_dimension2_m",
     "planar_dimension2_confidence_m", 10),
    (m.DIMENSION, m.DISTANCE_CONFIDENCE, "vertical_dimension_m",
     "vertical_dimension_confidence_m", 11),
)


def encode_cpm(cpm: m.CPM) -> bytes:
    """UPER bytes of ``cpm`` (ItsPduHeader + CollectivePerceptionMessage)."""
    return _encode(cpm).to_bytes()


def _encode(cpm: m.CPM) -> BitWriter:
    """The encoder state before octet padding (tests use its ``bit_length``)."""
    if not isinstance(cpm, m.CPM):
        raise MessageRangeError("cpm", cpm, "a CPM")
    # quantise() checks every field (naming its path) before any bit is written; its values
    # code back to the same codes, so encoding them equals encoding the originals.
    cpm = m.quantise(cpm)
    w = BitWriter()
    w.constrained_int(PROTOCOL_VERSION[MessageId.CPM], 0, 255)
    w.constrained_int(int(MessageId.CPM), 0, 255)
    _int(w, cpm.station_id, 0, 2**32 - 1, "station_id")
    _int(w, cpm.generation_delta_time_ms, 0, 65535, "generation_delta_time_ms")
    # CpmParameters ::= SEQUENCE {..., ...}: 4 OPTIONAL containers
    w.preamble([cpm.originating is not None, bool(cpm.sensors), bool(cpm.perceived_objects),
                False], extensible=True)
    # CpmManagementContainer ::= SEQUENCE {stationType, segmentInfo OPTIONAL, refPos, ...}
    w.preamble([cpm.segment is not None], extensible=True)
    _int(w, cpm.station_type, 0, 255, "station_type")
    if cpm.segment is not None:
        w.constrained_int(cpm.segment.total, 1, 127)
        w.constrained_int(cpm.segment.this, 1, 127)
    _enc_refpos(w, cpm.reference_position, "reference_position")
    if cpm.originating is not None:
        _enc_originating(w, cpm.originating, "originating")
    if cpm.sensors:
        w.length(len(cpm.sensors), 1, 128, extensible=True)
        for i, s in enumerate(cpm.sensors):
            _enc_sensor(w, s, f"sensors[{i}]")
    if cpm.perceived_objects:
        w.length(len(cpm.perceived_objects), 1, 128, extensible=True)
        for i, o in enumerate(cpm.perceived_objects):
            _enc_object(w, o, f"perceived_objects[{i}]")
    n = cpm.number_of_perceived_objects
    w.constrained_int(len(cpm.perceived_objects) if n is None else n, 0, 255)
    return w


def _enc_refpos(w: BitWriter, r: m.ReferencePosition, p: str) -> None:
    _put(w, m.LATITUDE, r.latitude_deg, p + ".latitude_deg")
    _put(w, m.LONGITUDE, r.longitude_deg, p + ".longitude_deg")
    _put(w, m.SEMI_AXIS, r.semi_major_confidence_m, p + ".semi_major_confidence_m")
    _put(w, m.SEMI_AXIS, r.semi_minor_confidence_m, p + ".semi_minor_confidence_m")
    _put(w, m.ANGLE, r.semi_major_orientation_rad, p + ".semi_major_orientation_rad")
    _put(w, m.ALTITUDE, r.altitude_m, p + ".altitude_m")
    w.enumerated(m.altitude_confidence_code(r.altitude_confidence_m, p + ".altitude_confidence_m"),
                 16)


def _enc_originating(w: BitWriter, o, p: str) -> None:
    if isinstance(o, m.OriginatingRsu):
        w.choice(1, 2, extensible=True)  # StationDataContainer.originatingRSUContainer
        ref = o.intersection_id if o.intersection_id is not None else o.road_segment_id
        w.choice(0 if o.intersection_id is not None else 1, 2, extensible=True)
        w.preamble([o.region is not None])  # IntersectionReferenceID / RoadSegment...ID
        if o.region is not None:
            w.constrained_int(o.region, 0, 65535)
        w.constrained_int(ref, 0, 65535)
        return
    w.choice(0, 2, extensible=True)  # originatingVehicleContainer
    has_length = o.vehicle_length_m is not None
    present = [False] * _VEH_OPTIONALS
    present[1] = o.drive_direction != m.DriveDirection.FORWARD  # DEFAULT forward
    present[8], present[9] = has_length, o.vehicle_width_m is not None
    w.preamble(present, extensible=True)
    _put(w, m.ANGLE, o.heading_rad, p + ".heading_rad")
    _put(w, m.ANGLE_CONFIDENCE, o.heading_confidence_rad, p + ".heading_confidence_rad")
    _put(w, m.SPEED, o.speed_mps, p + ".speed_mps")
    _put(w, m.SPEED_CONFIDENCE, o.speed_confidence_mps, p + ".speed_confidence_mps")
    if present[1]:
        w.enumerated(int(o.drive_direction), 3)
    if has_length:
        _put(w, m.VEHICLE_LENGTH, o.vehicle_length_m, p + ".vehicle_length_m")
        w.enumerated(int(o.vehicle_length_indication), 5)
    if present[9]:
        _put(w, m.VEHICLE_WIDTH, o.vehicle_width_m, p + ".vehicle_width_m")


def _enc_offset(w: BitWriter, o: m.NodeOffset, p: str) -> None:
    """OffsetPoint: the smallest NodeOffsetPointXY / NodeOffsetPointZ form that fits."""
    x, y = m.NODE_OFFSET.code(o.x_m, p + ".x_m"), m.NODE_OFFSET.code(o.y_m, p + ".y_m")
    w.preamble([o.z_m is not None])
    k = next(i for i, b in enumerate(_NODE_BOUNDS) if -b <= min(x, y) and max(x, y) < b)
    w.choice(k, 8)
    w.constrained_int(x, -_NODE_BOUNDS[k], _NODE_BOUNDS[k] - 1)
    w.constrained_int(y, -_NODE_BOUNDS[k], _NODE_BOUNDS[k] - 1)
    if o.z_m is not None:
        z = m.NODE_OFFSET.code(o.z_m, p + ".z_m")
        k = next(i for i, b in enumerate(_NODE_BOUNDS) if -b <= z < b)
        w.choice(k, 6)
        w.constrained_int(z, -_NODE_BOUNDS[k], _NODE_BOUNDS[k] - 1)


def _enc_sensor(w: BitWriter, s: m.SensorInformation, p: str) -> None:
    w.preamble([s.free_space_confidence_pct is not None], extensible=True)
    w.constrained_int(s.sensor_id, 0, 255)
    w.constrained_int(s.sensor_type, 0, 15)
    a, pa = s.detection_area, p + ".detection_area"
    if isinstance(a, m.VehicleSensorArea):
        w.choice(0, 6, extensible=True)
        w.preamble([a.ref_point_id != 0, a.z_offset_m is not None], extensible=True)
        if a.ref_point_id != 0:  # DEFAULT 0
            w.constrained_int(a.ref_point_id, 0, 255)
        _put(w, m.X_SENSOR_OFFSET, a.x_offset_m, pa + ".x_offset_m")
        _put(w, m.Y_SENSOR_OFFSET, a.y_offset_m, pa + ".y_offset_m")
        if a.z_offset_m is not None:
            _put(w, m.Z_SENSOR_OFFSET, a.z_offset_m, pa + ".z_offset_m")
        w.length(len(a.properties), 1, 10)
        for i, v in enumerate(a.properties):
            pv = f"{pa}.properties[{i}]"
            w.preamble([v.vertical_start_rad is not None, v.vertical_end_rad is not None],
                       extensible=True)
            _put(w, m.RANGE, v.range_m, pv + ".range_m")
            _enc_angles(w, v, pv)
    elif isinstance(a, m.StationaryRadialArea):
        w.choice(1, 6, extensible=True)
        w.preamble([a.vertical_start_rad is not None, a.vertical_end_rad is not None,
                    a.sensor_offset is not None, a.sensor_height_m is not None],
                   extensible=True)
        _put(w, m.RANGE, a.range_m, pa + ".range_m")
        _enc_angles(w, a, pa)
        if a.sensor_offset is not None:
            _enc_offset(w, a.sensor_offset, pa + ".sensor_offset")
        if a.sensor_height_m is not None:
            _put(w, m.SENSOR_HEIGHT, a.sensor_height_m, pa + ".sensor_height_m")
    else:  # StationaryCircularArea (quantise() rejected anything else)
        w.choice(3, 6, extensible=True)
        w.preamble([a.center is not None])
        if a.center is not None:
            _enc_offset(w, a.center, pa + ".center")
        _put(w, m.RANGE, a.radius_m, pa + ".radius_m")
    if s.free_space_confidence_pct is not None:
        w.constrained_int(s.free_space_confidence_pct, 0, 101)


def _enc_angles(w: BitWriter, v, p: str) -> None:
    """Horizontal start/end, then the OPTIONAL vertical start/end opening angles."""
    _put(w, m.ANGLE, v.horizontal_start_rad, p + ".horizontal_start_rad")
    _put(w, m.ANGLE, v.horizontal_end_rad, p + ".horizontal_end_rad")
    for name in ("vertical_start_rad", "vertical_end_rad"):
        if getattr(v, name) is not None:
            _put(w, m.ANGLE, getattr(v, name), f"{p}.{name}")


def _enc_object(w: BitWriter, o: m.PerceivedObject, p: str) -> None:
    present = [False] * _OBJ_OPTIONALS
    present[0], present[1] = bool(o.sensor_ids), o.object_age_ms is not None
    present[2], present[3] = o.object_confidence_pct != 0, o.z_distance_m is not None
    present[8], present[9] = o.yaw_angle_rad is not None, o.planar_dimension1_m is not None
    present[10], present[11] = (o.planar_dimension2_m is not None,
                                o.vertical_dimension_m is not None)
    present[12], present[13] = o.object_ref_point != 0, o.dynamic_status is not None
    present[14] = bool(o.classification)
    w.preamble(present, extensible=True)
    w.constrained_int(o.object_id, 0, 255)
    if present[0]:
        w.length(len(o.sensor_ids), 1, 128, extensible=True)
        for s in o.sensor_ids:
            w.constrained_int(s, 0, 255)
    w.constrained_int(o.time_of_measurement_ms, -1500, 1500)
    if present[1]:
        w.constrained_int(o.object_age_ms, 0, 1500)
    if present[2]:
        w.constrained_int(o.object_confidence_pct, 0, 101)
    for spec, conf, name, conf_name, bit in _MEASURED:
        if bit is None or present[bit]:
            _put(w, spec, getattr(o, name), f"{p}.{name}")
            _put(w, conf, getattr(o, conf_name), f"{p}.{conf_name}")
    if present[12]:
        w.constrained_int(o.object_ref_point, 0, 8)
    if present[13]:
        w.constrained_int(o.dynamic_status, 0, 2)
    if present[14]:
        w.length(len(o.classification), 1, 8)
        for c in o.classification:
            w.constrained_int(c.confidence_pct, 0, 101)
            w.choice(int(c.kind), 4)
            w.preamble([c.subclass != 0, c.subclass_confidence_pct != 0])  # both DEFAULT 0
            if c.subclass != 0:
                w.constrained_int(c.subclass, 0, 255)
            if c.subclass_confidence_pct != 0:
                w.constrained_int(c.subclass_confidence_pct, 0, 101)


# ------------------------------------------------------------------------------ decoder
def decode_cpm(data: bytes) -> m.CPM:
    """The :class:`~v2x.messages.cpm.CPM` in ``data`` (UPER ItsPduHeader + CPM).

    Raises only :class:`DecodeError`: ``"malformed"`` (truncated, invalid codes, not a
    CPM, trailing octets), ``"unsupported"`` (another CPM protocol version, or parts the
    dataclasses do not carry: free-space addenda, polygon/ellipse/rectangle areas, ...)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DecodeError("malformed", f"expected bytes, got {type(data).__name__}")
    r = BitReader(bytes(data))
    version, message_id = r.constrained_int(0, 255), r.constrained_int(0, 255)
    if message_id != MessageId.CPM:
        raise DecodeError("malformed", f"messageID {message_id} is not a CPM")
    if version != PROTOCOL_VERSION[MessageId.CPM]:
        raise DecodeError("unsupported", f"CPM protocolVersion {version}")
    station_id = r.constrained_int(0, 2**32 - 1)
    generation_delta_time = r.constrained_int(0, 65535)
    extended, (has_station, has_sensors, has_objects, has_free) = r.preamble(4, True)
    mgmt_extended, (has_segment,) = r.preamble(1, True)
    station_type = m.as_enum(StationType, r.constrained_int(0, 255))
    segment = m.SegmentInfo(r.constrained_int(1, 127), r.constrained_int(1, 127)) \
        if has_segment else None
    reference_position = _dec_refpos(r)
    if mgmt_extended:
        r.extension_additions()
    originating = _dec_originating(r) if has_station else None
    sensors = tuple(_dec_sensor(r) for _ in range(r.length(1, 128, True))) \
        if has_sensors else ()
    objects = tuple(_dec_object(r) for _ in range(r.length(1, 128, True))) \
        if has_objects else ()
    if has_free:
        _unsupported("freeSpaceAddendumContainer")
    n = r.constrained_int(0, 255)
    if extended:
        r.extension_additions()
    r.finish()
    return m.CPM(station_id, generation_delta_time, station_type, reference_position,
                 originating, sensors, objects, None if n == len(objects) else n, segment)


def _dec_refpos(r: BitReader) -> m.ReferencePosition:
    values = [_get(r, spec) for spec in (m.LATITUDE, m.LONGITUDE, m.SEMI_AXIS, m.SEMI_AXIS,
                                         m.ANGLE, m.ALTITUDE)]
    return m.ReferencePosition(*values, m.altitude_confidence_value(r.enumerated(16)))


def _dec_originating(r: BitReader):
    index, _ = r.choice(2, extensible=True)
    if index == 1:  # originatingRSUContainer
        which, _ = r.choice(2, extensible=True)
        if which > 1:
            _unsupported("OriginatingRSUContainer extension alternative")
        _, (has_region,) = r.preamble(1)
        region = r.constrained_int(0, 65535) if has_region else None
        ref = r.constrained_int(0, 65535)
        return m.OriginatingRsu(ref if which == 0 else None, ref if which == 1 else None, region)
    if index > 1:
        _unsupported("StationDataContainer extension alternative")
    extended, present = r.preamble(_VEH_OPTIONALS, True)
    for bit, name in _UNSUPPORTED["vehicle"].items():
        if present[bit]:
            _unsupported(f"OriginatingVehicleContainer.{name}")
    heading, heading_conf = _get(r, m.ANGLE), _get(r, m.ANGLE_CONFIDENCE)
    speed, speed_conf = _get(r, m.SPEED), _get(r, m.SPEED_CONFIDENCE)
    direction = m.DriveDirection(r.enumerated(3)) if present[1] else m.DriveDirection.FORWARD
    length, indication = None, m.VehicleLengthIndication.UNAVAILABLE
    if present[8]:
        length = _get(r, m.VEHICLE_LENGTH)
        indication = m.VehicleLengthIndication(r.enumerated(5))
        if length is None:  # unavailable length: the dataclass has only "absent"
            indication = m.VehicleLengthIndication.UNAVAILABLE
    width = _get(r, m.VEHICLE_WIDTH) if present[9] else None
    if extended:
        r.extension_additions()
    return m.OriginatingVehicle(heading, speed, heading_conf, speed_conf, direction, length,
                                indication, width)


def _dec_offset(r: BitReader) -> m.NodeOffset:
    _, (has_z,) = r.preamble(1)
    k, _ = r.choice(8)
    if k >= len(_NODE_BOUNDS):
        _unsupported("OffsetPoint node-LatLon/regional")
    b = _NODE_BOUNDS[k]
    x, y = r.constrained_int(-b, b - 1), r.constrained_int(-b, b - 1)
    z = None
    if has_z:
        k, _ = r.choice(6)
        b = _NODE_BOUNDS[k]
        z = m.NODE_OFFSET.value(r.constrained_int(-b, b - 1))
    return m.NodeOffset(m.NODE_OFFSET.value(x), m.NODE_OFFSET.value(y), z)


def _dec_angles(r: BitReader, has_start: bool, has_end: bool):
    h = _get(r, m.ANGLE), _get(r, m.ANGLE)
    return (*h, _get(r, m.ANGLE) if has_start else None, _get(r, m.ANGLE) if has_end else None)


def _dec_sensor(r: BitReader) -> m.SensorInformation:
    extended, (has_fsc,) = r.preamble(1, True)
    sensor_id = r.constrained_int(0, 255)
    sensor_type = m.as_enum(m.SensorType, r.constrained_int(0, 15))
    index, _ = r.choice(6, extensible=True)
    if index == 0:
        ext, (has_ref, has_z) = r.preamble(2, True)
        ref_point = r.constrained_int(0, 255) if has_ref else 0
        x, y = _get(r, m.X_SENSOR_OFFSET), _get(r, m.Y_SENSOR_OFFSET)
        z = _get(r, m.Z_SENSOR_OFFSET) if has_z else None
        props = []
        for _ in range(r.length(1, 10)):
            p_ext, (has_vs, has_ve) = r.preamble(2, True)
            props.append(m.VehicleSensorProperty(_get(r, m.RANGE), *_dec_angles(r, has_vs, has_ve)))
            if p_ext:
                r.extension_additions()
        area = m.VehicleSensorArea(x, y, tuple(props), z, ref_point)
    elif index == 1:
        ext, (has_vs, has_ve, has_offset, has_height) = r.preamble(4, True)
        rng = _get(r, m.RANGE)
        angles = _dec_angles(r, has_vs, has_ve)
        offset = _dec_offset(r) if has_offset else None
        height = _get(r, m.SENSOR_HEIGHT) if has_height else None
        area = m.StationaryRadialArea(rng, *angles, offset, height)
    elif index == 3:
        ext, (has_centre,) = r.preamble(1)
        centre = _dec_offset(r) if has_centre else None
        area = m.StationaryCircularArea(_get(r, m.RANGE), centre)
    else:
        names = {2: "polygon", 4: "ellipse", 5: "rectangle"}
        _unsupported(f"DetectionArea {names.get(index, 'extension alternative')}")
    if ext:
        r.extension_additions()
    fsc = r.constrained_int(0, 101) if has_fsc else None
    if extended:
        r.extension_additions()
    return m.SensorInformation(sensor_id, sensor_type, area, fsc)


def _dec_object(r: BitReader) -> m.PerceivedObject:
    extended, present = r.preamble(_OBJ_OPTIONALS, True)
    for bit, name in _UNSUPPORTED["object"].items():
        if present[bit]:
            _unsupported(f"PerceivedObject.{name}")
    f: dict = {"object_id": r.constrained_int(0, 255)}
    if present[0]:
        f["sensor_ids"] = tuple(r.constrained_int(0, 255) for _ in range(r.length(1, 128, True)))
    f["time_of_measurement_ms"] = r.constrained_int(-1500, 1500)
    if present[1]:
        f["object_age_ms"] = r.constrained_int(0, 1500)
    if present[2]:
        f["object_confidence_pct"] = r.constrained_int(0, 101)
    for spec, conf, name, conf_name, bit in _MEASURED:
        if bit is None or present[bit]:
            f[name], f[conf_name] = _get(r, spec), _get(r, conf)
    if f.get("yaw_angle_rad", 0) is None:  # an unavailable yaw is carried as absent
        f["yaw_angle_confidence_rad"] = None
    if present[12]:
        f["object_ref_point"] = m.ObjectRefPoint(r.constrained_int(0, 8))
    if present[13]:
        f["dynamic_status"] = m.DynamicStatus(r.constrained_int(0, 2))
    if present[14]:
        classes = []
        for _ in range(r.length(1, 8)):
            confidence = r.constrained_int(0, 101)
            kind, _ = r.choice(4)
            _, (has_type, has_conf) = r.preamble(2)
            sub = r.constrained_int(0, 255) if has_type else 0
            sub_conf = r.constrained_int(0, 101) if has_conf else 0
            classes.append(m.ObjectClass(m.ObjectClassKind(kind), confidence, sub, sub_conf))
        f["classification"] = tuple(classes)
    if extended:
        r.extension_additions()
    return m.PerceivedObject(**f)
