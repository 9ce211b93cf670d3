"""IEEE 1609.2 wire helpers shared by the certificate, signer and verifier modules.

COER (canonical OER) is done by pycrate's ``ITS_IEEE1609_2`` module. Its type objects are
module-level singletons holding the last value they encoded or decoded, so every helper
here finishes with an object before returning (kav runs its V2X stack in one thread).

Hashes follow IEEE 1609.2 (2016+) §5.3.1 and §6.3.x: a signature covers
``SHA-256(SHA-256(data input) || SHA-256(signer identifier input))`` where the data input is
the COER ``ToBeSignedData`` (or ``ToBeSignedCertificate``) and the signer identifier input
is the COER certificate of the signer, or the empty string for a self-signed certificate.
"""

from __future__ import annotations

import copy
import hashlib
import math

from pycrate_asn1dir import ITS_IEEE1609_2 as _asn
from pycrate_asn1rt.dictobj import ASN1Dict
from pycrate_core.charpy import Charpy

from v2x.clock import ITS_EPOCH_UNIX_S, TAI_MINUS_UTC_SINCE_2004_S
from v2x.errors import DecodeError, MessageRangeError

PROTOCOL_VERSION = 3  # Ieee1609Dot2Data.protocolVersion



def _non_recursive_data_type():
    """A private copy of Ieee1609Dot2Data whose nested payload data can only be
    unsecuredData.

    Why: pycrate's type tree is recursive here (SignedDataPayload.data is an
    Ieee1609Dot2Data sharing the outer one's components), so decoding nested data points
    the shared ``content`` CHOICE's parent at the nested SEQUENCE, closing a parent cycle.
    Any decode error inside it then calls ``fullname()``, which walks parents forever: a
    10-byte frame hangs the receiver. kav's profile only allows unsecuredData there, so
    the copy drops the other alternatives from the nested CHOICE's tag table; another tag
    decodes as an unknown extension (rejected as "malformed" by the verifier) and the
    parent chain stays acyclic. The module-level pycrate objects are left untouched.
    """
    top = copy.deepcopy(_asn.Ieee1609Dot2.Ieee1609Dot2Data)
    payload = top._cont["content"]._cont["signedData"]._cont["tbsData"]._cont["payload"]
    nested = copy.copy(payload._cont["data"])
    choice = copy.copy(nested._cont["content"])
    choice._cont_tags = {tag: name for tag, name in choice._cont_tags.items()
                         if name == "unsecuredData"}
    nested._cont = _replaced(nested._cont, "content", choice)
    payload._cont = _replaced(payload._cont, "data", nested)
    return top


def _replaced(components: ASN1Dict, name: str, obj) -> ASN1Dict:
    # a new ASN1Dict: copy.copy would share the original's storage
    return ASN1Dict([(k, obj if k == name else components[k]) for k in components])


DATA = _non_recursive_data_type()
TBS_DATA = _asn.Ieee1609Dot2.ToBeSignedData
CERTIFICATE = _asn.Ieee1609Dot2.Certificate
TBS_CERTIFICATE = _asn.Ieee1609Dot2.ToBeSignedCertificate

MAX_SECURED_BYTES = 8192  # bounds parse cost of hostile input; a GN frame is < 1500 B

# Duration CHOICE units [us], finest first (a 1609.2 "year" is 31 556 952 s)
DURATION_UNITS_US = (
    ("microseconds", 1),
    ("milliseconds", 1_000),
    ("seconds", 1_000_000),
    ("minutes", 60_000_000),
    ("hours", 3_600_000_000),
    ("sixtyHours", 216_000_000_000),
    ("years", 31_556_952_000_000),
)
_UNIT_US = dict(DURATION_UNITS_US)

# 1609.2 Elevation (Uint16) read as SAE J2735 ElevInt [dm, -4096..61439] + 4096, which is how
# Wireshark's ieee1609dot2 dissector shows it: -409.5..6143.9 m, and 0 (ElevInt -4096) for
# "unknown". The standard's prose ("height above a minimum of -409.5 m") allows this reading.
ELEVATION_OFFSET_DM = 4096
ELEVATION_UNKNOWN = 0


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def hashed_id8(cert_coer: bytes) -> bytes:
    """HashedId8: the last 8 bytes of SHA-256 over the (canonical) COER certificate."""
    return sha256(cert_coer)[-8:]


def signing_digest(tbs_coer: bytes, signer_cert_hash: bytes) -> bytes:
    """The 32 bytes ECDSA signs: SHA-256(SHA-256(tbs) || signer_cert_hash), where
    ``signer_cert_hash`` is SHA-256 of the signer's COER certificate, or SHA-256(b"") for a
    self-signed certificate."""
    return sha256(sha256(tbs_coer) + signer_cert_hash)


SELF_SIGNED_HASH = sha256(b"")


