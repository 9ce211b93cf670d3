"""The Foxglove side of a recording: channel encodings and the SceneUpdate JSON."""

from __future__ import annotations

import hashlib
import json

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from mcap.reader import make_reader

from sim.actors import ActorKind
from sim.recorder import RecordingWriter, read_recording
from sim.recorder.scene import SceneBuilder, entity_id
from sim.state import empty_state

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def _state(n=20, seed=0, time_us=1_234_550_000):
    rng = np.random.default_rng(seed)
    return empty_state(n).replace(
        time_us=time_us, valid=np.arange(n) % 4 != 3, actor_id=np.arange(n, dtype=np.int32) + 7,
        kind=(np.arange(n) % 6).astype(np.int8), x=rng.normal(0, 500, n),
        y=rng.normal(0, 500, n), yaw=rng.uniform(-np.pi, np.pi, n),
        length=rng.uniform(0.5, 18, n), width=rng.uniform(0.5, 2.6, n))


def test_the_scene_is_a_foxglove_scene_update_with_a_cube_per_valid_actor():
    s = _state()
    msg = json.loads(SceneBuilder(ego_row=0).update(s))
    assert msg["deletions"] == []
    rows = np.flatnonzero(s.valid)
    assert [e["id"] for e in msg["entities"]] == [entity_id(s.actor_id[r]) for r in rows]
    for e, r in zip(msg["entities"], rows):
        assert set(e) == {"timestamp", "frame_id", "id", "cubes"}
        assert e["frame_id"] == "map" and e["timestamp"] == {"sec": 1234, "nsec": 550_000_000}
        (cube,) = e["cubes"]
        assert set(cube) == {"pose", "size", "color"}
        p, q = cube["pose"]["position"], cube["pose"]["orientation"]
        assert abs(p["x"] - s.x[r]) <= 5e-4 and abs(p["y"] - s.y[r]) <= 5e-4 and p["z"] == 0.8
        assert q["x"] == 0 and q["y"] == 0
        assert abs(q["z"] - np.sin(s.yaw[r] / 2)) <= 5e-4
        assert abs(q["w"] - np.cos(s.yaw[r] / 2)) <= 5e-4
        size = cube["size"]
        assert abs(size["x"] - s.length[r]) <= 5e-3 and abs(size["y"] - s.width[r]) <= 5e-3
        assert size["z"] == 1.6 and set(cube["color"]) == {"r", "g", "b", "a"}
    colours = {(e["cubes"][0]["color"]["r"], e["cubes"][0]["color"]["b"])
               for e, r in zip(msg["entities"], rows) if s.kind[r] == ActorKind.CAR and r != 0}
    assert msg["entities"][0]["cubes"][0]["color"]["r"] == 0.9  # the ego is red
    assert len(colours) == 1 and colours != {(0.9, 0.1)}


def test_despawned_actors_are_deleted_by_id_and_odd_values_stay_valid_json():
    b = SceneBuilder()
    s = _state()
    b.update(s)
    gone = s.valid.copy()
    gone[[1, 5]] = False
    x = s.x.copy()
    x[2], x[4] = 1e12, -0.0004  # beyond what the columns hold; rounds to zero
    length = s.length.copy()
    length[6] = np.nan
    msg = json.loads(b.update(s.replace(valid=gone, x=x, length=length)))
    assert [d["id"] for d in msg["deletions"]] == [entity_id(8), entity_id(12)]
    assert all(d["type"] == 0 for d in msg["deletions"])
    by_id = {e["id"]: e["cubes"][0] for e in msg["entities"]}
    assert by_id[entity_id(9)]["pose"]["position"]["x"] == 99999.999
    assert by_id[entity_id(11)]["pose"]["position"]["x"] == 0
    assert by_id[entity_id(13)]["size"]["x"] == 0
    assert json.loads(b.update(s.replace(valid=np.zeros(20, bool))))["entities"] == []


def test_channels_encodings_and_schemas(tmp_path):
    path = tmp_path / "r.mcap"
    s = _state()
    with RecordingWriter(path, {"scenario": "t"}, KEY) as w:
        w.write_step(0, s, hashlib.sha256(s.digest()).digest(), frames=[(3, 5, b"\x00\xff")],
                     planner={"a": np.float32(1.5), "v": np.arange(2)}, events=[{"e": 1}],
                     ego={"speed": 1.0, "ttc_s": float("inf")})
        w.close({"verdict": "PASS"})
    with open(path, "rb") as fh:
        summary = make_reader(fh).get_summary()
    chans = {c.topic: (c.message_encoding, summary.schemas[c.schema_id])
             for c in summary.channels.values()}
    enc, schema = chans["/foxglove/scene"]
    assert (enc, schema.name, schema.encoding) == ("json", "foxglove.SceneUpdate", "jsonschema")
    assert json.loads(schema.data)["properties"]["entities"]["type"] == "array"
    for topic in ("/kav/manifest", "/kav/ego", "/kav/events", "/kav/planner", "/v2x/frames",
                  "/kav/step", "/kav/summary", "/kav/trailer"):
        assert chans[topic][0] == "json" and chans[topic][1].encoding == "jsonschema", topic
    enc, schema = chans["/kav/state"]
    assert enc == "kav.state.v1" and json.loads(schema.data)["arrays"][0]["name"] == "valid"
    rec = read_recording(path)
    assert rec.steps[0].frames == [(3, 5, b"\x00\xff")]
    assert rec.steps[0].ego == {"speed": 1.0, "ttc_s": "inf"}  # strict JSON, as result.json
    assert rec.steps[0].planner == {"a": 1.5, "v": [0, 1]} and rec.steps[0].events == [{"e": 1}]
    with open(path, "rb") as fh:  # Foxglove's view: every message at the state's time
        times = {m.log_time for _, _, m in make_reader(fh).iter_messages()
                 if m.log_time != 0}
    assert times == {s.time_us * 1000}
