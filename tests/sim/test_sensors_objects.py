"""Object-list sensor: visibility kernel vs brute force, occlusion, field of view, range,
noise, dropout and determinism."""

import math

import numpy as np
import pytest

from sim.actors import ActorKind, kind_table
from sim.roadnet.network import Structures
from sim.sensors import _kernels as K
from sim.sensors._reference import object_visibility_ref
from sim.sensors.objects import (
    ObjectSensorConfig,
    detect_objects,
    roadside_objects,
    visibility,
)
from sim.state import empty_state

CAR, BUS, PED = int(ActorKind.CAR), int(ActorKind.BUS), int(ActorKind.PEDESTRIAN)
NO_STRUCT = Structures.empty()


def make_state(actors):
    """actors: (kind, x, y, yaw[, speed]) per row; sizes from the kind; ids 100 + row."""
    n = len(actors)
    a = [tuple(r) + (0.0,) * (5 - len(r)) for r in actors]
    kind = np.array([r[0] for r in a], np.int8)
    return empty_state(n, time_us=50_000).replace(
        valid=np.ones(n, bool), actor_id=np.arange(100, 100 + n, dtype=np.int32), kind=kind,
        x=np.array([r[1] for r in a], float), y=np.array([r[2] for r in a], float),
        yaw=np.array([r[3] for r in a], float), speed=np.array([r[4] for r in a], float),
        length=kind_table("length")[kind], width=kind_table("width")[kind])


def buildings(*boxes):
    """boxes: (x, y, yaw, length, width) [m, rad], 10 m high."""
    b = np.array(boxes, float).reshape(-1, 5)
    m = len(b)
    return Structures(tuple(f"1:{i}" for i in range(m)), ("building",) * m, b[:, 0], b[:, 1],
                      b[:, 2], b[:, 3], b[:, 4], np.full(m, 10.0))


def rows_seen(state, cfg=None, structures=NO_STRUCT, seed=0):
    cfg = cfg or ObjectSensorConfig()
    return set(detect_objects(state, structures, 0, cfg, np.random.default_rng(seed)).row.tolist())


def ring_state(n, seed=0, r_min=15.0, r_max=60.0):
    """Ego at the origin, n - 1 cars on a ring, speeds 0-15 m/s."""
    rng = np.random.default_rng(seed)
    r, a = rng.uniform(r_min, r_max, n), rng.uniform(-np.pi, np.pi, n)
    actors = [(CAR, 0.0, 0.0, 0.0)] + [(CAR, r[i] * math.cos(a[i]), r[i] * math.sin(a[i]),
                                       rng.uniform(-np.pi, np.pi), rng.uniform(0, 15))
                                      for i in range(1, n)]
    return make_state(actors)


def test_kernel_matches_reference_on_random_scenes():
    rng = np.random.default_rng(7)
    partial = 0
    for trial, n in enumerate((2, 12, 40, 120)):
        m = 25
        valid = rng.random(n) < 0.9
        ego = int(rng.integers(n))
        valid[ego] = True
        x, y = rng.uniform(-60, 60, n), rng.uniform(-60, 60, n)
        yaw = rng.uniform(-np.pi, np.pi, n)
        length, width = rng.uniform(0.5, 11, n), rng.uniform(0.5, 2.5, n)
        sx, sy = rng.uniform(-70, 70, m), rng.uniform(-70, 70, m)
        syaw = rng.uniform(-np.pi, np.pi, m)
        sl, sw = rng.uniform(3, 25, m), rng.uniform(3, 25, m)
        if trial == 1:  # mount point inside a structure and inside another actor
            sx[0], sy[0] = x[ego], y[ego]
            x[(ego + 1) % n], y[(ego + 1) % n] = x[ego], y[ego]
        for fov, occlusion, samples in ((2 * np.pi, True, 3), (1.05, True, 4), (2.5, False, 2)):
            head = float(rng.uniform(-np.pi, np.pi))
            cos_half = -2.0 if fov >= 2 * np.pi else math.cos(fov / 2)
            args = (x[ego] + 1.0, y[ego], math.cos(head), math.sin(head), cos_half, 50.0,
                    occlusion, samples, valid, x, y, yaw, length, width, ego,
                    sx, sy, syaw, sl, sw)
            out = np.full(n, -1.0)
            K.object_visibility(*args, out)
            ref = object_visibility_ref(*args)
            assert np.array_equal(out, ref)
            assert out[ego] == 0.0 and np.all(out[~valid] == 0.0)
            partial += int(np.sum((out > 0) & (out < 1)))
    assert partial > 10  # the scenes exercise partial occlusion, range and FOV cuts