def decode_exact(obj, data: bytes):
    """COER ``data`` -> pycrate value of ``obj``; DecodeError("malformed") on anything that
    is not exactly one valid value (trailing bytes included)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DecodeError("malformed", f"not bytes: {type(data).__name__}")
    if len(data) > MAX_SECURED_BYTES:
        raise DecodeError("malformed", f"{len(data)} bytes > {MAX_SECURED_BYTES}")
    char = Charpy(bytes(data))
    try:
        obj.from_oer(char)
        val = obj.get_val()
    except Exception as exc:  # pycrate raises many types (codec, Charpy, Index, Recursion)
        raise DecodeError("malformed", f"COER: {type(exc).__name__}") from exc
    if char.len_bit():
        raise DecodeError("malformed", f"{char.len_bit() // 8} trailing bytes")
    return val


def encode(obj, val) -> bytes:
    """pycrate value -> COER bytes (canonical)."""
    return obj.to_coer(val)


def time32_from_unix(unix_s: int) -> int:
    """UTC seconds since 1970 -> 1609.2 Time32 (TAI seconds since 2004-01-01)."""
    t = int(unix_s) - ITS_EPOCH_UNIX_S + TAI_MINUS_UTC_SINCE_2004_S
    if not 0 <= t < 1 << 32:
        raise MessageRangeError("start_unix_s", unix_s, "2004-01-01 .. 2140 (Time32)")
    return t


def duration_choice(duration_s: int) -> tuple[str, int]:
    """Seconds -> the finest exact Duration CHOICE (unit, Uint16 count); the wire cannot
    carry anything else, and a validity is never silently shortened or lengthened."""
    us = int(duration_s) * 1_000_000
    if duration_s != int(duration_s) or us <= 0:
        raise MessageRangeError("duration_s", duration_s, "a positive whole number of seconds")
    for unit, unit_us in DURATION_UNITS_US[2:]:
        if us % unit_us == 0 and us // unit_us <= 0xFFFF:
            return unit, us // unit_us
    raise MessageRangeError(
        "duration_s", duration_s, "<= 65535 s, or a whole number of minutes/hours/60 h/years"
        " (1609.2 year = 31556952 s) up to 65535 of them")


def duration_us(choice) -> int:
    unit, count = choice
    return _UNIT_US[unit] * count


def encode_position(lat_deg: float, lon_deg: float, elevation_m: float | None) -> dict:
    """ThreeDLocation: lat/lon [deg] at 1e-7 deg; elevation [m] at 0.1 m, -409.5..6143.9 m
    (None: unknown)."""
    try:
        lat, lon = round(lat_deg * 1e7), round(lon_deg * 1e7)
        dm = 0 if elevation_m is None else round(elevation_m * 10.0)
    except (TypeError, ValueError, OverflowError) as exc:
        raise MessageRangeError("position", (lat_deg, lon_deg, elevation_m), "finite") from exc
    if not -900_000_000 <= lat <= 900_000_000:
        raise MessageRangeError("lat_deg", lat_deg, "-90..90 deg")
    if not -1_799_999_999 <= lon <= 1_800_000_000:
        raise MessageRangeError("lon_deg", lon_deg, "-180 (exclusive)..180 deg")
    if not -4095 <= dm <= 61439:
        raise MessageRangeError("elevation_m", elevation_m, "-409.5..6143.9 m")
    elev = ELEVATION_UNKNOWN if elevation_m is None else dm + ELEVATION_OFFSET_DM
    return {"latitude": lat, "longitude": lon, "elevation": elev}


def decode_position(loc: dict) -> tuple[float | None, float | None, float | None]:
    """ThreeDLocation -> (lat_deg, lon_deg, elevation_m), None where "unavailable"."""
    lat, lon, elev = loc["latitude"], loc["longitude"], loc["elevation"]
    elevation_m = None if elev == ELEVATION_UNKNOWN else (elev - ELEVATION_OFFSET_DM) / 10.0
    return (None if lat == 900_000_001 else lat / 1e7,
            None if lon == 1_800_000_001 else lon / 1e7, elevation_m)


def signature_value(r: int, s: int) -> tuple:
    """(r, s) -> Signature CHOICE: ecdsaNistP256Signature with r as x-only (the canonical
    form 1609.2 hashes certificates in)."""
    return ("ecdsaNistP256Signature",
            {"rSig": ("x-only", r.to_bytes(32, "big")), "sSig": s.to_bytes(32, "big")})


def signature_from_value(sig) -> tuple[int, int]:
    """Signature CHOICE -> (r, s); DecodeError("malformed") for another algorithm or form."""
    kind, body = sig
    if kind != "ecdsaNistP256Signature":
        raise DecodeError("malformed", f"unsupported signature {kind}")
    form, point = body["rSig"]
    if form in ("x-only", "compressed-y-0", "compressed-y-1"):
        r = point
    elif form == "uncompressedP256":
        r = point["x"]
    else:
        raise DecodeError("malformed", f"rSig form {form}")
    return int.from_bytes(r, "big"), int.from_bytes(body["sSig"], "big")


def point_value(parity: int, x: bytes) -> tuple:
    """Compressed public key -> EccP256CurvePoint."""
    return ("compressed-y-1" if parity else "compressed-y-0", x)


def point_to_sec1(point) -> tuple[int, bytes]:
    """EccP256CurvePoint -> (SEC 1 prefix, body); x-only/fill cannot name a public key."""
    form, v = point
    if form == "compressed-y-0":
        return 2, v
    if form == "compressed-y-1":
        return 3, v
    if form == "uncompressedP256":
        return 4, v["x"] + v["y"]
    raise DecodeError("malformed", f"public key form {form}")


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance [m] on the mean Earth sphere (R = 6371008.8 m); plenty for a
    plausibility range check of hundreds of metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(a)))
