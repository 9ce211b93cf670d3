"""CAM dataclass, quantisation and the pycrate UPER codec: hand-checked values and errors."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from v2x.codec import _reference as ref
from v2x.codec.cam_asn1 import decode_cam, decode_fields, encode_cam
from v2x.errors import DecodeError, MessageRangeError
from v2x.messages.cam import (
    CAM,
    CurvatureCalculationMode,
    DriveDirection,
    ExteriorLights,
    LowFrequencyContainer,
    PathPoint,
    VehicleLengthConfidenceIndication,
    VehicleRole,
    quantise,
)
from v2x.messages.common import StationType

MINIMAL = CAM(station_id=1234, generation_delta_time_ms=1000,
              station_type=StationType.PASSENGER_CAR, latitude_deg=37.5, longitude_deg=127.0,
              heading_rad=math.pi / 2, speed_mps=10.0)
# hand-checked: header 02 02 000004d2, generationDeltaTime 03e8, then the 322-bit body
MINIMAL_HEX = "0202000004d203e800597fde9816df8f701ffffffc23b7743e00384fc1f47ebfe9ed0737feebfff600"


def full_cam() -> CAM:
    path = tuple(PathPoint(1e-5 * k, -2e-5, 0.25, 0.1 * k + 0.1) for k in range(5))
    return CAM(
        station_id=7, generation_delta_time_ms=65535, station_type=StationType.BUS,
        latitude_deg=37.579617, longitude_deg=126.889084, heading_rad=math.radians(123.4),
        speed_mps=13.89, drive_direction=DriveDirection.FORWARD,
        longitudinal_acceleration_mps2=-2.3, yaw_rate_radps=math.radians(-5.5),
        curvature_per_m=-0.0123,
        curvature_calculation_mode=CurvatureCalculationMode.YAW_RATE_USED,
        lateral_acceleration_mps2=0.7, lane_position=2, vehicle_length_m=12.0,
        vehicle_length_confidence_indication=VehicleLengthConfidenceIndication.NO_TRAILER_PRESENT,
        vehicle_width_m=2.5, altitude_m=31.42, position_semi_major_m=1.234,
        position_semi_minor_m=0.5, position_semi_major_orientation_rad=math.radians(10),
        altitude_confidence_m=3.0, heading_confidence_rad=math.radians(1.0),
        speed_confidence_mps=0.05, longitudinal_acceleration_confidence_mps2=0.2,
        yaw_rate_confidence_radps=math.radians(0.1), curvature_confidence_per_m=0.001,
        lateral_acceleration_confidence_mps2=0.3,
        low_frequency=LowFrequencyContainer(
            VehicleRole.PUBLIC_TRANSPORT,
            ExteriorLights.LOW_BEAM_HEADLIGHTS_ON | ExteriorLights.LEFT_TURN_SIGNAL_ON, path))


def test_minimal_cam_is_41_bytes_and_hand_checked():
    data = encode_cam(MINIMAL)
    assert len(data) == 41
    assert data.hex() == MINIMAL_HEX
    w = decode_fields(data)
    assert w[ref.W_LATITUDE] == 375000000 and w[ref.W_LONGITUDE] == 1270000000
    assert w[ref.W_HEADING] == 900 and w[ref.W_SPEED] == 1000
    # None -> ETSI "unavailable"
    assert w[ref.W_ALTITUDE] == 800001 and w[ref.W_SEMI_MAJOR] == 4095
    assert w[ref.W_LONGITUDINAL_ACCELERATION] == 161 and w[ref.W_YAW_RATE] == 32767
    assert w[ref.W_HEADING_CONFIDENCE] == 127 and w[ref.W_SPEED_CONFIDENCE] == 127
    assert w[ref.W_LATERAL_ACCELERATION_PRESENT] == 0 and w[ref.W_LOW_FREQUENCY_PRESENT] == 0
    back = decode_cam(data)
    assert back == quantise(MINIMAL) == MINIMAL  # every value already on a wire step
    assert back.heading_rad == 900 / (1800 / math.pi)


def test_full_cam_round_trip_and_wire_values():
    cam = full_cam()
    data = encode_cam(cam)
    back = decode_cam(data)
    assert back == quantise(cam)
    assert quantise(back) == back  # idempotent
    w = decode_fields(data)
    assert w[ref.W_SPEED] == 1389 and w[ref.W_HEADING] == 1234
    assert w[ref.W_LONGITUDINAL_ACCELERATION] == -23 and w[ref.W_YAW_RATE] == -550
    assert w[ref.W_CURVATURE] == -123 and w[ref.W_LANE_POSITION] == 2
    assert w[ref.W_LATERAL_ACCELERATION] == 7 and w[ref.W_VEHICLE_LENGTH] == 120
    assert w[ref.W_ALTITUDE] == 3142
    assert w[ref.W_SEMI_MAJOR] == 124  # confidences round up: 1.234 m -> 1.24 m
    assert w[ref.W_ALTITUDE_CONFIDENCE] == 8  # 3 m -> "alt-005-00"
    assert w[ref.W_YAW_RATE_CONFIDENCE] == 2  # 0.1 deg/s -> "degSec-000-10"
    assert w[ref.W_EXTERIOR_LIGHTS] == 0b101 and w[ref.W_PATH_LENGTH] == 5
    assert w[ref.W_PATH + 4 + 3] == 20  # second point: 0.2 s
    assert back.low_frequency.path_history[1].delta_time_s == 0.2
    assert back.low_frequency.exterior_lights == (ExteriorLights.LOW_BEAM_HEADLIGHTS_ON
                                                  | ExteriorLights.LEFT_TURN_SIGNAL_ON)


def test_five_path_points_is_86_bytes_as_in_the_design_doc():
    lf = LowFrequencyContainer(path_history=[PathPoint(1e-6, 1e-6, 0.0, 0.5)] * 5)
    cam = replace(MINIMAL, low_frequency=lf)
    assert len(encode_cam(cam)) == 86
    assert isinstance(cam.low_frequency.path_history, tuple)
    assert decode_cam(encode_cam(cam)) == quantise(cam)


def test_rsu_cam():
    rsu = CAM(station_id=5, generation_delta_time_ms=0, station_type=StationType.ROAD_SIDE_UNIT,
              latitude_deg=37.0, longitude_deg=127.0)
    data = encode_cam(rsu)
    assert len(data) == 26
    assert decode_cam(data) == rsu
    with pytest.raises(MessageRangeError) as e:
        encode_cam(replace(rsu, speed_mps=1.0))
    assert e.value.field == "speed_mps"
    with pytest.raises(MessageRangeError) as e:
        encode_cam(replace(rsu, drive_direction=DriveDirection.FORWARD))
    assert e.value.field == "drive_direction"


def test_out_of_range_values_map_to_etsi_out_of_range_codes():
    cam = replace(MINIMAL, curvature_per_m=0.5, yaw_rate_radps=-100.0, vehicle_width_m=7.0,
                  vehicle_length_m=math.inf, position_semi_major_m=55.0,
                  speed_confidence_mps=3.0, altitude_confidence_m=1e3,
                  curvature_confidence_per_m=0.3, heading_confidence_rad=0.0)
    w = decode_fields(encode_cam(cam))
    assert w[ref.W_CURVATURE] == 1022 and w[ref.W_YAW_RATE] == -32766
    assert w[ref.W_VEHICLE_WIDTH] == 61 and w[ref.W_VEHICLE_LENGTH] == 1022
    assert w[ref.W_SEMI_MAJOR] == 4094 and w[ref.W_SPEED_CONFIDENCE] == 126
    assert w[ref.W_ALTITUDE_CONFIDENCE] == 14 and w[ref.W_CURVATURE_CONFIDENCE] == 6
    assert w[ref.W_HEADING_CONFIDENCE] == 1  # "equal or within 0.1 deg"
    q = decode_cam(encode_cam(cam))
    assert q.curvature_per_m == math.inf and q.yaw_rate_radps == -math.inf
    assert q.vehicle_width_m == q.position_semi_major_m == q.altitude_confidence_m == math.inf
    assert q.heading_confidence_rad == pytest.approx(math.radians(0.1))


def test_nan_is_unavailable_and_rounding_onto_the_range_is_accepted():
    cam = replace(MINIMAL, speed_mps=math.nan, heading_rad=-0.0004, lane_position=math.nan)
    q = quantise(cam)
    assert q.speed_mps is None and q.heading_rad == 0.0 and q.lane_position is None


@pytest.mark.parametrize("field, value", [
    ("station_id", -1), ("station_id", 2 ** 32), ("station_id", 1.5), ("station_id", None),
    ("generation_delta_time_ms", 65536), ("station_type", 13), ("station_type", None),
    ("latitude_deg", 90.1), ("longitude_deg", -180.5), ("heading_rad", -0.01),
    ("heading_rad", 7.0), ("speed_mps", 163.83), ("speed_mps", -0.5), ("speed_mps", math.inf),
    ("speed_mps", "fast"), ("longitudinal_acceleration_mps2", 16.2),
    ("lateral_acceleration_mps2", -20.0), ("lane_position", 15), ("lane_position", 1.5),
    ("vehicle_length_m", 0.0), ("vehicle_width_m", 0.01), ("altitude_m", -1001.0),
    ("drive_direction", 3), ("drive_direction", None), ("speed_confidence_mps", -0.1),
    ("altitude_confidence_m", -1.0), ("position_semi_major_orientation_rad", 6.3),
])
def test_out_of_range_raises_naming_the_field(field, value):
    with pytest.raises(MessageRangeError) as e:
        encode_cam(replace(MINIMAL, **{field: value}))
    assert e.value.field == field
    with pytest.raises(MessageRangeError):
        quantise(replace(MINIMAL, **{field: value}))


@pytest.mark.parametrize("point, field", [
    (PathPoint(0.014, 0.0), "delta_latitude_deg"),
    (PathPoint(0.0, -0.0132), "delta_longitude_deg"),
    (PathPoint(0.0, 0.0, 128.0), "delta_altitude_m"),
    (PathPoint(0.0, 0.0, None, 0.0), "delta_time_s"),
    (PathPoint(0.0, 0.0, None, 656.0), "delta_time_s"),
])
def test_path_point_errors_name_the_point(point, field):
    lf = LowFrequencyContainer(path_history=(PathPoint(0.0, 0.0), point))
    with pytest.raises(MessageRangeError) as e:
        encode_cam(replace(MINIMAL, low_frequency=lf))
    assert e.value.field == f"low_frequency.path_history[1].{field}"


def test_low_frequency_container_errors():
    too_long = LowFrequencyContainer(path_history=[PathPoint(0.0, 0.0)] * 41)
    with pytest.raises(MessageRangeError) as e:
        encode_cam(replace(MINIMAL, low_frequency=too_long))
    assert e.value.field == "low_frequency.path_history"
    with pytest.raises(MessageRangeError) as e:
        encode_cam(replace(MINIMAL, low_frequency=LowFrequencyContainer(vehicle_role=16)))
    assert e.value.field == "low_frequency.vehicle_role"
    with pytest.raises(MessageRangeError) as e:
        encode_cam(replace(MINIMAL, low_frequency=LowFrequencyContainer(exterior_lights=256)))
    assert e.value.field == "low_frequency.exterior_lights"


def test_lateral_acceleration_sent_when_either_part_is_set():
    w = decode_fields(encode_cam(replace(MINIMAL, lateral_acceleration_confidence_mps2=0.5)))
    assert w[ref.W_LATERAL_ACCELERATION_PRESENT] == 1 and w[ref.W_LATERAL_ACCELERATION] == 161
    q = decode_cam(encode_cam(replace(MINIMAL, lateral_acceleration_confidence_mps2=0.5)))
    assert q.lateral_acceleration_mps2 is None and q.lateral_acceleration_confidence_mps2 == 0.5


def test_truncated_garbage_and_foreign_bytes_raise_decode_error():
    data = encode_cam(full_cam())
    for n in range(len(data)):
        with pytest.raises(DecodeError) as e:
            decode_cam(data[:n])
        assert e.value.reason == "malformed"
    for bad in (data + b"\x00", b"\x02\x02" + b"\xff" * 60, b"", b"\x02"):
        with pytest.raises(DecodeError) as e:
            decode_cam(bad)
        assert e.value.reason == "malformed"
    with pytest.raises(DecodeError) as e:
        decode_cam(b"\x02\x01" + data[2:])  # a DENM's messageID
    assert e.value.reason == "unsupported"
    with pytest.raises(DecodeError) as e:
        decode_cam(b"\x01" + data[1:])  # CAM v1
    assert e.value.reason == "unsupported"
    for junk in (None, "0202", 12, [2, 2]):
        with pytest.raises(DecodeError):
            decode_cam(junk)
    assert decode_cam(bytearray(data)) == decode_cam(memoryview(data)) == quantise(full_cam())
