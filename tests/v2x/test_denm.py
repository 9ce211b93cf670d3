"""DENM dataclasses and UPER codec: round trips, sizes, range errors, hostile input."""

from __future__ import annotations

import contextlib
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from v2x.codec.denm_asn1 import _pdu, decode_denm, denm_to_value, encode_denm
from v2x.errors import DecodeError, MessageRangeError
from v2x.messages.common import StationType
from v2x.messages.denm import (
    ALTITUDE_CONFIDENCES_M,
    DENM,
    RELEVANCE_DISTANCES_M,
    ActionId,
    Cause,
    DangerousSituationSubCause,
    LocationContainer,
    ManagementContainer,
    PathPoint,
    RelevanceTrafficDirection,
    RoadType,
    SituationContainer,
    Termination,
    quantise,
)

T0_MS = 631_152_000_000  # 2024-01-01 in TimestampIts


def ebl_denm(**management) -> DENM:
    """Emergency electronic brake lights from a car in Sangam DMC, with a short trace."""
    m = dict(action_id=ActionId(0x1234ABCD, 7), detection_time_ms=T0_MS,
             reference_time_ms=T0_MS + 50, event_lat_deg=37.5772123, event_lon_deg=126.8913456,
             station_type=StationType.PASSENGER_CAR, relevance_distance_m=200.0,
             relevance_traffic_direction=RelevanceTrafficDirection.UPSTREAM_TRAFFIC,
             validity_duration_s=10, transmission_interval_ms=100, event_altitude_m=21.5,
             altitude_confidence_m=5.0, semi_major_confidence_m=1.5,
             semi_minor_confidence_m=0.8, semi_major_orientation_rad=math.radians(45.0))
    m.update(management)
    return DENM(
        station_id=0x1234ABCD,
        management=ManagementContainer(**m),
        situation=SituationContainer(
            Cause.DANGEROUS_SITUATION,
            DangerousSituationSubCause.EMERGENCY_ELECTRONIC_BRAKE_ENGAGED, 4),
        location=LocationContainer(
            traces=((PathPoint(-2.5e-5, 1.1e-5, 0.0, 0.5), PathPoint(-2.4e-5, 1.0e-5)),),
            event_speed_mps=13.89, event_speed_confidence_mps=0.3,
            event_heading_rad=math.radians(92.5), event_heading_confidence_rad=math.radians(2),
            road_type=RoadType.URBAN_WITH_STRUCTURAL_SEPARATION))


def test_cause_codes():
    assert (Cause.STATIONARY_VEHICLE, Cause.DANGEROUS_SITUATION, Cause.ROADWORKS) == (94, 99, 3)
    assert Cause.HAZARDOUS_LOCATION_OBSTACLE_ON_THE_ROAD == 10
    assert (Cause.COLLISION_RISK, Cause.HUMAN_PRESENCE_ON_THE_ROAD) == (97, 12)
    assert (Cause.SLOW_VEHICLE, Cause.TRAFFIC_CONDITION) == (26, 1)
    assert DangerousSituationSubCause.EMERGENCY_ELECTRONIC_BRAKE_ENGAGED == 1


def test_round_trip_full():
    d = ebl_denm()
    b = encode_denm(d)
    assert 60 <= len(b) <= 100  # design doc: DENM ~91 B
    r = decode_denm(b)
    assert r == quantise(d)
    assert r.management.event_lat_deg == 37.5772123
    assert r.management.relevance_distance_m == 200.0
    assert r.management.validity_duration_s == 10
    assert r.situation.cause == Cause.DANGEROUS_SITUATION and r.situation.sub_cause == 1
    assert r.location.event_speed_mps == 13.89
    assert r.location.traces[0][1].delta_time_s is None
    assert r.location.road_type is RoadType.URBAN_WITH_STRUCTURAL_SEPARATION
    assert quantise(r) == r


def test_round_trip_minimal_cancellation():
    d = DENM(5, ManagementContainer(ActionId(5, 1), T0_MS, T0_MS + 1000, None, None,
                                    termination="cancellation"))
    r = decode_denm(encode_denm(d))
    assert r.management.termination is Termination.CANCELLATION
    assert r.management.event_lat_deg is None and r.management.altitude_confidence_m is None
    assert r.management.validity_duration_s == 600  # DEFAULT, left out on the wire
    assert r.situation is None and r.location is None
    assert r == quantise(d)


