"""GeoNetworking SHB + BTP-B framing: round trips, byte layout, malformed input."""

from __future__ import annotations

import contextlib
import math
import struct
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from v2x.clock import ItsClock
from v2x.errors import DecodeError, MessageRangeError
from v2x.framing import (
    ETHERTYPE_GN,
    HEADER_LEN,
    GnPacket,
    PositionVector,
    build_gn,
    ethernet,
    gn_address_for,
    gn_timestamp,
    mac_for,
    parse_gn,
    strip_ethernet,
)
from v2x.messages.common import BTP_PORT, MESSAGE_FOR_PORT, MessageId, StationType

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True)
LIFETIME_UNITS_MS = (50, 1000, 10_000, 100_000)


def _pv(**kw) -> PositionVector:
    base = dict(gn_address=gn_address_for(1001, StationType.PASSENGER_CAR),
                timestamp_ms=123_456_789, lat_deg=37.5665, lon_deg=126.978,
                position_accurate=True, speed_mps=13.89, heading_rad=math.pi / 2)
    base.update(kw)
    return PositionVector(**base)


def _pkt(**kw) -> GnPacket:
    base = dict(source=_pv(), btp_port=BTP_PORT[MessageId.CAM], payload=b"\x02\x02" + bytes(39))
    base.update(kw)
    return GnPacket(**base)


# Position vectors built from wire integers, so parse(build(p)) must equal p exactly.
wire_pv = st.builds(
    lambda addr, tst, lat, lon, pai, speed, hdg: PositionVector(
        addr, tst, lat / 1e7, lon / 1e7, pai, speed / 100.0, hdg * (math.pi / 1800.0)),
    st.integers(0, 2**64 - 1), st.integers(0, 2**32 - 1),
    st.integers(-900_000_000, 900_000_000), st.integers(-1_800_000_000, 1_800_000_000),
    st.booleans(), st.integers(-16384, 16383), st.integers(0, 3599),
)
wire_lifetime = st.builds(lambda m, b: m * LIFETIME_UNITS_MS[b] / 1000.0,
                          st.integers(0, 63), st.integers(0, 3))
wire_pkt = st.builds(
    GnPacket, source=wire_pv, btp_port=st.integers(0, 0xFFFF),
    btp_port_info=st.integers(0, 0xFFFF), payload=st.binary(max_size=1500),
    traffic_class=st.integers(0, 255), lifetime_s=wire_lifetime,
    remaining_hop_limit=st.integers(0, 255), mobile=st.booleans(),
)


@SETTINGS
@given(wire_pkt)
def test_round_trip_exact_on_wire_values(pkt):
    data = build_gn(pkt)
    assert len(data) == HEADER_LEN + len(pkt.payload)
    assert parse_gn(data) == pkt


@SETTINGS
@given(
    lat=st.floats(-90, 90), lon=st.floats(-180, 180), speed=st.floats(-163.84, 163.83),
    heading=st.floats(0, 2 * math.pi), lifetime=st.floats(0, 6300),
)
def test_float_inputs_quantize_within_half_a_step(lat, lon, speed, heading, lifetime):
    pkt = _pkt(source=_pv(lat_deg=lat, lon_deg=lon, speed_mps=speed, heading_rad=heading),
               lifetime_s=lifetime)
    data = build_gn(pkt)
    got = parse_gn(data)
    assert abs(got.source.lat_deg - lat) <= 0.5e-7 + 1e-12
    assert abs(got.source.lon_deg - lon) <= 0.5e-7 + 1e-12
    assert abs(got.source.speed_mps - speed) <= 0.005 + 1e-9
    dh = (got.source.heading_rad - heading + math.pi) % (2 * math.pi) - math.pi
    assert abs(dh) <= math.radians(0.05) + 1e-9
    # the finest lifetime base that fits: error at most half of that base
    step = next(u for u in LIFETIME_UNITS_MS if round(lifetime * 1000 / u) <= 63) / 1000
    assert abs(got.lifetime_s - lifetime) <= step / 2 + 1e-9
    # quantization is idempotent (the lifetime may re-encode with a finer base, same value)
    assert parse_gn(build_gn(got)) == got
    assert build_gn(got)[4:] == data[4:]


