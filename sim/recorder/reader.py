"""Reading recordings back, tolerantly, and checking that nothing in them was altered.

:func:`read_recording` returns every whole step (one whose ``/kav/step`` message is in the
file) up to the first unreadable byte, so a file cut anywhere -- a killed run -- still
yields its prefix, marked incomplete. :func:`verify_integrity` recomputes the record hash
chain from the message bytes, checks each state against the run's state-history chain and
the trailer's Ed25519 signature, and names where each problem is.
"""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

from mcap.records import Attachment, Channel, Message, Metadata
from mcap.stream_reader import StreamReader

from sim.recorder.state_codec import decode_state
from sim.recorder.writer import METADATA_NAME
from sim.state import WorldState

MAGIC = b"\x89MCAP0\r\n"


class RecordingError(ValueError):
    """The file is not a kav recording at all (names the file and why)."""


@dataclass(frozen=True)
class StepRecord:
    """One recorded state and what came with it. ``frames``: (station, tx time [us], raw);
    ``messages``: (topic, log time [ns], data) as stored, in file order."""

    k: int
    time_us: int
    sim_hash: bytes
    record_hash: bytes
    state: WorldState
    frames: list[tuple[int, int, bytes]]
    planner: dict | None
    events: list
    ego: dict | None
    index: dict = field(repr=False, default_factory=dict)
    messages: list[tuple[str, int, bytes]] = field(repr=False, default_factory=list)


@dataclass(frozen=True)
class Recording:
    """A recording as read. ``complete``: a summary and a trailer follow the last step (the
    signature is checked by :func:`verify_integrity`, not here); ``final_hash``: the record
    hash the trailer signs (None without one); ``read_error``: why reading stopped early;
    ``aborted``: the reason the run gave when it stopped writing."""

    manifest: dict
    attachments: dict[str, bytes]
    steps: list[StepRecord]
    summary: dict | None
    complete: bool
    final_hash: bytes | None
    public_key: bytes | None
    manifest_bytes: bytes | None = field(repr=False, default=None)
    summary_bytes: bytes | None = field(repr=False, default=None)
    trailer: dict | None = None
    metadata: dict = field(default_factory=dict)
    read_error: str | None = None
    aborted: str | None = None


@dataclass(frozen=True)
class IntegrityReport:
    ok: bool
    problems: list[str]
    steps: int  # whole steps read


def _records(path: Path, validate: bool = False):
    """Records in file order, chunks opened; at the first unreadable byte yields the
    error message (a str) and stops."""
    try:
        with open(path, "rb") as fh:
            try:
                yield from StreamReader(fh, skip_magic=False, validate_crcs=validate).records
            except Exception as exc:  # noqa: BLE001 - any damage ends the readable prefix
                yield f"{type(exc).__name__}: {exc}"
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read: {exc}") from None


def read_recording(path) -> Recording:
    """Raises :class:`RecordingError` for a file that is not a kav recording (or a prefix
    of one); a truncated or damaged recording reads as far as it is readable."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(MAGIC))
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read: {exc}") from None
    if head != MAGIC[:len(head)]:  # a file cut inside the magic is still a (bare) prefix
        raise RecordingError(f"{path}: not an MCAP file (no MCAP magic at its start)")
    topics: dict[int, str] = {}
    metadata: dict = {}
    manifest_bytes = summary_bytes = trailer = aborted = read_error = None
    attachments: dict[str, bytes] = {}
    steps: list[StepRecord] = []
    pending: list[tuple[str, int, bytes]] = []
    for rec in _records(path):
        if isinstance(rec, str):
            read_error = rec
            break
        if isinstance(rec, Channel):
            topics[rec.id] = rec.topic
        elif isinstance(rec, Metadata) and rec.name == METADATA_NAME:
            metadata = dict(rec.metadata)
        elif isinstance(rec, Attachment):
            attachments[rec.name] = bytes(rec.data)
        elif isinstance(rec, Message):
            topic, data = topics.get(rec.channel_id, "?"), bytes(rec.data)
            if topic == "/kav/step":
                try:
                    steps.append(_step(data, pending))
                except (ValueError, KeyError, TypeError, struct.error) as exc:
                    read_error = (f"step after {steps[-1].k if steps else 'the manifest'} "
                                  f"(log time {rec.log_time} ns): unreadable: {exc}")
                    break
                pending = []
            elif topic == "/kav/manifest" and manifest_bytes is None:
                manifest_bytes = data
            elif topic == "/kav/summary":
                summary_bytes = data
            elif topic == "/kav/trailer":
                trailer = _loads(data, "trailer")
            elif topic == "/kav/aborted":
                aborted = str(_loads(data, "abort record").get("reason", "?"))
            else:
                pending.append((topic, rec.log_time, data))
    if manifest_bytes is None and read_error is None and len(head) == len(MAGIC):
        # read to its end without a manifest: some other MCAP file (a cut or damaged file
        # reads as an empty, incomplete recording)
        raise RecordingError(f"{path}: an MCAP file but not a kav recording (no /kav/manifest)")
    manifest = _loads(manifest_bytes, "manifest") if manifest_bytes is not None else {}
    summary = _loads(summary_bytes, "summary") if summary_bytes is not None else None
    complete = trailer is not None and summary is not None and read_error is None
    pub = metadata.get("public_key", manifest.get("public_key"))
    try:
        final = bytes.fromhex(trailer["final_record_hash"]) if complete else None
        pub = bytes.fromhex(pub) if isinstance(pub, str) else None
    except (KeyError, TypeError, ValueError):
        final = pub = None
    return Recording(
        manifest=manifest, attachments=attachments, steps=steps, summary=summary,
        complete=complete, final_hash=final, public_key=pub, manifest_bytes=manifest_bytes,
        summary_bytes=summary_bytes, trailer=trailer, metadata=metadata,
        read_error=read_error, aborted=aborted)


def _loads(data: bytes, what: str):
    try:
        out = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        return {"_unreadable": f"{what}: {exc}"}
    return out if isinstance(out, dict) else {"_unreadable": f"{what}: not an object"}


def _step(index_bytes: bytes, messages: list[tuple[str, int, bytes]]) -> StepRecord:
    idx = json.loads(index_bytes)
    states = [d for t, _, d in messages if t == "/kav/state"]
    if len(states) != 1:
        raise ValueError(f"step {idx.get('k')} has {len(states)} state messages")
    frames = []
    for t, _, d in messages:
        if t == "/v2x/frames":
            f = json.loads(d)
            frames.append((int(f["station"]), int(f["tx_time_us"]),
                           base64.b64decode(f["payload"], validate=True)))
    one = {t: json.loads(d) for t, _, d in messages
           if t in ("/kav/planner", "/kav/events", "/kav/ego")}
    return StepRecord(
        k=int(idx["k"]), time_us=int(idx["time_us"]), sim_hash=bytes.fromhex(idx["sim_hash"]),
        record_hash=bytes.fromhex(idx["record_hash"]), state=decode_state(states[0]),
        frames=frames, planner=one.get("/kav/planner"), events=one.get("/kav/events", []),
        ego=one.get("/kav/ego"), index=idx, messages=list(messages))
