"""CPM (TR 103 562 V2.1.1): dataclasses, quantisation, UPER codec, and Wireshark's verdict.

The tshark tests are the proof that the hand-written codec matches the ASN.1: Debian's
Wireshark 4.0 dissects the frames as ``eth:ethertype:gnw:btpb:its`` without a malformed
or expert mark and shows the encoded values.
"""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from v2x.codec.cpm import _encode, decode_cpm, encode_cpm
from v2x.codec.uper import BitWriter
from v2x.errors import DecodeError, MessageRangeError
from v2x.messages.common import BTP_PORT, MessageId
from v2x.messages.cpm import (
    CPM,
    DriveDirection,
    DynamicStatus,
    NodeOffset,
    ObjectClass,
    ObjectClassKind,
    ObjectRefPoint,
    OriginatingRsu,
    OriginatingVehicle,
    PerceivedObject,
    PersonSubclass,
    ReferencePosition,
    SegmentInfo,
    SensorInformation,
    SensorType,
    StationaryCircularArea,
    StationaryRadialArea,
    StationType,
    VehicleLengthIndication,
    VehicleSensorArea,
    VehicleSensorProperty,
    VehicleSubclass,
    quantise,
)

SANGAM = ReferencePosition(37.5796, 126.8898, 0.5, 0.3, math.radians(30), 21.5, 1.0)


def car(i: int, **kw) -> PerceivedObject:
    """A tracked car as a roadside perception stack reports it (x East, y North)."""
    base = dict(
        object_id=i, time_of_measurement_ms=-40 + i, x_distance_m=12.34 + 7.5 * i,
        y_distance_m=-5.67 * i, x_speed_mps=8.3 - i, y_speed_mps=-0.45 * i,
        x_distance_confidence_m=0.2, y_distance_confidence_m=0.25,
        x_speed_confidence_mps=0.4, y_speed_confidence_mps=0.4,
        yaw_angle_rad=math.radians(10 * (i % 36)), yaw_angle_confidence_rad=math.radians(2),
        planar_dimension1_m=1.9, planar_dimension1_confidence_m=0.1,
        planar_dimension2_m=4.6, planar_dimension2_confidence_m=0.2,
        object_age_ms=300 + i, object_confidence_pct=85, dynamic_status=DynamicStatus.DYNAMIC,
        classification=(ObjectClass(ObjectClassKind.VEHICLE, 90, VehicleSubclass.PASSENGER_CAR,
                                    80),),
    )
    base.update(kw)
    return PerceivedObject(**base)


def rsu_cpm() -> CPM:
    """An intersection RSU with a lidar (sector) and a camera (circle) and five objects."""
    objects = (
        car(0),
        car(1, x_distance_m=-20.5, y_distance_m=33.25, sensor_ids=(1, 2)),
        PerceivedObject(2, -80, 3.1, -14.2, 0.0, 1.35, 0.1, 0.1, 0.3, 0.3,
                        planar_dimension1_m=0.6, planar_dimension2_m=0.5,
                        dynamic_status=DynamicStatus.HAS_BEEN_DYNAMIC,
                        classification=(ObjectClass(ObjectClassKind.PERSON, 75,
                                                    PersonSubclass.PEDESTRIAN, 70),
                                        ObjectClass(ObjectClassKind.PERSON, 20,
                                                    PersonSubclass.CYCLIST))),
        car(3, x_distance_m=-120.0, x_speed_mps=-16.5, classification=(
            ObjectClass(ObjectClassKind.VEHICLE, 60, VehicleSubclass.BUS),)),
        PerceivedObject(4, 0, 40.0, 40.0, None, None, object_confidence_pct=40,
                        object_ref_point=ObjectRefPoint.BOTTOM_MID,
                        classification=(ObjectClass(ObjectClassKind.ANIMAL, 30),
                                        ObjectClass(ObjectClassKind.OTHER, 10))),
    )
    sensors = (
        SensorInformation(1, SensorType.LIDAR, StationaryRadialArea(
            120.0, math.radians(20), math.radians(160), sensor_offset=NodeOffset(2.5, -3.0, 6.5),
            sensor_height_m=6.5), free_space_confidence_pct=90),
        SensorInformation(2, SensorType.MONOVIDEO, StationaryCircularArea(
            60.0, NodeOffset(10.0, -5.0))),
    )
    return CPM(1001, 12345, StationType.ROAD_SIDE_UNIT, SANGAM,
               OriginatingRsu(intersection_id=12, region=3), sensors, objects)


