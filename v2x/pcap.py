"""Classic libpcap capture files of the simulated air interface (Ethernet II frames).

Written files use magic 0xa1b2c3d4 (microsecond timestamps), little-endian, version 2.4,
snaplen 65535, link type 1 (Ethernet), so Wireshark/tshark open them directly.

Crash safety: :class:`PcapWriter` writes ``path + ".partial"`` and renames it to ``path``
only on a clean close, so a file at ``path`` is always complete; a crashed run leaves the
frames written so far in the ``.partial`` file for post-mortem.
"""

from __future__ import annotations

import os
import struct

from v2x.errors import DecodeError

LINKTYPE_ETHERNET = 1
SNAPLEN = 65535
_MAGIC_US = 0xA1B2C3D4
_MAGIC_NS = 0xA1B23C4D
_GLOBAL = struct.Struct("<IHHiIII")  # magic, version 2.4, thiszone, sigfigs, snaplen, link
_RECORD = struct.Struct("<IIII")  # ts_sec, ts_usec, captured length, original length


class PcapWriter:
    """Context manager writing a capture; ``write(time_us, frame)`` stamps each frame at
    ``start_unix_us + time_us`` [us since 1970, UTC].

    ``path`` appears (atomically, by rename) only after :meth:`close` or a ``with`` block
    that exits without an exception; an existing file at ``path`` is untouched until then.
    """

    def __init__(self, path, *, start_unix_us: int):
        if start_unix_us < 0:
            raise ValueError("start_unix_us must be >= 0")
        self.path = os.fspath(path)
        self.partial_path = self.path + ".partial"
        self.start_unix_us = int(start_unix_us)
        self.frames = 0
        # A large buffer: the simulator writes thousands of small frames per simulated second.
        self._file = open(self.partial_path, "wb", buffering=1 << 20)  # noqa: SIM115
        self._file.write(_GLOBAL.pack(_MAGIC_US, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))

    def write(self, time_us: int, frame: bytes) -> None:
        """Append ``frame`` (a whole Ethernet frame, no FCS) at simulation time ``time_us``
        [us since run start]. Raises ValueError for a time before 1970 or a frame longer
        than the snaplen (frames are never truncated silently)."""
        if self._file is None:
            raise ValueError("write to a closed PcapWriter")
        ts = self.start_unix_us + time_us
        if ts < 0:
            raise ValueError(f"time_us {time_us} is before 1970")
        n = len(frame)
        if n > SNAPLEN:
            raise ValueError(f"frame of {n} bytes exceeds the snaplen {SNAPLEN}")
        sec, usec = divmod(ts, 1_000_000)
        self._file.write(_RECORD.pack(sec, usec, n, n))
        self._file.write(frame)
        self.frames += 1

    def close(self) -> None:
        """Finish the file: flush, fsync (so the rename never exposes an empty file after a
        power loss) and rename ``.partial`` to ``path``. Idempotent."""
        f = self._file
        if f is None:
            return
        self._file = None
        try:
            f.flush()
            os.fsync(f.fileno())
        finally:
            f.close()
        os.replace(self.partial_path, self.path)

    def abort(self) -> None:
        """Close without publishing: ``path`` is not created or replaced."""
        if self._file is not None:
            f, self._file = self._file, None
            f.close()

    def __enter__(self) -> PcapWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def read_pcap(path) -> list[tuple[int, bytes]]:
    """Read a classic pcap of Ethernet frames -> ``[(unix_us, frame), ...]``.

    Accepts either byte order and microsecond or nanosecond timestamps (nanoseconds are
    floored to microseconds). Raises DecodeError("malformed" or "unsupported") whose detail
    names the file; an unreadable file raises OSError as usual.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < _GLOBAL.size:
        raise DecodeError("malformed", f"{path}: pcap global header truncated")
    magic = int.from_bytes(data[:4], "little")
    if magic in (_MAGIC_US, _MAGIC_NS):
        order = "<"
    elif int.from_bytes(data[:4], "big") in (_MAGIC_US, _MAGIC_NS):
        order, magic = ">", int.from_bytes(data[:4], "big")
    elif data[:4] == b"\x0a\x0d\x0d\x0a":
        raise DecodeError("unsupported", f"{path}: pcapng is not supported")
    else:
        raise DecodeError("malformed", f"{path}: not a pcap file (magic {data[:4].hex()})")
    _m, major, _minor, _zone, _sigfigs, _snaplen, link = struct.unpack_from(
        order + _GLOBAL.format[1:], data)
    if major != 2:
        raise DecodeError("unsupported", f"{path}: pcap version {major}")
    if link != LINKTYPE_ETHERNET:
        raise DecodeError("unsupported", f"{path}: link type {link} (expected 1, Ethernet)")
    record = struct.Struct(order + _RECORD.format[1:])
    frac_per_s = 1_000_000 if magic == _MAGIC_US else 1_000_000_000
    out = []
    off = _GLOBAL.size
    while off < len(data):
        if off + record.size > len(data):
            raise DecodeError("malformed", f"{path}: record {len(out)} header truncated")
        sec, frac, incl, orig = record.unpack_from(data, off)
        off += record.size
        if frac >= frac_per_s or incl > orig:
            raise DecodeError("malformed", f"{path}: record {len(out)} has a bad header")
        if off + incl > len(data):
            raise DecodeError("malformed", f"{path}: record {len(out)} data truncated")
        out.append((sec * 1_000_000 + frac * 1_000_000 // frac_per_s, data[off:off + incl]))
        off += incl
    return out
