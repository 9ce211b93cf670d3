"""Hand-written COER of kav's signed data (``v2x.security.fastcoer``) against pycrate.

pycrate is the reference: the fast encoder must give its bytes exactly, the fast reader
must either agree with its decoding or step aside (None), and the verifier must reach the
same verdict, with the same reason, whichever path decodes a message.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from v2x.clock import ItsClock
from v2x.errors import DecodeError
from v2x.security import Signer, TestbedCA, Verifier, fastcoer, p256, wire

PROPS = settings(max_examples=300, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.function_scoped_fixture])
ITS_AIDS = (36, 37, 137, 138, 139, 639)
CERT_START_UNIX_S = 1_700_000_000
CLOCK = ItsClock((CERT_START_UNIX_S + 3600) * 1_000_000)
T0 = CLOCK.its_us(0)
LAT_MIN, LAT_MAX = fastcoer.LAT_RANGE
LON_MIN, LON_MAX = fastcoer.LON_RANGE

_CA = TestbedCA(b"kav-fastcoer-seed")
_PSEUDONYM = _CA.issue_pseudonym(psids=list(ITS_AIDS), start_unix_s=CERT_START_UNIX_S,
                                 duration_s=86_400)
_CERTS = (_PSEUDONYM[0], _CA.certificate)  # a pseudonym (appPermissions) and the root (name)

psids = st.sampled_from(ITS_AIDS) | st.integers(0, (1 << 32) - 1) | st.sampled_from(
    (0, 127, 128, 255, 256, 65535, 65536, (1 << 24) - 1, 1 << 24, (1 << 32) - 1))
times = st.integers(0, (1 << 64) - 1) | st.sampled_from((0, T0, (1 << 64) - 1))
lats = st.integers(LAT_MIN, LAT_MAX) | st.sampled_from((LAT_MIN, LAT_MAX, -1, 0))
lons = st.integers(LON_MIN, LON_MAX) | st.sampled_from((LON_MIN, LON_MAX, -1, 0))
elevations = st.integers(0, 65535) | st.sampled_from((0, 65535))
scalars = st.integers(0, (1 << 256) - 1) | st.sampled_from((0, 1, (1 << 256) - 1))
signers = st.one_of(st.binary(min_size=8, max_size=8).map(lambda d: ("digest", d)),
                    st.sampled_from(_CERTS).map(lambda c: ("certificate", c.coer)))
payloads = st.binary(max_size=1500) | st.sampled_from((b"", b"x" * 127, b"x" * 128,
                                                      b"x" * 255, b"x" * 256))


def _value(inner, psid, gen, lat, lon, elev, signer, r, s) -> dict:
    """The pycrate value Signer used to encode before fastcoer (the reference)."""
    kind, body = signer
    signer_value = ("digest", body) if kind == "digest" else (
        "certificate", [next(c.value for c in _CERTS if c.coer == body)])
    tbs = {"payload": {"data": {"protocolVersion": 3, "content": ("unsecuredData", inner)}},
           "headerInfo": {"psid": psid, "generationTime": gen, "generationLocation": {
               "latitude": lat, "longitude": lon, "elevation": elev}}}
    return {"protocolVersion": 3, "content": ("signedData", {
        "hashId": "sha256", "tbsData": tbs, "signer": signer_value,
        "signature": wire.signature_value(r, s)})}


def _fields_from_pycrate(data: bytes) -> fastcoer.SignedFields | None:
    """What parse_signed should return, computed from pycrate's decoding (None when the
    value is outside the fast shape, e.g. two certificates)."""
    val = wire.decode_exact(wire.DATA, data)
    sd = val["content"][1]
    tbs = sd["tbsData"]
    hdr = tbs["headerInfo"]
    loc = hdr["generationLocation"]
    kind, body = sd["signer"]
    if kind == "certificate":
        if len(body) != 1:
            return None
        body = wire.encode(wire.CERTIFICATE, body[0])
    r, s = wire.signature_from_value(sd["signature"])
    return fastcoer.SignedFields(
        wire.encode(wire.TBS_DATA, tbs), tbs["payload"]["data"]["content"][1], hdr["psid"],
        hdr["generationTime"], loc["latitude"], loc["longitude"], loc["elevation"], kind,
        body, r, s)


def _encode(inner, psid, gen, lat, lon, elev, signer, r, s) -> bytes:
    tbs = fastcoer.encode_tbs(inner, psid, gen, lat, lon, elev)
    return fastcoer.encode_signed(tbs, signer, r, s)


# -- encoder and reader against pycrate ---------------------------------------------------
@PROPS
@given(inner=payloads, psid=psids, gen=times, lat=lats, lon=lons, elev=elevations,
       signer=signers, r=scalars, s=scalars)
def test_fast_bytes_equal_pycrate_and_parse_back(inner, psid, gen, lat, lon, elev, signer,
                                                 r, s):
    value = _value(inner, psid, gen, lat, lon, elev, signer, r, s)
    tbs = fastcoer.encode_tbs(inner, psid, gen, lat, lon, elev)
    assert tbs == wire.encode(wire.TBS_DATA, value["content"][1]["tbsData"])
    data = fastcoer.encode_signed(tbs, signer, r, s)
    assert data == wire.encode(wire.DATA, value)
    assert data[3:3 + len(tbs)] == tbs  # the signed bytes are a slice of the message
    fields = fastcoer.parse_signed(data)
    assert fields == _fields_from_pycrate(data)
    assert fields == (tbs, inner, psid, gen, lat, lon, elev, signer[0], signer[1], r, s)
    assert fastcoer.parse_signed(bytearray(data)) == fields
    assert fastcoer.parse_signed(memoryview(data)) == fields


def _check_agrees_or_steps_aside(data: bytes) -> None:
    """The reader's contract: None, or exactly pycrate's decoding with a canonical tbs.
    Carried certificate bytes are only delimited (the verifier trusts them only when they
    equal a certificate it knows), so pycrate's judgement is compared only for those."""
    fields = fastcoer.parse_signed(data)  # must not raise
    if fields is None:
        return
    if fields.signer_kind == "certificate" and fields.signer not in {c.coer for c in _CERTS}:
        return
    assert fields == _fields_from_pycrate(data)  # decodes, and to the same values
    assert data[3:3 + len(fields.tbs)] == fields.tbs


