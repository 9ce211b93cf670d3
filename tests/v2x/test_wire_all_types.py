"""Wireshark decodes what kav puts on the air: a real run's capture holds CAM, DENM, CPM,
SPATEM and MAPEM frames, each signed (IEEE 1609.2), framed (GeoNetworking + BTP-B) and
dissected by Debian's tshark as the right ITS message, with no malformed packet, no
warning and the field values kav sent."""

import math

import pytest

from scenarios.cli import load_any
from scenarios.runner import run
from tests.v2x.tshark import decode as tshark_decode
from tests.v2x.tshark import tshark_available
from v2x.codec import decode
from v2x.framing import parse_gn, strip_ethernet
from v2x.messages import CAM, CPM, DENM, MAPEM, SPATEM
from v2x.pcap import read_pcap
from v2x.security.inspect import peek

pytestmark = pytest.mark.skipif(not tshark_available(), reason="tshark is not installed")


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    out = tmp_path_factory.mktemp("air")
    pcap = out / "air.pcap"
    run(load_any("pg-coop-occl"), seed=1, out=out / "run", duration_s=2.2, quiet=True,
        pcap=pcap)
    ours = []
    for _, frame in read_pcap(pcap):
        _, gn = strip_ethernet(frame)
        pkt = parse_gn(gn, unsecure=lambda b: peek(b).inner)
        ours.append((pkt, decode(pkt.payload, btp_port=pkt.btp_port)))
    return ours, tshark_decode(pcap)


def _ints(fields, name):
    return [int(v) for v in fields.get(name, [])]


def test_every_message_type_is_on_the_air(capture):
    ours, _ = capture
    kinds = {type(m) for _, m in ours}
    assert kinds == {CAM, DENM, CPM, SPATEM, MAPEM}


def test_tshark_dissects_every_frame_as_the_message_kav_sent(capture):
    ours, theirs = capture
    assert len(ours) == len(theirs)
    ids = {CAM: 2, DENM: 1, SPATEM: 4, MAPEM: 5, CPM: 14}
    for (pkt, msg), t in zip(ours, theirs):
        f = t["fields"]
        assert t["protocols"] == "eth:ethertype:gnw:ieee1609dot2:btpb:its", t["protocols"]
        assert not t["malformed"] and not t["error"]
        # the only expert item is the SHB "remaining hop limit 1" note (a single hop is the
        # point of SHB); nothing at warning level or above
        assert all(sev in ("note", "chat", "comment") for sev, _ in t["expert"]), t["expert"]
        assert _ints(f, "its.messageID") == [ids[type(msg)]]
        assert _ints(f, "its.stationID") == [msg.station_id]
        assert _ints(f, "btpb.dstport") == [pkt.btp_port]
        assert _ints(f, "geonw.src_pos.lat") == [round(pkt.source.lat_deg * 1e7)]
        check = {CAM: _cam, DENM: _denm, SPATEM: _spatem, MAPEM: _mapem, CPM: _cpm}
        check[type(msg)](msg, f)


def _cam(m: CAM, f):
    assert _ints(f, "its.latitude") == [round(m.latitude_deg * 1e7)]
    assert _ints(f, "its.longitude") == [round(m.longitude_deg * 1e7)]
    assert _ints(f, "its.speedValue") == [round(m.speed_mps * 100)]
    assert _ints(f, "its.headingValue") == [round(math.degrees(m.heading_rad) * 10) % 3600]
    assert _ints(f, "cam.generationDeltaTime") == [m.generation_delta_time_ms]
    assert _ints(f, "cam.stationType") == [int(m.station_type)]


def _denm(m: DENM, f):
    assert _ints(f, "its.originatingStationID") == [m.management.action_id.originating_station_id]
    assert _ints(f, "its.sequenceNumber") == [m.management.action_id.sequence_number]
    assert _ints(f, "denm.detectionTime") == [m.management.detection_time_ms]
    assert _ints(f, "its.causeCode") == [m.situation.cause]


def _spatem(m: SPATEM, f):
    (inter,) = m.intersections
    assert _ints(f, "dsrc.id") == [inter.ref.id]
    assert _ints(f, "dsrc.signalGroup") == [s.signal_group for s in inter.states]
    assert _ints(f, "dsrc.eventState") == [int(s.events[0].state) for s in inter.states]
    assert _ints(f, "dsrc.minEndTime") == [round(s.events[0].timing.min_end_s * 10)
                                           for s in inter.states]


def _mapem(m: MAPEM, f):
    (inter,) = m.intersections
    assert _ints(f, "dsrc.id") == [inter.ref.id]
    assert _ints(f, "dsrc.laneID") == [lane.lane_id for lane in inter.lanes]
    assert _ints(f, "dsrc.lat") == [round(inter.ref_lat_deg * 1e7)]
    conns = [c for lane in inter.lanes for c in lane.connects_to]
    assert _ints(f, "dsrc.lane") == [c.lane_id for c in conns]


def _cpm(m: CPM, f):
    objs = m.perceived_objects
    assert _ints(f, "cpm.numberOfPerceivedObjects") == [len(objs)]
    assert _ints(f, "cpm.objectID") == [o.object_id for o in objs]
    values = _ints(f, "cpm.value")  # x/y distance and speed values, object by object
    for o in objs:
        for v in (o.x_distance_m, o.y_distance_m, o.x_speed_mps, o.y_speed_mps):
            assert round(v * 100) in values
    assert _ints(f, "its.latitude") == [round(m.reference_position.latitude_deg * 1e7)]
