"""The run's record of every transmitted V2X frame, and its export to pcap.

Layout: an 16-byte head (magic ``KAVV2X01``, ``start_unix_us`` int64 LE), then per frame
one :data:`v2x.transport.wire.TX_DTYPE` record (sender, time, antenna position, power,
size) followed by the frame (a GeoNetworking packet, as sent on the air). Written to
``path + ".partial"`` and renamed on a clean close, so a file at ``path`` is always whole;
``kav v2x pcap`` turns one into a Wireshark capture (Ethernet II, one frame per
transmission, stamped with its transmission time).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from v2x.errors import DecodeError
from v2x.framing import ethernet, mac_for
from v2x.pcap import PcapWriter
from v2x.transport.wire import TX_DTYPE

MAGIC = b"KAVV2X01"
_HEAD = struct.Struct("<8sq")


class FrameLogWriter:
    """Append transmitted frames; ``start_unix_us``: UTC of simulation time 0 [us]."""

    def __init__(self, path, *, start_unix_us: int):
        self.path = os.fspath(path)
        self.partial_path = self.path + ".partial"
        self.frames = 0
        self._f = open(self.partial_path, "wb", buffering=1 << 20)  # noqa: SIM115
        self._f.write(_HEAD.pack(MAGIC, int(start_unix_us)))

    def write(self, records: np.ndarray, frames: Sequence[bytes]) -> None:
        """records: (n,) TX_DTYPE with ``size`` matching each frame's length."""
        for rec, frame in zip(records.astype(TX_DTYPE, copy=False), frames):
            self._f.write(rec.tobytes())
            self._f.write(frame)
        self.frames += len(frames)

    def close(self) -> None:
        if self._f is None:
            return
        self._f.flush()
        os.fsync(self._f.fileno())
        self._f.close()
        self._f = None
        os.replace(self.partial_path, self.path)

    def abort(self) -> None:
        """Close without publishing (the ``.partial`` file stays for post-mortem)."""
        if self._f is not None:
            self._f.close()
            self._f = None

    def __enter__(self) -> FrameLogWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close() if exc_type is None else self.abort()


def read_frame_log(path) -> tuple[int, Iterator[tuple[np.void, bytes]]]:
    """(start_unix_us, iterator over (TX_DTYPE record, frame)). DecodeError naming the file
    when it is not a frame log or is cut short."""
    data = Path(path).read_bytes()
    if len(data) < _HEAD.size or data[:8] != MAGIC:
        raise DecodeError("malformed", f"{path}: not a kav V2X frame log (bad magic)")
    _, start = _HEAD.unpack_from(data)

    def frames():
        off, k, rs = _HEAD.size, 0, TX_DTYPE.itemsize
        while off < len(data):
            if off + rs > len(data):
                raise DecodeError("malformed", f"{path}: record {k} cut short at byte {off}")
            rec = np.frombuffer(data, TX_DTYPE, 1, off)[0]
            end = off + rs + int(rec["size"])
            if end > len(data):
                raise DecodeError("malformed", f"{path}: frame {k} cut short at byte {off}")
            yield rec, data[off + rs:end]
            off, k = end, k + 1

    return int(start), frames()


def to_pcap(log_path, pcap_path) -> int:
    """Write every frame of the log at ``log_path`` into a pcap; returns the frame count.
    The pcap appears only when complete (nothing is written on a bad log)."""
    start, frames = read_frame_log(log_path)
    w = PcapWriter(pcap_path, start_unix_us=start)
    try:
        for rec, frame in frames:
            w.write(int(rec["tx_time_us"]), ethernet(frame, mac_for(int(rec["sender"]))))
    except BaseException:
        w.abort()
        Path(w.partial_path).unlink(missing_ok=True)
        raise
    w.close()
    return w.frames