def test_segment_hits_box_hand_cases():
    # unit box at the origin, axis aligned: a segment through it, one passing above, one
    # parallel to an edge outside it, one ending just short of it
    assert K.segment_hits_box(-5, 0, 5, 0, 0, 0, 1, 0, 0.5, 0.5)
    assert not K.segment_hits_box(-5, 0.6, 5, 0.6, 0, 0, 1, 0, 0.5, 0.5)
    assert not K.segment_hits_box(-5, -5, -0.51, -0.51, 0, 0, 1, 0, 0.5, 0.5)
    # rotated 45 degrees: its corner reaches 0.707 along x
    c = s = math.sqrt(0.5)
    assert K.segment_hits_box(0.7, 3, 0.7, -3, 0, 0, c, s, 0.5, 0.5)
    assert not K.segment_hits_box(0.72, 3, 0.72, -3, 0, 0, c, s, 0.5, 0.5)


def test_actor_behind_bus_is_hidden_until_the_bus_moves():
    hidden = make_state([(CAR, 0, 0, 0), (BUS, 15, 0, 0), (CAR, 30, 0, 0)])
    assert rows_seen(hidden) == {1}
    assert visibility(hidden, NO_STRUCT, 0, ObjectSensorConfig())[2] == 0.0
    moved = hidden.replace(y=np.array([0.0, 8.0, 0.0]))
    assert rows_seen(moved) == {1, 2}
    assert rows_seen(hidden, ObjectSensorConfig(occlusion=False)) == {1, 2}


def test_partly_hidden_actor_needs_min_visible_fraction():
    # the bus hides all of the car but its left edge (3 of 8 outline points)
    st = make_state([(CAR, 0, 0, 0), (BUS, 15, -0.6, 0), (CAR, 30, 1.6, 0)])
    frac = visibility(st, NO_STRUCT, 0, ObjectSensorConfig())[2]
    assert frac == 3 / 8
    assert 2 in rows_seen(st, ObjectSensorConfig(min_visible_fraction=frac))
    assert 2 not in rows_seen(st, ObjectSensorConfig(min_visible_fraction=frac + 0.01))


def test_building_blocks_actor_around_the_corner():
    # ego driving east toward a junction at x = 40; a 30 m block fills the corner; a car
    # on the cross street heading north is behind it
    st = make_state([(CAR, 0, 0, 0), (CAR, 40, 30, math.pi / 2), (CAR, 40, -3, 0)])
    block = buildings((20, 20, 0, 30, 30))
    assert rows_seen(st, structures=block) == {2}
    assert rows_seen(st) == {1, 2}
    # a building that contains the mount point does not blind the sensor
    assert rows_seen(st, structures=buildings((0, 0, 0, 6, 6))) == {1, 2}


def test_field_of_view_and_range():
    st = make_state([(CAR, 0, 0, 0), (CAR, 30, 0, 0), (CAR, 0, 30, 0), (CAR, -30, 0, 0),
                     (CAR, 30, 20, 0)])  # 33.7 deg left: outside a 60 deg front sensor
    front = ObjectSensorConfig(fov_rad=math.radians(60))
    assert rows_seen(st, front) == {1}
    assert rows_seen(st) == {1, 2, 3, 4}
    # range is measured per outline point: at 50 m only the rear 3 of 8 points are in range
    cfg = ObjectSensorConfig(range_m=50.0)
    st = make_state([(CAR, 0, 0, 0), (CAR, 0, 45, 0), (CAR, 50, 0, 0), (CAR, -55, 0, 0)])
    objs = detect_objects(st, NO_STRUCT, 0, cfg, np.random.default_rng(0))
    assert objs.row.tolist() == [1, 2]
    assert objs.visible_fraction.tolist() == [1.0, 3 / 8]
    # range and FOV are measured from the mount point: 10 m ahead, a pedestrian at x = 7
    # is behind the sensor
    st = make_state([(CAR, 0, 0, 0), (PED, 7, 1, 0)])
    assert rows_seen(st, front) == {1}
    assert rows_seen(st, ObjectSensorConfig(fov_rad=math.radians(60), mount_x=10.0)) == set()