def vehicle_cpm() -> CPM:
    """A car with a front radar reporting a car ahead and a pedestrian on its left."""
    objects = (
        car(7, x_distance_m=25.3, y_distance_m=-0.4, x_speed_mps=-2.1, y_speed_mps=0.05),
        PerceivedObject(9, -20, 8.2, 3.2, -1.0, 1.1, 0.3, 0.3, 0.5, 0.5,
                        classification=(ObjectClass(ObjectClassKind.PERSON, 88,
                                                    PersonSubclass.PEDESTRIAN),)),
    )
    radar = SensorInformation(5, SensorType.RADAR, VehicleSensorArea(
        0.0, 0.0, (VehicleSensorProperty(150.0, math.radians(350), math.radians(10)),
                   VehicleSensorProperty(60.0, math.radians(315), math.radians(45))),
        z_offset_m=0.5))
    vehicle = OriginatingVehicle(math.radians(87.5), 13.89, math.radians(1), 0.1,
                                 vehicle_length_m=4.6,
                                 vehicle_length_indication=VehicleLengthIndication.NO_TRAILER_PRESENT,
                                 vehicle_width_m=1.9)
    return CPM(2002, 54321, StationType.PASSENGER_CAR,
               ReferencePosition(37.5801, 126.8889), vehicle, (radar,), objects)


def empty_cpm() -> CPM:
    return CPM(3003, 0, StationType.ROAD_SIDE_UNIT, ReferencePosition(37.5, 127.0))


def maximal_cpm() -> CPM:
    """Every part the dataclasses carry, limits included, and 128 objects (the most one
    message carries: the root of the container's SIZE(1..128, ...))."""
    special = PerceivedObject(
        200, 1500, -1327.68, 1327.67, -163.83, None, z_distance_m=1.5,
        z_distance_confidence_m=math.inf, vertical_dimension_m=1.6, object_age_ms=1500,
        object_confidence_pct=101, dynamic_status=DynamicStatus.STATIC,
        object_ref_point=ObjectRefPoint.TOP_RIGHT, sensor_ids=(3, 4))
    vehicle = OriginatingVehicle(math.radians(270), None, None, None, DriveDirection.BACKWARD,
                                 math.inf, VehicleLengthIndication.TRAILER_PRESENCE_IS_UNKNOWN)
    sensors = (
        SensorInformation(3, SensorType.FUSION, VehicleSensorArea(
            -1.5, 0.8, (VehicleSensorProperty(200.0, None, None, math.radians(85),
                                              math.radians(95)),), ref_point_id=2)),
        SensorInformation(4, SensorType.ITS_AGGREGATION,
                          StationaryCircularArea(1000.0, NodeOffset(-327.68, 327.67, -0.5))),
    )
    objects = (special, *(car(i) for i in range(127)))
    return CPM(2**32 - 1, 65535, StationType.SPECIAL_VEHICLE,
               ReferencePosition(-33.8688, 151.2093, math.inf, 40.93, None, -1000.0, math.inf),
               vehicle, sensors, objects, number_of_perceived_objects=140,
               segment=SegmentInfo(3, 2))


SCENARIOS = {"rsu": rsu_cpm, "vehicle": vehicle_cpm, "empty": empty_cpm, "maximal": maximal_cpm}


# ----------------------------------------------------------- temporary tshark harness
def gn_frame(payload: bytes, lat_deg: float, lon_deg: float) -> bytes:
    """Ethernet II / GeoNetworking SHB / BTP-B around a facilities payload (EN 302 636-4-1,
    EN 302 636-5-1). Kept here until ``v2x.framing`` lands."""
    eth = b"\xff" * 6 + bytes.fromhex("020000000001") + struct.pack(">H", 0x8947)
    basic = bytes([0x11, 0x00, 0x05, 0x01])  # version 1 | NH common; -; lifetime 1 s; RHL 1
    btp = struct.pack(">HH", BTP_PORT[MessageId.CPM], 0)  # destination port, port info
    # NH BTP-B (2); HT TSB (5) | HST single hop (0); traffic class; flags; payload; MHL 1; -
    common = struct.pack(">BBBBHBB", 0x20, 0x50, 0, 0, len(btp) + len(payload), 1, 0)
    gn_addr = bytes([0x3C, 0, 0, 0, 0, 0, 0, 0x01])  # manual 0, station type 15, MID
    position = gn_addr + struct.pack(">Iii", 12345, round(lat_deg * 1e7), round(lon_deg * 1e7))
    position += struct.pack(">HH", 0, 0)  # PAI + speed, heading
    return eth + basic + common + position + bytes(4) + btp + payload


def pcap(frames: list[bytes]) -> bytes:
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)  # linktype 1: Ethernet
    for i, f in enumerate(frames):
        out += struct.pack("<IIII", 1_700_000_000 + i, 0, len(f), len(f)) + f
    return out


