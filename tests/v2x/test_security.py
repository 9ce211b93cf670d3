"""IEEE 1609.2 / ETSI TS 103 097 security: certificates, signing, verification, wire format."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import shutil
import signal
import subprocess

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from hypothesis import given, settings
from hypothesis import strategies as st
from pycrate_asn1dir import ITS_IEEE1609_2

from v2x.clock import ItsClock
from v2x.errors import DecodeError, MessageRangeError
from v2x.messages.common import BTP_PORT, ITS_AID, MessageId
from v2x.security import REASONS, Certificate, Signer, TestbedCA, Verifier, p256, wire

CAM_PSID = ITS_AID[MessageId.CAM]
DENM_PSID = ITS_AID[MessageId.DENM]
CERT_START_UNIX_S = 1_700_000_000
CLOCK = ItsClock((CERT_START_UNIX_S + 3600) * 1_000_000)  # the run starts 1 h into validity
T0 = CLOCK.its_us(0)
LAT, LON = 37.5665, 126.9780
INNER = bytes(range(60))


@pytest.fixture(scope="module")
def ca():
    return TestbedCA(b"kav-test-seed")


@pytest.fixture(scope="module")
def pseudonym(ca):
    return ca.issue_pseudonym(psids=[CAM_PSID], start_unix_s=CERT_START_UNIX_S,
                              duration_s=86_400)


def _sign(signer: Signer, t_us: int = 0, inner: bytes = INNER, psid: int = CAM_PSID) -> bytes:
    return signer.sign(inner, psid=psid, generation_time_us=CLOCK.its_us(t_us), lat_deg=LAT,
                       lon_deg=LON)


def _reject(verifier: Verifier, data: bytes, now_t_us: int = 0, **kw) -> str:
    with pytest.raises(DecodeError) as exc_info:
        verifier.verify(data, now_us=CLOCK.its_us(now_t_us), **kw)
    return exc_info.value.reason


def _decode(obj, data: bytes) -> dict:
    """Decode with pycrate alone (independent of the verifier)."""
    obj.from_coer(data)
    return obj.get_val()


def _flip(data: bytes, index: int, mask: int = 0x01) -> bytes:
    out = bytearray(data)
    out[index] ^= mask
    return bytes(out)


# -- P-256 / RFC 6979 ---------------------------------------------------------------------
RFC6979_X = 0xC9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721


def test_rfc6979_p256_sha256_sample_vector():
    """RFC 6979 A.2.5: P-256, SHA-256, message "sample"."""
    digest = hashlib.sha256(b"sample").digest()
    assert next(p256.rfc6979_nonces(RFC6979_X, digest)) == \
        0xA6E3C57DD01ABE90086538398355DD4C3B17AA873382B0F24D6129493D8AAD60
    assert p256.sign_digest(RFC6979_X, digest) == (
        0xEFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716,
        0xF7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8)
    assert p256.base_mult(RFC6979_X) == (
        0x60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6,
        0x7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299)
    # the "test" message too, and both verify with OpenSSL
    digest2 = hashlib.sha256(b"test").digest()
    r, s = p256.sign_digest(RFC6979_X, digest2)
    assert r == 0xF1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367
    pub = p256.private_key(RFC6979_X).public_key()
    pub.verify(utils.encode_dss_signature(r, s), b"test", ec.ECDSA(hashes.SHA256()))


def test_scalar_multiplication_matches_openssl():
    assert p256.scalar_mult(p256.N, p256.GX, p256.GY) is None  # n * G = infinity
    for k in (1, 2, 3, 15, 16, 17, p256.N - 1, 0xDEADBEEF << 200, p256.derive_scalar(b"x", b"")):
        nums = p256.private_key(k).public_key().public_numbers()
        assert p256.base_mult(k) == p256.scalar_mult(k, p256.GX, p256.GY) == (nums.x, nums.y)


def test_derived_keys_are_reproducible_and_in_range():
    a = p256.derive_scalar(b"seed", b"label")
    assert a == p256.derive_scalar(b"seed", b"label")
    assert a != p256.derive_scalar(b"seed", b"label2")
    assert 1 <= a < p256.N


# -- certificates -------------------------------------------------------------------------
def test_same_seed_gives_bit_identical_pki(ca, pseudonym):
    ca2 = TestbedCA(b"kav-test-seed")
    cert2, key2 = ca2.issue_pseudonym(psids=[CAM_PSID], start_unix_s=CERT_START_UNIX_S,
                                      duration_s=86_400)
    assert ca2.certificate.coer == ca.certificate.coer
    assert cert2.coer == pseudonym[0].coer
    assert p256.private_scalar(key2) == p256.private_scalar(pseudonym[1])
    assert TestbedCA(b"other").certificate.coer != ca.certificate.coer


def test_certificate_profile_and_digest(ca, pseudonym):
    cert, _ = pseudonym
    root = ca.certificate
    assert cert.digest == hashlib.sha256(cert.coer).digest()[-8:]
    assert Certificate.from_coer(cert.coer) == cert
    assert root.verify_issued_by(None) and cert.verify_issued_by(root)
    assert not cert.verify_issued_by(TestbedCA(b"other").certificate)
    assert cert.psids == {CAM_PSID} and not cert.is_ca and root.is_ca and not root.psids
    assert cert.valid_from_us == wire.time32_from_unix(CERT_START_UNIX_S) * 1_000_000
    assert cert.valid_until_us - cert.valid_from_us == 86_400_000_000
    # the wire, decoded independently by pycrate
    val = _decode(wire.CERTIFICATE, cert.coer)
    tbs = val["toBeSigned"]
    assert (val["version"], val["type"]) == (3, "explicit")
    assert val["issuer"] == ("sha256AndDigest", root.digest)
    assert tbs["id"][0] == "none" and tbs["cracaId"] == b"\0\0\0" and tbs["crlSeries"] == 0
    assert tbs["validityPeriod"]["duration"] == ("minutes", 1440)
    assert [p["psid"] for p in tbs["appPermissions"]] == [CAM_PSID]
    assert tbs["verifyKeyIndicator"][1][0] == "ecdsaNistP256"
    assert tbs["verifyKeyIndicator"][1][1][0] in ("compressed-y-0", "compressed-y-1")
    assert val["signature"][1]["rSig"][0] == "x-only"
    rval = _decode(wire.CERTIFICATE, root.coer)
    assert rval["issuer"] == ("self", "sha256")
    assert rval["toBeSigned"]["id"] == ("name", "kav-testbed-root")


@pytest.mark.parametrize("data", [b"", b"\x80", b"\x80\x03\x00" * 20, bytes(200)])
def test_certificate_from_garbage_is_malformed(data):
    with pytest.raises(DecodeError) as exc_info:
        Certificate.from_coer(data)
    assert exc_info.value.reason == "malformed"


def test_certificate_trailing_bytes_are_malformed(pseudonym):
    with pytest.raises(DecodeError, match="trailing"):
        Certificate.from_coer(pseudonym[0].coer + b"\0")


def test_durations_are_exact_or_refused(ca):
    assert wire.duration_choice(65_535) == ("seconds", 65_535)
    assert wire.duration_choice(7 * 86_400) == ("minutes", 10_080)
    assert wire.duration_choice(100 * 86_400) == ("hours", 2400)
    assert wire.duration_choice(3 * 31_556_952) == ("years", 3)
    for bad in (0, -5, 65_537, 1.5):
        with pytest.raises(MessageRangeError):
            wire.duration_choice(bad)
    with pytest.raises(MessageRangeError):
        ca.issue_pseudonym(psids=[], start_unix_s=CERT_START_UNIX_S, duration_s=60)


# -- signing ------------------------------------------------------------------------------
def test_round_trip_and_full_certificate_schedule(ca, pseudonym):
    signer = Signer(*pseudonym, full_cert_interval_us=1_000_000)
    verifier = Verifier((ca.certificate,))
    fulls = []
    for i in range(25):  # 10 Hz for 2.4 s
        t = i * 100_000
        out = verifier.verify(_sign(signer, t), now_us=CLOCK.its_us(t + 2_000))
        assert out.inner == INNER and out.psid == CAM_PSID
        assert out.generation_time_us == CLOCK.its_us(t)
        assert out.lat_deg == pytest.approx(LAT, abs=1e-7)
        assert out.lon_deg == pytest.approx(LON, abs=1e-7)
        assert out.signer_digest == pseudonym[0].digest and out.elevation_m is None
        fulls.append(out.full_certificate)
    assert [i for i, f in enumerate(fulls) if f] == [0, 10, 20]
    assert verifier.accepted == 25 and not verifier.rejected
    signer.request_full_certificate()
    assert verifier.verify(_sign(signer, 2_500_000), now_us=CLOCK.its_us(2_500_000)
                           ).full_certificate


def test_signed_wire_structure(pseudonym):
    signer = Signer(*pseudonym)
    full, digest_only = _sign(signer, 0), _sign(signer, 100_000)
    for data, signer_kind in ((full, "certificate"), (digest_only, "digest")):
        val = _decode(wire.DATA, data)
        assert val["protocolVersion"] == 3 and val["content"][0] == "signedData"
        sd = val["content"][1]
        assert sd["hashId"] == "sha256"
        assert sd["tbsData"]["payload"]["data"] == {
            "protocolVersion": 3, "content": ("unsecuredData", INNER)}
        hdr = sd["tbsData"]["headerInfo"]
        assert hdr["psid"] == CAM_PSID and hdr["generationLocation"]["latitude"] == 375665000
        assert sd["signer"][0] == signer_kind
        assert sd["signature"][0] == "ecdsaNistP256Signature"
        assert sd["signature"][1]["rSig"][0] == "x-only"
    assert _decode(wire.DATA, digest_only)["content"][1]["signer"][1] == pseudonym[0].digest


def test_deterministic_signing_is_identical_and_openssl_verifies(pseudonym):
    cert, key = pseudonym
    a = _sign(Signer(cert, key), 0)
    b = _sign(Signer(cert, key), 0)
    assert a == b
    assert _sign(Signer(cert, key, deterministic=False), 0) != a  # random nonce
    # Verify with cryptography directly, hashing per IEEE 1609.2 by hand.
    sd = _decode(wire.DATA, a)["content"][1]
    tbs_coer = wire.TBS_DATA.to_coer(sd["tbsData"])
    e = hashlib.sha256(hashlib.sha256(tbs_coer).digest()
                       + hashlib.sha256(cert.coer).digest()).digest()
    r = int.from_bytes(sd["signature"][1]["rSig"][1], "big")
    s = int.from_bytes(sd["signature"][1]["sSig"], "big")
    cert.public_key.verify(utils.encode_dss_signature(r, s), e,
                           ec.ECDSA(utils.Prehashed(hashes.SHA256())))


def test_sign_refuses_what_the_wire_cannot_carry(pseudonym):
    signer = Signer(*pseudonym)
    bad = [dict(psid=DENM_PSID), dict(psid=-1), dict(lat_deg=91.0), dict(lon_deg=float("nan")),
           dict(generation_time_us=-1), dict(elevation_m=7000.0)]
    for kw in bad:
        args = dict(psid=CAM_PSID, generation_time_us=T0, lat_deg=LAT, lon_deg=LON) | kw
        with pytest.raises(MessageRangeError):
            signer.sign(INNER, **args)
    with pytest.raises(ValueError):
        Signer(pseudonym[0], p256.private_key(12345))


def test_elevation_round_trip(ca, pseudonym):
    verifier = Verifier((ca.certificate,))
    data = Signer(*pseudonym).sign(INNER, psid=CAM_PSID, generation_time_us=T0, lat_deg=LAT,
                                   lon_deg=LON, elevation_m=-12.3)
    assert verifier.verify(data, now_us=T0).elevation_m == pytest.approx(-12.3)


# -- verification -------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["s", "r", "payload", "generation-time"])
def test_forgeries_are_bad_signatures(ca, pseudonym, where):
    data = _sign(Signer(*pseudonym), 0)
    index = {"s": len(data) - 1, "r": len(data) - 33,
             "payload": data.index(INNER) + 30,
             "generation-time": data.index(T0.to_bytes(8, "big")) + 7}[where]
    verifier = Verifier((ca.certificate,))
    assert _reject(verifier, _flip(data, index)) == "bad-signature"
    assert verifier.rejected == {"bad-signature": 1} and verifier.accepted == 0
    assert verifier.verify(data, now_us=T0).inner == INNER


def test_forged_certificate_is_rejected_and_not_learnt(ca, pseudonym):
    signer = Signer(*pseudonym)
    full = _sign(signer, 0)
    # flip the last byte of the carried certificate: its issuer's sSig
    cert_at = full.index(pseudonym[0].coer)
    forged = _flip(full, cert_at + len(pseudonym[0].coer) - 1)
    verifier = Verifier((ca.certificate,))
    assert _reject(verifier, forged) == "bad-signature"
    assert not verifier.knows(pseudonym[0].digest)
    assert _reject(verifier, _sign(signer, 100_000), 100_000) == "unknown-certificate"


def test_certificate_from_another_ca_is_unknown(ca):
    other = TestbedCA(b"rogue")
    cert, key = other.issue_pseudonym(psids=[CAM_PSID], start_unix_s=CERT_START_UNIX_S,
                                      duration_s=86_400)
    verifier = Verifier((ca.certificate,))
    assert _reject(verifier, _sign(Signer(cert, key), 0)) == "unknown-certificate"
    with pytest.raises(ValueError):
        Verifier((cert,))  # a pseudonym is no trust anchor


def test_digest_before_and_after_full_certificate(ca, pseudonym):
    signer = Signer(*pseudonym)
    full, d1, d2 = _sign(signer, 0), _sign(signer, 100_000), _sign(signer, 200_000)
    verifier = Verifier((ca.certificate,))
    assert _reject(verifier, d1, 100_000) == "unknown-certificate"
    assert verifier.verify(full, now_us=CLOCK.its_us(150_000)).full_certificate
    assert verifier.verify(d1, now_us=CLOCK.its_us(150_000)).inner == INNER
    assert verifier.verify(d2, now_us=CLOCK.its_us(200_000)).inner == INNER
    assert verifier.accepted == 3 and verifier.rejected == {"unknown-certificate": 1}


def test_certificate_cache_is_bounded(ca):
    verifier = Verifier((ca.certificate,), max_certificates=2)
    signers = [Signer(*ca.issue_pseudonym(psids=[CAM_PSID], start_unix_s=CERT_START_UNIX_S,
                                          duration_s=86_400)) for _ in range(3)]
    for sg in signers:
        verifier.verify(_sign(sg, 0), now_us=T0)
    assert not verifier.knows(signers[0].certificate.digest)
    assert verifier.knows(signers[2].certificate.digest)
    assert _reject(verifier, _sign(signers[0], 100_000), 100_000) == "unknown-certificate"


def test_expired_and_not_yet_valid_pseudonyms(ca):
    cert, key = ca.issue_pseudonym(psids=[CAM_PSID], start_unix_s=CERT_START_UNIX_S + 3600,
                                   duration_s=60)  # valid for the run's first minute
    signer = Signer(cert, key, full_cert_interval_us=0)
    verifier = Verifier((ca.certificate,))
    assert verifier.verify(_sign(signer, 59_000_000), now_us=CLOCK.its_us(59_000_000))
    assert _reject(verifier, _sign(signer, 60_000_000), 60_000_000) == "expired-certificate"
    assert _reject(verifier, _sign(signer, -1), -1) == "expired-certificate"


def test_stale_and_future(ca, pseudonym):
    verifier = Verifier((ca.certificate,), max_age_us=1_000_000, max_future_us=50_000)
    signer = Signer(*pseudonym, full_cert_interval_us=0)
    assert _reject(verifier, _sign(signer, 0), 1_000_001) == "stale"
    assert _reject(verifier, _sign(signer, 2_050_001), 2_000_000) == "future"
    assert verifier.verify(_sign(signer, 3_000_000), now_us=CLOCK.its_us(3_999_000))
    assert verifier.verify(_sign(signer, 5_050_000), now_us=CLOCK.its_us(5_000_000))
    assert verifier.rejected == {"stale": 1, "future": 1}


def test_replays(ca, pseudonym):
    verifier = Verifier((ca.certificate,), max_age_us=2_000_000, replay_window_us=500_000)
    signer = Signer(*pseudonym)
    first, late, old = _sign(signer, 0), _sign(signer, 1_000_000), _sign(signer, 300_000)
    verifier.verify(first, now_us=T0)
    assert _reject(verifier, first, 10_000) == "replayed"  # exact replay
    same_time_other_payload = _sign(signer, 0, inner=b"other")
    assert verifier.verify(same_time_other_payload, now_us=CLOCK.its_us(10_000))
    verifier.verify(late, now_us=CLOCK.its_us(1_000_000))
    # fresh enough (0.7 s < max age) but 0.7 s older than the newest: outside the window
    assert _reject(verifier, old, 1_000_000) == "replayed"
    assert verifier.rejected == {"replayed": 2} and verifier.accepted == 3


def test_psid_not_permitted(ca, pseudonym):
    forger = Signer(*pseudonym, enforce_permissions=False)
    verifier = Verifier((ca.certificate,))
    assert _reject(verifier, _sign(forger, 0, psid=DENM_PSID)) == "not-permitted"


def test_too_far(ca, pseudonym):
    verifier = Verifier((ca.certificate,), max_distance_m=1000.0)
    signer = Signer(*pseudonym)
    data = _sign(signer, 0)
    assert _reject(verifier, data, receiver_lat_deg=LAT + 0.1, receiver_lon_deg=LON) == \
        "too-far"  # ~11 km north
    assert verifier.verify(data, now_us=T0, receiver_lat_deg=LAT + 0.005,
                           receiver_lon_deg=LON).inner == INNER  # ~560 m
    assert verifier.verify(_sign(signer, 1000), now_us=T0).inner == INNER  # no rx position


def test_unsigned_and_wrong_version_are_malformed(ca):
    verifier = Verifier((ca.certificate,))
    unsecured = wire.DATA.to_coer({"protocolVersion": 3, "content": ("unsecuredData", b"x")})
    assert _reject(verifier, unsecured) == "malformed"
    assert _reject(verifier, b"\x02" + unsecured[1:]) == "malformed"
    assert _reject(verifier, "not bytes") == "malformed"


@contextlib.contextmanager
def _deadline(seconds: float):
    """Fail (instead of hanging the suite) when the block runs longer than ``seconds``."""
    def _expired(*_):
        raise _Hung(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _Hung(BaseException):  # not an Exception: nothing under test may swallow it
    pass


def test_hostile_nested_payloads_are_malformed_and_never_hang(ca, pseudonym):
    """pycrate's recursive Ieee1609Dot2Data once looped forever on such 7-10 byte frames."""
    verifier = Verifier((ca.certificate,))
    valid = _decode(wire.DATA, _sign(Signer(*pseudonym), 0))
    nested = copy.deepcopy(valid)
    nested["content"][1]["tbsData"]["payload"]["data"] = dict(valid)  # signed in signed
    full_schema = ITS_IEEE1609_2.Ieee1609Dot2.Ieee1609Dot2Data
    nested_bytes = full_schema.to_coer(nested)
    with _deadline(10):
        for hexdata in ("03810050d68942", "038100f90ec7dd01e4", "0381006c189c24279e9851"):
            assert _reject(verifier, bytes.fromhex(hexdata)) == "malformed"
        assert _reject(verifier, nested_bytes) == "malformed"
    # kav decodes with a private copy of the type: pycrate's module object is untouched
    full_schema.from_coer(nested_bytes)
    assert full_schema.get_val()["content"][1]["tbsData"]["payload"]["data"] == valid


