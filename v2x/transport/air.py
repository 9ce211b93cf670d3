"""The "air": a ZeroMQ broker that applies the radio channel per receiver and delivers
every frame in simulation time.

Stations (:class:`v2x.transport.client.StationClient`) connect with a DEALER socket to the
broker's ROUTER, say hello with the receiver ids they host, then per simulation tick send
their frames (``TX``) and a ``SYNC`` carrying the tick's time and their receivers'
positions. One DEALER per client keeps each client's frames ordered before its sync. When
every registered client has synced tick ``t``:

1. the channel decides, for every frame sent since the last tick and every receiver, whether
   it is delivered and with what latency (the sender never hears itself);
2. each delivery is held until its arrival time ``tx_time + latency`` (latency >= 1 us: a
   frame never arrives at or before the instant it was sent);
3. each receiver gets one batch with everything that has arrived by ``t``, in order of
   (arrival, sender, sequence number) — an empty batch too, so a receiver can wait for
   "tick t is complete" without guessing.

The broker itself is deterministic: the channel draws from a generator seeded by
(seed, t), so the same frames and positions give the same deliveries in any process.
``inproc://`` endpoints serve a single-process run (the simulator drives :meth:`pump`);
``tcp://`` endpoints serve stations in other processes (:meth:`serve` in its own thread or
process, as the hardware bridge will use it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import zmq

from v2x.errors import DecodeError
from v2x.transport import wire as W

HELLO = b"hello"


class ChannelFn(Protocol):
    """What the broker needs of a channel model.

    ``__call__(time_us, tx, rx, boxes, rng)``: tx (n,) :data:`wire.TX_DTYPE` frames, rx (m,)
    :data:`wire.POS_DTYPE` receivers, boxes (k,) :data:`wire.BOX_DTYPE` vehicle blockers ->
    (delivered (n, m) bool, latency_us (n, m) int64 [us], rx_power_dbm (n, m) float32).
    """

    def __call__(self, time_us: int, tx: np.ndarray, rx: np.ndarray, boxes: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...


@dataclass(frozen=True)
class IdealChannel:
    """Every frame within ``range_m`` [m] arrives after exactly ``latency_us`` [us]; for
    tests and for separating transport cost from channel cost in benchmarks."""

    range_m: float = 300.0
    latency_us: int = 1000

    def __call__(self, time_us, tx, rx, boxes, rng):
        d = np.hypot(tx["x"][:, None] - rx["x"][None, :], tx["y"][:, None] - rx["y"][None, :])
        ok = (d <= self.range_m) & (tx["sender"][:, None] != rx["id"][None, :])
        lat = np.full(ok.shape, max(int(self.latency_us), 1), np.int64)
        return ok, lat, np.zeros(ok.shape, np.float32)


@dataclass
class _Client:
    identity: bytes
    receivers: tuple[int, ...]
    synced: int | None = None  # time_us of the tick this client last synced


@dataclass
class _InFlight:
    """Deliveries decided in one tick, waiting for their arrival time."""

    rx: np.ndarray  # (k,) int64 receiver station id
    rec: np.ndarray  # (k,) RX_DTYPE
    data: np.ndarray  # (k,) object: frame bytes (shared between receivers of one frame)


@dataclass
class BrokerStats:
    ticks: int = 0
    frames_in: int = 0
    deliveries: int = 0
    lost: int = 0  # (frame, receiver) pairs the channel did not deliver
    rejected: dict = field(default_factory=dict)  # malformed client messages by reason


class AirBroker:
    """The air between stations; see the module docstring.

    ``endpoint``: where the ROUTER binds (``inproc://name`` or ``tcp://127.0.0.1:*``; the
    bound address is :attr:`endpoint`); ``channel``: a :class:`ChannelFn`; ``clients``:
    how many clients must say hello before ticks run; ``seed``: channel randomness.
    """

    def __init__(self, ctx: zmq.Context, endpoint: str, channel: ChannelFn, *,
                 clients: int = 1, seed: int = 0):
        self.channel, self.seed, self.n_clients = channel, int(seed), int(clients)
        self.sock = ctx.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.ROUTER_MANDATORY, 1)  # a vanished client is an error, not
        self.sock.bind(endpoint)                       # a silent drop
        self.endpoint = self.sock.getsockopt_string(zmq.LAST_ENDPOINT)
        self.clients: dict[bytes, _Client] = {}
        self.positions: dict[int, np.ndarray] = {}  # receiver id -> POS_DTYPE record
        self.owner: dict[int, bytes] = {}  # receiver id -> client identity
        self.pending_tx: list[np.ndarray] = []
        self.pending_data: list[list[bytes]] = []
        self.boxes = np.zeros(0, W.BOX_DTYPE)
        self.inflight: list[_InFlight] = []
        self.stats = BrokerStats()
        self.last_tick: int | None = None
        self.stopped = False

    def close(self) -> None:
        self.sock.close(linger=0)

    # -- receiving ----------------------------------------------------------------------

    def _reject(self, reason: str) -> None:
        self.stats.rejected[reason] = self.stats.rejected.get(reason, 0) + 1

    def _handle(self, parts: list[bytes]) -> int | None:
        """Process one client message; returns the tick time when it completes a tick."""
        if len(parts) != 4:
            self._reject("malformed")
            return None
        ident, topic, header, payload = parts
        try:
            if topic == HELLO:
                self._hello(ident, header)
            elif ident not in self.clients:
                raise DecodeError("unknown-client", "message before hello")
            elif topic == W.TX:
                rec = W.records(header, W.TX_DTYPE, "tx")
                self.pending_data.append(W.split_payload(payload, rec["size"], "tx"))
                self.pending_tx.append(rec.copy())
            elif topic == W.SYNC:
                return self._sync(ident, header, payload)
            elif topic == W.WORLD:
                head = W.records(header, W.WORLD_DTYPE, "world")
                boxes = W.records(payload, W.BOX_DTYPE, "world boxes")
                if len(head) != 1 or int(head["n"][0]) != len(boxes):
                    raise DecodeError("malformed", "world: box count mismatch")
                self.boxes = boxes.copy()
            elif topic == W.STOP:
                self.stopped = True
            else:
                raise DecodeError("malformed", f"unknown topic {topic[:16]!r}")
        except DecodeError as e:
            self._reject(e.reason)
        return None

    def _hello(self, ident: bytes, header: bytes) -> None:
        ids = W.records(header, np.dtype("<u4"), "hello")
        for r in ids.tolist():
            if r in self.owner and self.owner[r] != ident:
                raise DecodeError("duplicate-receiver", f"receiver {r} already registered")
        self.clients[ident] = _Client(ident, tuple(int(r) for r in ids))
        for r in ids.tolist():
            self.owner[int(r)] = ident

    def _sync(self, ident: bytes, header: bytes, payload: bytes) -> int | None:
        head = W.records(header, W.SYNC_DTYPE, "sync")
        pos = W.records(payload, W.POS_DTYPE, "sync positions")
        if len(head) != 1 or int(head["n_pos"][0]) != len(pos):
            raise DecodeError("malformed", "sync: position count mismatch")
        t = int(head["time_us"][0])
        if self.last_tick is not None and t <= self.last_tick:
            raise DecodeError("stale-sync", f"tick {t} us is not after {self.last_tick} us")
        client = self.clients[ident]
        for p in pos:
            if int(p["id"]) in client.receivers:
                self.positions[int(p["id"])] = p
        client.synced = t
        if len(self.clients) < self.n_clients:
            return None
        times = {c.synced for c in self.clients.values()}
        if len(times) == 1 and t in times:
            return t
        return None

    # -- one tick -------------------------------------------------------------------------

    def _tick(self, t: int) -> None:
        rx_ids = sorted(self.positions)
        rx = (np.array([self.positions[i] for i in rx_ids], W.POS_DTYPE) if rx_ids
              else np.zeros(0, W.POS_DTYPE))
        if self.pending_tx:
            tx = np.concatenate(self.pending_tx)
            data = [d for batch in self.pending_data for d in batch]
            self.pending_tx, self.pending_data = [], []
            self.stats.frames_in += len(tx)
            if len(rx):
                self._decide(t, tx, data, rx)
        self._release(t, rx_ids)
        for c in self.clients.values():
            c.synced = None
        self.last_tick = t
        self.stats.ticks += 1

    def _decide(self, t: int, tx: np.ndarray, data: list[bytes], rx: np.ndarray) -> None:
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(t,)))
        ok, lat, power = self.channel(t, tx, rx, self.boxes, rng)
        ok = np.asarray(ok, bool) & (tx["sender"][:, None] != rx["id"][None, :])
        fi, rj = np.nonzero(ok)
        self.stats.deliveries += len(fi)
        self.stats.lost += int(ok.size - len(fi))
        if not len(fi):
            return
        rec = np.empty(len(fi), W.RX_DTYPE)
        rec["arrival_us"] = tx["tx_time_us"][fi] + np.maximum(lat[fi, rj], 1)
        rec["tx_time_us"] = tx["tx_time_us"][fi]
        rec["sender"], rec["seq"], rec["size"] = tx["sender"][fi], tx["seq"][fi], tx["size"][fi]
        rec["rx_power_dbm"] = power[fi, rj]
        frames = np.empty(len(data), object)
        frames[:] = data
        self.inflight.append(_InFlight(rx["id"][rj].astype(np.int64), rec, frames[fi]))

    def _release(self, t: int, rx_ids: Sequence[int]) -> None:
        parts_rx, parts_rec, parts_data, keep = [], [], [], []
        for f in self.inflight:
            due = f.rec["arrival_us"] <= t
            if due.all():
                parts_rx.append(f.rx), parts_rec.append(f.rec), parts_data.append(f.data)
            elif due.any():
                parts_rx.append(f.rx[due]), parts_rec.append(f.rec[due])
                parts_data.append(f.data[due])
                keep.append(_InFlight(f.rx[~due], f.rec[~due], f.data[~due]))
            else:
                keep.append(f)
        self.inflight = keep
        if parts_rx:
            rxs = np.concatenate(parts_rx)
            rec = np.concatenate(parts_rec)
            data = np.concatenate(parts_data)
            order = np.lexsort((rec["seq"], rec["sender"], rec["arrival_us"], rxs))
            rxs, rec, data = rxs[order], rec[order], data[order]
            bounds = np.searchsorted(rxs, np.asarray(rx_ids, np.int64), side="left")
            ends = np.searchsorted(rxs, np.asarray(rx_ids, np.int64), side="right")
        else:
            rec = np.zeros(0, W.RX_DTYPE)
            data = np.zeros(0, object)
            bounds = ends = np.zeros(len(rx_ids), np.int64)
        for r, a, b in zip(rx_ids, bounds.tolist(), ends.tolist()):
            head = np.array([(t, b - a, 0)], W.DELIVERY_DTYPE)
            self.sock.send_multipart([self.owner[r], W.rx_topic(r),
                                      head.tobytes() + rec[a:b].tobytes(),
                                      b"".join(data[a:b].tolist())], copy=False)

    # -- driving --------------------------------------------------------------------------

    def pump(self, timeout_ms: int = 5000) -> int:
        """Process client messages until a tick completes; returns its time [us].

        TimeoutError when no tick completes within ``timeout_ms`` of silence.
        """
        while True:
            if not self.sock.poll(timeout_ms):
                raise TimeoutError(f"air broker: no tick completed within {timeout_ms} ms "
                                   f"({len(self.clients)}/{self.n_clients} clients)")
            t = self._handle(self.sock.recv_multipart(copy=True))
            if t is not None:
                self._tick(t)
                return t
            if self.stopped:
                raise EOFError("air broker stopped")

    def serve(self, idle_timeout_ms: int = 60_000) -> None:
        """Run ticks until a client sends ``STOP`` (or ``idle_timeout_ms`` of silence)."""
        try:
            while not self.stopped:
                self.pump(idle_timeout_ms)
        except EOFError:
            pass