@pytest.fixture(scope="module")
def dissected(tmp_path_factory) -> dict[str, ET.Element]:
    """Every scenario dissected by one tshark run: name -> PDML <packet>."""
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed")
    cpms = {name: build() for name, build in SCENARIOS.items()}
    frames = [gn_frame(encode_cpm(c), c.reference_position.latitude_deg,
                       c.reference_position.longitude_deg) for c in cpms.values()]
    path = tmp_path_factory.mktemp("cpm") / "cpm.pcap"
    path.write_bytes(pcap(frames))
    out = subprocess.run(["tshark", "-r", str(path), "-T", "pdml"], capture_output=True,
                         check=True, timeout=120).stdout
    packets = ET.fromstring(out).findall("packet")
    assert len(packets) == len(cpms)
    return dict(zip(cpms, packets))


def child(node: ET.Element, name: str) -> ET.Element | None:
    """First descendant named ``name`` that is not inside another named field below
    ``node`` (PDML wraps list items in unnamed fields)."""
    for c in node:
        if c.get("name") == name:
            return c
        if c.get("name") == "":
            found = child(c, name)
            if found is not None:
                return found
    return None


def show(node: ET.Element, *path: str) -> int | None:
    """Integer value of the field at ``path`` below ``node`` (``None`` when absent)."""
    for name in path:
        node = child(node, name)
        if node is None:
            return None
    return int(node.get("show"))