def test_known_byte_layout():
    """A CAM from station 0x0001e240 checked field by field against EN 302 636-4-1 §9."""
    pv = _pv(gn_address=gn_address_for(0x0001E240, StationType.PASSENGER_CAR),
             timestamp_ms=0x075BCD15, lat_deg=37.5665, lon_deg=126.978,
             speed_mps=13.89, heading_rad=math.radians(90))
    payload = bytes(range(41))
    data = build_gn(GnPacket(pv, 2001, 0, payload, traffic_class=2))
    assert data[0:4] == bytes([0x11, 0x00, 0x50, 0x01])  # v1|NH common; LT 20 x 50 ms; RHL 1
    assert data[4] == 0x20  # NH BTP-B
    assert data[5] == 0x50  # HT TSB, HST single hop
    assert data[6] == 0x02  # traffic class
    assert data[7] == 0x80  # mobile
    assert data[8:10] == (4 + 41).to_bytes(2, "big")  # BTP + payload
    assert data[10:12] == b"\x01\x00"  # MHL 1, reserved
    # GN_ADDR: M 0 | ST 5 (0b00101) | 10 reserved bits -> 0x1400, then MID 02:4b:00:01:e2:40
    assert data[12:20] == bytes.fromhex("1400024b0001e240")
    assert data[20:24] == bytes.fromhex("075bcd15")  # TST
    assert data[24:28] == (375_665_000).to_bytes(4, "big")
    assert data[28:32] == (1_269_780_000).to_bytes(4, "big")
    assert data[32:34] == (0x8000 | 1389).to_bytes(2, "big")  # PAI | 13.89 m/s
    assert data[34:36] == (900).to_bytes(2, "big")  # 90.0 deg
    assert data[36:40] == bytes(4)  # SHB media-dependent data
    assert data[40:44] == bytes.fromhex("07d10000")  # BTP-B port 2001, info 0
    assert data[44:] == payload


def test_negative_speed_and_stationary_rsu():
    rsu = gn_address_for(7, StationType.ROAD_SIDE_UNIT)
    pkt = _pkt(source=_pv(gn_address=rsu, speed_mps=-1.5, position_accurate=False),
               mobile=False)
    data = build_gn(pkt)
    assert data[7] == 0x00
    assert data[32:34] == ((-150) & 0x7FFF).to_bytes(2, "big")  # PAI 0, 15-bit two's compl.
    got = parse_gn(data)
    assert got.source.speed_mps == -1.5 and not got.source.position_accurate
    assert got.source.station_type == StationType.ROAD_SIDE_UNIT
    assert got.source.mid == mac_for(7)


@pytest.mark.parametrize("lifetime_s, lt", [
    (1.0, 20 << 2 | 0), (0.05, 1 << 2 | 0), (3.15, 63 << 2 | 0), (60.0, 60 << 2 | 1),
    (600.0, 60 << 2 | 2), (6300.0, 63 << 2 | 3), (0.0, 0),
])
def test_lifetime_encoding(lifetime_s, lt):
    data = build_gn(_pkt(lifetime_s=lifetime_s))
    assert data[2] == lt
    assert parse_gn(data).lifetime_s == lifetime_s


def test_heading_two_pi_is_north():
    assert build_gn(_pkt(source=_pv(heading_rad=2 * math.pi)))[34:36] == b"\x00\x00"


