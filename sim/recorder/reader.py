"""Reading recordings back, tolerantly, and checking that nothing in them was altered.

:func:`read_recording` returns every whole step (one whose ``/kav/step`` message is in the
file) up to the first unreadable byte, so a file cut anywhere -- a killed run -- still
yields its prefix, marked incomplete. :func:`verify_integrity` recomputes the record hash
chain from the message bytes, checks each state against the run's state-history chain and
the trailer's Ed25519 signature, and names where the first problem is.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from mcap.records import Attachment, Channel, Message, Metadata
from mcap.stream_reader import StreamReader

from sim.recorder.state_codec import decode_state
from sim.recorder.writer import FRAME_HEAD, SIGNATURE_CONTEXT
from sim.state import WorldState


class RecordingError(ValueError):
    """The file is not a kav recording at all (names the file and why)."""


@dataclass(frozen=True)
class StepRecord:
    """One recorded state and what came with it; ``messages``: (topic, data) as stored."""

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
    messages: list[tuple[str, bytes]] = field(repr=False, default_factory=list)


@dataclass(frozen=True)
class Recording:
    manifest: dict
    manifest_bytes: bytes
    attachments: dict[str, bytes]
    steps: list[StepRecord]
    summary: dict | None
    summary_bytes: bytes | None
    trailer: dict | None
    complete: bool  # a trailer follows the summary (still to be verified)
    final_hash: bytes | None
    public_key: bytes | None
    read_error: str | None  # why reading stopped early (None: read to the end)
    aborted: str | None  # the reason a run gave when it stopped writing


@dataclass
class IntegrityReport:
    ok: bool
    problems: list[str]
    steps: int


def _records(path: Path):
    """Records of the file in order, chunks opened; stops at the first unreadable byte
    and then yields ("error", message)."""
    try:
        with open(path, "rb") as fh:
            reader = StreamReader(fh, validate_crcs=False)
            try:
                yield from reader.records
            except Exception as exc:  # noqa: BLE001 - any damage ends the readable prefix
                yield ("error", f"{type(exc).__name__}: {exc}")
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read: {exc}") from None


def read_recording(path) -> Recording:
    path = Path(path)
    topics: dict[int, str] = {}
    manifest_bytes = None
    attachments: dict[str, bytes] = {}
    steps: list[StepRecord] = []
    pending: list[tuple[str, bytes]] = []
    summary_bytes = trailer = aborted = read_error = None
    for rec in _records(path):
        if isinstance(rec, tuple):
            read_error = rec[1]
            break
        if isinstance(rec, Channel):
            topics[rec.id] = rec.topic
        elif isinstance(rec, Metadata) and rec.name == "kav.manifest" and manifest_bytes is None:
            manifest_bytes = rec.metadata.get("json", "").encode("utf-8")
        elif isinstance(rec, Attachment):
            attachments[rec.name] = bytes(rec.data)
        elif isinstance(rec, Message):
            topic = topics.get(rec.channel_id, "?")
            data = bytes(rec.data)
            if topic == "/kav/step":
                try:
                    steps.append(_step(data, pending))
                except (ValueError, KeyError, TypeError, struct.error) as exc:
                    read_error = f"step after {steps[-1].k if steps else 'the manifest'}: " \
                                 f"unreadable: {exc}"
                    break
                pending = []
            elif topic == "/kav/summary":
                summary_bytes = data
            elif topic == "/kav/trailer":
                trailer = _loads(data, "trailer")
            elif topic == "/kav/aborted":
                aborted = _loads(data, "abort record").get("reason", "?")
            else:
                pending.append((topic, data))
    if manifest_bytes is None:
        raise RecordingError(f"{path}: not a kav recording, or cut off before its manifest "
                             f"({read_error or 'no manifest'})")
    manifest = _loads(manifest_bytes, "manifest")
    summary = _loads(summary_bytes, "summary") if summary_bytes is not None else None
    pub = manifest.get("public_key")
    return Recording(
        manifest=manifest, manifest_bytes=manifest_bytes, attachments=attachments, steps=steps,
        summary=summary, summary_bytes=summary_bytes, trailer=trailer,
        complete=trailer is not None and summary is not None and read_error is None,
        final_hash=steps[-1].record_hash if steps else None,
        public_key=bytes.fromhex(pub) if isinstance(pub, str) else None,
        read_error=read_error, aborted=aborted)


def _loads(data: bytes, what: str):
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        return {"_unreadable": f"{what}: {exc}"}


def _step(index_bytes: bytes, messages: list[tuple[str, bytes]]) -> StepRecord:
    idx = json.loads(index_bytes)
    state_data = [d for t, d in messages if t == "/kav/state"]
    if len(state_data) != 1:
        raise ValueError(f"step {idx.get('k')} has {len(state_data)} state messages")
    frames = []
    for t, d in messages:
        if t == "/v2x/frames":
            pos = 0
            while pos < len(d):
                sid, tx, size = FRAME_HEAD.unpack_from(d, pos)
                pos += FRAME_HEAD.size
                if pos + size > len(d):
                    raise ValueError(f"step {idx.get('k')}: a V2X frame runs past its message")
                frames.append((sid, tx, d[pos:pos + size]))
                pos += size
    one = {t: d for t, d in messages if t in ("/kav/planner", "/kav/events", "/kav/ego")}
    return StepRecord(
        k=int(idx["k"]), time_us=int(idx["time_us"]), sim_hash=bytes.fromhex(idx["sim_hash"]),
        record_hash=bytes.fromhex(idx["record_hash"]), state=decode_state(state_data[0]),
        frames=frames,
        planner=json.loads(one["/kav/planner"]) if "/kav/planner" in one else None,
        events=json.loads(one["/kav/events"]) if "/kav/events" in one else [],
        ego=json.loads(one["/kav/ego"]) if "/kav/ego" in one else None,
        index=idx, messages=list(messages))


def verify_integrity(path, trusted_public_key: bytes | None = None) -> IntegrityReport:
    """Hash chain, state-history chain and signature; problems name step, channel or part."""
    path = Path(path)
    rec = read_recording(path)
    problems: list[str] = []
    h = hashlib.sha256(rec.manifest_bytes).digest()
    sim = None
    for st in rec.steps:
        g = hashlib.sha256(h)
        for (topic, data), (want_topic, want_digest) in zip(st.messages,
                                                            st.index.get("messages", [])):
            d = hashlib.sha256(data).digest()
            if topic != want_topic or d.hex()[:16] != want_digest:
                problems.append(f"step {st.k} (t = {st.time_us / 1e6:.2f} s): channel {topic}:"
                                " content differs from what the run recorded (edited bytes)")
            g.update(topic.encode() + b"\0" + d)
        if len(st.messages) != len(st.index.get("messages", [])):
            problems.append(f"step {st.k}: {len(st.messages)} messages, the step index lists "
                            f"{len(st.index.get('messages', []))}")
        h = g.digest()
        if h != st.record_hash:
            problems.append(f"step {st.k} (t = {st.time_us / 1e6:.2f} s): record hash chain "
                            "broken (a message or the step index was edited, or steps removed)")
        sim = hashlib.sha256(st.state.digest() if sim is None else sim + st.state.digest()) \
            .digest()
        if sim != st.sim_hash:
            problems.append(f"step {st.k} (t = {st.time_us / 1e6:.2f} s): the recorded state "
                            "does not match the run's state-history hash")
            sim = st.sim_hash  # report each altered state once, not every later step
        if problems:
            break
    for name, want in sorted(rec.manifest.get("attachments_sha256", {}).items()):
        data = rec.attachments.get(name)
        if data is None:
            problems.append(f"attachment {name}: missing")
        elif hashlib.sha256(data).hexdigest() != want:
            problems.append(f"attachment {name}: content differs from the manifest's hash "
                            "(edited bytes)")
    extra = sorted(set(rec.attachments) - set(rec.manifest.get("attachments_sha256", {})))
    problems += [f"attachment {name}: not listed in the manifest (added)" for name in extra]
    crc = _crc_problem(path)
    if crc is not None and rec.read_error is None:
        problems.append(crc)
    if rec.read_error is not None:
        last = rec.steps[-1].k if rec.steps else None
        problems.append(f"recording incomplete or damaged: unreadable after step {last}: "
                        f"{rec.read_error}")
    if rec.aborted is not None:
        problems.append(f"recording incomplete: the run stopped ({rec.aborted})")
    if rec.trailer is None or rec.summary_bytes is None:
        last = rec.steps[-1].k if rec.steps else None
        problems.append(f"trailer missing: recording incomplete (ends after step {last})")
    else:
        problems += _check_signature(rec, h, trusted_public_key)
    return IntegrityReport(ok=not problems, problems=problems, steps=len(rec.steps))


def _crc_problem(path: Path) -> str | None:
    """MCAP's own checksums (chunks, attachments, the data section): these cover bytes the
    hash chain does not, such as index records."""
    try:
        with open(path, "rb") as fh:
            for _ in StreamReader(fh, validate_crcs=True).records:
                pass
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        return f"MCAP checksum: {type(exc).__name__}: {exc} (bytes were edited)"
    return None


def _check_signature(rec: Recording, final_hash: bytes, trusted: bytes | None) -> list[str]:
    t = rec.trailer
    try:
        pub = bytes.fromhex(t["public_key"])
        sig = bytes.fromhex(t["signature"])
    except (KeyError, TypeError, ValueError):
        return ["signature: the trailer is malformed"]
    out = []
    if rec.public_key != pub:
        out.append("signature: the trailer's key is not the manifest's key")
    if trusted is not None and pub != trusted:
        out.append(f"signature: signed by key {pub.hex()[:16]}..., not the trusted key "
                   f"{trusted.hex()[:16]}...")
    signed = (SIGNATURE_CONTEXT + hashlib.sha256(rec.manifest_bytes).digest() + final_hash
              + hashlib.sha256(rec.summary_bytes).digest())
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(sig, signed)
    except (InvalidSignature, ValueError):
        out.append("signature: does not verify over the manifest, the final record hash and "
                   "the summary (one of them, or the signature, was altered)")
    return out