@PROPS
@given(inner=st.binary(max_size=300), psid=psids, signer=signers,
       edits=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(1, 255)), max_size=3),
       cut=st.integers(0, 1 << 16), insert=st.binary(max_size=3))
def test_mutated_input_never_raises_and_agrees_with_pycrate(inner, psid, signer, edits, cut,
                                                             insert):
    data = bytearray(_encode(inner, psid, T0, 375665000, 1269780000, 4096, signer, 1, 2))
    for index, mask in edits:
        data[index % len(data)] ^= mask
    data = bytes(data)
    if cut % 3 == 0:
        data = data[:cut % (len(data) + 1)]
    else:
        at = cut % (len(data) + 1)
        data = data[:at] + insert + data[at:]
    _check_agrees_or_steps_aside(data)


def test_every_truncation_and_extension_steps_aside():
    data = _encode(b"p" * 200, 36, T0, 1, 2, 3, ("digest", bytes(range(8))), 5, 6)
    for n in range(len(data)):
        assert fastcoer.parse_signed(data[:n]) is None
    assert fastcoer.parse_signed(data + b"\x00") is None
    # A carried certificate is delimited from the end, so a cut can leave a parse whose
    # "certificate" is a fragment: then it is no known certificate and the verifier falls
    # back; where it still is the whole certificate, pycrate must agree.
    data = _encode(b"p" * 200, 36, T0, 1, 2, 3, ("certificate", _CERTS[0].coer), 5, 6)
    for n in range(len(data) + 1):
        for cut in (data[:n], data[:n] + b"\x00", data[n:]):
            _check_agrees_or_steps_aside(cut)


def _tbs_edit(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) == 1
    return data.replace(old, new)