def items(node: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if node is None else [e for e in node.iter("field") if e.get("name") == name]


def code(value: float | None, scale: float, unavailable: int) -> int:
    return unavailable if value is None else round(value * scale)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_wireshark_dissects_cpm(dissected, name):
    cpm = quantise(SCENARIOS[name]())
    packet = dissected[name]
    protocols = [f for f in packet.iter("field") if f.get("name") == "frame.protocols"]
    assert protocols[0].get("show") == "eth:ethertype:gnw:btpb:its"
    assert not [p for p in packet.iter("proto") if p.get("name") == "_ws.malformed"]
    assert not [f for f in packet.iter("field") if f.get("name", "").startswith("_ws.expert")]
    its = next(p for p in packet.iter("proto") if p.get("name") == "its")
    header = child(its, "its.ItsPduHeader_element")
    assert (show(header, "its.protocolVersion"), show(header, "its.messageID"),
            show(header, "its.stationID")) == (1, 14, cpm.station_id)
    body = child(its, "cpm.CollectivePerceptionMessage_element")
    assert show(body, "cpm.generationDeltaTime") == cpm.generation_delta_time_ms
    params = child(body, "cpm.cpmParameters_element")
    mgmt = child(params, "cpm.managementContainer_element")
    assert show(mgmt, "cpm.stationType") == cpm.station_type
    ref = child(mgmt, "cpm.referencePosition_element")
    assert show(ref, "its.latitude") == round(cpm.reference_position.latitude_deg * 1e7)
    assert show(ref, "its.longitude") == round(cpm.reference_position.longitude_deg * 1e7)
    n = len(cpm.perceived_objects)
    total = n if cpm.number_of_perceived_objects is None else cpm.number_of_perceived_objects
    assert show(params, "cpm.numberOfPerceivedObjects") == total
    assert show(params, "cpm.perceivedObjectContainer") == (n or None)
    shown = items(child(params, "cpm.perceivedObjectContainer"), "cpm.PerceivedObject_element")
    assert len(shown) == n
    for o, el in zip(cpm.perceived_objects, shown):
        assert show(el, "cpm.objectID") == o.object_id
        assert show(el, "cpm.timeOfMeasurement") == o.time_of_measurement_ms
        assert show(el, "cpm.xDistance_element", "cpm.value") == round(o.x_distance_m * 100)
        assert show(el, "cpm.yDistance_element", "cpm.value") == round(o.y_distance_m * 100)
        assert show(el, "cpm.xSpeed_element", "cpm.value") == code(o.x_speed_mps, 100, 16383)
        assert show(el, "cpm.ySpeed_element", "cpm.value") == code(o.y_speed_mps, 100, 16383)
        assert show(el, "cpm.objectAge") == o.object_age_ms
        yaw = show(el, "cpm.yawAngle_element", "cpm.value")
        assert yaw == (None if o.yaw_angle_rad is None
                       else round(math.degrees(o.yaw_angle_rad) * 10))
        dim = show(el, "cpm.planarObjectDimension2_element", "cpm.value")
        assert dim == (None if o.planar_dimension2_m is None
                       else round(o.planar_dimension2_m * 10))
        got = [(show(c, "cpm.confidence"), show(c, "cpm.class"),
                show(c, "cpm.class", f"cpm.{k.name.lower()}_element", "cpm.type") or 0,
                show(c, "cpm.class", f"cpm.{k.name.lower()}_element", "cpm.confidence") or 0)
               for c, k in zip(items(child(el, "cpm.classification"), "cpm.ObjectClass_element"),
                               [c.kind for c in o.classification])]
        assert got == [(c.confidence_pct, c.kind, c.subclass, c.subclass_confidence_pct)
                       for c in o.classification]
    sensors = items(child(params, "cpm.sensorInformationContainer"),
                    "cpm.SensorInformation_element")
    assert [(show(s, "cpm.sensorID"), show(s, "cpm.type")) for s in sensors] == \
        [(s.sensor_id, s.sensor_type) for s in cpm.sensors]


def test_wireshark_shows_station_and_sensor_details(dissected):
    rsu = child(next(p for p in dissected["rsu"].iter("proto") if p.get("name") == "its"),
                "cpm.CollectivePerceptionMessage_element")
    assert show(rsu, "cpm.cpmParameters_element", "cpm.stationDataContainer") == 1
    ref = next(iter(items(rsu, "cpm.intersectionReferenceId_element")))
    assert (show(ref, "dsrc.region"), show(ref, "dsrc.id")) == (3, 12)
    radial = next(iter(items(rsu, "cpm.stationarySensorRadial_element")))
    assert (show(radial, "cpm.range"), show(radial, "cpm.stationaryHorizontalOpeningAngleStart"),
            show(radial, "cpm.stationaryHorizontalOpeningAngleEnd"),
            show(radial, "cpm.sensorHeight")) == (1200, 200, 1600, 650)
    assert show(next(iter(items(rsu, "cpm.stationarySensorCircular_element"))),
                "cpm.radius") == 600

    veh = next(p for p in dissected["vehicle"].iter("proto") if p.get("name") == "its")
    container = next(iter(items(veh, "cpm.originatingVehicleContainer_element")))
    assert show(container, "cpm.heading_element", "its.headingValue") == 875
    assert show(container, "cpm.heading_element", "its.headingConfidence") == 10  # 1 deg
    assert show(container, "cpm.speed_element", "its.speedValue") == 1389
    assert show(container, "cpm.speed_element", "its.speedConfidence") == 10
    assert show(container, "cpm.vehicleWidth") == 19
    sensor = next(iter(items(veh, "cpm.vehicleSensor_element")))
    assert (show(sensor, "cpm.xSensorOffset"), show(sensor, "cpm.zSensorOffset")) == (0, 50)
    assert [show(p, "cpm.range") for p in items(sensor, "cpm.VehicleSensorProperties_element")] \
        == [1500, 600]

    big = next(p for p in dissected["maximal"].iter("proto") if p.get("name") == "its")
    assert show(next(iter(items(big, "cpm.perceivedObjectContainerSegmentInfo_element"))),
                "cpm.totalMsgSegments") == 3
    assert show(next(iter(items(big, "cpm.originatingVehicleContainer_element"))),
                "cpm.driveDirection") == 1
    first = next(iter(items(big, "cpm.PerceivedObject_element")))
    assert show(first, "cpm.zDistance_element", "cpm.confidence") == 101  # outOfRange
    assert show(first, "cpm.objectRefPoint") == ObjectRefPoint.TOP_RIGHT
    assert [int(i.get("show")) for i in items(first, "cpm.Identifier")] == [3, 4]


# ------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenarios_round_trip(name):
    cpm = SCENARIOS[name]()
    data = encode_cpm(cpm)
    assert decode_cpm(data) == quantise(cpm)
    assert encode_cpm(quantise(cpm)) == data


def test_quantise_rounds_to_wire_resolution():
    q = quantise(rsu_cpm())
    o = q.perceived_objects[0]
    assert o.x_distance_m == 12.34 and o.x_speed_mps == 8.3
    assert q.reference_position.latitude_deg == 37.5796
    assert q.number_of_perceived_objects is None  # set from the tuple
    assert quantise(replace(rsu_cpm(), number_of_perceived_objects=5)) == q
    assert quantise(replace(rsu_cpm(), number_of_perceived_objects=9)) \
        .number_of_perceived_objects == 9
    far = quantise(replace(empty_cpm(), perceived_objects=(car(0, x_distance_m=1.234567),)))
    assert far.perceived_objects[0].x_distance_m == 1.23


def test_confidences_are_upper_bounds():
    def conf(value):
        return quantise(replace(empty_cpm(), perceived_objects=(
            car(0, x_distance_confidence_m=value),))).perceived_objects[0].x_distance_confidence_m

    assert conf(0.001) == 0.01  # "at most 1 cm": rounded up, never down
    assert conf(0.2) == 0.2 and conf(0.201) == 0.21
    assert conf(1.0) == 1.0
    assert conf(1.2) == math.inf  # outOfRange: the standard's code for "more than 1 m"
    assert conf(math.inf) == math.inf
    assert conf(None) is None  # unavailable
    heading = quantise(replace(vehicle_cpm(), originating=replace(
        vehicle_cpm().originating, heading_confidence_rad=0.0))).originating
    assert heading.heading_confidence_rad == math.radians(0.1)  # HeadingConfidence 1..127
    alt = quantise(replace(empty_cpm(), reference_position=ReferencePosition(
        1.0, 2.0, altitude_m=10.0, altitude_confidence_m=0.3))).reference_position
    assert alt.altitude_confidence_m == 0.5  # AltitudeConfidence alt-000-50


def test_absent_parts_drop_their_companions():
    o = quantise(replace(empty_cpm(), perceived_objects=(
        car(0, z_distance_m=None, z_distance_confidence_m=0.4, yaw_angle_rad=None),),
        originating=OriginatingVehicle(0.0, 0.0, vehicle_length_indication=VehicleLengthIndication
                                       .NO_TRAILER_PRESENT)))
    assert o.perceived_objects[0].z_distance_confidence_m is None
    assert o.perceived_objects[0].yaw_angle_confidence_rad is None
    assert o.originating.vehicle_length_indication == VehicleLengthIndication.UNAVAILABLE


def test_rsu_container_by_road_segment():
    cpm = replace(empty_cpm(), originating=OriginatingRsu(road_segment_id=65535))
    assert decode_cpm(encode_cpm(cpm)) == cpm


def test_size_matches_design_estimate():
    """Design doc: CPM ~65 B + ~29 B per object. Here: 27 B bare (RSU, no containers), 55 B
    with the RSU id and two sensors, +29.5 B per fully described, classified object."""
    base = replace(rsu_cpm(), perceived_objects=())
    bits = [_encode(replace(base, perceived_objects=tuple(car(i) for i in range(n)))).bit_length
            for n in (0, 10)]
    assert len(encode_cpm(base)) == 55 <= 65
    assert 28 <= (bits[1] - bits[0]) / 10 / 8 <= 30  # 235.8 bits
    assert len(encode_cpm(empty_cpm())) == 27
    # mandatory parts only: preamble 17 + id 8 + time 12 + 2 x (19 + 7) + 2 x (15 + 7) bits
    minimal = PerceivedObject(0, 0, 1.0, 2.0, 0.0, 0.0)
    eight = _encode(replace(empty_cpm(), perceived_objects=(minimal,) * 8)).bit_length
    assert eight - _encode(empty_cpm()).bit_length == 8 + 8 * 133  # + container length


# ------------------------------------------------------------------ property tests
_F = dict(allow_nan=False, allow_infinity=False)


def fl(lo: float, hi: float):
    return st.floats(lo, hi, **_F)


def opt(strategy):
    return st.one_of(st.none(), strategy)


def conf(hi: float):
    return st.one_of(st.none(), st.just(math.inf), fl(0, hi))


ANGLES = fl(0, 2 * math.pi)
OFFSETS = st.builds(NodeOffset, fl(-327.68, 327.67), fl(-327.68, 327.67),
                    opt(fl(-327.68, 327.67)))
PROPERTIES = st.builds(VehicleSensorProperty, fl(0, 1000), opt(ANGLES), opt(ANGLES),
                       opt(ANGLES), opt(ANGLES))
AREAS = st.one_of(
    st.builds(VehicleSensorArea, fl(-50, 0), fl(-10, 10),
              st.lists(PROPERTIES, min_size=1, max_size=3).map(tuple), opt(fl(0, 10)),
              st.integers(0, 255)),
    st.builds(StationaryRadialArea, fl(0, 1000), opt(ANGLES), opt(ANGLES), opt(ANGLES),
              opt(ANGLES), opt(OFFSETS), opt(fl(-50, 50))),
    st.builds(StationaryCircularArea, fl(0, 1000), opt(OFFSETS)),
)
SENSORS = st.builds(SensorInformation, st.integers(0, 255), st.integers(0, 15), AREAS,
                    opt(st.integers(0, 101)))
CLASSES = st.builds(ObjectClass, st.sampled_from(ObjectClassKind), st.integers(0, 101),
                    st.integers(0, 255), st.integers(0, 101))
OBJECTS = st.builds(
    PerceivedObject, st.integers(0, 255), st.integers(-1500, 1500), fl(-1327.68, 1327.67),
    fl(-1327.68, 1327.67), opt(fl(-163.83, 163.82)), opt(fl(-163.83, 163.82)), conf(1.5),
    conf(1.5), conf(2), conf(2), opt(fl(-1327.68, 1327.67)), conf(1.5), opt(ANGLES),
    conf(0.3), opt(fl(0, 102.3)), conf(1.5), opt(fl(0, 102.3)), conf(1.5), opt(fl(0, 102.3)),
    conf(1.5), st.sampled_from(ObjectRefPoint), opt(st.integers(0, 1500)),
    st.integers(0, 101), opt(st.sampled_from(DynamicStatus)),
    st.lists(CLASSES, max_size=8).map(tuple),
    st.lists(st.integers(0, 255), max_size=4).map(tuple),
)
VEHICLES = st.builds(
    OriginatingVehicle, opt(ANGLES), opt(fl(0, 163.82)), conf(0.3), conf(2),
    st.sampled_from(DriveDirection), opt(st.one_of(fl(0.1, 102.1), st.just(math.inf))),
    st.sampled_from(VehicleLengthIndication), opt(st.one_of(fl(0.1, 6.0), st.just(math.inf))))
RSUS = st.one_of(
    st.builds(OriginatingRsu, intersection_id=st.integers(0, 65535),
              region=opt(st.integers(0, 65535))),
    st.builds(OriginatingRsu, road_segment_id=st.integers(0, 65535),
              region=opt(st.integers(0, 65535))))
POSITIONS = st.builds(ReferencePosition, opt(fl(-90, 90)), opt(fl(-180, 180)), conf(45),
                      conf(45), opt(ANGLES), opt(fl(-1000, 8000)), conf(250))
CPMS = st.builds(
    CPM, st.integers(0, 2**32 - 1), st.integers(0, 65535), st.integers(0, 255), POSITIONS,
    st.one_of(st.none(), VEHICLES, RSUS), st.lists(SENSORS, max_size=3).map(tuple),
    st.lists(OBJECTS, max_size=5).map(tuple), opt(st.integers(0, 255)),
    opt(st.builds(SegmentInfo, st.integers(1, 127), st.integers(1, 127))))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(CPMS)
def test_round_trip_equals_quantise(cpm):
    data = encode_cpm(cpm)
    q = quantise(cpm)
    assert decode_cpm(data) == q
    assert quantise(q) == q
    assert encode_cpm(q) == data


@settings(max_examples=200, deadline=None, derandomize=True)
@given(CPMS, st.data())
def test_corrupted_encodings_raise_only_decode_errors(cpm, data):
    raw = bytearray(encode_cpm(cpm))
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] ^= 1 << data.draw(st.integers(0, 7))
    try:
        decoded = decode_cpm(bytes(raw))
    except DecodeError as e:
        assert e.reason in ("malformed", "unsupported")
        return
    assert decode_cpm(encode_cpm(decoded)) == decoded  # anything accepted is a valid CPM


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(max_size=120))
def test_garbage_after_a_cpm_header_raises_only_decode_errors(tail):
    try:
        decoded = decode_cpm(b"\x01\x0e" + tail)
    except DecodeError as e:
        assert e.reason in ("malformed", "unsupported")
        return
    assert decode_cpm(encode_cpm(decoded)) == decoded


