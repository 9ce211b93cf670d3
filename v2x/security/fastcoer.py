"""Hand-written COER for the one signed-data shape kav's :class:`~v2x.security.Signer` emits.

Why: pycrate's generic COER codec costs ~70-260 us per encode or decode (2-3 of them per
signed or verified message), several times the ECDSA itself, and a simulated run signs and
verifies thousands of messages; this module does the same in ~2 us. The shape kav sends
is fixed, so its bytes can be written and read directly. pycrate stays the reference:
:func:`encode_tbs`/:func:`encode_signed` are tested byte-identical to it, and
:func:`parse_signed` only *recognises* this shape (anything else, including every
non-canonical variant, returns None so the caller falls back to pycrate, which keeps
deciding what is malformed and why).

The shape, with the COER bytes each part produces (IEEE 1609.2-2016 / TS 103 097 ASN.1)::

    Ieee1609Dot2Data  03 (protocolVersion Uint8 3)
      content         81 (CHOICE [1] signedData)
      SignedData      (no preamble: no OPTIONAL, not extensible)
        hashId        00 (ENUMERATED sha256, root value 0)
        tbsData       ToBeSignedData (no preamble)                       <- signed bytes
          payload     40 (preamble: extension bit 0, data present, extDataHash absent)
            data      03 80 L.. payload (v3, CHOICE [0] unsecuredData, OCTET STRING)
          headerInfo  50 (preamble: ext 0, generationTime 1, expiryTime 0,
                          generationLocation 1, p2pcd/missingCrl/encryptionKey 0)
            psid      n v.. (INTEGER (0..MAX): length octet, minimal unsigned octets)
            generationTime  8 octets (Time64 = Uint64)
            generationLocation  lat 4, lon 4 (two's complement: the ranges are
                                -900000000..900000001 / -1799999999..1800000001), elev 2
        signer        80 + HashedId8 | 81 01 01 + the certificate's COER (SEQUENCE OF,
                      quantity as length-prefixed unsigned integer 1)
        signature     80 80 r(32) s(32) (ecdsaNistP256Signature, rSig x-only, sSig)

L is a COER length determinant: one octet below 128, else 0x80|k and k minimal octets.
"""

from __future__ import annotations

from typing import NamedTuple

_HEAD = b"\x03\x81\x00"  # v3, signedData, sha256: what precedes the signed tbsData
_PAYLOAD_HEAD = b"\x40\x03\x80"  # SignedDataPayload{data}, v3, unsecuredData
_HEADER_INFO_PREAMBLE = 0x50  # generationTime + generationLocation, nothing else
_SIGNER_DIGEST = 0x80
_SIGNER_ONE_CERTIFICATE = b"\x81\x01\x01"
_SIGNATURE_HEAD = b"\x80\x80"  # ecdsaNistP256Signature, rSig x-only
_SIGNATURE_LEN = 2 + 32 + 32

LAT_RANGE = (-900_000_000, 900_000_001)
LON_RANGE = (-1_799_999_999, 1_800_000_001)

# Smallest message: 3 head + 3 payload head + 1 length + 0 payload + 1 preamble + 2 psid
# + 8 time + 10 location + 9 digest signer + 66 signature.
_MIN_LEN = 3 + 3 + 1 + 1 + 2 + 8 + 10 + 9 + _SIGNATURE_LEN
_MAX_LEN = 8192  # the same bound wire.MAX_SECURED_BYTES puts on pycrate's input


class SignedFields(NamedTuple):
    """What :func:`parse_signed` reads. ``tbs``: the ToBeSignedData COER exactly as
    received (what the signature covers); ``latitude``/``longitude``/``elevation``: raw
    ThreeDLocation integers (see ``wire.decode_position``); ``signer_kind``: "digest"
    (``signer`` = HashedId8) or "certificate" (``signer`` = the carried certificate's bytes,
    delimited but NOT parsed: see :func:`parse_signed`); ``r``/``s``: the signature."""

    tbs: bytes
    inner: bytes
    psid: int
    generation_time: int
    latitude: int
    longitude: int
    elevation: int
    signer_kind: str
    signer: bytes
    r: int
    s: int


