"""RecordingWriter: a run as a chunked, hash-chained, Ed25519-signed MCAP file.

Records, in file order (``log_time`` of step k's messages = ``state.time_us * 1000`` ns):

* metadata ``kav.recording`` (outside any chunk): ``format``, ``public_key`` (hex, raw
  32-byte Ed25519) and ``manifest_sha256``; then one MCAP attachment per given file.
* ``/kav/manifest`` [json]: the caller's manifest plus ``public_key`` and
  ``attachments_sha256`` (so the signature covers the attachments); its own chunk, on disk
  before the first step.
* per step k, in this order: ``/kav/state`` [``kav.state.v1``: exact bytes; its schema
  ``kav.WorldState`` (encoding ``kav.layout.v1+json``) lists every array's name, dtype and
  shape, see :mod:`sim.recorder.state_codec`]; ``/v2x/frames`` [json, one message per frame:
  ``{"station", "tx_time_us", "payload": base64}``, publish_time = tx time]; ``/kav/planner``
  [json]; ``/kav/events`` [json list, only when there are any]; ``/kav/ego`` [json, for Plot
  panels]; ``/foxglove/scene`` [json ``foxglove.SceneUpdate``, every ``scene_every``-th
  step, see :mod:`sim.recorder.scene`]; last ``/kav/step`` [json: ``k``, ``time_us``,
  ``sim_hash``, ``record_hash``, ``messages``: [topic, first 16 hex of sha256(data)]].
* ``/kav/summary`` [json], then ``/kav/trailer`` [json] -- or ``/kav/aborted`` [json].

Record hash chain: ``h(-1) = sha256(manifest message bytes)``; ``h(k) = sha256(h(k-1) ||
for each message of step k in write order: topic || 0x00 || sha256(data))``. Hashing each
message's digest rather than its raw bytes commits to every byte all the same, frames the
messages unambiguously and lets a verifier name the altered message from ``messages``.
The trailer's Ed25519 signature is over :data:`SIGNATURE_CONTEXT` || sha256(manifest) ||
h(last step) || sha256(summary bytes): 17 + 3 x 32 bytes.

Crash safety: whenever the MCAP writer finishes a chunk, the file is flushed, so the chunk
is in the kernel at once (a killed process leaves every step up to the last whole chunk),
and fsynced, at most every ``fsync_interval_s`` (for a machine crash).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from mcap.writer import CompressionType, Writer

from sim.recorder import scene
from sim.recorder.keys import public_bytes
from sim.recorder.state_codec import SCHEMA, encode_state
from sim.state import WorldState

FORMAT = "kav-recording-v1"
SIGNATURE_CONTEXT = b"kav-recording-v1\n"
METADATA_NAME = "kav.recording"
STATE_ENCODING = "kav.state.v1"
_OBJ = b'{"type":"object"}'
_FRAME_SCHEMA = json.dumps({"title": "kav.V2XFrame", "type": "object", "properties": {
    "station": {"type": "integer"}, "tx_time_us": {"type": "integer"},
    "payload": {"type": "string", "contentEncoding": "base64"}}}).encode()
# topic -> (schema name, schema encoding, schema, message encoding)
CHANNELS = {
    "/kav/manifest": ("kav.Manifest", "jsonschema", _OBJ, "json"),
    "/kav/state": ("kav.WorldState", "kav.layout.v1+json", SCHEMA, STATE_ENCODING),
    "/v2x/frames": ("kav.V2XFrame", "jsonschema", _FRAME_SCHEMA, "json"),
    "/kav/planner": ("kav.Planner", "jsonschema", _OBJ, "json"),
    "/kav/events": ("kav.Events", "jsonschema", b'{"type":"array"}', "json"),
    "/kav/ego": ("kav.Ego", "jsonschema", _OBJ, "json"),
    "/foxglove/scene": ("foxglove.SceneUpdate", "jsonschema", scene.SCHEMA, "json"),
    "/kav/step": ("kav.Step", "jsonschema", _OBJ, "json"),
    "/kav/summary": ("kav.Summary", "jsonschema", _OBJ, "json"),
    "/kav/trailer": ("kav.Trailer", "jsonschema", _OBJ, "json"),
    "/kav/aborted": ("kav.Aborted", "jsonschema", _OBJ, "json"),
}
_STEP = b'{"k":%d,"messages":[%s],"record_hash":"%s","sim_hash":"%s","time_us":%d}'
_COMPRESSION = {"zstd": CompressionType.ZSTD, "lz4": CompressionType.LZ4,
                "none": CompressionType.NONE}


def canonical_json(obj) -> bytes:
    """Compact, key-sorted, strict JSON: equal inputs give equal bytes. A non-finite number
    (a TTC with nobody closing in) is written as the string "inf" / "-inf" / "nan", as in
    result.json, since JSON has no such numbers."""
    try:
        text = json.dumps(obj, separators=(",", ":"), sort_keys=True, allow_nan=False,
                          default=_default)
    except ValueError:
        text = json.dumps(_finite(obj), separators=(",", ":"), sort_keys=True,
                          allow_nan=False, default=_default)
    return text.encode("utf-8")


def _default(o):
    if isinstance(o, np.ndarray):
        return _finite(o.tolist())
    if isinstance(o, np.generic):
        return _finite(o.item())
    if isinstance(o, (bytes, bytearray)):
        return o.hex()
    raise TypeError(f"{type(o).__name__} is not JSON-serialisable")


def _finite(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return "nan" if obj != obj else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _finite(obj.tolist())
    if isinstance(obj, np.generic):
        return _finite(obj.item())
    return obj


def signed_bytes(manifest: bytes, final_record_hash: bytes, summary: bytes) -> bytes:
    """The canonical byte string the trailer's signature covers."""
    return (SIGNATURE_CONTEXT + hashlib.sha256(manifest).digest() + final_record_hash
            + hashlib.sha256(summary).digest())