# --------------------------------------------------------------------- range errors
def _obj(i: int, **kw):
    return lambda c: replace(c, perceived_objects=tuple(
        replace(o, **kw) if j == i else o for j, o in enumerate(c.perceived_objects)))


def _orig(**kw):
    return lambda c: replace(c, originating=replace(c.originating, **kw))


def _area(i: int, **kw):
    return lambda c: replace(c, sensors=tuple(
        replace(s, detection_area=replace(s.detection_area, **kw)) if j == i else s
        for j, s in enumerate(c.sensors)))


@pytest.mark.parametrize(("mutate", "path"), [
    (_obj(3, x_speed_mps=170.0), "perceived_objects[3].x_speed_mps"),
    (_obj(3, x_speed_mps=163.83), "perceived_objects[3].x_speed_mps"),  # = 'unavailable'
    (_obj(0, x_distance_m=1327.675), "perceived_objects[0].x_distance_m"),
    (_obj(1, y_distance_m=-1400.0), "perceived_objects[1].y_distance_m"),
    (_obj(2, x_speed_mps=math.nan), "perceived_objects[2].x_speed_mps"),
    (_obj(1, time_of_measurement_ms=1501), "perceived_objects[1].time_of_measurement_ms"),
    (_obj(1, time_of_measurement_ms=1.0), "perceived_objects[1].time_of_measurement_ms"),
    (_obj(0, object_id=256), "perceived_objects[0].object_id"),
    (_obj(0, yaw_angle_rad=2 * math.pi + 0.01), "perceived_objects[0].yaw_angle_rad"),
    (_obj(0, yaw_angle_rad=-0.01), "perceived_objects[0].yaw_angle_rad"),
    (_obj(0, planar_dimension1_m=102.4), "perceived_objects[0].planar_dimension1_m"),
    (_obj(2, x_distance_confidence_m=-0.1), "perceived_objects[2].x_distance_confidence_m"),
    (_obj(0, object_age_ms=1501), "perceived_objects[0].object_age_ms"),
    (_obj(0, object_confidence_pct=102), "perceived_objects[0].object_confidence_pct"),
    (_obj(0, classification=(ObjectClass(ObjectClassKind.VEHICLE, 102),)),
     "perceived_objects[0].classification[0].confidence_pct"),
    (_obj(0, classification=(ObjectClass(ObjectClassKind.VEHICLE, 50),) * 9),
     "perceived_objects[0].classification"),
    (_obj(1, sensor_ids=(1, 256)), "perceived_objects[1].sensor_ids[1]"),
    (lambda c: replace(c, station_id=2**32), "station_id"),
    (lambda c: replace(c, station_id=-1), "station_id"),
    (lambda c: replace(c, generation_delta_time_ms=65536), "generation_delta_time_ms"),
    (lambda c: replace(c, station_type=256), "station_type"),
    (lambda c: replace(c, number_of_perceived_objects=256), "number_of_perceived_objects"),
    (lambda c: replace(c, perceived_objects=(car(0),) * 129), "perceived_objects"),
    (lambda c: replace(c, segment=SegmentInfo(128, 1)), "segment.total"),
    (lambda c: replace(c, reference_position=replace(SANGAM, latitude_deg=90.1)),
     "reference_position.latitude_deg"),
    (lambda c: replace(c, reference_position=replace(SANGAM, longitude_deg=180.00001)),
     "reference_position.longitude_deg"),
    (lambda c: replace(c, reference_position=replace(SANGAM, altitude_m=8000.01)),
     "reference_position.altitude_m"),
    (lambda c: replace(c, originating=OriginatingRsu()), "originating"),
    (lambda c: replace(c, originating=OriginatingRsu(1, 2)), "originating"),
    (lambda c: replace(c, originating=OriginatingRsu(70000)), "originating.intersection_id"),
    (_area(0, range_m=1000.1), "sensors[0].detection_area.range_m"),
    (_area(0, sensor_height_m=50.01), "sensors[0].detection_area.sensor_height_m"),
    (_area(1, center=NodeOffset(327.68, 0.0)), "sensors[1].detection_area.center.x_m"),
    (lambda c: replace(c, sensors=(replace(c.sensors[0], sensor_type=16),)),
     "sensors[0].sensor_type"),
    (lambda c: replace(c, sensors=(replace(c.sensors[0], detection_area=None),)),
     "sensors[0].detection_area"),
])
def test_rsu_out_of_range_values_name_their_path(mutate, path):
    with pytest.raises(MessageRangeError) as e:
        encode_cpm(mutate(rsu_cpm()))
    assert e.value.field == path
    with pytest.raises(MessageRangeError):
        quantise(mutate(rsu_cpm()))


