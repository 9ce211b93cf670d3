"""Hostile input at every entry point of the V2X stack: random bytes and mutations of real
frames go to the frame parser, the verifier, every message decoder, the broker and the
station client. Each must reject bad input with DecodeError (counted where a counter
exists) and never crash or accept a frame whose signature no longer holds."""

import contextlib

import numpy as np
import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios.cli import load_any
from scenarios.runner import run
from v2x.codec import decode
from v2x.errors import DecodeError
from v2x.framing import parse_gn, strip_ethernet
from v2x.pcap import read_pcap
from v2x.security import Verifier
from v2x.security.inspect import peek
from v2x.transport import AirBroker, IdealChannel, StationClient
from v2x.transport import wire as W

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    """Real signed GN frames of every message type from a short run."""
    out = tmp_path_factory.mktemp("fuzz")
    run(load_any("pg-coop-occl"), seed=1, out=out / "run", duration_s=1.2, quiet=True,
        pcap=out / "air.pcap")
    gns = [strip_ethernet(f)[1] for _, f in read_pcap(out / "air.pcap")]
    by_port = {}
    for g in gns:
        by_port.setdefault(parse_gn(g, unsecure=lambda b: peek(b).inner).btp_port, g)
    assert len(by_port) == 5
    return list(by_port.values())


def _mutate(data: bytes, edits) -> bytes:
    b = bytearray(data)
    for pos, val, op in edits:
        if not b:
            break
        i = pos % len(b)
        if op == 0:
            b[i] = val
        elif op == 1:
            del b[i]
        elif op == 2:
            b.insert(i, val)
        else:
            b = b[:i]
    return bytes(b)


EDITS = st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255), st.integers(0, 3)),
                 min_size=1, max_size=4)


def _decode_all(gn: bytes, verifier: Verifier, now_us: int):
    """The receive path: GN parse -> verify -> message decode."""
    pkt = parse_gn(gn, unsecure=lambda b: verifier.verify(b, now_us=now_us).inner)
    return decode(pkt.payload, btp_port=pkt.btp_port)


@SETTINGS
@given(data=st.binary(max_size=600))
def test_random_bytes_rejected_everywhere(data):
    verifier = Verifier(())
    for fn in (lambda: parse_gn(data, unsecure=lambda b: verifier.verify(b, now_us=0).inner),
               lambda: decode(data), lambda: verifier.verify(data, now_us=0), lambda: peek(data)):
        with contextlib.suppress(DecodeError):
            fn()
    assert verifier.accepted == 0


@SETTINGS
@given(k=st.integers(0, 4), edits=EDITS)
def test_mutated_real_frames_never_pass_as_valid(frames, k, edits):
    gn = frames[k]
    mutated = _mutate(gn, edits)
    # an untrusting verifier: nothing can be accepted, everything is counted
    verifier = Verifier(())
    try:
        _decode_all(mutated, verifier, now_us=10**15)
        raise AssertionError("accepted without a trust anchor")
    except DecodeError:
        pass
    assert verifier.accepted == 0
    assert sum(verifier.rejected.values()) <= 1
    # the payload decoders alone (unsigned view): reject or decode, never crash
    try:
        pkt = parse_gn(mutated, unsecure=lambda b: peek(b).inner)
        decode(pkt.payload, btp_port=pkt.btp_port)
    except DecodeError:
        pass


@SETTINGS
@given(k=st.integers(0, 4), edits=EDITS)
def test_message_decoders_on_mutated_payloads(frames, k, edits):
    pkt = parse_gn(frames[k], unsecure=lambda b: peek(b).inner)
    with contextlib.suppress(DecodeError):
        decode(_mutate(pkt.payload, edits))


@pytest.fixture(scope="module")
def air():
    ctx = zmq.Context()
    broker = AirBroker(ctx, "inproc://fuzz-air", IdealChannel())
    client = StationClient(ctx, broker.endpoint, [1])
    yield broker, client
    broker.close(), client.close(), ctx.destroy(linger=0)


@SETTINGS
@given(parts=st.lists(st.binary(max_size=64), min_size=0, max_size=5))
def test_broker_survives_garbage_from_a_client(air, parts):
    """Anything but a well-formed TX / WORLD message is rejected and counted; the broker
    keeps ticking."""
    broker, client = air
    parts = parts or [b""]
    if parts[0] in (W.SYNC, W.STOP, W.TX, W.WORLD, b"hello"):
        parts[0] = b"x" + parts[0]  # well-formed control and data messages: tested elsewhere
    before = sum(broker.stats.rejected.values())
    client.sock.send_multipart(parts)
    t = (broker.stats.ticks + 1) * 50_000
    client.sync(t, np.array([(1, 0.0, 0.0, 1.5)], W.POS_DTYPE))
    assert broker.pump(timeout_ms=2000) == t
    assert client.receive(t, timeout_ms=2000)[1].frames == []
    assert sum(broker.stats.rejected.values()) == before + 1


@SETTINGS
@given(header=st.binary(max_size=120), payload=st.binary(max_size=120))
def test_station_client_rejects_malformed_deliveries(header, payload):
    try:
        d = StationClient._parse(None, [W.rx_topic(1), header, payload])
    except DecodeError:
        return
    assert sum(len(f) for f in d.frames) == len(payload)
    assert len(d.frames) == len(d.records)


@pytest.fixture(scope="module")
def signed():
    """A CAM-port frame signed by a pseudonym of a CA the verifier trusts."""
    from v2x.framing import GnPacket, PositionVector, build_gn, gn_address_for
    from v2x.security import Signer, TestbedCA

    ca = TestbedCA(seed=b"fuzz")
    cert, key = ca.issue_pseudonym(psids=[36], start_unix_s=1_700_000_000,
                                      duration_s=10 * 365 * 86400)
    signer = Signer(cert, key)
    payload = bytes(range(41))
    pv = PositionVector(gn_address=gn_address_for(7, 5), timestamp_ms=1, lat_deg=37.5,
                        lon_deg=127.0)
    now = 700_000_000_000_000
    gn = build_gn(GnPacket(source=pv, btp_port=2001, payload=payload),
                  secure=lambda inner: signer.sign(inner, psid=36, generation_time_us=now,
                                                   lat_deg=37.5, lon_deg=127.0))
    return ca, gn, payload, now


@SETTINGS
@given(edits=EDITS)
def test_trusted_verifier_never_accepts_altered_signed_content(signed, edits):
    ca, gn, payload, now = signed
    verifier = Verifier((ca.certificate,))
    assert parse_gn(gn, unsecure=lambda b: verifier.verify(b, now_us=now).inner).payload \
        == payload
    verifier = Verifier((ca.certificate,))
    try:
        pkt = parse_gn(_mutate(gn, edits),
                       unsecure=lambda b: verifier.verify(b, now_us=now).inner)
    except DecodeError:
        assert verifier.accepted == 0
        return
    # only the unsigned basic header (lifetime, hop limit) may differ in an accepted frame
    assert pkt.payload == payload and verifier.accepted == 1
