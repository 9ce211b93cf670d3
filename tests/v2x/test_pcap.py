"""pcap capture files: round trip, crash safety, bad files, and Wireshark's view of kav frames."""

from __future__ import annotations

import math
import struct

import pytest

from tests.v2x.tshark import decode, tshark_available
from v2x.errors import DecodeError
from v2x.framing import (
    GnPacket,
    PositionVector,
    build_gn,
    ethernet,
    gn_address_for,
    mac_for,
    parse_gn,
    strip_ethernet,
)
from v2x.messages.common import BTP_PORT, PROTOCOL_VERSION, MessageId, StationType
from v2x.pcap import PcapWriter, read_pcap

START_US = 1_700_000_000_123_456  # 2023-11-14T22:13:20.123456Z


def _frames(n):
    return [(i * 100_000 + i, bytes([i]) * (60 + i)) for i in range(n)]


def test_round_trip(tmp_path):
    path = tmp_path / "air.pcap"
    with PcapWriter(path, start_unix_us=START_US) as w:
        for t_us, frame in _frames(5):
            w.write(t_us, frame)
        assert w.frames == 5
        assert not path.exists()  # published only on close
    assert read_pcap(path) == [(START_US + t, f) for t, f in _frames(5)]
    assert not (tmp_path / "air.pcap.partial").exists()


def test_global_and_record_headers(tmp_path):
    path = tmp_path / "h.pcap"
    with PcapWriter(path, start_unix_us=START_US) as w:
        w.write(1_000_000, b"\xaa" * 60)
    raw = path.read_bytes()
    assert struct.unpack_from("<IHHiIII", raw) == (0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    assert struct.unpack_from("<IIII", raw, 24) == (1_700_000_001, 123_456, 60, 60)
    assert len(raw) == 24 + 16 + 60


def test_empty_capture(tmp_path):
    path = tmp_path / "empty.pcap"
    with PcapWriter(path, start_unix_us=START_US):
        pass
    assert read_pcap(path) == []


def test_exception_leaves_no_file(tmp_path):
    path = tmp_path / "crash.pcap"
    with pytest.raises(RuntimeError), PcapWriter(path, start_unix_us=START_US) as w:
        w.write(0, b"\x00" * 60)
        raise RuntimeError("simulator crashed")
    assert not path.exists()
    # the frames written before the crash stay in the .partial file for post-mortem
    assert (tmp_path / "crash.pcap.partial").stat().st_size == 24 + 16 + 60


def test_exception_leaves_existing_file_untouched(tmp_path):
    path = tmp_path / "run.pcap"
    path.write_bytes(b"previous run")
    with pytest.raises(KeyboardInterrupt), PcapWriter(path, start_unix_us=START_US) as w:
        w.write(0, b"\x01" * 60)
        assert path.read_bytes() == b"previous run"
        raise KeyboardInterrupt
    assert path.read_bytes() == b"previous run"


def test_clean_close_replaces_existing_file(tmp_path):
    path = tmp_path / "run.pcap"
    path.write_bytes(b"previous run")
    w = PcapWriter(path, start_unix_us=START_US)
    w.write(5, b"\x02" * 60)
    w.close()
    w.close()  # idempotent
    assert read_pcap(path) == [(START_US + 5, b"\x02" * 60)]
    with pytest.raises(ValueError):
        w.write(6, b"\x02" * 60)


def test_writer_rejects_bad_frames(tmp_path):
    with PcapWriter(tmp_path / "x.pcap", start_unix_us=START_US) as w:
        with pytest.raises(ValueError):
            w.write(0, bytes(65536))
        with pytest.raises(ValueError):
            w.write(-START_US - 1, b"\x00")


def test_reads_big_endian_and_nanosecond_files(tmp_path):
    path = tmp_path / "be.pcap"
    path.write_bytes(struct.pack(">IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1)
                     + struct.pack(">IIII", 10, 999_999_999, 3, 3) + b"abc")
    assert read_pcap(path) == [(10_999_999, b"abc")]


@pytest.mark.parametrize("content, reason", [
    (b"", "malformed"),
    (b"\x00" * 24, "malformed"),  # bad magic
    (b"\x0a\x0d\x0d\x0a" + bytes(28), "unsupported"),  # pcapng
    (struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 105), "unsupported"),  # 802.11
    (struct.pack("<IHHiIII", 0xA1B2C3D4, 1, 0, 0, 0, 65535, 1), "unsupported"),
    (struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1) + b"\x00" * 10, "malformed"),
    (struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
     + struct.pack("<IIII", 0, 0, 10, 10) + b"\x00" * 9, "malformed"),  # data truncated
    (struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
     + struct.pack("<IIII", 0, 1_000_000, 1, 1) + b"\x00", "malformed"),  # usec overflow
    (struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
     + struct.pack("<IIII", 0, 0, 2, 1) + b"\x00\x00", "malformed"),  # incl > orig
])
def test_bad_files(tmp_path, content, reason):
    path = tmp_path / "bad.pcap"
    path.write_bytes(content)
    with pytest.raises(DecodeError) as err:
        read_pcap(path)
    assert err.value.reason == reason
    assert str(path) in err.value.detail


# --- Wireshark ----------------------------------------------------------------------------

needs_tshark = pytest.mark.skipif(not tshark_available(), reason="tshark is not installed")