@pytest.mark.parametrize(("mutate", "path"), [
    (_orig(speed_mps=163.83), "originating.speed_mps"),
    (_orig(speed_mps=-0.01), "originating.speed_mps"),
    (_orig(heading_rad=7.0), "originating.heading_rad"),
    (_orig(vehicle_width_m=6.1), "originating.vehicle_width_m"),
    (_orig(vehicle_length_m=0.04), "originating.vehicle_length_m"),
    (_orig(drive_direction=3), "originating.drive_direction"),
    (_area(0, properties=()), "sensors[0].detection_area.properties"),
    (_area(0, x_offset_m=0.01), "sensors[0].detection_area.x_offset_m"),
    (_area(0, z_offset_m=10.01), "sensors[0].detection_area.z_offset_m"),
    (_area(0, properties=(VehicleSensorProperty(10.0, -1.0, 0.0),)),
     "sensors[0].detection_area.properties[0].horizontal_start_rad"),
])
def test_vehicle_out_of_range_values_name_their_path(mutate, path):
    with pytest.raises(MessageRangeError) as e:
        encode_cpm(mutate(vehicle_cpm()))
    assert e.value.field == path


# ------------------------------------------------------------------- decode errors
def test_every_truncation_is_malformed():
    data = encode_cpm(rsu_cpm())
    for n in range(len(data)):
        with pytest.raises(DecodeError) as e:
            decode_cpm(data[:n])
        assert e.value.reason == "malformed", n


