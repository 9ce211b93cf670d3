"""Recordings: exact round trip, tamper evidence naming the spot, crash tolerance, keys."""

from __future__ import annotations

import base64
import dataclasses
import hashlib

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from mcap.writer import Writer as McapWriter

from sim.recorder import (
    RecordingError,
    RecordingWriter,
    public_bytes,
    read_recording,
    verify_integrity,
)
from sim.recorder.state_codec import decode_state, encode_state
from sim.state import empty_state

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def _states(n_steps: int, n: int = 12, seed: int = 0):
    rng = np.random.default_rng(seed)
    base = empty_state(n, max_route=8)
    out = []
    for k in range(n_steps):
        m = base.memory
        out.append(base.replace(
            time_us=k * 50_000, valid=rng.random(n) > 0.2, x=rng.normal(0, 50, n),
            y=rng.normal(0, 50, n), yaw=rng.uniform(-3, 3, n), speed=rng.uniform(0, 20, n),
            lane=rng.integers(-1, 40, n).astype(np.int32),
            memory=m.__class__(route=rng.integers(-1, 9, (n, 8)).astype(np.int32),
                               route_pos=m.route_pos, roam=m.roam,
                               stopped_since_us=m.stopped_since_us,
                               last_lane_change_us=m.last_lane_change_us,
                               stop_done_lane=m.stop_done_lane)))
    return out


def _write(path, states, *, close=True, compression="none", chunk_size=1 << 20, **kw):
    w = RecordingWriter(path, {"scenario": {"id": "t"}, "seed": 1}, KEY,
                        attachments={"map.xodr": b"<OpenDRIVE/>"}, compression=compression,
                        chunk_size=chunk_size, **kw)
    chain = None
    for k, s in enumerate(states):
        chain = hashlib.sha256(s.digest() if chain is None else chain + s.digest()).digest()
        frames = ([(7, s.time_us, b"FRAME-%04d-" % k + bytes(range(40))),
                   (900001, s.time_us, b"")] if k % 3 == 0 else [])
        w.write_step(k, s, chain, frames=frames, planner={"accel": 0.1 * k},
                     events=[{"kind": "speeding", "time_s": k * 0.05}] if k == 5 else [],
                     ego={"speed_mps": float(s.speed[0])})
    if close:
        w.close({"verdict": "PASS", "state_history_sha256": chain.hex()})
    return w, chain


def test_state_codec_is_exact():
    for s in _states(3):
        back = decode_state(encode_state(s))
        assert back.digest() == s.digest()
        assert np.array_equal(back.memory.route, s.memory.route)
    with pytest.raises(ValueError, match="ends inside"):
        decode_state(encode_state(s)[:-5])


def test_round_trip_and_a_clean_verification(tmp_path):
    states = _states(40)
    path = tmp_path / "r.mcap"
    w, chain = _write(path, states)
    rec = read_recording(path)
    assert rec.complete and rec.read_error is None and rec.aborted is None
    assert [s.k for s in rec.steps] == list(range(40))
    for got, want in zip(rec.steps, states):
        assert got.state.digest() == want.digest() and got.time_us == want.time_us
    assert rec.steps[-1].sim_hash == chain
    assert rec.steps[3].frames == [(7, 150_000, b"FRAME-0003-" + bytes(range(40))),
                                   (900001, 150_000, b"")]
    assert rec.steps[4].frames == []
    assert rec.steps[5].events == [{"kind": "speeding", "time_s": 0.25}]
    assert rec.steps[2].planner == {"accel": 0.2}
    assert rec.summary["verdict"] == "PASS" and rec.attachments["map.xodr"] == b"<OpenDRIVE/>"
    assert rec.public_key == public_bytes(KEY) and rec.final_hash == w.record_hash
    rep = verify_integrity(path, trusted_public_key=public_bytes(KEY))
    assert rep.ok, rep.problems
    # Foxglove scene: valid JSON with one cube per valid actor
    assert rec.final_hash == rec.steps[-1].record_hash
    assert rec.manifest["seed"] == 1 and rec.manifest["public_key"] == public_bytes(KEY).hex()
    for st in rec.steps:  # every message of a step is logged at the state's time
        assert {t for t, _, _ in st.messages} >= {"/kav/state", "/foxglove/scene"}
        assert all(log_ns == st.time_us * 1000 for _, log_ns, _ in st.messages)


def test_state_round_trip_is_bit_exact_for_every_field(tmp_path):
    states = _states(5, n=9)
    path = tmp_path / "r.mcap"
    _write(path, states)
    for got, want in zip(read_recording(path).steps, states):
        for part in ("", "params", "memory"):
            a, b = (getattr(got.state, part), getattr(want, part)) if part else (got.state, want)
            for f in dataclasses.fields(a):
                x, y = getattr(a, f.name), getattr(b, f.name)
                if isinstance(y, np.ndarray):
                    assert x.dtype == y.dtype and np.array_equal(x, y), f.name
                elif not dataclasses.is_dataclass(y):
                    assert x == y, f.name
        assert got.state.digest() == want.digest()


def test_same_inputs_same_record_hashes(tmp_path):
    a, _ = _write(tmp_path / "a.mcap", _states(10))
    b, _ = _write(tmp_path / "b.mcap", _states(10))
    c, _ = _write(tmp_path / "c.mcap", _states(10, seed=1))
    assert a.record_hash == b.record_hash != c.record_hash
    assert (tmp_path / "a.mcap").read_bytes() == (tmp_path / "b.mcap").read_bytes()


def _flip(path, needle: bytes, offset: int = 0):
    data = bytearray(path.read_bytes())
    at = data.find(needle)
    assert at >= 0, needle
    data[at + offset] ^= 0x01
    path.write_bytes(bytes(data))