def test_quantisation_rules():
    q = quantise(ebl_denm(relevance_distance_m=120.0, altitude_confidence_m=0.07,
                          semi_major_confidence_m=55.0, event_lat_deg=np.float64(37.12345678)))
    assert q.management.relevance_distance_m == 200.0  # up to the next class bound
    assert q.management.altitude_confidence_m == 0.1
    assert q.management.semi_major_confidence_m == math.inf  # ETSI outOfRange
    assert q.management.event_lat_deg == 37.1234568
    q = quantise(ebl_denm(relevance_distance_m=20_000.0))
    assert q.management.relevance_distance_m == math.inf  # over10km
    loc = LocationContainer(traces=((),), event_speed_confidence_mps=0.0)
    ql = quantise(DENM(1, ebl_denm().management, location=loc)).location
    assert ql.traces == () and ql.event_speed_mps is None
    assert ql.event_speed_confidence_mps == 0.01  # "within one step"


@pytest.mark.parametrize("change, field", [
    (dict(station_id=-1), "station_id"),
    (dict(management=dict(event_lat_deg=90.00000006)), "management.event_lat_deg"),
    (dict(management=dict(event_lon_deg=-181.0)), "management.event_lon_deg"),
    (dict(management=dict(validity_duration_s=86401)), "management.validity_duration_s"),
    (dict(management=dict(transmission_interval_ms=0)), "management.transmission_interval_ms"),
    (dict(management=dict(detection_time_ms=1.5)), "management.detection_time_ms"),
    (dict(management=dict(termination="expired")), "management.termination"),
    (dict(management=dict(relevance_distance_m=-1.0)), "management.relevance_distance_m"),
    (dict(management=dict(event_altitude_m=float("nan"))), "management.event_altitude_m"),
    (dict(management=dict(semi_major_orientation_rad=-0.1)),
     "management.semi_major_orientation_rad"),
    (dict(situation=dict(information_quality=8)), "situation.information_quality"),
    (dict(situation=dict(cause=256)), "situation.cause"),
    (dict(situation=dict(sub_cause=True)), "situation.sub_cause"),
    (dict(situation=dict(linked_cause=(1, 300))), "situation.linked_cause.sub_cause"),
    (dict(location=dict(event_speed_mps=163.83)), "location.event_speed_mps"),
    (dict(location=dict(event_heading_rad=7.0)), "location.event_heading_rad"),
    (dict(location=dict(traces=((PathPoint(0.02, 0.0),),))),
     "location.traces[0][0].delta_lat_deg"),
    (dict(location=dict(traces=((),) * 8)), "location.traces"),
])
def test_out_of_range_names_the_field(change, field):
    d = ebl_denm()
    for part, values in change.items():
        if isinstance(values, dict):
            d = DENM(**{**d.__dict__, part: type(getattr(d, part))(
                **{**getattr(d, part).__dict__, **values})})
        else:
            d = DENM(**{**d.__dict__, part: values})
    with pytest.raises(MessageRangeError) as err:
        encode_denm(d)
    assert err.value.field == field
    with pytest.raises(MessageRangeError):
        quantise(d)


def test_wrong_types_are_range_errors():
    d = ebl_denm()
    with pytest.raises(MessageRangeError) as err:
        encode_denm(DENM(1, d.management, situation={"cause": 94}))  # type: ignore[arg-type]
    assert err.value.field == "situation"
    with pytest.raises(MessageRangeError) as err:
        encode_denm(DENM(1, d.management, location=LocationContainer(traces=(((0, 0),),))))
    assert err.value.field == "location.traces[0][0]"


def test_truncation_garbage_and_trailing_bytes():
    b = encode_denm(ebl_denm())
    for n in range(len(b)):
        with pytest.raises(DecodeError) as err:
            decode_denm(b[:n])
        assert err.value.reason == "malformed"
    with pytest.raises(DecodeError):
        decode_denm(b + b"\x00")
    with pytest.raises(DecodeError):
        decode_denm("not bytes")  # type: ignore[arg-type]
    rng = random.Random(7)
    for _ in range(300):
        junk = rng.randbytes(rng.randrange(1, 120))
        with contextlib.suppress(DecodeError):
            assert isinstance(decode_denm(junk), DENM)


