"""Recordings: exact round trip, tamper evidence naming the spot, crash tolerance, keys."""

from __future__ import annotations

import hashlib
import json
import os
import stat

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sim.recorder import (
    RecordingError,
    RecordingWriter,
    load_or_create_key,
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
    scene = [d for t, d in rec.steps[0].messages if t == "/foxglove/scene"][0]
    ents = json.loads(scene)["entities"]
    assert len(ents) == int(states[0].valid.sum())
    assert set(ents[0]["cubes"][0]) == {"pose", "size", "color"}


def test_same_inputs_same_record_hashes(tmp_path):
    a, _ = _write(tmp_path / "a.mcap", _states(10))
    b, _ = _write(tmp_path / "b.mcap", _states(10))
    c, _ = _write(tmp_path / "c.mcap", _states(10, seed=1))
    assert a.record_hash == b.record_hash != c.record_hash


def _flip(path, needle: bytes, offset: int = 0):
    data = bytearray(path.read_bytes())
    at = data.find(needle)
    assert at >= 0, needle
    data[at + offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("needle, offset, where", [
    (None, 0, "channel /kav/state"),  # a byte of step 7's state
    (b"FRAME-0009-", 15, "step 9 (t = 0.45 s): channel /v2x/frames"),
    (b'"verdict":"PASS"', 12, "signature"),
    (b'"seed":1', 7, "step 0"),
    (b'"signature":"', 20, "signature"),
    (b"<OpenDRIVE/>", 3, "attachment map.xodr"),
])
def test_any_edited_byte_is_found_and_located(tmp_path, needle, offset, where):
    states = _states(20)
    path = tmp_path / "r.mcap"
    _write(path, states)
    if needle is None:
        needle, offset = states[7].x.tobytes(), 13  # random floats: unique in the file
        where = "step 7 (t = 0.35 s): channel /kav/state"
    _flip(path, needle, offset)
    rep = verify_integrity(path)
    assert not rep.ok
    assert any(where in p for p in rep.problems), rep.problems


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
    start = data.find(b"<OpenDRIVE/>") + 200  # past the manifest and the attachment
    for at in np.linspace(start, len(data) - 1, 60).astype(int):
        cut.write_bytes(data[:at])
        rec = read_recording(cut)
        assert not rec.complete
        ks = [s.k for s in rec.steps]
        assert ks == list(range(len(ks)))  # a prefix of whole steps
        for s in rec.steps[-2:]:
            assert s.state.digest() == states[s.k].digest()
        seen.add(len(ks))
        rep = verify_integrity(cut)
        assert not rep.ok and any("incomplete" in p for p in rep.problems)
    assert len(seen) > 10 and max(seen) > 250  # the prefixes grow with the cut
    with pytest.raises(RecordingError, match="cut off before its manifest"):
        cut.write_bytes(data[:20])
        read_recording(cut)


def test_an_aborted_run_is_readable_and_incomplete(tmp_path):
    path = tmp_path / "r.mcap"
    w, _ = _write(path, _states(12), close=False)
    w.abort("KeyboardInterrupt: stopped by the user")
    rec = read_recording(path)
    assert len(rec.steps) == 12 and not rec.complete
    assert rec.aborted == "KeyboardInterrupt: stopped by the user"
    rep = verify_integrity(path)
    assert any("stopped by the user" in p for p in rep.problems)


def test_garbage_is_a_clear_error(tmp_path):
    bad = tmp_path / "junk.mcap"
    bad.write_bytes(b"not an mcap file at all" * 10)
    with pytest.raises(RecordingError, match="junk.mcap"):
        read_recording(bad)


def test_keys_are_created_private_and_reloaded(tmp_path, monkeypatch):
    monkeypatch.delenv("KAV_SIGNING_KEY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    key = load_or_create_key()
    path = tmp_path / "cfg" / "kav" / "signing-key.pem"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert public_bytes(load_or_create_key()) == public_bytes(key)
    assert public_bytes(load_or_create_key(path)) == public_bytes(key)
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ValueError, match="bad.pem"):
        load_or_create_key(bad)
    with pytest.raises(ValueError, match="no such signing key"):
        load_or_create_key(tmp_path / "missing.pem")
