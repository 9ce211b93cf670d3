"""verify_integrity: is a recording whole, unaltered and signed by the expected key?

Checks, each problem naming where it is (step, time, channel, log time, or the part):
the manifest against the ``kav.recording`` metadata; every step's record hash, recomputed
from the message bytes in the file (and each message against the digest its step lists);
every state's digest against the run's state-history chain (chain0 = sha256(digest0),
chain_k = sha256(chain_{k-1} || digest_k)); the attachments against the manifest; MCAP's own
CRCs; the trailer's Ed25519 signature over :func:`sim.recorder.writer.signed_bytes`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sim.recorder.reader import IntegrityReport, Recording, _records, read_recording
from sim.recorder.writer import signed_bytes


def verify_integrity(path, trusted_public_key: bytes | None = None) -> IntegrityReport:
    """``trusted_public_key``: raw 32-byte Ed25519 key the recording must be signed with
    (None: the key embedded in the file). ``report.ok`` only when nothing was found."""
    path = Path(path)
    rec = read_recording(path)
    problems = _manifest_problems(rec)
    # ``h``: the chain recomputed from the bytes alone (what the signature must cover);
    # ``prev``: the previous step's stored hash, so an edit is named at its own step only
    h = prev = hashlib.sha256(rec.manifest_bytes or b"").digest()
    sim = None
    for st in rec.steps:
        where = f"step {st.k} (t = {st.time_us / 1e6:.2f} s)"
        listed = st.index.get("messages", [])
        link = b""
        for i, (topic, log_ns, data) in enumerate(st.messages):
            d = hashlib.sha256(data).digest()
            link += topic.encode() + b"\0" + d
            want = listed[i] if i < len(listed) else None
            if want != [topic, d[:8].hex()]:
                problems.append(f"{where}: channel {topic}, message at log time {log_ns} ns: "
                                "content differs from what the run recorded (edited bytes)")
        if len(st.messages) != len(listed):
            problems.append(f"{where}: {len(st.messages)} messages, its /kav/step lists "
                            f"{len(listed)} (messages added or removed)")
        new_h = hashlib.sha256(h + link).digest()
        if st.record_hash not in (new_h, hashlib.sha256(prev + link).digest()):
            problems.append(f"{where}: channel /kav/step: record hash chain broken (a message "
                            "of this step or its stored hash was edited, or steps removed)")
        h, prev = new_h, st.record_hash
        digest = st.state.digest()
        sim = hashlib.sha256(digest if sim is None else sim + digest).digest()
        if sim != st.sim_hash:
            problems.append(f"{where}: channel /kav/state: the state does not match the run's "
                            "state-history hash (sim_hash)")
            sim = st.sim_hash
    listed_atts = rec.manifest.get("attachments_sha256", {})
    for name, want in sorted(listed_atts.items()):
        data = rec.attachments.get(name)
        if data is None:
            problems.append(f"attachment {name}: missing")
        elif hashlib.sha256(data).hexdigest() != want:
            problems.append(f"attachment {name}: differs from the manifest's hash (edited)")
    problems += [f"attachment {name}: not listed in the manifest (added)"
                 for name in sorted(set(rec.attachments) - set(listed_atts))]
    if rec.read_error is None:
        crc = _crc_problem(path)
        if crc is not None:
            problems.append(crc)
    where = (f"after step {rec.steps[-1].k} (t = {rec.steps[-1].time_us / 1e6:.2f} s)"
             if rec.steps else "from step 0 on")
    if rec.read_error is not None:
        problems.append(f"recording incomplete or damaged: unreadable {where}: "
                        f"{rec.read_error}")
    if rec.aborted is not None:
        problems.append(f"recording incomplete: the run stopped ({rec.aborted})")
    if rec.trailer is None or rec.summary_bytes is None:
        problems.append(f"trailer missing: recording incomplete (unreadable {where})"
                        if rec.read_error is not None else
                        f"trailer missing: recording incomplete (ends {where})")
    else:
        problems += _signature_problems(rec, h, trusted_public_key)
    return IntegrityReport(ok=not problems, problems=problems, steps=len(rec.steps))


def _manifest_problems(rec: Recording) -> list[str]:
    if rec.manifest_bytes is None:
        return ["manifest: missing (the file ends before it)"]
    out = []
    want = rec.metadata.get("manifest_sha256")
    if want is None:
        out.append("manifest: the kav.recording metadata record is missing")
    elif hashlib.sha256(rec.manifest_bytes).hexdigest() != want:
        out.append("manifest: differs from the hash in the kav.recording metadata (edited)")
    if "_unreadable" in rec.manifest:
        out.append(f"manifest: unreadable ({rec.manifest['_unreadable']})")
    elif rec.manifest.get("public_key") != rec.metadata.get("public_key"):
        out.append("manifest: its public key differs from the kav.recording metadata's")
    return out


def _crc_problem(path: Path) -> str | None:
    """MCAP's own checksums (chunks, attachments, the data section) also cover bytes the hash
    chain does not, such as index records."""
    for rec in _records(path, validate=True):
        if isinstance(rec, str):
            return f"MCAP checksum: {rec} (bytes were edited)"
    return None


def _signature_problems(rec: Recording, final_hash: bytes, trusted: bytes | None) -> list[str]:
    t = rec.trailer
    try:
        pub = bytes.fromhex(t["public_key"])
        sig = bytes.fromhex(t["signature"])
        claimed = bytes.fromhex(t["final_record_hash"])
    except (KeyError, TypeError, ValueError):
        return ["signature: the trailer is malformed"]
    out = []
    if claimed != final_hash:
        out.append("trailer: its final_record_hash is not the chain's last record hash")
    if rec.public_key != pub:
        out.append("signature: the trailer's key is not the one in the file's metadata")
    if trusted is not None and pub != bytes(trusted):
        out.append(f"signature: signed by key {pub.hex()[:16]}..., not the trusted key "
                   f"{bytes(trusted).hex()[:16]}...")
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(
            sig, signed_bytes(rec.manifest_bytes, final_hash, rec.summary_bytes))
    except (InvalidSignature, ValueError):
        out.append("signature: does not verify over the manifest, the final record hash and "
                   "the summary (one of them, or the signature, was altered)")
    return out