def _raw(value) -> bytes:
    return _pdu().to_uper(value)


def test_wrong_type_version_and_unsupported_parts():
    v = denm_to_value(ebl_denm())
    with pytest.raises(DecodeError) as err:
        decode_denm(_raw({**v, "header": {**v["header"], "messageID": 2}}))
    assert err.value.reason == "malformed"
    with pytest.raises(DecodeError) as err:
        decode_denm(_raw({**v, "header": {**v["header"], "protocolVersion": 1}}))
    assert err.value.reason == "unsupported"
    with pytest.raises(DecodeError) as err:
        decode_denm(_raw({**v, "denm": {**v["denm"], "alacarte": {"lanePosition": 1}}}))
    assert err.value.reason == "unsupported"
    history = [{"eventPosition": {"deltaLatitude": 1, "deltaLongitude": 2,
                                  "deltaAltitude": 3}, "informationQuality": 1}]
    situation = {**v["denm"]["situation"], "eventHistory": history}
    with pytest.raises(DecodeError) as err:
        decode_denm(_raw({**v, "denm": {**v["denm"], "situation": situation}}))
    assert err.value.reason == "unsupported"


# ---- property tests ----------------------------------------------------------------------

def _opt(s):
    return st.none() | s


def _conf(hi):
    return _opt(st.floats(0.0, hi) | st.just(math.inf))


point = st.builds(PathPoint, _opt(st.floats(-0.0131071, 0.0131071)),
                  _opt(st.floats(-0.0131071, 0.0131071)), _opt(st.floats(-127.0, 127.99)),
                  _opt(st.floats(0.01, 655.35)))
management = st.builds(
    ManagementContainer, st.builds(ActionId, st.integers(0, 2**32 - 1), st.integers(0, 65535)),
    st.integers(0, 4398046511103), st.integers(0, 4398046511103),
    _opt(st.floats(-90.0, 90.0)), _opt(st.floats(-180.0, 180.0)), st.integers(0, 255),
    _opt(st.sampled_from(list(Termination))), _opt(st.floats(0.0, 1e6) | st.just(math.inf)),
    _opt(st.sampled_from(list(RelevanceTrafficDirection))), st.integers(0, 86400),
    _opt(st.integers(1, 10000)), _opt(st.floats(-1000.0, 8000.0)), _conf(1000.0),
    _conf(100.0), _conf(100.0), _opt(st.floats(0.0, 2 * math.pi)))
situation = st.builds(SituationContainer, st.integers(0, 255), st.integers(0, 255),
                      st.integers(0, 7), _opt(st.tuples(st.integers(0, 255),
                                                         st.integers(0, 255))))
location = st.builds(
    LocationContainer, st.lists(st.lists(point, max_size=4).map(tuple), max_size=3).map(tuple),
    _opt(st.floats(0.0, 163.82)), _conf(5.0), _opt(st.floats(0.0, 2 * math.pi)),
    _conf(1.0), _opt(st.sampled_from(list(RoadType))))
denms = st.builds(DENM, st.integers(0, 2**32 - 1), management, _opt(situation), _opt(location))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(denms)
def test_property_round_trip(d):
    q = quantise(d)
    assert decode_denm(encode_denm(d)) == q
    assert quantise(q) == q
    m, qm = d.management, q.management
    if m.event_lat_deg is not None:
        assert abs(qm.event_lat_deg - m.event_lat_deg) <= 0.5e-7 + 1e-12
    if m.relevance_distance_m is not None:
        assert qm.relevance_distance_m in RELEVANCE_DISTANCES_M
        assert qm.relevance_distance_m >= m.relevance_distance_m
    if m.altitude_confidence_m is not None:
        assert qm.altitude_confidence_m in ALTITUDE_CONFIDENCES_M


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.binary(max_size=120))
def test_property_decode_raises_only_decode_error(data):
    try:
        decode_denm(data)
    except DecodeError as err:
        assert err.reason in ("malformed", "unsupported")