@pytest.mark.parametrize("change, field", [
    ({"source": _pv(lat_deg=90.1)}, "source.lat_deg"),
    ({"source": _pv(lon_deg=-180.5)}, "source.lon_deg"),
    ({"source": _pv(speed_mps=164.0)}, "source.speed_mps"),
    ({"source": _pv(heading_rad=-0.01)}, "source.heading_rad"),
    ({"source": _pv(heading_rad=7.0)}, "source.heading_rad"),
    ({"source": _pv(lat_deg=math.nan)}, "source"),
    ({"source": _pv(speed_mps=math.inf)}, "source"),
    ({"source": _pv(timestamp_ms=2**32)}, "source.timestamp_ms"),
    ({"source": _pv(gn_address=-1)}, "source.gn_address"),
    ({"source": _pv(timestamp_ms=5.0)}, "packet"),
    ({"btp_port": 70000}, "btp_port"),
    ({"btp_port_info": -1}, "btp_port_info"),
    ({"traffic_class": 256}, "traffic_class"),
    ({"lifetime_s": 6400.0}, "lifetime_s"),
    ({"lifetime_s": -1.0}, "lifetime_s"),
    ({"remaining_hop_limit": 256}, "remaining_hop_limit"),
    ({"payload": bytes(65532)}, "payload"),
])
def test_encoder_rejects_unrepresentable_values(change, field):
    with pytest.raises(MessageRangeError) as err:
        build_gn(_pkt(**change))
    assert err.value.field == field


def test_addresses():
    mac = mac_for(0xDEADBEEF)
    assert mac == bytes.fromhex("024bdeadbeef")
    assert mac[0] & 0x02 and not mac[0] & 0x01  # locally administered, unicast
    addr = gn_address_for(0xDEADBEEF, StationType.BUS)
    assert addr >> 63 == 0 and (addr >> 58) & 0x1F == 6 and (addr >> 48) & 0x3FF == 0
    assert addr & (2**48 - 1) == int.from_bytes(mac, "big")
    assert gn_address_for(5, 5) == gn_address_for(5, 5) != gn_address_for(6, 5)
    with pytest.raises(MessageRangeError):
        gn_address_for(1, 32)
    with pytest.raises(MessageRangeError):
        mac_for(2**32)


def test_gn_timestamp_wraps_tai_ms():
    clock = ItsClock(start_unix_us=1_700_000_000_000_000)
    assert gn_timestamp(clock, 0) == clock.its_ms(0) % 2**32
    assert gn_timestamp(clock, 1500) == (clock.its_ms(0) + 1) % 2**32


def test_ethernet_round_trip():
    gn = build_gn(_pkt())
    frame = ethernet(gn, mac_for(42))
    assert frame[:6] == b"\xff" * 6 and frame[6:12] == mac_for(42)
    assert int.from_bytes(frame[12:14], "big") == ETHERTYPE_GN == 0x8947
    assert strip_ethernet(frame) == (mac_for(42), gn)
    with pytest.raises(DecodeError, match="malformed"):
        strip_ethernet(frame[:13])
    with pytest.raises(DecodeError, match="unsupported"):
        strip_ethernet(frame[:12] + b"\x08\x00" + gn)
    with pytest.raises(MessageRangeError):
        ethernet(gn, b"\x02")


def test_port_maps_to_message():
    got = parse_gn(build_gn(_pkt(btp_port=BTP_PORT[MessageId.DENM])))
    assert MESSAGE_FOR_PORT[got.btp_port] is MessageId.DENM


# --- malformed input ----------------------------------------------------------------------

def _reason(data, **kw) -> str:
    with pytest.raises(DecodeError) as err:
        parse_gn(data, **kw)
    return err.value.reason


def test_truncated_at_every_byte():
    data = build_gn(_pkt(payload=b"\x01\x02\x03"))
    for n in range(len(data)):
        assert _reason(data[:n]) == "malformed", n