class RecordingWriter:
    """See the module docstring. ``key`` signs; ``attachments`` (name -> bytes) travel as
    MCAP attachments (the map, the scenario file); ``chunk_size`` [bytes] before a chunk is
    compressed and written (what a killed run can lose at most); ``scene_every``: write the
    Foxglove scene every n-th step (states are always written); ``ego_row``: the row drawn
    red; ``compression``: "lz4" (default: the fastest to write), "zstd" (files ~25 %
    smaller) or "none"; ``start_time_us``: the manifest's log time [us].

    Use as a context manager: an exception inside aborts the recording, and so does leaving
    the block without :meth:`close` (the file then says it is incomplete)."""

    def __init__(self, path, manifest: dict, key: Ed25519PrivateKey, *,
                 attachments: dict[str, bytes] | None = None, chunk_size: int = 1 << 20,
                 scene_every: int = 1, ego_row: int = 0, compression: str = "lz4",
                 fsync_interval_s: float = 1.0, start_time_us: int = 0) -> None:
        self.path = Path(path)
        if compression not in _COMPRESSION:
            raise ValueError(f"compression {compression!r}: expected one of "
                             f"{sorted(_COMPRESSION)}")
        self._fh = open(self.path, "wb")  # noqa: SIM115 - closed in _finish()
        # the data-section CRC (over the compressed bytes) stays; per-chunk CRCs over the
        # uncompressed bytes would cost ~15 % of write_step and add nothing to the hash chain
        self._w = Writer(self._fh, chunk_size=chunk_size, compression=_COMPRESSION[compression],
                         enable_data_crcs=True, enable_crcs=False)
        self._w.start(profile="", library="kav")
        self._key = key
        self.public_key = public_bytes(key)
        self.scene_every = max(1, int(scene_every))
        self._scene = scene.SceneBuilder(ego_row)
        self.fsync_interval_s = float(fsync_interval_s)
        atts = {str(n): bytes(d) for n, d in (attachments or {}).items()}
        self.manifest_bytes = canonical_json({
            **manifest, "public_key": self.public_key.hex(),
            "attachments_sha256": {n: hashlib.sha256(d).hexdigest() for n, d in atts.items()}})
        self._w.add_metadata(METADATA_NAME, {
            "format": FORMAT, "public_key": self.public_key.hex(),
            "manifest_sha256": hashlib.sha256(self.manifest_bytes).hexdigest()})
        for name, data in sorted(atts.items()):
            self._w.add_attachment(0, 0, name, "application/octet-stream", data)
        self._ch = {}
        for topic, (name, s_enc, schema, m_enc) in CHANNELS.items():
            sid = self._w.register_schema(name, s_enc, schema)
            self._ch[topic] = self._w.register_channel(topic, m_enc, sid)
        self._seq = 0
        self._last_t = int(start_time_us) * 1000
        self._add("/kav/manifest", self._last_t, self.manifest_bytes)
        self._w.flush()  # the manifest in its own chunk: a file cut later still says what it is
        self._pos = self._fh.tell()
        self._sync_t = time.monotonic()
        os.fsync(self._fh.fileno())
        self.record_hash = hashlib.sha256(self.manifest_bytes).digest()
        self.last_k: int | None = None
        self._closed = False

    def _add(self, topic: str, log_time_ns: int, data: bytes, publish_ns: int | None = None):
        self._seq += 1
        self._w.add_message(self._ch[topic], log_time_ns, data,
                            log_time_ns if publish_ns is None else publish_ns, self._seq)

    def write_step(self, k: int, state: WorldState, sim_hash: bytes, *,
                   frames: Sequence[tuple[int, int, bytes]] = (), planner: dict | None = None,
                   events: Sequence[dict] = (), ego: dict | None = None) -> None:
        """Record state ``k`` (0 = initial) and what happened in the step that led to it:
        ``sim_hash`` (32 B) the run's state-history hash after this state; ``frames``: V2X
        frames sent as (station id, tx time [us], raw bytes); ``planner``, ``events``,
        ``ego``: JSON-able (NumPy scalars and arrays allowed)."""
        if self._closed:
            raise ValueError(f"{self.path}: recording already closed")
        t_ns = int(state.time_us) * 1000
        msgs = [("/kav/state", encode_state(state), t_ns)]
        for sid, tx, raw in frames:
            msgs.append(("/v2x/frames", b'{"payload":"%s","station":%d,"tx_time_us":%d}' % (
                base64.b64encode(bytes(raw)), int(sid), int(tx)), int(tx) * 1000))
        if planner is not None:
            msgs.append(("/kav/planner", canonical_json(planner), t_ns))
        if events:
            msgs.append(("/kav/events", canonical_json(list(events)), t_ns))
        if ego is not None:
            msgs.append(("/kav/ego", canonical_json(ego), t_ns))
        if k % self.scene_every == 0:
            msgs.append(("/foxglove/scene", self._scene.update(state), t_ns))
        h = hashlib.sha256(self.record_hash)
        listed = []
        for topic, data, pub in msgs:
            d = hashlib.sha256(data).digest()
            h.update(topic.encode() + b"\0" + d)
            listed.append(f'["{topic}","{d[:8].hex()}"]')
            self._add(topic, t_ns, data, pub)
        self.record_hash = h.digest()
        self._add("/kav/step", t_ns, _STEP % (
            int(k), ",".join(listed).encode(), self.record_hash.hex().encode(),
            bytes(sim_hash).hex().encode(), int(state.time_us)))
        self.last_k, self._last_t = int(k), t_ns
        pos = self._fh.tell()
        if pos != self._pos:  # the writer finished a chunk: hand it to the kernel now
            self._pos = pos
            self._fh.flush()
            if time.monotonic() - self._sync_t >= self.fsync_interval_s:
                self._sync_t = time.monotonic()
                os.fsync(self._fh.fileno())

    def close(self, summary: dict) -> bytes:
        """Write the summary and the signed trailer; returns the final record hash."""
        if self._closed:
            raise ValueError(f"{self.path}: recording already closed")
        data = canonical_json(summary)
        self._add("/kav/summary", self._last_t, data)
        sig = self._key.sign(signed_bytes(self.manifest_bytes, self.record_hash, data))
        self._add("/kav/trailer", self._last_t, canonical_json({
            "algorithm": "Ed25519", "public_key": self.public_key.hex(),
            "manifest_sha256": hashlib.sha256(self.manifest_bytes).hexdigest(),
            "final_record_hash": self.record_hash.hex(),
            "summary_sha256": hashlib.sha256(data).hexdigest(),
            "last_step": self.last_k, "signature": sig.hex()}))
        self._finish()
        return self.record_hash

    def abort(self, reason: str) -> None:
        """Stop: what is written stays readable, and the file says it is incomplete. Never
        raises (it runs while another error is on its way up)."""
        if self._closed:
            return
        try:
            self._add("/kav/aborted", self._last_t, canonical_json(
                {"reason": str(reason), "last_step": self.last_k}))
            self._finish()
        except Exception:  # noqa: BLE001 - a full disk: keep the prefix that is there
            self._closed = True
            with contextlib.suppress(OSError):
                self._fh.close()

    def _finish(self) -> None:
        self._closed = True
        self._w.finish()
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            self.abort(f"{exc_type.__name__}: {exc}")
        elif not self._closed:
            self.abort("closed without a summary")
        return False