def test_header_and_framing_errors():
    data = encode_cpm(rsu_cpm())
    cases = {
        b"\x02\x02" + data[2:]: "malformed",  # a CAM header
        b"\x02\x0e" + data[2:]: "unsupported",  # CPM v2 (TS 103 324)
        data + b"\x00": "malformed",  # trailing octet
        b"": "malformed",
    }
    for raw, reason in cases.items():
        with pytest.raises(DecodeError) as e:
            decode_cpm(raw)
        assert e.value.reason == reason
    with pytest.raises(DecodeError):
        decode_cpm("not bytes")


def _prefix(stations=False, sensors=False, objects=False, free_space=False) -> BitWriter:
    """A hand-built CPM up to the end of its management container."""
    w = BitWriter()
    for v, hi in ((1, 255), (14, 255), (77, 2**32 - 1), (100, 65535)):
        w.constrained_int(v, 0, hi)
    w.preamble([stations, sensors, objects, free_space], extensible=True)
    w.preamble([False], extensible=True)
    w.constrained_int(15, 0, 255)
    for v, lo, hi in ((0, -900000000, 900000001), (0, -1800000000, 1800000001), (0, 0, 4095),
                      (0, 0, 4095), (0, 0, 3601), (0, -100000, 800001)):
        w.constrained_int(v, lo, hi)
    w.enumerated(15, 16)
    return w


