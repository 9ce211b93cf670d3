"""GeoNetworking single-hop broadcast + BTP-B framing (EN 302 636-4-1, EN 302 636-5-1).

Layout of one unsecured packet (44 header bytes, then the facilities payload)::

    basic header   4 B  version 1 | NH 1 (common header), reserved, lifetime, RHL
    common header  8 B  NH 2 (BTP-B) | 0, HT 5 (TSB) | HST 0 (single hop), TC, flags,
                        payload length (BTP header + payload), MHL 1, reserved
    SHB extension 28 B  source long position vector (24 B) + 4 B media-dependent (zero)
    BTP-B header   4 B  destination port, destination port info
    payload             UPER-encoded ITS PDU (CAM, DENM, ...)

A secured packet keeps the basic header in clear (forwarders rewrite its lifetime and RHL)
and carries everything from the common header onward inside the IEEE 1609.2 / TS 103 097
secured packet: basic NH = 2. Ethernet II with EtherType 0x8947 carries it in captures, which
is what Wireshark needs to show ``eth:ethertype:gnw:btpb:its``.

Every decoder here raises only :class:`~v2x.errors.DecodeError`; every encoder raises
:class:`~v2x.errors.MessageRangeError` for a value the wire cannot carry (nothing is clipped).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from v2x.clock import ItsClock
from v2x.errors import DecodeError, MessageRangeError

GN_VERSION = 1
ETHERTYPE_GN = 0x8947
BROADCAST_MAC = b"\xff" * 6
HEADER_LEN = 44  # basic + common + SHB extended + BTP-B
_INNER_HEADER_LEN = HEADER_LEN - 4  # common header onward

# Basic header next header (NH) values, EN 302 636-4-1 §9.6.2
_BH_ANY, _BH_COMMON, _BH_SECURED = 0, 1, 2
# Common header next header values: 1 BTP-A, 2 BTP-B, 3 IPv6
_CH_BTP_B = 2
_HT_HST_SHB = 0x50  # HT 5 (TSB) << 4 | HST 0 (single hop)
_MOBILE_FLAG = 0x80
# Lifetime base (2 low bits of the LT field) -> unit in ms; the multiplier is 6 bits
_LT_UNIT_MS = (50, 1000, 10_000, 100_000)

_U32 = 1 << 32
_BASIC = struct.Struct(">BBBB")
# common header, long position vector, 4 reserved media-dependent bytes, BTP-B
_INNER = struct.Struct(">BBBBHBBQIiiHHIHH")
_FULL = struct.Struct(">BBBB" + _INNER.format[1:])
_ETH = struct.Struct(">6s6sH")

_DEG_TO_WIRE_HEADING = 1800.0 / math.pi  # rad -> 0.1 deg
_WIRE_HEADING_TO_RAD = math.pi / 1800.0


@dataclass(frozen=True)
class PositionVector:
    """GN long position vector of the sender (SI units).

    ``gn_address``: 64-bit GN_ADDR (see :func:`gn_address_for`); ``timestamp_ms``: TST, TAI
    ms since 2004-01-01 mod 2^32 (see :func:`gn_timestamp`); ``lat_deg``/``lon_deg``: WGS-84
    [deg] (1e-7 deg on the wire); ``position_accurate``: PAI; ``speed_mps``: signed speed
    [m/s] (0.01 m/s, 15 bits: -163.84..163.83); ``heading_rad``: clockwise from north [rad],
    0..2*pi (0.1 deg on the wire, 0..3599).
    """

    gn_address: int
    timestamp_ms: int
    lat_deg: float
    lon_deg: float
    position_accurate: bool = True
    speed_mps: float = 0.0
    heading_rad: float = 0.0

    @property
    def station_type(self) -> int:
        """ITS-S station type carried in the GN address (5 bits)."""
        return (self.gn_address >> 58) & 0x1F

    @property
    def mid(self) -> bytes:
        """The 48-bit MID of the GN address (the sender's link-layer address)."""
        return (self.gn_address & 0xFFFF_FFFF_FFFF).to_bytes(6, "big")


@dataclass(frozen=True)
class GnPacket:
    """One GN SHB packet carrying a BTP-B payload.

    ``btp_port``/``btp_port_info``: BTP-B destination port and port info; ``payload``: the
    facilities-layer PDU; ``traffic_class``: the whole TC octet (SCF bit 7, channel offload
    bit 6, TC ID bits 0-5); ``lifetime_s``: packet lifetime [s] (0..6300, quantized to the
    GN multiplier x base); ``remaining_hop_limit``: RHL (1 for SHB); ``mobile``: the
    itsGnIsMobile flag (False for RSUs). ``secured``/``secured_bytes``: set by
    :func:`parse_gn` for a secured packet; ``secured_bytes`` is the secured packet exactly as
    received (everything after the basic header).
    """

    source: PositionVector
    btp_port: int
    btp_port_info: int = 0
    payload: bytes = b""
    traffic_class: int = 0
    lifetime_s: float = 1.0
    remaining_hop_limit: int = 1
    secured: bool = False
    secured_bytes: bytes = b""
    mobile: bool = True


def mac_for(station_id: int) -> bytes:
    """Deterministic link-layer address of a station: ``02:4b:`` + the 32-bit StationID.

    0x02 in the first octet marks a locally administered unicast address, so it can never
    collide with a vendor-assigned MAC; 0x4b ("K") tags kav.
    """
    if not 0 <= station_id < _U32:
        raise MessageRangeError("station_id", station_id, "0..4294967295")
    return b"\x02\x4b" + station_id.to_bytes(4, "big")


def gn_address_for(station_id: int, station_type: int) -> int:
    """GN_ADDR of a station: M = 0 (derived from the link-layer address, as GN
    auto-address configuration does), ST = ``station_type`` (5 bits), 10 reserved zero bits,
    MID = :func:`mac_for` (``station_id``)."""
    if not 0 <= station_type < 32:
        raise MessageRangeError("station_type", station_type, "0..31")
    return (station_type << 58) | int.from_bytes(mac_for(station_id), "big")


def gn_timestamp(clock: ItsClock, t_us: int) -> int:
    """GN TST for simulation time ``t_us`` [us]: TAI ms since 2004 mod 2^32."""
    return clock.its_ms(t_us) % _U32


@lru_cache(maxsize=64)
def _encode_lifetime(lifetime_s: float) -> int:
    # The finest base that fits the multiplier (6 bits) keeps the most precision.
    ms = lifetime_s * 1000.0
    if not 0.0 <= ms <= 63 * _LT_UNIT_MS[-1]:
        raise MessageRangeError("lifetime_s", lifetime_s, "0..6300 s")
    for base, unit in enumerate(_LT_UNIT_MS):
        mult = round(ms / unit)
        if mult <= 63:
            return (mult << 2) | base
    raise MessageRangeError("lifetime_s", lifetime_s, "0..6300 s")  # pragma: no cover


def _decode_lifetime(lt: int) -> float:
    return (lt >> 2) * _LT_UNIT_MS[lt & 3] / 1000.0


def _inner_fields(pkt: GnPacket) -> tuple:
    """Values of the common header onward, range-checked, in ``_INNER`` order."""
    pv = pkt.source
    try:
        lat = round(pv.lat_deg * 1e7)
        lon = round(pv.lon_deg * 1e7)
        speed = round(pv.speed_mps * 100.0)
        heading = round(pv.heading_rad * _DEG_TO_WIRE_HEADING)
    except (ValueError, OverflowError) as exc:  # NaN or infinity
        raise MessageRangeError("source", pv, "finite position, speed and heading") from exc
    if not -900_000_000 <= lat <= 900_000_000:
        raise MessageRangeError("source.lat_deg", pv.lat_deg, "-90..90 deg")
    if not -1_800_000_000 <= lon <= 1_800_000_000:
        raise MessageRangeError("source.lon_deg", pv.lon_deg, "-180..180 deg")
    if not -16384 <= speed <= 16383:
        raise MessageRangeError("source.speed_mps", pv.speed_mps, "-163.84..163.83 m/s")
    if not 0 <= heading <= 3600:
        raise MessageRangeError("source.heading_rad", pv.heading_rad, "0..2*pi rad")
    if heading == 3600:  # 2*pi is north again, not a clip
        heading = 0
    if not 0 <= pv.gn_address < 1 << 64:
        raise MessageRangeError("source.gn_address", pv.gn_address, "64-bit unsigned")
    if not 0 <= pv.timestamp_ms < _U32:
        raise MessageRangeError("source.timestamp_ms", pv.timestamp_ms, "0..2^32-1 ms")
    if not 0 <= pkt.traffic_class <= 255:
        raise MessageRangeError("traffic_class", pkt.traffic_class, "0..255")
    if not 0 <= pkt.btp_port <= 0xFFFF:
        raise MessageRangeError("btp_port", pkt.btp_port, "0..65535")
    if not 0 <= pkt.btp_port_info <= 0xFFFF:
        raise MessageRangeError("btp_port_info", pkt.btp_port_info, "0..65535")
    plen = 4 + len(pkt.payload)
    if plen > 0xFFFF:
        raise MessageRangeError("payload", len(pkt.payload), "at most 65531 bytes")
    pai_speed = (0x8000 if pv.position_accurate else 0) | (speed & 0x7FFF)
    return (
        _CH_BTP_B << 4, _HT_HST_SHB, pkt.traffic_class,
        _MOBILE_FLAG if pkt.mobile else 0, plen, 1, 0,
        pv.gn_address, pv.timestamp_ms, lat, lon, pai_speed, heading,
        0, pkt.btp_port, pkt.btp_port_info,
    )


def build_gn(pkt: GnPacket, *, secure: Callable[[bytes], bytes] | None = None) -> bytes:
    """GN basic header + common header + SHB + BTP-B + payload.

    With ``secure`` (bytes -> bytes, e.g. an IEEE 1609.2 signer) the bytes from the common
    header onward are passed to it and its output follows a basic header with NH = 2. A
    packet from :func:`parse_gn` with ``secured`` set and no ``secure`` given re-emits its
    ``secured_bytes`` verbatim (only the basic header's lifetime and RHL are re-encoded),
    which is how a forwarder relays a signed packet without the signer's key.
    """
    rhl = pkt.remaining_hop_limit
    if not 0 <= rhl <= 255:
        raise MessageRangeError("remaining_hop_limit", rhl, "0..255")
    lt = _encode_lifetime(pkt.lifetime_s)
    if secure is None and pkt.secured:
        return _BASIC.pack(GN_VERSION << 4 | _BH_SECURED, 0, lt, rhl) + pkt.secured_bytes
    fields = _inner_fields(pkt)
    try:
        if secure is None:
            return _FULL.pack(GN_VERSION << 4 | _BH_COMMON, 0, lt, rhl, *fields) + pkt.payload
        inner = _INNER.pack(*fields) + pkt.payload
    except struct.error as exc:  # e.g. a float where the wire needs an integer
        raise MessageRangeError("packet", pkt, f"integer header fields ({exc})") from exc
    return _BASIC.pack(GN_VERSION << 4 | _BH_SECURED, 0, lt, rhl) + bytes(secure(inner))


def _parse_inner(data, lifetime_s: float, rhl: int, secured_bytes: bytes | None) -> GnPacket:
    """Common header onward -> GnPacket (``data``: bytes or memoryview)."""
    if len(data) < _INNER_HEADER_LEN:
        # Say "unsupported" rather than "malformed" when a short packet is a GN type we skip.
        if len(data) >= 2:
            _check_types(data[0] >> 4, data[1])
        raise DecodeError("malformed", f"GN packet truncated ({len(data)} bytes after basic)")
    (nh, htst, tc, flags, plen, _mhl, _res, addr, tst, lat, lon,
     pai_speed, heading, _media, port, port_info) = _INNER.unpack_from(data)
    _check_types(nh >> 4, htst)
    if plen != len(data) - (_INNER_HEADER_LEN - 4):
        raise DecodeError("malformed", f"payload length {plen} != {len(data) - 36} bytes")
    if not -900_000_000 <= lat <= 900_000_000 or not -1_800_000_000 <= lon <= 1_800_000_000:
        raise DecodeError("malformed", f"position out of range ({lat}, {lon})")
    if heading > 3599:
        raise DecodeError("malformed", f"heading {heading} > 3599")
    speed = pai_speed & 0x7FFF
    if speed >= 0x4000:  # 15-bit two's complement
        speed -= 0x8000
    source = PositionVector(
        gn_address=addr, timestamp_ms=tst, lat_deg=lat / 1e7, lon_deg=lon / 1e7,
        position_accurate=bool(pai_speed & 0x8000), speed_mps=speed / 100.0,
        heading_rad=heading * _WIRE_HEADING_TO_RAD,
    )
    return GnPacket(
        source=source, btp_port=port, btp_port_info=port_info,
        payload=bytes(data[_INNER_HEADER_LEN:]), traffic_class=tc, lifetime_s=lifetime_s,
        remaining_hop_limit=rhl, secured=secured_bytes is not None,
        secured_bytes=secured_bytes or b"", mobile=bool(flags & _MOBILE_FLAG),
    )


def _check_types(ch_nh: int, htst: int) -> None:
    if htst != _HT_HST_SHB:
        ht, hst = htst >> 4, htst & 0x0F
        # Beacon, GeoUnicast, GeoAnycast/-Broadcast (3 area shapes), TSB, location service
        known = (ht in (1, 2) and hst == 0) or (ht in (3, 4) and hst <= 2) or (
            ht in (5, 6) and hst <= 1)
        if known:
            raise DecodeError("unsupported", f"GN header type {ht}/{hst} (only SHB)")
        raise DecodeError("malformed", f"unknown GN header type {ht}/{hst}")
    if ch_nh != _CH_BTP_B:
        if ch_nh in (0, 1, 3):  # any, BTP-A, IPv6
            raise DecodeError("unsupported", f"common header next header {ch_nh} (only BTP-B)")
        raise DecodeError("malformed", f"unknown common header next header {ch_nh}")


def parse_gn(data: bytes, *, unsecure: Callable[[bytes], bytes] | None = None) -> GnPacket:
    """Inverse of :func:`build_gn`.

    For a secured packet (basic NH = 2) ``unsecure(secured_bytes)`` verifies and returns the
    bytes from the common header onward; its own DecodeErrors pass through. Raises
    DecodeError: "malformed" (structure or lengths), "unsupported" (valid GN that kav does
    not handle: another GN version, header type or transport), "security-handler-missing"
    (secured packet and no ``unsecure``).
    """
    try:
        data = memoryview(data).cast("B")
    except TypeError as exc:
        raise DecodeError("malformed", f"not bytes: {type(data).__name__}") from exc
    if len(data) < 4:
        raise DecodeError("malformed", f"GN basic header truncated ({len(data)} bytes)")
    vnh, _reserved, lt, rhl = _BASIC.unpack_from(data)
    version, nh = vnh >> 4, vnh & 0x0F
    if version != GN_VERSION:
        raise DecodeError("unsupported", f"GN version {version}")
    lifetime_s = _decode_lifetime(lt)
    if nh == _BH_COMMON:
        return _parse_inner(data[4:], lifetime_s, rhl, None)
    if nh == _BH_SECURED:
        if unsecure is None:
            raise DecodeError("security-handler-missing", "secured GN packet")
        secured_bytes = bytes(data[4:])
        inner = unsecure(secured_bytes)
        if not isinstance(inner, (bytes, bytearray, memoryview)):
            raise DecodeError("malformed", "unsecure() returned no bytes")
        return _parse_inner(memoryview(inner).cast("B"), lifetime_s, rhl, secured_bytes)
    if nh == _BH_ANY:
        raise DecodeError("unsupported", "basic header next header 0 (any)")
    raise DecodeError("malformed", f"unknown basic header next header {nh}")


def ethernet(gn_bytes: bytes, src_mac: bytes) -> bytes:
    """Ethernet II broadcast frame (dst ff:ff:ff:ff:ff:ff, EtherType 0x8947, no FCS)."""
    if len(src_mac) != 6:
        raise MessageRangeError("src_mac", src_mac, "6 bytes")
    return _ETH.pack(BROADCAST_MAC, src_mac, ETHERTYPE_GN) + gn_bytes


def strip_ethernet(frame: bytes) -> tuple[bytes, bytes]:
    """Ethernet II frame -> (source MAC, GN bytes). DecodeError "malformed" when shorter
    than the 14-byte header, "unsupported" for another EtherType."""
    if len(frame) < _ETH.size:
        raise DecodeError("malformed", f"Ethernet frame truncated ({len(frame)} bytes)")
    _dst, src, ethertype = _ETH.unpack_from(frame)
    if ethertype != ETHERTYPE_GN:
        raise DecodeError("unsupported", f"EtherType 0x{ethertype:04x}")
    return src, bytes(frame[_ETH.size:])