STATION_ID = 0x0001E240
LAT, LON = 37.5790, 126.8890  # Sangam DMC, Seoul


def _cam_uper(station_id: int, lat_e7: int, lon_e7: int) -> bytes:
    """A minimal CAM (basic + high-frequency container), encoded with pycrate."""
    from pycrate_asn1dir import ITS_CAM_2

    cam = ITS_CAM_2.CAM_PDU_Descriptions.CAM
    cam.set_val({
        "header": {"protocolVersion": PROTOCOL_VERSION[MessageId.CAM],
                   "messageID": int(MessageId.CAM), "stationID": station_id},
        "cam": {"generationDeltaTime": 4321, "camParameters": {
            "basicContainer": {"stationType": int(StationType.PASSENGER_CAR),
                               "referencePosition": {
                "latitude": lat_e7, "longitude": lon_e7,
                "positionConfidenceEllipse": {"semiMajorConfidence": 4095,
                                              "semiMinorConfidence": 4095,
                                              "semiMajorOrientation": 3601},
                "altitude": {"altitudeValue": 800001, "altitudeConfidence": "unavailable"}}},
            "highFrequencyContainer": ("basicVehicleContainerHighFrequency", {
                "heading": {"headingValue": 450, "headingConfidence": 127},
                "speed": {"speedValue": 1250, "speedConfidence": 127},
                "driveDirection": "forward",
                "vehicleLength": {"vehicleLengthValue": 45,
                                  "vehicleLengthConfidenceIndication": "unavailable"},
                "vehicleWidth": 18,
                "longitudinalAcceleration": {"longitudinalAccelerationValue": 161,
                                             "longitudinalAccelerationConfidence": 102},
                "curvature": {"curvatureValue": 1023, "curvatureConfidence": "unavailable"},
                "curvatureCalculationMode": "unavailable",
                "yawRate": {"yawRateValue": 32767, "yawRateConfidence": "unavailable"}})}}})
    return cam.to_uper()


@needs_tshark
def test_tshark_dissects_cam_frames(tmp_path):
    lat_e7, lon_e7 = round(LAT * 1e7), round(LON * 1e7)
    payload = _cam_uper(STATION_ID, lat_e7, lon_e7)
    pv = PositionVector(gn_address=gn_address_for(STATION_ID, StationType.PASSENGER_CAR),
                        timestamp_ms=987_654_321, lat_deg=LAT, lon_deg=LON,
                        speed_mps=12.5, heading_rad=math.radians(45))
    pkt = GnPacket(source=pv, btp_port=BTP_PORT[MessageId.CAM], payload=payload)
    frame = ethernet(build_gn(pkt), mac_for(STATION_ID))
    path = tmp_path / "cam.pcap"
    with PcapWriter(path, start_unix_us=START_US) as w:
        w.write(0, frame)
        w.write(100_000, frame)
    # kav reads back what it wrote
    assert [parse_gn(strip_ethernet(f)[1]) for _, f in read_pcap(path)] == [pkt, pkt]

    frames = decode(path)
    assert len(frames) == 2
    for fr in frames:
        f = fr["fields"]
        assert fr["protocols"] == "eth:ethertype:gnw:btpb:its"
        assert not fr["error"] and not fr["malformed"]
        assert fr["expert"] == []  # not even a note: RHL, MHL and reserved bits are canonical
        assert f["geonw.bh.version"] == ["1"]
        assert f["geonw.ch.htype"] == ["0x50"]
        assert f["geonw.ch.plength"] == [str(4 + len(payload))]
        assert f["geonw.src_pos.addr.type"] == ["5"]
        assert f["geonw.src_pos.addr.mid"] == ["02:4b:00:01:e2:40"]
        assert f["geonw.src_pos.tst"] == ["987654321"]
        assert f["geonw.src_pos.lat"] == [str(lat_e7)]
        assert f["geonw.src_pos.long"] == [str(lon_e7)]
        assert f["geonw.src_pos.speed"] == ["1250"]
        assert f["geonw.src_pos.hdg"] == ["450"]
        assert f["btpb.dstport"] == ["2001"]
        assert f["its.protocolVersion"] == ["2"] and f["its.messageID"] == ["2"]
        assert f["its.stationID"] == [str(STATION_ID)]
        assert f["its.latitude"] == [str(lat_e7)]
        assert f["its.longitude"] == [str(lon_e7)]
        assert f["cam.generationDeltaTime"] == ["4321"]
    assert frames[1]["fields"]["frame.time_epoch"] == ["1700000000.223456000"]


@needs_tshark
def test_tshark_utility_reports_malformed_payload(tmp_path):
    """The utility must not be vacuous: a truncated CAM shows up as an error."""
    payload = _cam_uper(STATION_ID, 0, 0)[:20]
    pv = PositionVector(gn_address_for(STATION_ID, 5), 0, 0.0, 0.0)
    path = tmp_path / "bad.pcap"
    with PcapWriter(path, start_unix_us=START_US) as w:
        w.write(0, ethernet(build_gn(GnPacket(pv, 2001, 0, payload)), mac_for(STATION_ID)))
    (fr,) = decode(path)
    assert fr["malformed"] and fr["error"]


@needs_tshark
def test_tshark_failure_is_reported(tmp_path):
    path = tmp_path / "junk.pcap"
    path.write_bytes(b"not a capture at all")
    with pytest.raises(RuntimeError, match="exited"):
        decode(path)