def _length(n: int) -> bytes:
    """COER length determinant (X.696 §8.6): short form below 128, else long form with
    the minimal number of octets."""
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def encode_tbs(inner: bytes, psid: int, generation_time: int, latitude: int, longitude: int,
               elevation: int) -> bytes:
    """ToBeSignedData COER (the bytes the signature covers) for unsecuredData ``inner``
    and headerInfo {psid, generationTime, generationLocation}. Arguments are wire values,
    already range-checked by the caller (``Signer.sign`` via ``wire.encode_position``):
    psid 0..2^32-1, Time64, lat/lon in their ranges (1e-7 deg), elevation Uint16."""
    psid_body = psid.to_bytes(max(1, (psid.bit_length() + 7) // 8), "big")
    return b"".join((
        _PAYLOAD_HEAD, _length(len(inner)), inner,
        bytes((_HEADER_INFO_PREAMBLE, len(psid_body))), psid_body,
        generation_time.to_bytes(8, "big"),
        latitude.to_bytes(4, "big", signed=True), longitude.to_bytes(4, "big", signed=True),
        elevation.to_bytes(2, "big"),
    ))


def encode_signed(tbs: bytes, signer: tuple[str, bytes], r: int, s: int) -> bytes:
    """Ieee1609Dot2Data COER around ``tbs`` (from :func:`encode_tbs`). ``signer``:
    ("digest", HashedId8) or ("certificate", the certificate's canonical COER, which is what
    pycrate writes for its value: ``Certificate.coer``)."""
    kind, body = signer
    if kind == "digest":
        if len(body) != 8:
            raise ValueError("HashedId8 must be 8 bytes")
        signer_bytes = bytes((_SIGNER_DIGEST,)) + body
    elif kind == "certificate":
        signer_bytes = _SIGNER_ONE_CERTIFICATE + body
    else:
        raise ValueError(f"signer kind {kind!r}")
    return b"".join((_HEAD, tbs, signer_bytes, _SIGNATURE_HEAD, r.to_bytes(32, "big"),
                     s.to_bytes(32, "big")))


def parse_signed(data) -> SignedFields | None:
    """Read a message of exactly the shape in the module docstring, in canonical COER;
    None for anything else (never raises), so the caller decodes it with pycrate instead.

    Strict: every byte is consumed, every length is in bounds and minimal, every preamble
    and tag is the one kav writes, integers are in their ASN.1 ranges, so ``tbs`` is
    canonical COER (re-encoding the fields gives the same bytes). The one thing not parsed
    is a carried certificate: its bytes are what lies between the signer tag and the
    fixed-size signature. A caller must therefore trust them only when they equal a
    certificate it has already parsed and checked (``Certificate.coer``), and otherwise
    fall back to the full decode.
    """
    if type(data) is not bytes:
        if not isinstance(data, (bytearray, memoryview)):
            return None
        data = bytes(data)
    n = len(data)
    if n < _MIN_LEN or n > _MAX_LEN or data[:6] != b"\x03\x81\x00\x40\x03\x80":
        return None
    i = 6
    size = data[i]
    if size < 0x80:
        i += 1
    else:
        k = size & 0x7F
        if not 1 <= k <= 2 or data[i + 1] == 0:  # k <= 2: lengths < 65536 > _MAX_LEN
            return None
        size = int.from_bytes(data[i + 1:i + 1 + k], "big")
        if size < 0x80:  # must have used the short form
            return None
        i += 1 + k
    inner = data[i:i + size]
    i += size
    # headerInfo: preamble, psid length (1..4 octets, 2^32 > any kav PSID), psid, then 18
    if i + 2 > n or data[i] != _HEADER_INFO_PREAMBLE:
        return None
    k = data[i + 1]
    if not 1 <= k <= 4 or i + 2 + k + 18 > n:
        return None
    i += 2
    if k > 1 and data[i] == 0:  # not minimal
        return None
    psid = int.from_bytes(data[i:i + k], "big")
    i += k
    generation_time = int.from_bytes(data[i:i + 8], "big")
    latitude = int.from_bytes(data[i + 8:i + 12], "big", signed=True)
    longitude = int.from_bytes(data[i + 12:i + 16], "big", signed=True)
    elevation = int.from_bytes(data[i + 16:i + 18], "big")
    if not (LAT_RANGE[0] <= latitude <= LAT_RANGE[1]
            and LON_RANGE[0] <= longitude <= LON_RANGE[1]):
        return None
    i += 18
    tbs = data[3:i]
    sig_at = n - _SIGNATURE_LEN
    if data[sig_at:sig_at + 2] != _SIGNATURE_HEAD:
        return None
    if i + 9 == sig_at and data[i] == _SIGNER_DIGEST:
        signer_kind, signer = "digest", data[i + 1:sig_at]
    elif data[i:i + 3] == _SIGNER_ONE_CERTIFICATE and i + 3 < sig_at:
        signer_kind, signer = "certificate", data[i + 3:sig_at]
    else:
        return None
    return SignedFields(tbs, inner, psid, generation_time, latitude, longitude, elevation,
                        signer_kind, signer, int.from_bytes(data[sig_at + 2:sig_at + 34], "big"),
                        int.from_bytes(data[sig_at + 34:], "big"))
