"""Explicit ETSI TS 103 097 certificates and the testbed's certificate authority.

Profile (TS 103 097 v1.3.1+ §6, IEEE 1609.2 §6.4): ``version`` 3, ``type`` explicit, issuer
``self`` (sha256) for the root or ``sha256AndDigest`` (HashedId8 of the issuer) otherwise,
``toBeSigned`` with id ``name`` (root) or ``none`` (pseudonym), cracaId 000000, crlSeries 0,
a validity period (Time32 start [TAI s since 2004], Duration), ``appPermissions`` listing
the PSIDs (ITS-AIDs) the holder may sign, ``certIssuePermissions`` (root: any PSID), and an
ECDSA NIST P-256 verification key as a compressed point. Signed by the issuer.

Keys are derived from a seed so that a replayed run is bit-identical (see ``p256``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from v2x.clock import ITS_EPOCH_UNIX_S
from v2x.errors import DecodeError, MessageRangeError
from v2x.security import p256, wire

ROOT_NAME = "kav-testbed-root"
_CENTURY_S = 100 * 31_556_952  # exactly 100 1609.2 years


@dataclass(frozen=True, eq=False, repr=False)
class Certificate:
    """A parsed explicit certificate.

    ``coer``: canonical COER bytes; ``digest``: HashedId8 [8 bytes]; ``issuer_digest``:
    HashedId8 of the issuer, None when self-signed; ``valid_from_us``/``valid_until_us``:
    validity as 1609.2 Time64 [TAI us since 2004] (start inclusive, end exclusive);
    ``psids``: PSIDs the holder may sign; ``issue_psids``: PSIDs it may certify (None = any,
    empty = not a CA); ``public_key``: P-256 verification key; ``tbs_coer``: COER
    ToBeSignedCertificate (what the issuer signed); ``signature``: (r, s);
    ``coer_hash``: SHA-256 of ``coer`` (the signer input of signatures it makes);
    ``value``: the pycrate value (to embed it in signed data).
    """

    coer: bytes
    digest: bytes
    coer_hash: bytes
    name: str | None
    issuer_digest: bytes | None
    valid_from_us: int
    valid_until_us: int
    psids: frozenset
    issue_psids: frozenset | None
    public_key: ec.EllipticCurvePublicKey
    tbs_coer: bytes
    signature: tuple
    value: dict

    @classmethod
    def from_coer(cls, data: bytes) -> Certificate:
        """Parse COER bytes; DecodeError("malformed") for garbage or an unsupported
        profile (implicit certificates, other curves, trailing bytes)."""
        return cls.from_value(wire.decode_exact(wire.CERTIFICATE, data))

    @classmethod
    def from_value(cls, val: dict) -> Certificate:
        """Build from a decoded pycrate value (e.g. one carried in signed data)."""
        try:
            return cls._from_value(val)
        except DecodeError:
            raise
        except Exception as exc:  # a value of unexpected shape
            raise DecodeError("malformed", f"certificate: {type(exc).__name__}") from exc

    @classmethod
    def _from_value(cls, val: dict) -> Certificate:
        if val["version"] != wire.PROTOCOL_VERSION or val["type"] != "explicit":
            raise DecodeError("malformed", f"certificate v{val['version']} {val['type']}")
        kind, issuer = val["issuer"]
        if kind == "self" and issuer == "sha256":
            issuer_digest = None
        elif kind == "sha256AndDigest":
            issuer_digest = issuer
        else:
            raise DecodeError("malformed", f"unsupported issuer {kind}")
        tbs = val["toBeSigned"]
        id_kind, id_val = tbs["id"]
        vp = tbs["validityPeriod"]
        start_us = vp["start"] * 1_000_000
        psids = frozenset(p["psid"] for p in tbs.get("appPermissions", ()))
        issue = set()  # no certIssuePermissions: an end entity, cannot certify anything
        if "certIssuePermissions" in tbs:
            for group in tbs["certIssuePermissions"]:
                sub_kind, sub = group["subjectPermissions"]
                if sub_kind == "all":
                    issue = None
                    break
                issue.update(p["psid"] for p in sub)
        key_kind, key = tbs["verifyKeyIndicator"]
        if key_kind != "verificationKey" or key[0] != "ecdsaNistP256":
            raise DecodeError("malformed", f"unsupported key {key_kind}/{key[0]}")
        try:
            public_key = p256.public_key_from_point(*wire.point_to_sec1(key[1]))
        except ValueError as exc:
            raise DecodeError("malformed", "verification key not on P-256") from exc
        r, s = wire.signature_from_value(val["signature"])
        # 1609.2 hashes a certificate with its signature's r in x-only form (canonical)
        canon = dict(val, signature=wire.signature_value(r, s))
        coer = wire.encode(wire.CERTIFICATE, canon)
        coer_hash = wire.sha256(coer)
        return cls(
            coer=coer, digest=coer_hash[-8:], coer_hash=coer_hash,
            name=id_val if id_kind == "name" else None, issuer_digest=issuer_digest,
            valid_from_us=start_us, valid_until_us=start_us + wire.duration_us(vp["duration"]),
            psids=psids, issue_psids=None if issue is None else frozenset(issue),
            public_key=public_key, tbs_coer=wire.encode(wire.TBS_CERTIFICATE, tbs),
            signature=(r, s), value=canon,
        )

    @property
    def is_ca(self) -> bool:
        return self.issue_psids is None or bool(self.issue_psids)

    def can_issue(self, psids) -> bool:
        """True when this certificate may certify every PSID in ``psids``."""
        return self.issue_psids is None or set(psids) <= self.issue_psids

    def valid_at(self, time_us: int) -> bool:
        """True when Time64 ``time_us`` [us] lies in the validity period."""
        return self.valid_from_us <= time_us < self.valid_until_us

    def verify_issued_by(self, issuer: Certificate | None = None) -> bool:
        """Check this certificate's signature by ``issuer`` (None: self-signed)."""
        key = self.public_key if issuer is None else issuer.public_key
        signer_hash = wire.SELF_SIGNED_HASH if issuer is None else issuer.coer_hash
        return p256.verify_digest(key, wire.signing_digest(self.tbs_coer, signer_hash),
                                  *self.signature)

    def __eq__(self, other) -> bool:
        return isinstance(other, Certificate) and other.coer == self.coer

    def __hash__(self) -> int:
        return hash(self.coer)

    def __repr__(self) -> str:
        kind = f"name={self.name!r}" if self.name else "pseudonym"
        return (f"Certificate({kind}, digest={self.digest.hex()}, psids={sorted(self.psids)},"
                f" valid_us=[{self.valid_from_us}, {self.valid_until_us}))")


