"""A station host's connection to the air broker (one DEALER socket).

One client may host many stations (the simulator hosts every vehicle OBU and RSU of a run in
one client; a hardware board hosts its one OBU). Per tick it sends its stations' frames,
then :meth:`StationClient.sync`, then collects what arrived at its receivers with
:meth:`StationClient.receive`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import zmq

from v2x.errors import DecodeError
from v2x.transport import wire as W
from v2x.transport.air import HELLO


@dataclass(frozen=True)
class Delivery:
    """Frames that reached ``receiver`` by ``time_us`` [us]: records (n,) RX_DTYPE
    (arrival time, sender, ...) and the frame bytes, in arrival order."""

    receiver: int
    time_us: int
    records: np.ndarray
    frames: list[bytes]


class StationClient:
    """``endpoint``: the broker's ROUTER address; ``receivers``: station ids this client
    receives for (may be empty for a send-only host)."""

    def __init__(self, ctx: zmq.Context, endpoint: str, receivers: Sequence[int]):
        self.receivers = tuple(int(r) for r in receivers)
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self._seq = 0
        self.sock.send_multipart([HELLO, np.asarray(self.receivers, "<u4").tobytes(), b""])
        self.rejected = 0  # malformed deliveries dropped

    def close(self) -> None:
        self.sock.close(linger=0)

    def send(self, time_us: int, senders: np.ndarray, x: np.ndarray, y: np.ndarray,
             z: np.ndarray, power_dbm: np.ndarray, frames: Sequence[bytes]) -> None:
        """Transmit ``frames`` at ``time_us`` [us], one per sender: senders (n,) station ids;
        x, y (n,) [m] antenna positions; z (n,) [m] antenna heights; power_dbm (n,) [dBm]."""
        n = len(frames)
        if n == 0:
            return
        rec = np.empty(n, W.TX_DTYPE)
        rec["tx_time_us"] = time_us
        rec["sender"], rec["x"], rec["y"], rec["z"] = senders, x, y, z
        rec["power_dbm"] = power_dbm
        rec["size"] = [len(f) for f in frames]
        rec["seq"] = np.arange(self._seq, self._seq + n) & 0xFFFFFFFF
        self._seq += n
        self.sock.send_multipart([W.TX, rec.tobytes(), b"".join(frames)], copy=False)

    def world(self, time_us: int, boxes: np.ndarray) -> None:
        """Vehicle boxes (k,) BOX_DTYPE that may block links this tick."""
        head = np.array([(time_us, len(boxes))], W.WORLD_DTYPE)
        self.sock.send_multipart([W.WORLD, head.tobytes(), boxes.astype(W.BOX_DTYPE).tobytes()])

    def sync(self, time_us: int, positions: np.ndarray) -> None:
        """Everything up to ``time_us`` is sent; positions (m,) POS_DTYPE of this client's
        receivers now."""
        head = np.array([(0, len(positions), time_us)], W.SYNC_DTYPE)
        self.sock.send_multipart([W.SYNC, head.tobytes(),
                                  positions.astype(W.POS_DTYPE).tobytes()])

    def stop(self) -> None:
        """Ask a serving broker to stop."""
        self.sock.send_multipart([W.STOP, b"", b""])

    def receive(self, time_us: int, timeout_ms: int = 5000) -> dict[int, Delivery]:
        """Wait for tick ``time_us``'s delivery to each of this client's receivers.

        Malformed deliveries are counted in :attr:`rejected` and skipped; TimeoutError when
        the broker is silent for ``timeout_ms``.
        """
        out: dict[int, Delivery] = {}
        while len(out) < len(self.receivers):
            if not self.sock.poll(timeout_ms):
                raise TimeoutError(f"no delivery for tick {time_us} us within {timeout_ms} ms "
                                   f"({len(out)}/{len(self.receivers)} receivers)")
            try:
                d = self._parse(self.sock.recv_multipart(copy=True))
            except DecodeError:
                self.rejected += 1
                continue
            if d.time_us == time_us:
                out[d.receiver] = d
        return out

    def _parse(self, parts: list[bytes]) -> Delivery:
        if len(parts) != 3 or len(parts[0]) != 10 or not parts[0].startswith(b"rx"):
            raise DecodeError("malformed", "delivery is not [rx topic, header, payload]")
        topic, header, payload = parts
        try:
            receiver = int(topic[2:], 16)
        except ValueError as e:
            raise DecodeError("malformed", "bad receiver topic") from e
        hs = W.DELIVERY_DTYPE.itemsize
        if len(header) < hs:
            raise DecodeError("malformed", "delivery header too short")
        head = np.frombuffer(header[:hs], W.DELIVERY_DTYPE)[0]
        rec = W.records(header[hs:], W.RX_DTYPE, "delivery")
        if int(head["n"]) != len(rec):
            raise DecodeError("malformed", "delivery record count mismatch")
        return Delivery(receiver, int(head["time_us"]), rec,
                        W.split_payload(payload, rec["size"], "delivery"))