def test_header_errors():
    data = bytearray(build_gn(_pkt()))

    def patched(offset, value):
        out = bytearray(data)
        out[offset] = value
        return bytes(out)

    assert _reason(patched(0, 0x01)) == "unsupported"  # GN version 0
    assert _reason(patched(0, 0x21)) == "unsupported"  # GN version 2
    assert _reason(patched(0, 0x10)) == "unsupported"  # basic NH any
    assert _reason(patched(0, 0x13)) == "malformed"  # basic NH reserved value
    assert _reason(patched(4, 0x10)) == "unsupported"  # BTP-A
    assert _reason(patched(4, 0x30)) == "unsupported"  # IPv6
    assert _reason(patched(4, 0x70)) == "malformed"  # unknown transport
    assert _reason(patched(5, 0x40)) == "unsupported"  # GeoBroadcast circle
    assert _reason(patched(5, 0x51)) == "unsupported"  # multi-hop TSB
    assert _reason(patched(5, 0x90)) == "malformed"  # unknown header type
    assert _reason(patched(5, 0x43)) == "malformed"  # GBC with unknown shape
    assert _reason(patched(34, 0x0E)) == "malformed"  # heading 3600+
    assert _reason(patched(24, 0x7F)) == "malformed"  # latitude > 90 deg
    # a GeoBroadcast header too short for SHB is still reported as unsupported
    assert _reason(patched(5, 0x40)[:20]) == "unsupported"


def test_payload_length_mismatch():
    data = build_gn(_pkt())
    assert _reason(data + b"\x00") == "malformed"
    assert _reason(data[:-1]) == "malformed"
    short = bytearray(data)
    short[8:10] = (3).to_bytes(2, "big")  # shorter than the BTP header
    assert _reason(bytes(short[:HEADER_LEN - 1])) == "malformed"
    assert _reason(bytes(short)) == "malformed"


def test_non_bytes_input():
    assert _reason("not bytes") == "malformed"


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.binary(max_size=80))
def test_random_bytes_raise_only_decode_error(data):
    with contextlib.suppress(DecodeError):
        parse_gn(data)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.integers(0, HEADER_LEN + 3), st.integers(0, 255))
def test_mutated_packets_raise_only_decode_error(offset, value):
    data = bytearray(build_gn(_pkt(payload=b"abcd")))
    data[offset] = value
    with contextlib.suppress(DecodeError):
        parse_gn(bytes(data))


# --- secured packets ----------------------------------------------------------------------

TAG = b"SIGNED:"


def toy_secure(inner: bytes) -> bytes:
    return TAG + inner + b"\x99"


def toy_unsecure(secured: bytes) -> bytes:
    if not secured.startswith(TAG) or not secured.endswith(b"\x99"):
        raise DecodeError("bad-signature", "toy verifier")
    return secured[len(TAG):-1]


def test_secured_round_trip():
    pkt = _pkt(payload=b"cam-bytes", lifetime_s=2.0)
    data = build_gn(pkt, secure=toy_secure)
    assert data[0] == 0x12  # version 1, NH secured packet
    assert data[2:4] == build_gn(pkt)[2:4]  # lifetime and RHL stay in clear
    assert data[4:] == toy_secure(build_gn(pkt)[4:])
    assert data[4 + len(TAG) + 4:4 + len(TAG) + 6] == (4 + 9).to_bytes(2, "big")  # PL
    got = parse_gn(data, unsecure=toy_unsecure)
    assert got.secured and got.secured_bytes == data[4:]
    assert replace(got, secured=False, secured_bytes=b"") == pkt
    # a relay re-emits the secured bytes verbatim, with its own RHL in the clear header
    assert build_gn(got) == data
    relayed = build_gn(replace(got, remaining_hop_limit=0))
    assert relayed[3] == 0 and relayed[4:] == data[4:]


def test_secured_errors():
    data = build_gn(_pkt(), secure=toy_secure)
    assert _reason(data) == "security-handler-missing"
    tampered = data[:4] + b"X" + data[5:]
    assert _reason(tampered, unsecure=toy_unsecure) == "bad-signature"
    assert _reason(data, unsecure=lambda b: b[:10]) == "malformed"
    assert _reason(data, unsecure=lambda b: None) == "malformed"
    inner_bad_len = build_gn(_pkt(), secure=lambda b: b + b"\x00")
    assert _reason(inner_bad_len, unsecure=lambda b: b) == "malformed"


def test_struct_layout_constant():
    assert struct.calcsize(">BBBB BBBBHBB QIiiHH I HH".replace(" ", "")) == HEADER_LEN