def test_non_canonical_signed_part_is_malformed(ca, pseudonym):
    data = _sign(Signer(*pseudonym), 0)
    assert data[3] == 0x40  # SignedDataPayload preamble: data present, then padding bits
    assert _reject(Verifier((ca.certificate,)), _flip(data, 3, 0x01)) == "malformed"


# -- fuzzing ------------------------------------------------------------------------------
def _check_only_decode_errors(verifier: Verifier, data, calls: list):
    """Verify; only DecodeError may escape, and every call is counted exactly once."""
    calls.append(1)
    out = None
    try:
        out = verifier.verify(data, now_us=T0)
    except DecodeError as exc:
        assert exc.reason in REASONS
    assert verifier.accepted + sum(verifier.rejected.values()) == len(calls)
    return out


FUZZ = settings(max_examples=200, deadline=None, derandomize=True)


@FUZZ
@given(st.binary(max_size=400))
def test_fuzz_random_bytes(ca, data):
    verifier, calls = Verifier((ca.certificate,)), []
    _check_only_decode_errors(verifier, data, calls)
    _check_only_decode_errors(verifier, b"\x03\x81\x00" + data, calls)  # signedData prefix


@FUZZ
@given(which=st.sampled_from(["full", "digest"]),
       edits=st.lists(st.tuples(st.integers(0, 400), st.integers(1, 255)), max_size=4),
       cut=st.integers(0, 400), insert=st.binary(max_size=3))
