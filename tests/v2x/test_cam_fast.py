"""Fast (Numba) CAM codec against its references: the pycrate codec (bytes) and the plain
Python quantisation in ``v2x.codec._reference`` (SI <-> wire field vector)."""

from __future__ import annotations

import math
import threading
from dataclasses import fields as dc_fields
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from v2x.codec import _kernels as k
from v2x.codec import _reference as ref
from v2x.codec import cam_asn1
from v2x.codec.cam_asn1 import decode_cam, decode_fields, encode_cam, encode_fields
from v2x.codec.cam_fast import (
    STATUS_MALFORMED,
    STATUS_OK,
    STATUS_UNSUPPORTED,
    cams_to_fields,
    decode_cam_fast,
    decode_many,
    encode_cam_fast,
    encode_cams,
    encode_many,
    fields_to_cams,
)
from v2x.errors import DecodeError, MessageRangeError
from v2x.messages.cam import (
    ALTITUDE_CONFIDENCE_LEVELS_M,
    CAM,
    CURVATURE_CONFIDENCE_LEVELS_PER_M,
    YAW_RATE_CONFIDENCE_LEVELS_RADPS,
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

PROPS = settings(max_examples=300, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
RSU = StationType.ROAD_SIDE_UNIT


def _num(lo, hi, beyond=False):
    """None, or a float in [lo, hi]; with ``beyond`` also +inf / values past hi (ETSI
    out-of-range codes)."""
    s = st.floats(lo, hi)
    if beyond:
        s = s | st.just(math.inf) | st.floats(hi, 10 * hi)
    return st.none() | s


@st.composite
def cams(draw) -> CAM:
    stype = draw(st.sampled_from(list(StationType)))
    kw = dict(
        station_id=draw(st.integers(0, 2 ** 32 - 1)),
        generation_delta_time_ms=draw(st.integers(0, 65535)), station_type=stype,
        latitude_deg=draw(_num(-90, 90)), longitude_deg=draw(_num(-180, 180)),
        altitude_m=draw(_num(-1000, 8000)),
        position_semi_major_m=draw(_num(0, 40, True)),
        position_semi_minor_m=draw(_num(0, 40, True)),
        position_semi_major_orientation_rad=draw(_num(0, 2 * math.pi)),
        altitude_confidence_m=draw(_num(0, 200, True)))
    if stype != RSU:
        kw.update(
            heading_rad=draw(_num(0, 2 * math.pi)), speed_mps=draw(_num(0, 163.8)),
            drive_direction=draw(st.sampled_from(list(DriveDirection))),
            longitudinal_acceleration_mps2=draw(_num(-16, 16)),
            yaw_rate_radps=draw(_num(-5.7, 5.7, True) | st.just(-math.inf)),
            curvature_per_m=draw(_num(-0.1, 0.1, True) | st.just(-math.inf)),
            curvature_calculation_mode=draw(st.sampled_from(list(CurvatureCalculationMode))),
            lateral_acceleration_mps2=draw(_num(-16, 16)),
            lane_position=draw(st.none() | st.integers(-1, 14)),
            vehicle_length_m=draw(_num(0.1, 102, True)),
            vehicle_length_confidence_indication=draw(
                st.sampled_from(list(VehicleLengthConfidenceIndication))),
            vehicle_width_m=draw(_num(0.1, 6, True)),
            heading_confidence_rad=draw(_num(0, 0.2, True)),
            speed_confidence_mps=draw(_num(0, 1.25, True)),
            longitudinal_acceleration_confidence_mps2=draw(_num(0, 10, True)),
            yaw_rate_confidence_radps=draw(_num(0, 1.7, True)),
            curvature_confidence_per_m=draw(_num(0, 0.1, True)),
            lateral_acceleration_confidence_mps2=draw(_num(0, 10, True)))
    if draw(st.booleans()):
        point = st.builds(PathPoint, _num(-0.0131071, 0.0131071), _num(-0.0131071, 0.0131071),
                          _num(-127, 127.99), _num(0.01, 655.35))
        kw["low_frequency"] = LowFrequencyContainer(
            draw(st.sampled_from(list(VehicleRole))), ExteriorLights(draw(st.integers(0, 255))),
            tuple(draw(st.lists(point, max_size=40))))
    return CAM(**kw)


@st.composite
def wire_vectors(draw) -> np.ndarray:
    """A valid wire field vector: any value of each wire range, absent parts zero."""
    w = np.zeros(ref.W_SIZE, np.int64)
    for i in range(ref.W_PATH):
        w[i] = draw(st.integers(int(k._W_LO[i]), int(k._W_HI[i])))
    w[ref.W_STATION_TYPE] = draw(st.sampled_from([int(s) for s in StationType]))
    if w[ref.W_STATION_TYPE] == RSU:
        w[10:30] = 0
        w[10:25] = k._RSU_FILL
    if not w[ref.W_LANE_POSITION_PRESENT]:
        w[ref.W_LANE_POSITION] = 0
    if not w[ref.W_LATERAL_ACCELERATION_PRESENT]:
        w[ref.W_LATERAL_ACCELERATION:ref.W_LATERAL_ACCELERATION + 2] = 0
    if not w[ref.W_LOW_FREQUENCY_PRESENT]:
        w[31:34] = 0
    for j in range(4 * int(w[ref.W_PATH_LENGTH])):
        w[ref.W_PATH + j] = draw(st.integers(int(k._P_LO[j % 4]), int(k._P_HI[j % 4])))
    return w


def _outcome(fn, *args):
    try:
        return fn(*args)
    except DecodeError as e:
        return ("DecodeError", e.reason)
    except MessageRangeError as e:
        return ("MessageRangeError", e.field)


def test_kernel_tables_equal_the_reference():
    assert (k.W_PATH, k.W_SIZE, k.MAX_PATH_POINTS) == (ref.W_PATH, ref.W_SIZE,
                                                      ref.MAX_PATH_POINTS)
    kinds = {"int": 0, "enum": 1, "round": 2, "ceil": 3, "level": 4}
    levels = [ALTITUDE_CONFIDENCE_LEVELS_M, YAW_RATE_CONFIDENCE_LEVELS_RADPS,
              CURVATURE_CONFIDENCE_LEVELS_PER_M]
    for table, specs in ((k._SPEC, ref._SPECS), (k._PATH_SPEC, ref._PATH_SPECS)):
        assert len(table) == len(specs)
        for row, (_, wi, kind, arg, lo, hi, unav, below, above) in zip(table, specs):
            if kind == "level":
                scale = float(levels.index(arg))
            else:
                scale = arg if kind in ("round", "ceil") else row[2]
            expect = [wi, kinds[kind], scale, lo, hi] + [k._NOC if c is None else c
                                                         for c in (unav, below, above)]
            assert list(row) == expect
    for i, lv in enumerate(levels):
        assert tuple(k._LEVELS[i, :len(lv)]) == lv
    assert list(k._VEHICLE) == [i in ref._VEHICLE for i in range(k.N_SCALARS)]
    assert tuple(k._RSU_FILL) == cam_asn1._RSU_FILL
    assert [f.name for f in dc_fields(CAM)][:k.N_SCALARS] == list(ref.FIELD_NAMES)


def test_largest_cam_fits_the_buffer():
    point = PathPoint(-0.0131071, 0.0131071, -127.0, 655.35)
    cam = CAM(station_id=2 ** 32 - 1, generation_delta_time_ms=1, lane_position=14,
              lateral_acceleration_mps2=-16.0,
              low_frequency=LowFrequencyContainer(path_history=(point,) * 40))
    data = encode_cam(cam)
    assert len(data) == 391 <= k.MAX_BYTES
    assert encode_cam_fast(cam) == data and decode_cam_fast(data) == decode_cam(data)


@PROPS
@given(cams())
def test_fast_codec_is_byte_identical_to_pycrate(cam):
    data = encode_cam(cam)
    assert encode_cam_fast(cam) == data
    decoded = decode_cam(data)
    fast = decode_cam_fast(data)
    assert fast == decoded == quantise(cam)
    assert list(fast.__dict__) == [f.name for f in dc_fields(CAM)]  # the encoder relies on it
    assert quantise(decoded) == decoded
    assert encode_cam_fast(fast) == data


@PROPS
@given(cams(), st.sampled_from(ref.FIELD_NAMES),
       st.floats() | st.integers(-2 ** 70, 2 ** 70) | st.sampled_from([None, "1", b"x", 1e300]))
def test_fast_and_reference_reject_the_same_values(cam, field, value):
    bad = replace(cam, **{field: value})
    ref_out = _outcome(encode_cam, bad)
    assert _outcome(encode_cam_fast, bad) == ref_out
    if not isinstance(ref_out, tuple):
        assert _outcome(quantise, bad) == decode_cam(ref_out)


@PROPS
@given(wire_vectors())
def test_kernels_match_the_reference_on_wire_vectors(w):
    n = ref.W_PATH + 4 * int(w[ref.W_PATH_LENGTH])
    data = encode_fields(w[:n])
    assert encode_cams(w[None, :]) == [data]
    got, status = decode_many([data])
    assert status[0] == STATUS_OK
    assert list(got[0, :n]) == decode_fields(data) and not got[0, n:].any()
    assert fields_to_cams(w[None, :]) == [ref.from_wire(list(w[:n]))] == [decode_cam(data)]


@PROPS
@given(cams(), st.integers(0, 10 ** 6), st.sampled_from(["flip", "cut", "append", "byte"]))
def test_damaged_bytes_decode_alike(cam, r, how):
    data = bytearray(encode_cam(cam))
    i = r % len(data)
    if how == "flip":
        data[i] ^= 1 << (r % 8)
    elif how == "cut":
        del data[i:]
    elif how == "append":
        data.append(r % 256)
    else:
        data[i] = (r // 8) % 256
    data = bytes(data)
    ref_out = _outcome(decode_cam, data)
    fast_out = _outcome(decode_cam_fast, data)
    if isinstance(ref_out, tuple):
        assert isinstance(fast_out, tuple) and fast_out[0] == "DecodeError"
    else:
        assert fast_out == ref_out


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(cams(), max_size=6))
def test_batch_api_equals_single_calls(batch):
    fields = cams_to_fields(batch)
    datas = encode_cams(fields)
    assert datas == encode_many(batch) == [encode_cam(c) for c in batch]
    got, status = decode_many(datas)
    assert (status == STATUS_OK).all() and (got == fields).all()
    assert fields_to_cams(got) == [quantise(c) for c in batch]


def _pdu(w, edit=None) -> bytes:
    """UPER from a pycrate value built from w, optionally edited (for inputs kav never sends)."""
    val = cam_asn1._value(w)
    if edit:
        edit(val["cam"]["camParameters"])
    with cam_asn1._LOCK:
        return cam_asn1._PDU.to_uper(val)


def _hf(edit):
    return lambda params: edit(params["highFrequencyContainer"][1])


BASE = ref.to_wire(CAM(station_id=3, generation_delta_time_ms=9, latitude_deg=37.0,
                       longitude_deg=127.0))
_TYPE13 = list(BASE)
_TYPE13[ref.W_STATION_TYPE] = 13
_LF_DT = ref.to_wire(CAM(station_id=3, generation_delta_time_ms=9, low_frequency=(
    LowFrequencyContainer(path_history=(PathPoint(0.0, 0.0, 0.0, 1.0),)))))


@pytest.mark.parametrize("data", [
    _pdu(BASE, lambda p: p.update(specialVehicleContainer=(
        "publicTransportContainer", {"embarkationStatus": True}))),
    _pdu(BASE, _hf(lambda hf: hf.update(steeringWheelAngle={
        "steeringWheelAngleValue": 3, "steeringWheelAngleConfidence": 1}))),
    _pdu(BASE, _hf(lambda hf: hf.update(accelerationControl=(0, 7)))),
    _pdu(BASE, _hf(lambda hf: hf.update(performanceClass=1))),
    _pdu(BASE, lambda p: p.update(highFrequencyContainer=("rsuContainerHighFrequency", {}))),
    _pdu(_TYPE13),
    _pdu(ref.to_wire(CAM(station_id=1, generation_delta_time_ms=1, station_type=RSU)),
         lambda p: p.update(highFrequencyContainer=("rsuContainerHighFrequency", {
             "protectedCommunicationZonesRSU": [{
                 "protectedZoneType": "permanentCenDsrcTolling", "protectedZoneLatitude": 0,
                 "protectedZoneLongitude": 0}]}))),
    _pdu(_LF_DT, lambda p: p["lowFrequencyContainer"][1]["pathHistory"][0].update(
        pathDeltaTime=70000)),  # an extension value
], ids=["special-vehicle", "steering", "acceleration-control", "performance-class",
        "rsu-container-for-a-car", "reserved-station-type", "protected-zones",
        "path-delta-time-extension"])
def test_valid_etsi_cams_kav_cannot_represent_are_unsupported(data):
    for decode in (decode_cam, decode_cam_fast):
        with pytest.raises(DecodeError) as e:
            decode(data)
        assert e.value.reason == "unsupported"
    assert decode_many([data])[1][0] == STATUS_UNSUPPORTED


def test_extension_encoded_root_value_is_read_like_pycrate():
    data = encode_cam(CAM(station_id=3, generation_delta_time_ms=9, low_frequency=(
        LowFrequencyContainer(path_history=(PathPoint(0.0, 0.0, 0.0, 0.5),)))))
    bits = f"{int.from_bytes(data, 'big'):0{8 * len(data)}b}"
    at = 322 + 19 + 52  # HF + LF header + point: extension bit of its pathDeltaTime
    assert bits[at:at + 17] == "0" + f"{49:016b}"
    bits = bits[:at] + "1" + "00000001" + f"{5:08b}" + bits[at + 17:]
    bits += "0" * (-len(bits) % 8)
    odd = int(bits, 2).to_bytes(len(bits) // 8, "big")
    assert decode_cam_fast(odd) == decode_cam(odd)
    assert decode_cam(odd).low_frequency.path_history[0].delta_time_s == 0.05


def test_fast_decode_errors():
    data = encode_cam_fast(CAM(station_id=1, generation_delta_time_ms=2, lane_position=3))
    for n in range(len(data)):
        with pytest.raises(DecodeError) as e:
            decode_cam_fast(data[:n])
        assert e.value.reason == "malformed"
    with pytest.raises(DecodeError, match="trailing"):
        decode_cam_fast(data + b"\x00")
    with pytest.raises(DecodeError) as e:
        decode_cam_fast(b"\x02\x04" + data[2:])
    assert e.value.reason == "unsupported"
    for junk in (None, "0202", 5):
        with pytest.raises(DecodeError):
            decode_cam_fast(junk)
    got, status = decode_many([data, data[:-1], b"\x02\x01" + data[2:], b""])
    assert list(status) == [STATUS_OK, STATUS_MALFORMED, STATUS_UNSUPPORTED, STATUS_MALFORMED]
    assert not got[1:].any()
    with pytest.raises(DecodeError):
        decode_many([data, "text"])


def test_batch_errors_name_row_and_field():
    fields = cams_to_fields([CAM(station_id=i, generation_delta_time_ms=0) for i in range(3)])
    fields[1, ref.W_SPEED] = 16384
    with pytest.raises(MessageRangeError) as e:
        encode_cams(fields)
    assert e.value.field == "fields[1].speed"
    with pytest.raises(MessageRangeError):
        fields_to_cams(fields)
    fields[1, ref.W_SPEED] = 16383
    fields[2, ref.W_STATION_TYPE] = 13
    with pytest.raises(MessageRangeError, match="fields.2..station_type"):
        encode_cams(fields)
    with pytest.raises(TypeError):
        encode_cams(fields.astype(float))
    with pytest.raises(MessageRangeError) as e:
        cams_to_fields([CAM(station_id=0, generation_delta_time_ms=0),
                        CAM(station_id=0, generation_delta_time_ms=0, speed_mps=-1.0)])
    assert e.value.field == "cams[1].speed_mps"
    assert encode_cams(np.zeros((0, ref.W_SIZE), np.int64)) == []
    assert decode_many([])[0].shape == (0, ref.W_SIZE)


def test_pycrate_codec_is_safe_across_threads():
    cams_ = [CAM(station_id=i, generation_delta_time_ms=i, speed_mps=i * 0.5) for i in range(40)]
    expect = [encode_cam_fast(c) for c in cams_]
    errors = []

    def work(offset):
        for i in range(40):
            c = cams_[(i + offset) % 40]
            data = encode_cam(c)
            if data != expect[(i + offset) % 40] or decode_cam(data) != quantise(c):
                errors.append(i)

    threads = [threading.Thread(target=work, args=(t * 7,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
