"""The run's frame log: round trip, crash safety, damaged files, pcap export."""

import numpy as np
import pytest

from v2x.errors import DecodeError
from v2x.framelog import FrameLogWriter, read_frame_log, to_pcap
from v2x.pcap import read_pcap
from v2x.transport.wire import TX_DTYPE

START = 1_772_400_000_000_000


def _records(frames, t=50_000):
    rec = np.zeros(len(frames), TX_DTYPE)
    rec["tx_time_us"], rec["sender"] = t, np.arange(1, len(frames) + 1)
    rec["size"] = [len(f) for f in frames]
    return rec


def test_round_trip_and_pcap(tmp_path):
    path = tmp_path / "f.kavlog"
    frames = [b"\x11" * 30, b"\x22" * 5, b""]
    with FrameLogWriter(path, start_unix_us=START) as w:
        w.write(_records(frames), frames)
        w.write(_records([b"x"], t=100_000), [b"x"])
    start, it = read_frame_log(path)
    got = list(it)
    assert start == START
    assert [f for _, f in got] == frames + [b"x"]
    assert [int(r["tx_time_us"]) for r, _ in got] == [50_000] * 3 + [100_000]
    n = to_pcap(path, tmp_path / "f.pcap")
    cap = read_pcap(tmp_path / "f.pcap")
    assert n == 4 and len(cap) == 4
    assert cap[0][0] == START + 50_000
    assert cap[0][1][:6] == b"\xff" * 6 and cap[0][1][12:14] == b"\x89\x47"
    assert cap[0][1][14:] == frames[0]


def test_crash_leaves_no_complete_looking_log(tmp_path):
    path = tmp_path / "f.kavlog"
    with pytest.raises(RuntimeError), FrameLogWriter(path, start_unix_us=START) as w:
        w.write(_records([b"a"]), [b"a"])
        raise RuntimeError("simulated crash")
    assert not path.exists() and (tmp_path / "f.kavlog.partial").exists()


def test_damaged_logs_are_rejected_naming_the_file(tmp_path):
    path = tmp_path / "f.kavlog"
    with FrameLogWriter(path, start_unix_us=START) as w:
        w.write(_records([b"abcdef"]), [b"abcdef"])
    data = path.read_bytes()
    (tmp_path / "cut.kavlog").write_bytes(data[:-2])
    (tmp_path / "bad.kavlog").write_bytes(b"NOTALOG!" + data[8:])
    for name in ("cut.kavlog", "bad.kavlog"):
        with pytest.raises(DecodeError, match=name):
            list(read_frame_log(tmp_path / name)[1])
    with pytest.raises(DecodeError):
        to_pcap(tmp_path / "cut.kavlog", tmp_path / "out.pcap")
    assert not (tmp_path / "out.pcap").exists() and not (tmp_path / "out.pcap.partial").exists()
