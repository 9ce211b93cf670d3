"""Wire layout of the air broker's ZeroMQ messages: multipart ``[topic, header, payload]``.

Headers are packed NumPy structured records (little-endian, fixed layout), payloads raw
frame bytes concatenated in record order. Nothing is ever unpickled: a receiver checks the
topic, the header length against the record size and the payload length against the sizes
the records declare, and rejects anything else with :class:`v2x.errors.DecodeError`.

Topics
- ``TX``: station -> broker, a batch of transmitted frames: header = n x :data:`TX_DTYPE`,
  payload = the frames (GeoNetworking packets).
- ``SYNC``: station -> broker, "I have sent everything up to ``time_us``": header =
  1 x :data:`SYNC_DTYPE` (it also reports the station's receivers' positions for this tick,
  payload = m x :data:`POS_DTYPE`).
- ``WORLD``: simulator -> broker, vehicle boxes that can block links this tick: header =
  1 x :data:`WORLD_DTYPE`, payload = k x :data:`BOX_DTYPE`.
- ``rx`` + receiver id (8 hex digits): broker -> receivers, everything that arrived at that
  receiver up to ``time_us``: header = 1 x :data:`DELIVERY_DTYPE` then n x :data:`RX_DTYPE`,
  payload = the frames.
"""

from __future__ import annotations

import numpy as np

from v2x.errors import DecodeError

TX = b"tx"
SYNC = b"sync"
WORLD = b"world"
STOP = b"stop"

# one transmitted frame. tx_time_us: simulation time it was sent [us]; sender: station id;
# x, y [m] map frame, z [m] antenna height above ground; power_dbm: transmit power [dBm];
# size: frame length [bytes]; seq: the sender's running frame counter (orders ties)
TX_DTYPE = np.dtype([("tx_time_us", "<i8"), ("sender", "<u4"), ("seq", "<u4"),
                     ("x", "<f8"), ("y", "<f8"), ("z", "<f4"), ("power_dbm", "<f4"),
                     ("size", "<u4")])
# client: who is syncing; time_us: simulation time reached [us]; n_pos: receiver positions
# that follow in the payload
SYNC_DTYPE = np.dtype([("client", "<u4"), ("n_pos", "<u4"), ("time_us", "<i8")])
# a receiving station's position this tick. id: station id; x, y [m]; z [m] antenna height
POS_DTYPE = np.dtype([("id", "<u4"), ("x", "<f8"), ("y", "<f8"), ("z", "<f4")])
WORLD_DTYPE = np.dtype([("time_us", "<i8"), ("n", "<u4")])
# a vehicle box that can block links: centre x, y [m], yaw [rad], length, width, height [m]
BOX_DTYPE = np.dtype([("id", "<u4"), ("x", "<f8"), ("y", "<f8"), ("yaw", "<f8"),
                      ("length", "<f4"), ("width", "<f4"), ("height", "<f4")])
# the head of a delivery batch: time_us the batch covers up to [us]; n frames follow
DELIVERY_DTYPE = np.dtype([("time_us", "<i8"), ("n", "<u4"), ("dropped", "<u4")])
# one delivered frame: arrival_us [us] (>= tx_time_us + 1); tx_time_us; sender; seq;
# rx_power_dbm [dBm]; size [bytes]
RX_DTYPE = np.dtype([("arrival_us", "<i8"), ("tx_time_us", "<i8"), ("sender", "<u4"),
                     ("seq", "<u4"), ("rx_power_dbm", "<f4"), ("size", "<u4")])


def rx_topic(station: int) -> bytes:
    """Topic of a receiver's delivery stream (fixed width, so no id prefixes another)."""
    return b"rx%08x" % station


def records(header: bytes, dtype: np.dtype, what: str) -> np.ndarray:
    """``header`` as an array of ``dtype`` records; DecodeError unless it holds whole ones."""
    if len(header) % dtype.itemsize:
        raise DecodeError("malformed", f"{what}: header of {len(header)} bytes is not a "
                                       f"whole number of {dtype.itemsize}-byte records")
    return np.frombuffer(header, dtype=dtype)


def split_payload(payload: bytes, sizes: np.ndarray, what: str) -> list[bytes]:
    """Cut ``payload`` into frames of ``sizes`` bytes; DecodeError unless they add up."""
    total = int(sizes.sum(dtype=np.int64))
    if total != len(payload):
        raise DecodeError("malformed", f"{what}: records declare {total} payload bytes, "
                                       f"got {len(payload)}")
    ends = np.cumsum(sizes, dtype=np.int64).tolist()
    mv = memoryview(payload)
    out, start = [], 0
    for e in ends:
        out.append(bytes(mv[start:e]))
        start = e
    return out