@pytest.mark.parametrize("edit", [
    "long-form-short-length", "non-minimal-long-length", "length-of-3-octets",
    "psid-leading-zero", "psid-5-octets", "expiry-time-present", "extension-bit",
    "ext-data-hash", "payload-version-2", "lat-out-of-range", "lon-out-of-range",
    "outer-version", "hash-sha384", "signer-self", "two-certificates", "rsig-compressed",
])
def test_other_shapes_and_non_canonical_forms_step_aside(edit):
    """Each is valid OER (pycrate decodes it or rejects it); none is kav's canonical shape."""
    short = _encode(b"abc", 36, T0, 1, 2, 3, ("digest", bytes(8)), 5, 6)
    long_ = _encode(b"q" * 200, 36, T0, 1, 2, 3, ("digest", bytes(8)), 5, 6)
    head = b"\x03\x81\x00\x40\x03\x80"
    psid_at = short.index(b"\x50\x01\x24")
    data = {
        "long-form-short-length": _tbs_edit(short, head + b"\x03", head + b"\x81\x03"),
        "non-minimal-long-length": _tbs_edit(long_, head + b"\x81\xc8", head + b"\x82\x00\xc8"),
        "length-of-3-octets": _tbs_edit(long_, head + b"\x81\xc8", head + b"\x83\x00\x00\xc8"),
        "psid-leading-zero": _tbs_edit(short, b"\x50\x01\x24", b"\x50\x02\x00\x24"),
        "psid-5-octets": _tbs_edit(short, b"\x50\x01\x24", b"\x50\x05\x01\x00\x00\x00\x24"),
        "expiry-time-present": short[:psid_at] + b"\x70\x01\x24" + T0.to_bytes(8, "big")
        + T0.to_bytes(8, "big") + short[psid_at + 11:],
        "extension-bit": short[:psid_at] + b"\xd0" + short[psid_at + 1:],
        "ext-data-hash": short[:3] + b"\x60" + short[4:],
        "payload-version-2": short[:4] + b"\x02" + short[5:],
        "lat-out-of-range": short.replace(
            (1).to_bytes(4, "big") + (2).to_bytes(4, "big"),
            (LAT_MAX + 1).to_bytes(4, "big") + (2).to_bytes(4, "big")),
        "lon-out-of-range": short.replace(
            (1).to_bytes(4, "big") + (2).to_bytes(4, "big"),
            (1).to_bytes(4, "big") + (LON_MIN - 1).to_bytes(4, "big", signed=True)),
        "outer-version": b"\x02" + short[1:],
        "hash-sha384": short[:2] + b"\x01" + short[3:],
        "signer-self": short[:-75] + b"\x82" + short[-66:],
        "two-certificates": wire.encode(wire.DATA, _two_certificates(short)),
        "rsig-compressed": short[:-65] + b"\x82" + short[-64:],
    }[edit]
    assert data != short and data != long_
    assert fastcoer.parse_signed(data) is None


def _two_certificates(data: bytes) -> dict:
    val = wire.decode_exact(wire.DATA, data)
    val["content"][1]["signer"] = ("certificate", [_CERTS[0].value, _CERTS[0].value])
    return val


def test_parse_rejects_what_is_not_bytes():
    for junk in (None, "03810040", 3, [3, 129], b""):
        assert fastcoer.parse_signed(junk) is None
    too_long = _encode(b"z" * 8200, 36, 0, 0, 0, 0, ("digest", bytes(8)), 1, 1)
    assert fastcoer.parse_signed(too_long) is None  # beyond wire.MAX_SECURED_BYTES


def test_encode_signed_refuses_unknown_signers():
    tbs = fastcoer.encode_tbs(b"", 36, 0, 0, 0, 0)
    with pytest.raises(ValueError):
        fastcoer.encode_signed(tbs, ("digest", bytes(7)), 1, 1)
    with pytest.raises(ValueError):
        fastcoer.encode_signed(tbs, ("self", b""), 1, 1)


# -- Signer and Verifier ------------------------------------------------------------------
def _pycrate_sign(signer: Signer, full: bool, inner, psid, gen, lat_deg, lon_deg,
                  elevation_m) -> bytes:
    """Signer.sign as it was before fastcoer: pycrate encodes the tbs and the message."""
    tbs = {"payload": {"data": {"protocolVersion": 3, "content": ("unsecuredData", inner)}},
           "headerInfo": {"psid": psid, "generationTime": gen, "generationLocation":
                          wire.encode_position(lat_deg, lon_deg, elevation_m)}}
    cert = signer.certificate
    digest = wire.signing_digest(wire.encode(wire.TBS_DATA, tbs), cert.coer_hash)
    r, s = p256.sign_digest_deterministic(signer._key, digest)
    signed = {"hashId": "sha256", "tbsData": tbs,
              "signer": ("certificate", [cert.value]) if full else ("digest", cert.digest),
              "signature": wire.signature_value(r, s)}
    return wire.encode(wire.DATA, {"protocolVersion": 3, "content": ("signedData", signed)})