def _tbs_value(*, id_choice, start_unix_s: int, duration_s: int, public_key,
               psids=(), issue_all: bool = False) -> dict:
    parity, x = p256.compressed_point(public_key)
    tbs = {
        "id": id_choice,
        "cracaId": b"\x00\x00\x00",
        "crlSeries": 0,
        "validityPeriod": {"start": wire.time32_from_unix(start_unix_s),
                           "duration": wire.duration_choice(duration_s)},
    }
    if psids:
        tbs["appPermissions"] = [{"psid": p} for p in psids]
    if issue_all:
        # minChainLength/chainLengthRange/eeType left at their DEFAULTs (COER omits them)
        tbs["certIssuePermissions"] = [{"subjectPermissions": ("all", 0)}]
    tbs["verifyKeyIndicator"] = ("verificationKey", ("ecdsaNistP256", wire.point_value(parity, x)))
    return tbs


def _check_psids(psids) -> tuple[int, ...]:
    out = tuple(sorted(set(psids)))
    if not out:
        raise MessageRangeError("psids", psids, "at least one PSID")
    for p in out:
        if not isinstance(p, int) or not 0 <= p < 1 << 32:
            raise MessageRangeError("psids", p, "integers 0..2^32-1")
    return out


class TestbedCA:
    """A self-signed root CA that issues pseudonym (authorization ticket) certificates.

    ``seed`` [bytes] makes the root key, every derived pseudonym key and every signature
    reproducible; None draws a random seed. ``key`` overrides the root key (P-256 private
    key). ``start_unix_s``/``duration_s``: root validity [UTC s since 1970 / s].
    """

    __test__ = False  # not a pytest test class despite its name

    def __init__(self, seed: bytes | None = None, *, key: ec.EllipticCurvePrivateKey | None = None,
                 name: str = ROOT_NAME, start_unix_s: int = ITS_EPOCH_UNIX_S,
                 duration_s: int = _CENTURY_S):
        self._seed = os.urandom(32) if seed is None else bytes(seed)
        self._key = key if key is not None else p256.private_key(
            p256.derive_scalar(self._seed, b"kav root ca"))
        _check_key(self._key)
        self._issued = 0
        tbs = _tbs_value(id_choice=("name", name), start_unix_s=start_unix_s,
                         duration_s=duration_s, public_key=self._key.public_key(),
                         issue_all=True)
        self.certificate = self._signed(tbs, issuer=("self", "sha256"),
                                        signer_hash=wire.SELF_SIGNED_HASH)

    def issue_pseudonym(self, *, psids, start_unix_s: int, duration_s: int,
                        key: ec.EllipticCurvePrivateKey | None = None
                        ) -> tuple[Certificate, ec.EllipticCurvePrivateKey]:
        """A pseudonym certificate for ``psids`` valid from ``start_unix_s`` [UTC s] for
        ``duration_s`` [s], and its private key (derived from the CA seed and an issue
        counter unless ``key`` is given)."""
        index = self._issued
        self._issued += 1
        if key is None:
            key = p256.private_key(p256.derive_scalar(
                self._seed, b"kav pseudonym" + index.to_bytes(8, "big")))
        _check_key(key)
        tbs = _tbs_value(id_choice=("none", 0), start_unix_s=start_unix_s,
                         duration_s=duration_s, public_key=key.public_key(),
                         psids=_check_psids(psids))
        cert = self._signed(tbs, issuer=("sha256AndDigest", self.certificate.digest),
                            signer_hash=self.certificate.coer_hash)
        return cert, key

    def _signed(self, tbs: dict, *, issuer, signer_hash: bytes) -> Certificate:
        digest = wire.signing_digest(wire.encode(wire.TBS_CERTIFICATE, tbs), signer_hash)
        r, s = p256.sign_digest(p256.private_scalar(self._key), digest)
        val = {"version": wire.PROTOCOL_VERSION, "type": "explicit", "issuer": issuer,
               "toBeSigned": tbs, "signature": wire.signature_value(r, s)}
        return Certificate.from_coer(wire.encode(wire.CERTIFICATE, val))


def _check_key(key) -> None:
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("keys must be cryptography EllipticCurvePrivateKey on P-256")
