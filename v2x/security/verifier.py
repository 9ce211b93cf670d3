"""Verifying IEEE 1609.2 / ETSI TS 103 097 signed data (the receive side of ``Signer``).

Checks, in order, each rejection a :class:`DecodeError` whose ``reason`` is counted in
``Verifier.rejected``:

1. "malformed": not one COER ``Ieee1609Dot2Data`` v3 with signedData / sha256 /
   unsecuredData payload / generationTime / ecdsaNistP256Signature, a signer other than a
   digest or exactly one certificate, a certificate outside the supported profile, or a
   tbsData not in canonical COER.
2. "unknown-certificate": a digest the verifier has not learnt, or a certificate whose
   issuer is not a trust anchor (kav's PKI is one level: root -> pseudonym).
3. "bad-signature": the certificate's signature by its issuer, or the message signature.
   (A carried certificate is checked before the message, so a forged one is never learnt.)
4. "not-permitted": the PSID is not in the certificate's appPermissions (or the issuer may
   not certify the certificate's PSIDs).
5. "expired-certificate": the generation time is outside the validity of the certificate or
   of its issuer.
6. "stale" / "future": generation time older than ``max_age_us`` / ahead of ``now_us`` by
   more than ``max_future_us``; "stale" also for a headerInfo expiryTime in the past.
7. "too-far": with ``max_distance_m`` and a receiver position, the generation location is
   farther than that (or absent).
8. "replayed": same signer + generation time + payload hash already accepted, or older than
   the newest accepted from that signer by more than ``replay_window_us``.

The message signature (3) is checked after 4-5, which need no cryptography, and before
6-8, so those counters only count authentic traffic. Only the signed part (tbsData) must be
byte-canonical; the signer and signature are judged by value (a certificate's digest is
over its canonical encoding, with r x-only, per 1609.2). Certificates and their OpenSSL key
objects are cached by HashedId8 (LRU, bounded); so is the replay state per signer. Not
thread-safe (pycrate's type objects hold decoding state).

Decoding: kav's own shape (what ``Signer`` sends, signed by a digest or by a certificate
already learnt) is read by :func:`v2x.security.fastcoer.parse_signed`, which costs a few us
instead of pycrate's hundreds; anything it does not recognise (a first certificate, other
options, non-canonical or malformed bytes) goes through pycrate as before. The fast reader
accepts only canonical encodings of values pycrate decodes the same way (tested), so both
paths reach the same verdict with the same reason.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass

from v2x.errors import DecodeError
from v2x.security import fastcoer, p256, wire
from v2x.security.certificates import Certificate

REASONS = ("malformed", "unknown-certificate", "bad-signature", "not-permitted",
           "expired-certificate", "stale", "future", "too-far", "replayed")


@dataclass(frozen=True)
class Verified:
    """An accepted message. ``inner``: the signed payload; ``psid``: ITS-AID;
    ``generation_time_us``: Time64 [TAI us since 2004]; ``lat_deg``/``lon_deg`` [deg] and
    ``elevation_m`` [m]: generation location (None when absent/unknown); ``signer_digest``:
    HashedId8 of the signing certificate; ``full_certificate``: the message carried it."""

    inner: bytes
    psid: int
    generation_time_us: int
    lat_deg: float | None
    lon_deg: float | None
    signer_digest: bytes
    elevation_m: float | None = None
    full_certificate: bool = False


class _ReplayState:
    __slots__ = ("newest_us", "seen")

    def __init__(self):
        self.newest_us = -1
        self.seen: dict[tuple[int, bytes], int] = {}


def _reject(reason: str, detail: str = ""):
    raise DecodeError(reason, detail)


class Verifier:
    """Verifies signed data against ``trust_anchors`` (self-signed root Certificates).

    Times are Time64 [TAI us since 2004]: ``max_age_us`` (default 2 s) and
    ``max_future_us`` (default 0.2 s) bound generation time against ``now_us``;
    ``replay_window_us`` (default ``max_age_us``, so nothing fresh escapes it) is how long an
    accepted message is remembered per signer. ``max_distance_m`` [m] (None: off) bounds the
    distance from the receiver to the generation location. ``max_certificates`` and
    ``max_signers`` bound the caches. ``accepted`` counts successes, ``rejected`` (a Counter)
    rejections by reason.
    """

    def __init__(self, trust_anchors=(), *, max_age_us: int = 2_000_000,
                 max_future_us: int = 200_000, max_distance_m: float | None = None,
                 replay_window_us: int | None = None, max_certificates: int = 1024,
                 max_signers: int = 4096):
        self._anchors: dict[bytes, Certificate] = {}
        for root in trust_anchors:
            if not isinstance(root, Certificate) or root.issuer_digest is not None:
                raise ValueError(f"trust anchor {root!r} is not a self-signed Certificate")
            if not root.verify_issued_by(None):
                raise ValueError(f"trust anchor {root!r} has a bad self-signature")
            self._anchors[root.digest] = root
        self.max_age_us = int(max_age_us)
        self.max_future_us = int(max_future_us)
        self.max_distance_m = max_distance_m
        self.replay_window_us = int(max_age_us if replay_window_us is None else replay_window_us)
        self.max_certificates = int(max_certificates)
        self.max_signers = int(max_signers)
        # digest -> (certificate, its issuer); learnt pseudonyms, least recently used first
        self._certs: OrderedDict[bytes, tuple[Certificate, Certificate]] = OrderedDict()
        self._replay: OrderedDict[bytes, _ReplayState] = OrderedDict()
        self.accepted = 0
        self.rejected: Counter = Counter()

    # -- certificates -------------------------------------------------------------------
    def learn(self, certificate: Certificate) -> None:
        """Add a pseudonym certificate received out of band (DecodeError, uncounted, if it
        does not chain to a trust anchor)."""
        self._admit(certificate)

    def knows(self, digest: bytes) -> bool:
        """True when a message signed with this HashedId8 digest can be verified."""
        return digest in self._certs or digest in self._anchors

    def _lookup(self, digest: bytes) -> tuple[Certificate, Certificate]:
        hit = self._certs.get(digest)
        if hit is not None:
            self._certs.move_to_end(digest)
            return hit
        root = self._anchors.get(digest)
        if root is not None:
            return root, root
        return _reject("unknown-certificate", f"digest {digest.hex()}")

    def _admit(self, cert: Certificate) -> tuple[Certificate, Certificate]:
        hit = self._certs.get(cert.digest)
        if hit is not None and hit[0].coer == cert.coer:
            self._certs.move_to_end(cert.digest)
            return hit
        if cert.digest in self._anchors:
            return cert, self._anchors[cert.digest]
        issuer = self._anchors.get(cert.issuer_digest) if cert.issuer_digest else None
        if issuer is None:
            _reject("unknown-certificate", f"issuer of {cert.digest.hex()} is not trusted")
        if not cert.verify_issued_by(issuer):
            _reject("bad-signature", f"certificate {cert.digest.hex()} not signed by issuer")
        if not issuer.can_issue(cert.psids):
            _reject("not-permitted", f"issuer may not certify psids {sorted(cert.psids)}")
        self._certs[cert.digest] = (cert, issuer)
        while len(self._certs) > self.max_certificates:
            self._certs.popitem(last=False)
        return cert, issuer

    def _carried(self, certs) -> tuple[Certificate, Certificate]:
        if len(certs) != 1:  # TS 103 097 §5.2: exactly one certificate
            _reject("malformed", f"{len(certs)} certificates in signer")
        val = certs[0]
        # Canonical COER -> digest first: a known certificate skips parsing and chain checks.
        r, s = wire.signature_from_value(val["signature"])
        coer = wire.encode(wire.CERTIFICATE, dict(val, signature=wire.signature_value(r, s)))
        digest = wire.hashed_id8(coer)
        hit = self._certs.get(digest)
        if hit is not None and hit[0].coer == coer:
            self._certs.move_to_end(digest)
            return hit
        return self._admit(Certificate.from_value(val))

    # -- messages ---------------------------------------------------------------------
    def verify(self, secured: bytes, *, now_us: int, receiver_lat_deg: float | None = None,
               receiver_lon_deg: float | None = None) -> Verified:
        """Verify ``secured`` (COER Ieee1609Dot2Data) at Time64 ``now_us`` [TAI us since
        2004]; receiver position [deg] enables the distance check. Returns :class:`Verified`;
        raises only DecodeError (reasons in the module docstring), counted in ``rejected``."""
        try:
            out = self._verify(secured, int(now_us), receiver_lat_deg, receiver_lon_deg)
        except DecodeError as exc:
            self.rejected[exc.reason] += 1
            raise
        except Exception as exc:  # an input shape nothing above anticipated
            self.rejected["malformed"] += 1
            raise DecodeError("malformed", f"{type(exc).__name__}: {exc}") from exc
        self.accepted += 1
        return out

    def _verify(self, secured, now_us, rx_lat, rx_lon) -> Verified:
        fast = fastcoer.parse_signed(secured)
        if fast is not None:
            if fast.signer_kind == "digest":
                cert, issuer = self._lookup(fast.signer)
            else:
                # Carried certificate bytes are only delimited by the fast reader: trust
                # them only when they are a certificate already admitted (canonical COER,
                # so pycrate's re-encoding in _carried would give these very bytes).
                digest = wire.hashed_id8(fast.signer)
                hit = self._certs.get(digest)
                if hit is None or hit[0].coer != fast.signer:
                    return self._verify_pycrate(secured, now_us, rx_lat, rx_lon)
                self._certs.move_to_end(digest)
                cert, issuer = hit
            self._authorise(cert, issuer, fast.psid, fast.generation_time)
            location = {"latitude": fast.latitude, "longitude": fast.longitude,
                        "elevation": fast.elevation}
            # tbs is the received slice: canonical by construction of the fast reader
            return self._accept(cert, fast.tbs, fast.r, fast.s, fast.psid,
                                fast.generation_time, None, location, fast.inner,
                                fast.signer_kind == "certificate", now_us, rx_lat, rx_lon)
        return self._verify_pycrate(secured, now_us, rx_lat, rx_lon)

    def _authorise(self, cert: Certificate, issuer: Certificate, psid: int, gen: int) -> None:
        if psid not in cert.psids:
            _reject("not-permitted", f"psid {psid} not in {sorted(cert.psids)}")
        if not (cert.valid_at(gen) and issuer.valid_at(gen)):
            _reject("expired-certificate", f"generation time {gen} outside validity")

    def _verify_pycrate(self, secured, now_us, rx_lat, rx_lon) -> Verified:
        val = wire.decode_exact(wire.DATA, secured)
        kind, sd = val["content"]
        if val["protocolVersion"] != wire.PROTOCOL_VERSION or kind != "signedData":
            _reject("malformed", f"v{val['protocolVersion']} {kind}, not v3 signedData")
        if sd["hashId"] != "sha256":
            _reject("malformed", f"hashId {sd['hashId']}")
        tbs = sd["tbsData"]
        data = tbs["payload"].get("data")
        if data is None or "extDataHash" in tbs["payload"]:
            _reject("malformed", "payload is not plain data")
        if data["protocolVersion"] != wire.PROTOCOL_VERSION or data["content"][0] != \
                "unsecuredData":
            _reject("malformed", "payload is not unsecuredData v3")
        hdr = tbs["headerInfo"]
        if "generationTime" not in hdr:
            _reject("malformed", "no generationTime")
        psid, gen = hdr["psid"], hdr["generationTime"]
        r, s = wire.signature_from_value(sd["signature"])
        signer_kind, signer = sd["signer"]
        if signer_kind == "digest":
            cert, issuer = self._lookup(signer)
        elif signer_kind == "certificate":
            cert, issuer = self._carried(signer)
        else:
            _reject("malformed", f"signer {signer_kind}")
        self._authorise(cert, issuer, psid, gen)

        tbs_coer = wire.encode(wire.TBS_DATA, tbs)
        # The signed bytes must be canonical as received (they follow the 3 fixed bytes
        # version 3, signedData tag, sha256): otherwise padding bits or length forms outside
        # the signature would give one signed message many encodings.
        if bytes(secured[3:3 + len(tbs_coer)]) != tbs_coer:
            _reject("malformed", "tbsData is not canonical COER")
        return self._accept(cert, tbs_coer, r, s, psid, gen, hdr.get("expiryTime"),
                            hdr.get("generationLocation"), data["content"][1],
                            signer_kind == "certificate", now_us, rx_lat, rx_lon)

    def _accept(self, cert: Certificate, tbs_coer: bytes, r: int, s: int, psid: int, gen: int,
                expiry: int | None, location: dict | None, inner: bytes, full: bool,
                now_us: int, rx_lat, rx_lon) -> Verified:
        """Checks 3 and 6-8 of the module docstring, common to both decoding paths."""
        digest = wire.signing_digest(tbs_coer, cert.coer_hash)
        if not p256.verify_digest(cert.public_key, digest, r, s):
            _reject("bad-signature", f"message signed by {cert.digest.hex()}")

        if gen < now_us - self.max_age_us:
            _reject("stale", f"generated {now_us - gen} us ago")
        if gen > now_us + self.max_future_us:
            _reject("future", f"generated {gen - now_us} us ahead")
        if expiry is not None and expiry < now_us:
            _reject("stale", "expiryTime passed")
        lat = lon = elev = None
        if location is not None:
            lat, lon, elev = wire.decode_position(location)
        if self.max_distance_m is not None and rx_lat is not None and rx_lon is not None:
            if lat is None or lon is None:
                _reject("too-far", "no generation location to check")
            dist = wire.haversine_m(lat, lon, rx_lat, rx_lon)
            if dist > self.max_distance_m:
                _reject("too-far", f"{dist:.0f} m > {self.max_distance_m} m")
        self._check_replay(cert.digest, gen, wire.sha256(inner))
        return Verified(inner=inner, psid=psid, generation_time_us=gen, lat_deg=lat,
                        lon_deg=lon, signer_digest=cert.digest, elevation_m=elev,
                        full_certificate=full)

    def _check_replay(self, signer: bytes, gen: int, payload_hash: bytes) -> None:
        st = self._replay.get(signer)
        if st is None:
            st = self._replay[signer] = _ReplayState()
            while len(self._replay) > self.max_signers:
                self._replay.popitem(last=False)
        else:
            self._replay.move_to_end(signer)
        if gen < st.newest_us - self.replay_window_us:
            _reject("replayed", f"{st.newest_us - gen} us older than the newest from signer")
        key = (gen, payload_hash)
        if key in st.seen:
            _reject("replayed", "identical message already accepted")
        st.seen[key] = gen
        if gen > st.newest_us:
            st.newest_us = gen
            horizon = gen - self.replay_window_us
            for k in [k for k, t in st.seen.items() if t < horizon]:
                del st.seen[k]
