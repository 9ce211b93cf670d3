"""Signing ITS messages as IEEE 1609.2 / ETSI TS 103 097 signed data.

Output: COER ``Ieee1609Dot2Data`` (protocolVersion 3) with ``signedData``: hashId sha256,
tbsData { payload.data = unsecuredData(inner bytes), headerInfo { psid, generationTime
(Time64), generationLocation } }, signer = the full certificate (first message and at least
once per ``full_cert_interval_us``, so new neighbours learn it) or its HashedId8 digest,
signature = ecdsaNistP256Signature (r x-only, s).

The bytes are written by :mod:`v2x.security.fastcoer` (byte-identical to pycrate's COER of
the same value, which the tests check) because pycrate's encoder cost several times the
ECDSA signature itself.
"""

from __future__ import annotations

from numbers import Integral

from cryptography.hazmat.primitives.asymmetric import ec

from v2x.errors import MessageRangeError
from v2x.security import fastcoer, p256, wire
from v2x.security.certificates import Certificate


class Signer:
    """Signs with one pseudonym ``certificate`` and its ``private_key``.

    ``full_cert_interval_us`` [us of generation time]: the longest gap between two messages
    carrying the full certificate (TS 103 097 / EN 302 637-2 practice for CAMs: once per
    second, digest otherwise). ``deterministic`` (default): RFC 6979 nonces, so the same
    inputs give the same bytes in a replayed run; False uses OpenSSL's random nonces
    (no faster now that OpenSSL signs deterministically too). ``enforce_permissions``:
    refuse PSIDs the certificate does not list (turn off only to forge test traffic).
    """

    def __init__(self, certificate: Certificate, private_key: ec.EllipticCurvePrivateKey, *,
                 full_cert_interval_us: int = 1_000_000, deterministic: bool = True,
                 enforce_permissions: bool = True):
        pub = private_key.public_key().public_numbers()
        if pub != certificate.public_key.public_numbers():
            raise ValueError("private_key does not match the certificate's verification key")
        if full_cert_interval_us < 0:
            raise ValueError("full_cert_interval_us must be >= 0")
        self.certificate = certificate
        self._key = private_key
        self._d = p256.private_scalar(private_key)
        self.full_cert_interval_us = int(full_cert_interval_us)
        self.deterministic = deterministic
        self.enforce_permissions = enforce_permissions
        self._last_full_us: int | None = None
        self._signer_cert = ("certificate", certificate.coer)
        self._signer_digest = ("digest", certificate.digest)

    def request_full_certificate(self) -> None:
        """Make the next message carry the full certificate (e.g. after a neighbour asked
        for it with a P2PCD request, or when a new neighbour appears)."""
        self._last_full_us = None

    def sign(self, inner: bytes, *, psid: int, generation_time_us: int, lat_deg: float,
             lon_deg: float, elevation_m: float | None = None) -> bytes:
        """Signed COER bytes carrying ``inner``.

        ``psid``: ITS-AID (``v2x.messages.common.ITS_AID``); ``generation_time_us``: 1609.2
        Time64 [TAI us since 2004] (``ItsClock.its_us``); ``lat_deg``/``lon_deg`` [deg,
        WGS-84, 1e-7 on the wire]; ``elevation_m`` [m, 0.1 m on the wire; None = unknown].
        Raises MessageRangeError for a value the wire cannot carry or a PSID the certificate
        does not permit.
        """
        if not isinstance(psid, Integral) or not 0 <= psid < 1 << 32:
            raise MessageRangeError("psid", psid, "0..2^32-1")
        psid = int(psid)
        if self.enforce_permissions and psid not in self.certificate.psids:
            raise MessageRangeError("psid", psid, f"one of {sorted(self.certificate.psids)}")
        t = generation_time_us
        if not isinstance(t, Integral) or not 0 <= t < 1 << 64:
            raise MessageRangeError("generation_time_us", t, "Time64: int 0..2^64-1 us")
        t = int(t)
        if not isinstance(inner, (bytes, bytearray, memoryview)):
            raise MessageRangeError("inner", type(inner).__name__, "bytes")
        loc = wire.encode_position(lat_deg, lon_deg, elevation_m)
        tbs = fastcoer.encode_tbs(bytes(inner), psid, t, loc["latitude"], loc["longitude"],
                                  loc["elevation"])
        digest = wire.signing_digest(tbs, self.certificate.coer_hash)
        if self.deterministic:
            r, s = p256.sign_digest_deterministic(self._key, digest)
        else:
            r, s = p256.sign_digest_random(self._key, digest)
        last = self._last_full_us
        full = last is None or t < last or t - last >= self.full_cert_interval_us
        if full:
            self._last_full_us = t
        return fastcoer.encode_signed(tbs, self._signer_cert if full else self._signer_digest,
                                      r, s)