@settings(max_examples=60, deadline=None, derandomize=True)
@given(inner=st.binary(max_size=1500), psid=st.sampled_from(ITS_AIDS),
       dt=st.integers(0, 3_000_000), lat=st.floats(-90, 90), lon=st.floats(-179.9999999, 180),
       elevation=st.none() | st.floats(-409.5, 6143.9))
def test_signer_output_is_byte_identical_to_the_pycrate_path(inner, psid, dt, lat, lon,
                                                             elevation):
    signer = Signer(*_PSEUDONYM)
    for i, full in enumerate((True, False)):
        gen = T0 + dt + i
        out = signer.sign(inner, psid=psid, generation_time_us=gen, lat_deg=lat, lon_deg=lon,
                          elevation_m=elevation)
        assert out == _pycrate_sign(signer, full, inner, psid, gen, lat, lon, elevation)


def _outcome(verifier: Verifier, data, now_us: int, **kw):
    try:
        return verifier.verify(data, now_us=now_us, **kw)
    except DecodeError as exc:
        return exc.reason


def _pycrate_only(monkeypatch) -> Verifier:
    verifier = Verifier((_CA.certificate,), max_distance_m=5_000)
    monkeypatch.setattr(verifier, "_verify", verifier._verify_pycrate)
    return verifier


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(1, 255)), max_size=2),
       cut=st.integers(0, 1 << 16), insert=st.binary(max_size=2),
       now_dt=st.sampled_from((0, 1_000, 3_000_000, -1_000_000)))
def test_verifier_verdicts_equal_with_and_without_the_fast_path(monkeypatch, edits, cut,
                                                                insert, now_dt):
    """A stream (full certificate first, then digests) with one message mutated: both
    verifiers accept/reject every message alike, with the same reasons and counters."""
    signer = Signer(*_PSEUDONYM, full_cert_interval_us=300_000)
    stream = [signer.sign(b"cam%d" % i, psid=ITS_AIDS[i % 2], generation_time_us=T0 + i * 100_000,
                          lat_deg=37.5, lon_deg=127.0)
              for i in range(6)]
    victim = cut % len(stream)
    data = bytearray(stream[victim])
    for index, mask in edits:
        data[index % len(data)] ^= mask
    at = cut % (len(data) + 1)
    stream[victim] = bytes(data[:at]) + insert + bytes(data[at:])
    stream += stream[:2]  # replays
    fast, slow = Verifier((_CA.certificate,), max_distance_m=5_000), _pycrate_only(monkeypatch)
    for i, msg in enumerate(stream):
        now = T0 + (i % 6) * 100_000 + now_dt
        a = _outcome(fast, msg, now, receiver_lat_deg=37.5, receiver_lon_deg=127.0)
        b = _outcome(slow, msg, now, receiver_lat_deg=37.5, receiver_lon_deg=127.0)
        assert a == b
    assert fast.accepted == slow.accepted and fast.rejected == slow.rejected
    assert list(fast._certs) == list(slow._certs)


def test_fast_path_serves_digests_and_known_certificates(monkeypatch):
    """pycrate decodes only the first carried certificate of a signer."""
    signer = Signer(*_PSEUDONYM, full_cert_interval_us=200_000)
    verifier = Verifier((_CA.certificate,))
    calls = []
    original = wire.decode_exact

    def counting(obj, data):
        calls.append(obj)
        return original(obj, data)

    monkeypatch.setattr(wire, "decode_exact", counting)
    results = [verifier.verify(signer.sign(b"m", psid=36, generation_time_us=T0 + i * 100_000,
                                           lat_deg=37.5, lon_deg=127.0, elevation_m=-3.2),
                               now_us=T0 + i * 100_000) for i in range(6)]
    assert [r.full_certificate for r in results] == [True, False, True, False, True, False]
    assert calls == [wire.DATA]  # the first message only; the rest took the fast path
    assert all(r.inner == b"m" and r.elevation_m == pytest.approx(-3.2) for r in results)
    assert all(r.signer_digest == _PSEUDONYM[0].digest for r in results)
