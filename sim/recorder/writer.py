"""RecordingWriter: a run as a chunked, hash-chained, signed MCAP file.

Channels (``log_time`` = simulation time in ns; message encodings in brackets):

* the manifest (scenario, map hash, seed, versions: the caller's; plus the public key and
  each attachment's SHA-256) as the MCAP metadata record ``kav.manifest`` (key ``json``).
* per step k, in this order: ``/kav/state`` [kav.state.v1, exact bytes, see
  :mod:`sim.recorder.state_codec`], ``/v2x/frames`` [kav.v2x.frames: the step's frames, each
  ``<I`` station id, ``<q`` tx time [us], ``<I`` length, then the raw frame], ``/kav/planner``
  [json], ``/kav/events`` [json list, only when there are any], ``/kav/ego`` [json, for
  Plot panels], ``/foxglove/scene`` [json ``foxglove.SceneUpdate``: one cube per actor, ego
  red; every ``scene_every``-th step], and last ``/kav/step``
  [json]: k, time_us, the run's state-history hash ``sim_hash`` and the record hash.
* ``/kav/summary`` [json] the run's result, then ``/kav/trailer`` [json]: the signature.

Record hash chain: ``h(-1) = sha256(manifest bytes)``; ``h(k) = sha256(h(k-1) ||
for each message of step k: topic, 0x00, sha256(data))``; ``/kav/step`` also lists each
message's digest so a verifier can name the altered one. The trailer signs (Ed25519)
``b"kav-recording-v1\\n" + sha256(manifest) + h(last) + sha256(summary)``.

A step is whole once its ``/kav/step`` message is in the file; the file is flushed and
fsynced every ``sync_every`` steps, so a killed run leaves every step up to the last chunk
the MCAP writer emitted. :meth:`abort` closes the file without a trailer: incomplete.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from mcap.writer import CompressionType, Writer

from sim.recorder.keys import public_bytes
from sim.recorder.state_codec import SCHEMA, encode_state
from sim.state import WorldState

SIGNATURE_CONTEXT = b"kav-recording-v1\n"
FRAME_HEAD = struct.Struct("<IqI")
TOPICS = ("/kav/state", "/v2x/frames", "/kav/planner", "/kav/events",
          "/kav/ego", "/foxglove/scene", "/kav/step", "/kav/summary", "/kav/trailer",
          "/kav/aborted")
_BINARY = {"/kav/state": "kav.state.v1", "/v2x/frames": "kav.v2x.frames"}
# colour by ActorKind: car, bus, truck, motorcycle, pedestrian, cyclist
_COLOURS = ((0.25, 0.45, 0.85), (0.1, 0.6, 0.3), (0.5, 0.4, 0.3), (0.9, 0.6, 0.1),
            (0.6, 0.2, 0.7), (0.1, 0.7, 0.7))
_HEIGHT = (1.5, 3.2, 3.0, 1.4, 1.7, 1.7)
_SCENE_SCHEMA = json.dumps({
    "title": "foxglove.SceneUpdate", "type": "object",
    "properties": {"deletions": {"type": "array"}, "entities": {"type": "array", "items": {
        "type": "object", "properties": {
            "timestamp": {"type": "object"}, "frame_id": {"type": "string"},
            "id": {"type": "string"}, "lifetime": {"type": "object"},
            "frame_locked": {"type": "boolean"}, "cubes": {"type": "array"}}}}}}).encode()


def _json(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, allow_nan=False,
                      default=_default).encode("utf-8")


def _default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"{type(o).__name__} is not JSON-serialisable")


class RecordingWriter:
    """See the module docstring. ``key`` signs; ``attachments`` (name -> bytes) travel as
    MCAP attachments (the map, the scenario file); ``scene_every``: write the Foxglove scene
    every n-th step (states are always written)."""

    def __init__(self, path, manifest: dict, key: Ed25519PrivateKey, *,
                 attachments: dict[str, bytes] | None = None, chunk_size: int = 1 << 20,
                 scene_every: int = 1, sync_every: int = 100,
                 compression: str = "zstd") -> None:
        self.path = Path(path)
        self._fh = open(self.path, "wb")  # noqa: SIM115 - closed in close()/abort()
        comp = {"zstd": CompressionType.ZSTD, "lz4": CompressionType.LZ4,
                "none": CompressionType.NONE}[compression]
        # data-section CRC on: a verifier can tell an edit anywhere in the data section
        self._w = Writer(self._fh, chunk_size=chunk_size, compression=comp,
                         enable_data_crcs=True)
        self._w.start(profile="", library="kav")
        self._key = key
        self._seq = 0
        self.public_key = public_bytes(key)
        self.scene_every, self.sync_every = max(1, int(scene_every)), max(1, int(sync_every))
        # the manifest lists each attachment's SHA-256, so the signature covers them too
        att = {name: hashlib.sha256(bytes(d)).hexdigest()
               for name, d in (attachments or {}).items()}
        self._manifest = _json({**manifest, "public_key": self.public_key.hex(),
                                "attachments_sha256": att})
        # metadata and attachments go straight to the file (not into a chunk), so even a run
        # killed in its first second leaves a file that says what it was
        self._w.add_metadata("kav.manifest", {"json": self._manifest.decode("utf-8")})
        for name, data in sorted((attachments or {}).items()):
            self._w.add_attachment(0, 0, name, "application/octet-stream", bytes(data))
        self._sync()
        self._ch = {}
        for topic in TOPICS:
            if topic in _BINARY:
                sid = self._w.register_schema(f"kav{topic.replace('/', '.')}", "jsonschema",
                                              SCHEMA if topic == "/kav/state" else b"{}")
                self._ch[topic] = self._w.register_channel(topic, _BINARY[topic], sid)
            else:
                name = "foxglove.SceneUpdate" if topic == "/foxglove/scene" else \
                    f"kav{topic.replace('/', '.')}"
                sid = self._w.register_schema(
                    name, "jsonschema",
                    _SCENE_SCHEMA if topic == "/foxglove/scene" else b'{"type":"object"}')
                self._ch[topic] = self._w.register_channel(topic, "json", sid)
        self.record_hash = hashlib.sha256(self._manifest).digest()
        self.last_k: int | None = None
        self._last_t = 0
        self._closed = False

    def _add(self, topic: str, log_time_ns: int, data: bytes) -> None:
        self._seq += 1
        self._w.add_message(self._ch[topic], log_time_ns, data, log_time_ns, self._seq)

    def write_step(self, k: int, state: WorldState, sim_hash: bytes, *,
                   frames: Sequence[tuple[int, int, bytes]] = (), planner: dict | None = None,
                   events: Sequence[dict] = (), ego: dict | None = None) -> None:
        """Record state ``k`` (0 = initial) with what happened in the step leading to it."""
        if self._closed:
            raise ValueError(f"{self.path}: recording already closed")
        t_ns = int(state.time_us) * 1000
        msgs = [("/kav/state", encode_state(state))]
        if frames:  # one message per step: MCAP's per-message cost dominates small frames
            msgs.append(("/v2x/frames", b"".join(
                FRAME_HEAD.pack(int(sid), int(tx), len(raw)) + bytes(raw)
                for sid, tx, raw in frames)))
        if planner is not None:
            msgs.append(("/kav/planner", _json(planner)))
        if events:
            msgs.append(("/kav/events", _json(list(events))))
        if ego is not None:
            msgs.append(("/kav/ego", _json(ego)))
        if k % self.scene_every == 0:
            msgs.append(("/foxglove/scene", scene_update(state)))
        h = hashlib.sha256(self.record_hash)
        digests = []
        for topic, data in msgs:
            d = hashlib.sha256(data).digest()
            h.update(topic.encode() + b"\0" + d)
            digests.append([topic, d.hex()[:16]])
            self._add(topic, t_ns, data)
        self.record_hash = h.digest()
        self._add("/kav/step", t_ns, _json({
            "k": int(k), "time_us": int(state.time_us), "sim_hash": bytes(sim_hash).hex(),
            "record_hash": self.record_hash.hex(), "messages": digests}))
        self.last_k, self._last_t = int(k), t_ns
        if (k + 1) % self.sync_every == 0:
            self._sync()

    def _sync(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self, summary: dict) -> bytes:
        """Write the summary and the signed trailer; returns the final record hash."""
        t_ns = self._t_end()
        data = _json(summary)
        self._add("/kav/summary", t_ns, data)
        signed = (SIGNATURE_CONTEXT + hashlib.sha256(self._manifest).digest() + self.record_hash
                  + hashlib.sha256(data).digest())
        self._add("/kav/trailer", t_ns, _json({
            "algorithm": "Ed25519", "public_key": self.public_key.hex(),
            "manifest_sha256": hashlib.sha256(self._manifest).hexdigest(),
            "final_record_hash": self.record_hash.hex(),
            "summary_sha256": hashlib.sha256(data).hexdigest(),
            "last_step": self.last_k, "signature": self._key.sign(signed).hex()}))
        self._finish()
        return self.record_hash

    def abort(self, reason: str) -> None:
        """Stop: what is written stays readable, and the file says it is incomplete."""
        if self._closed:
            return
        self._add("/kav/aborted", self._t_end(), _json({"reason": reason,
                                                        "last_step": self.last_k}))
        self._finish()

    def _t_end(self) -> int:
        return self._last_t

    def _finish(self) -> None:
        self._w.finish()
        self._sync()
        self._fh.close()
        self._closed = True

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            self.abort(f"{exc_type.__name__}: {exc}")
        return False


_CUBE = ('{"timestamp":{"sec":%d,"nsec":%d},"frame_id":"map","id":"%d",'
         '"lifetime":{"sec":0,"nsec":0},"frame_locked":false,"cubes":[{"pose":'
         '{"position":{"x":%.3f,"y":%.3f,"z":%.2f},"orientation":{"x":0,"y":0,"z":%.6f,'
         '"w":%.6f}},"size":{"x":%.2f,"y":%.2f,"z":%.2f},"color":{"r":%.2f,"g":%.2f,'
         '"b":%.2f,"a":0.9}}]}')


def scene_update(state: WorldState) -> bytes:
    """A ``foxglove.SceneUpdate`` (JSON) with one cube per valid actor, in frame "map";
    built as text because it is written every step."""
    rows = np.nonzero(state.valid)[0]
    sec, nsec = divmod(int(state.time_us) * 1000, 1_000_000_000)
    half = 0.5 * state.yaw[rows]
    qz, qw = np.sin(half), np.cos(half)
    kinds = state.kind[rows].astype(int)
    parts = []
    for i, r in enumerate(rows.tolist()):
        kd = min(max(kinds[i], 0), 5)
        c = (0.9, 0.1, 0.1) if r == 0 else _COLOURS[kd]
        x, y = float(state.x[r]), float(state.y[r])
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        vals = (sec, nsec, int(state.actor_id[r]), x, y, _HEIGHT[kd] / 2, qz[i], qw[i],
                state.length[r], state.width[r], _HEIGHT[kd], *c)
        parts.append(_CUBE % vals)  # noqa: UP031 - the fastest formatting, run every step
    return ('{"deletions":[],"entities":[' + ",".join(parts) + "]}").encode()