def test_ego_is_never_reported_and_fields_are_ground_truth():
    st = ring_state(60)
    objs = detect_objects(st, NO_STRUCT, 0, ObjectSensorConfig(occlusion=False),
                          np.random.default_rng(1))
    assert objs.n == 59 and 0 not in objs.row
    assert objs.time_us == 50_000
    r = objs.row
    assert np.array_equal(objs.actor_id, st.actor_id[r]) and np.array_equal(objs.kind, st.kind[r])
    assert np.array_equal(objs.x, st.x[r]) and np.array_equal(objs.yaw, st.yaw[r])
    assert np.allclose(objs.speed, st.speed[r])
    assert np.allclose(objs.vx, st.speed[r] * np.cos(st.yaw[r]))
    assert objs.row.dtype == np.int32 and objs.kind.dtype == np.int8
    # the ego row is checked
    with pytest.raises(ValueError, match="ego_row"):
        detect_objects(st.replace(valid=np.zeros(60, bool)), NO_STRUCT, 0, ObjectSensorConfig(),
                       np.random.default_rng(0))


def test_noise_has_the_configured_sigma():
    st = ring_state(401, seed=3)
    cfg = ObjectSensorConfig(occlusion=False, pos_sigma_m=0.5, vel_sigma_mps=0.3,
                             yaw_sigma_rad=0.05)
    rng = np.random.default_rng(11)
    res = {"x": [], "y": [], "yaw": [], "vx": [], "vy": []}
    for _ in range(10):
        o = detect_objects(st, NO_STRUCT, 0, cfg, rng)
        r = o.row
        res["x"].append(o.x - st.x[r])
        res["y"].append(o.y - st.y[r])
        res["yaw"].append((o.yaw - st.yaw[r] + np.pi) % (2 * np.pi) - np.pi)
        res["vx"].append(o.vx - st.speed[r] * np.cos(st.yaw[r]))
        res["vy"].append(o.vy - st.speed[r] * np.sin(st.yaw[r]))
    for name, sigma in (("x", 0.5), ("y", 0.5), ("yaw", 0.05), ("vx", 0.3), ("vy", 0.3)):
        e = np.concatenate(res[name])
        assert e.size == 4000
        assert abs(e.std() / sigma - 1.0) < 0.05, name
        assert abs(e.mean()) < 4 * sigma / math.sqrt(e.size), name
    assert np.all((o.yaw > -np.pi) & (o.yaw <= np.pi))


def test_same_seed_same_output_and_dropout_rate():
    st = ring_state(401, seed=4)
    cfg = ObjectSensorConfig(occlusion=False, pos_sigma_m=0.2, dropout=0.3)
    a = detect_objects(st, NO_STRUCT, 0, cfg, np.random.default_rng(5))
    b = detect_objects(st, NO_STRUCT, 0, cfg, np.random.default_rng(5))
    c = detect_objects(st, NO_STRUCT, 0, cfg, np.random.default_rng(6))
    assert np.array_equal(a.row, b.row) and np.array_equal(a.x, b.x)
    assert not np.array_equal(a.row, c.row)
    rng = np.random.default_rng(8)
    kept = [detect_objects(st, NO_STRUCT, 0, cfg, rng).n for _ in range(10)]
    assert abs(sum(kept) / (10 * 400) - 0.7) < 0.03
    assert detect_objects(st, NO_STRUCT, 0, ObjectSensorConfig(dropout=1.0),
                          np.random.default_rng(0)).n == 0


@pytest.mark.parametrize("bad", [
    dict(range_m=0.0), dict(fov_rad=0.0), dict(fov_rad=7.0), dict(pos_sigma_m=-1.0),
    dict(yaw_sigma_rad=math.nan), dict(dropout=1.5), dict(min_visible_fraction=0.0),
    dict(samples_per_side=1), dict(samples_per_side=2.5), dict(mount_x=math.inf),
])
def test_config_rejects_bad_values(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        ObjectSensorConfig(**bad)


def test_roadside_detector_sees_every_actor_it_has_a_line_to():
    """A fixed detector (an RSU's) reports the ego row too and is blocked like any sensor:
    a pedestrian behind a parked van is hidden from the car but not from the pole across."""
    state = make_state([(CAR, -30.0, 0.0, 0.0), (BUS, -5.0, 2.0, 0.0), (PED, 0.0, 4.0, 0.0)])
    cfg = ObjectSensorConfig(range_m=80.0)
    assert 2 not in rows_seen(state, cfg)  # the car's own sensor: hidden by the bus
    seen = roadside_objects(state, NO_STRUCT, 10.0, 20.0, 0.0, cfg, np.random.default_rng(0))
    assert set(seen.row.tolist()) == {0, 1, 2}
    wall = buildings((5.0, 12.0, 0.0, 30.0, 2.0))
    hidden = roadside_objects(state, wall, 10.0, 20.0, 0.0, cfg, np.random.default_rng(0))
    assert 2 not in set(hidden.row.tolist())