def test_fuzz_mutated_messages(ca, pseudonym, which, edits, cut, insert):
    signer = Signer(*pseudonym)
    full, digest_only = _sign(signer, 0), _sign(signer, 1000)
    verifier, calls = Verifier((ca.certificate,)), []
    if which == "digest":
        verifier.learn(pseudonym[0])
    data = bytearray(full if which == "full" else digest_only)
    for index, mask in edits:
        data[index % len(data)] ^= mask
    data = bytes(data[: max(1, len(data) - cut % 8)])
    data = data[: cut % len(data)] + insert + data[cut % len(data):]
    out = _check_only_decode_errors(verifier, data, calls)
    if out is not None:  # whatever got through must be exactly what was signed
        assert out.inner == INNER and out.psid == CAM_PSID
        assert out.generation_time_us == CLOCK.its_us(0 if which == "full" else 1000)


# -- Wireshark ----------------------------------------------------------------------------
def _cam_payload() -> bytes:
    from pycrate_asn1dir import ITS_CAM_2

    unavailable_hf = {
        "heading": {"headingValue": 3601, "headingConfidence": 127},
        "speed": {"speedValue": 16383, "speedConfidence": 127},
        "driveDirection": "unavailable",
        "vehicleLength": {"vehicleLengthValue": 1023,
                          "vehicleLengthConfidenceIndication": "unavailable"},
        "vehicleWidth": 62,
        "longitudinalAcceleration": {"longitudinalAccelerationValue": 161,
                                     "longitudinalAccelerationConfidence": 102},
        "curvature": {"curvatureValue": 1023, "curvatureConfidence": "unavailable"},
        "curvatureCalculationMode": "unavailable",
        "yawRate": {"yawRateValue": 32767, "yawRateConfidence": "unavailable"},
    }
    cam = {"header": {"protocolVersion": 2, "messageID": 2, "stationID": 1234},
           "cam": {"generationDeltaTime": CLOCK.generation_delta_time(0), "camParameters": {
               "basicContainer": {"stationType": 5, "referencePosition": {
                   "latitude": 375665000, "longitude": 1269780000,
                   "positionConfidenceEllipse": {"semiMajorConfidence": 4095,
                                                 "semiMinorConfidence": 4095,
                                                 "semiMajorOrientation": 3601},
                   "altitude": {"altitudeValue": 800001, "altitudeConfidence": "unavailable"}}},
               "highFrequencyContainer": ("basicVehicleContainerHighFrequency",
                                          unavailable_hf)}}}
    return ITS_CAM_2.CAM_PDU_Descriptions.CAM.to_uper(cam)


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
def test_wireshark_dissects_signed_cam_frames(tmp_path, ca, pseudonym):
    from v2x import framing
    from v2x.pcap import PcapWriter

    signer = Signer(*pseudonym)
    pv = framing.PositionVector(gn_address=framing.gn_address_for(1234, 5),
                                timestamp_ms=framing.gn_timestamp(CLOCK, 0),
                                lat_deg=LAT, lon_deg=LON)
    pkt = framing.GnPacket(source=pv, btp_port=BTP_PORT[MessageId.CAM], payload=_cam_payload())
    path = tmp_path / "signed.pcap"
    with PcapWriter(path, start_unix_us=CLOCK.start_unix_us) as pcap:
        for t in (0, 100_000):  # full certificate, then digest
            gn = framing.build_gn(pkt, secure=lambda inner, t=t: signer.sign(
                inner, psid=CAM_PSID, generation_time_us=CLOCK.its_us(t), lat_deg=LAT,
                lon_deg=LON, elevation_m=38.0))
            pcap.write(t, framing.ethernet(gn, framing.mac_for(1234)))
    fields = ["frame.protocols", "ieee1609dot2.psid", "ieee1609dot2.generationTime",
              "ieee1609dot2.digest", "ieee1609dot2.elevation", "_ws.malformed"]
    out = subprocess.run(
        ["tshark", "-r", str(path), "-T", "fields", "-E", "separator=|",
         *[a for f in fields for a in ("-e", f)]],
        capture_output=True, text=True, timeout=60, check=True).stdout.splitlines()
    assert len(out) == 2
    for line, t in zip(out, (0, 100_000)):
        protocols, psids, gen, digest, elevation, malformed = line.split("|")
        assert protocols == "eth:ethertype:gnw:ieee1609dot2:btpb:its"
        assert malformed == ""
        assert str(CAM_PSID) in psids.split(",")
        assert int(gen) == CLOCK.its_us(t)
        assert int(elevation) == 380 + wire.ELEVATION_OFFSET_DM
    assert out[0].split("|")[3] == ""  # full certificate: no digest signer
    assert out[1].split("|")[3] == pseudonym[0].digest.hex()
    # and the frames verify after the GN round trip
    verifier = Verifier((ca.certificate,))
    signer.request_full_certificate()
    gn = framing.build_gn(pkt, secure=lambda inner: _sign_inner(signer, inner))
    back = framing.parse_gn(gn, unsecure=lambda sec: verifier.verify(sec, now_us=T0).inner)
    assert back.payload == pkt.payload and back.secured


def _sign_inner(signer: Signer, inner: bytes) -> bytes:
    return signer.sign(inner, psid=CAM_PSID, generation_time_us=T0, lat_deg=LAT, lon_deg=LON)


def test_openssl_deterministic_signing_equals_the_rfc6979_reference():
    """The fast path (OpenSSL's RFC 6979 nonces) gives exactly the pure-Python signature, so
    replays are bit-identical whichever path a machine has."""
    import os as _os

    from v2x.security import p256

    for i in range(50):
        d = p256.derive_scalar(b"kav", bytes([i]))
        digest = _os.urandom(32)
        assert p256.sign_digest_deterministic(p256.private_key(d), digest) == \
            p256.sign_digest(d, digest)