def _b64_offset(text: bytes) -> int:
    """An offset where flipping the low bit keeps the base64 text valid (B..Z <-> C..[ no)."""
    return next(i for i, c in enumerate(text) if 0x42 <= c <= 0x59 and c % 2 == 0)


@pytest.mark.parametrize("part", ["state", "frame", "summary", "manifest", "signature",
                                  "attachment", "step"])
def test_any_edited_byte_is_found_and_located(tmp_path, part):
    states = _states(20)
    path = tmp_path / "r.mcap"
    _write(path, states)
    if part == "state":  # random floats: unique in the file
        needle, offset, where = states[7].x.tobytes(), 13, "step 7 (t = 0.35 s): channel /kav/state"
    elif part == "frame":
        needle = base64.b64encode(b"FRAME-0009-" + bytes(range(40)))
        offset, where = _b64_offset(needle), "step 9 (t = 0.45 s): channel /v2x/frames"
    elif part == "summary":
        needle, offset, where = b'"verdict":"PASS"', 12, "signature"
    elif part == "manifest":
        needle, offset, where = b'"seed":1', 7, "manifest"
    elif part == "signature":
        needle, offset, where = b'"signature":"', 20, "signature"
    elif part == "attachment":
        needle, offset, where = b"<OpenDRIVE/>", 3, "attachment map.xodr"
    else:  # the step index of step 4: its stored record hash
        data = path.read_bytes()
        needle = data[data.find(b'"k":4,'):].split(b'"record_hash":"')[1][:8]
        offset = next(i for i, c in enumerate(needle) if 0x30 <= c <= 0x39)
        where = "step 4 (t = 0.20 s): channel /kav/step: record hash chain broken"
    _flip(path, needle, offset)
    rep = verify_integrity(path)
    assert not rep.ok
    assert any(where in p for p in rep.problems), rep.problems
    if part in ("state", "frame"):
        assert any("signature" in p for p in rep.problems)  # the final hash changed too


def test_a_wrong_trusted_key_is_reported(tmp_path):
    path = tmp_path / "r.mcap"
    _write(path, _states(5))
    other = public_bytes(Ed25519PrivateKey.generate())
    rep = verify_integrity(path, trusted_public_key=other)
    assert not rep.ok and any("not the trusted key" in p for p in rep.problems)


def test_a_file_cut_anywhere_reads_as_a_whole_step_prefix_marked_incomplete(tmp_path):
    states = _states(300, n=6)
    full = tmp_path / "full.mcap"
    _write(full, states, compression="zstd", chunk_size=4096)
    data = full.read_bytes()
    cut = tmp_path / "cut.mcap"
    seen = set()
    offsets = [*range(0, 64, 3), *np.linspace(64, len(data) - 1, 70).astype(int)]
    for at in offsets:
        cut.write_bytes(data[:at])
        rec = read_recording(cut)
        assert not rec.complete and rec.final_hash is None
        ks = [s.k for s in rec.steps]
        assert ks == list(range(len(ks)))  # a prefix of whole steps
        for s in rec.steps[-2:]:
            assert s.state.digest() == states[s.k].digest()
        seen.add(len(ks))
        rep = verify_integrity(cut)
        assert not rep.ok and any("incomplete" in p for p in rep.problems), rep.problems
        if ks and rec.trailer is None:  # (a cut in the index after the trailer: damaged)
            assert any(p.startswith("trailer missing: recording incomplete (")
                       and f"after step {ks[-1]} " in p for p in rep.problems), rep.problems
    assert len(seen) > 10 and max(seen) > 250  # the prefixes grow with the cut


def test_a_writer_killed_mid_run_leaves_its_finished_chunks(tmp_path):
    path = tmp_path / "r.mcap"
    _write(path, _states(200, n=6), close=False, chunk_size=4096)  # never closed nor aborted
    rec = read_recording(path)
    assert 150 < len(rec.steps) < 200 and not rec.complete


def test_an_aborted_run_is_readable_and_incomplete(tmp_path):
    path = tmp_path / "r.mcap"
    w, _ = _write(path, _states(12), close=False)
    w.abort("KeyboardInterrupt: stopped by the user")
    rec = read_recording(path)
    assert len(rec.steps) == 12 and not rec.complete
    assert rec.aborted == "KeyboardInterrupt: stopped by the user"
    rep = verify_integrity(path)
    assert any("stopped by the user" in p for p in rep.problems)


def test_an_exception_inside_the_writer_block_aborts(tmp_path):
    path = tmp_path / "r.mcap"
    states = _states(3)
    with pytest.raises(RuntimeError), RecordingWriter(path, {}, KEY) as w:
        w.write_step(0, states[0], hashlib.sha256(states[0].digest()).digest())
        raise RuntimeError("planner crashed")
    rec = read_recording(path)
    assert len(rec.steps) == 1 and rec.aborted == "RuntimeError: planner crashed"
    assert not verify_integrity(path).ok


def test_garbage_is_a_clear_error(tmp_path):
    bad = tmp_path / "junk.mcap"
    bad.write_bytes(b"not an mcap file at all" * 10)
    with pytest.raises(RecordingError, match="junk.mcap"):
        read_recording(bad)
    with pytest.raises(RecordingError, match="junk.mcap"):
        verify_integrity(bad)
    other = tmp_path / "other.mcap"
    with open(other, "wb") as fh:
        w = McapWriter(fh)
        w.start()
        w.finish()
    with pytest.raises(RecordingError, match="other.mcap: an MCAP file but not a kav"):
        read_recording(other)