def _object_root(w: BitWriter, present_bit: int | None = None, extended=False) -> None:
    """A PerceivedObject with the mandatory parts (and ``present_bit`` announced)."""
    w.preamble([i == present_bit for i in range(16)], extensible=True, extended=extended)
    w.constrained_int(5, 0, 255)
    w.constrained_int(0, -1500, 1500)
    for lo, hi, clo, chi in ((-132768, 132767, 0, 102),) * 2 + ((-16383, 16383, 1, 127),) * 2:
        w.constrained_int(0, lo, hi)
        w.constrained_int(chi, clo, chi)


def test_extension_additions_are_skipped():
    cpm = rsu_cpm()
    w = _encode(cpm)
    n = w.bit_length
    raw = int.from_bytes(w.to_bytes(), "big") >> (len(w.to_bytes()) * 8 - n)
    extended = BitWriter()
    extended.bits(raw | 1 << (n - 1 - 64), n)  # CpmParameters' extension bit
    extended.extension_additions([b"\x12\x34", None, b"\x00"])
    assert decode_cpm(extended.to_bytes()) == quantise(cpm)

    w = _prefix(objects=True)  # an object with an extension addition
    w.length(1, 1, 128, extensible=True)
    _object_root(w, extended=True)
    w.extension_additions([None, b"\xff"])
    w.constrained_int(1, 0, 255)
    (obj,) = decode_cpm(w.to_bytes()).perceived_objects
    assert (obj.object_id, obj.x_distance_confidence_m, obj.x_speed_mps) == (5, None, 0.0)


def _unsupported_object(bit: int):
    w = _prefix(objects=True)
    w.length(1, 1, 128, extensible=True)
    _object_root(w, present_bit=bit)
    return w


def _unsupported_vehicle(w: BitWriter):
    w.choice(0, 2, extensible=True)
    w.preamble([i == 5 for i in range(12)], extensible=True)  # yawRate


def _unsupported_area(index: int):
    def build(w: BitWriter):
        w.length(1, 1, 128, extensible=True)
        w.preamble([False], extensible=True)
        w.constrained_int(1, 0, 255)
        w.constrained_int(2, 0, 15)
        w.choice(index, 6, extensible=True)
    return build


def _latlon_offset(w: BitWriter):
    _unsupported_area(3)(w)
    w.preamble([True])  # AreaCircular with a nodeCenterPoint ...
    w.preamble([False])
    w.choice(6, 8)  # ... given as node-LatLon


@pytest.mark.parametrize(("build", "what"), [
    (lambda: _unsupported_object(4), "zSpeed"),
    (lambda: _unsupported_object(5), "xAcceleration"),
    (lambda: _unsupported_object(15), "matchedPosition"),
    (lambda: _prefix(stations=True), "yawRate"),
    (lambda: _prefix(sensors=True), "polygon"),
    (lambda: _prefix(sensors=True), "ellipse"),
    (lambda: _prefix(sensors=True), "node-LatLon"),
    (lambda: _prefix(stations=True), "StationDataContainer extension"),
    (lambda: _prefix(free_space=True), "freeSpaceAddendumContainer"),
])
def test_valid_but_unrepresentable_parts_are_unsupported(build, what):
    w = build()
    tails = {
        "yawRate": _unsupported_vehicle,
        "polygon": _unsupported_area(2),
        "ellipse": _unsupported_area(4),
        "node-LatLon": _latlon_offset,
        "StationDataContainer extension": lambda w: w.choice_extension(0, b"\x00"),
    }
    if what in tails:
        tails[what](w)
    w.bits(0, 64)  # whatever would follow
    with pytest.raises(DecodeError, match=what) as e:
        decode_cpm(w.to_bytes())
    assert e.value.reason == "unsupported"


def test_invalid_codes_are_malformed():
    w = _prefix(objects=True)
    w.length(1, 1, 128, extensible=True)
    w.preamble([False] * 16, extensible=True)
    w.constrained_int(5, 0, 255)
    w.bits(4095, 12)  # timeOfMeasurement offset 4095 > 3000
    w.bits(0, 200)
    with pytest.raises(DecodeError, match="outside") as e:
        decode_cpm(w.to_bytes())
    assert e.value.reason == "malformed"
