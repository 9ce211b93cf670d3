"""Lidar: ray-cast kernel vs brute force, analytic ranges to a box face and to the ground,
structure labels, occlusion, noise and dropout."""

import math

import numpy as np
import pytest

from sim.actors import ActorKind, kind_table
from sim.roadnet.network import Structures
from sim.sensors import _kernels as K
from sim.sensors._reference import lidar_points_ref, lidar_scan_ref
from sim.sensors.lidar import (
    HIT_GROUND,
    HIT_STRUCTURE,
    KIND_HEIGHT_M,
    LidarConfig,
    range_image,
    scan,
    scene_boxes,
    sensor_origin,
)
from sim.state import empty_state

CAR, BUS = int(ActorKind.CAR), int(ActorKind.BUS)
NO_STRUCT = Structures.empty()
TOL = 1e-9


def make_state(actors):
    """actors: (kind, x, y, yaw) per row; sizes from the kind."""
    n = len(actors)
    kind = np.array([a[0] for a in actors], np.int8)
    return empty_state(n, time_us=100_000).replace(
        valid=np.ones(n, bool), actor_id=np.arange(n, dtype=np.int32), kind=kind,
        x=np.array([a[1] for a in actors], float), y=np.array([a[2] for a in actors], float),
        yaw=np.array([a[3] for a in actors], float), length=kind_table("length")[kind],
        width=kind_table("width")[kind])


def buildings(*boxes):
    """boxes: (x, y, yaw, length, width, height) [m, rad]."""
    b = np.array(boxes, float).reshape(-1, 6)
    m = len(b)
    return Structures(tuple(f"1:{i}" for i in range(m)), ("building",) * m, *b.T)


def cloud(state, cfg, structures=NO_STRUCT, seed=0):
    return scan(state, structures, 0, cfg, np.random.default_rng(seed))


def test_kernel_matches_reference_on_random_scenes():
    rng = np.random.default_rng(3)
    codes = set()
    for n_beams, n_az, n_boxes in ((1, 64, 3), (8, 120, 25), (6, 97, 40)):
        el = np.sort(rng.uniform(-0.6, 0.4, n_beams))
        bx, by = rng.uniform(-40, 40, n_boxes), rng.uniform(-40, 40, n_boxes)
        byaw = rng.uniform(-np.pi, np.pi, n_boxes)
        bl, bw = rng.uniform(0.5, 15, n_boxes), rng.uniform(0.5, 15, n_boxes)
        bh = rng.uniform(0.5, 6, n_boxes)
        bid = np.where(rng.random(n_boxes) < 0.3, HIT_STRUCTURE,
                       np.arange(n_boxes)).astype(np.int32)
        # the origin inside box 0 (which must be ignored) and on a face of box 1
        bx[0], by[0], bl[0], bw[0], bh[0], bid[0] = 1.0, 2.0, 5.0, 5.0, 3.0, 0
        bx[1], by[1], byaw[1], bl[1] = 0.5 + 2.0, 1.0, 0.0, 4.0
        ox, oy, oz, az0 = 0.5, 1.0, 1.9, float(rng.uniform(-4, 4))
        r = np.empty((n_beams, n_az))
        h = np.empty((n_beams, n_az), np.int32)
        K.lidar_scan(ox, oy, oz, az0, el, 35.0, bx, by, byaw, bl, bw, bh, bid, r, h)
        rr, hh = lidar_scan_ref(ox, oy, oz, az0, el, n_az, 35.0, bx, by, byaw, bl, bw, bh, bid)
        assert np.array_equal(h, hh)
        assert np.array_equal(np.isinf(r), np.isinf(rr))
        fin = np.isfinite(r)
        assert np.all(np.abs(r[fin] - rr[fin]) <= TOL)
        assert 0 not in h and np.all(r[fin] <= 35.0)
        codes |= set(np.unique(h).tolist())
        # compaction: every hit, noise-free
        keep = h != K.NO_HIT
        k = int(keep.sum())
        out = [np.empty(k), np.empty(k), np.empty(k), np.empty(k, np.int16), np.empty(k, np.int32)]
        assert K.lidar_points(ox, oy, oz, az0, el, r, h, keep, *out) == k
        ref = lidar_points_ref(ox, oy, oz, az0, el, r, h, keep)
        for a, b in zip(out, ref):
            assert a.dtype == b.dtype and np.allclose(a, b, rtol=0, atol=TOL)
    # ground, structures, actors and misses all occur
    assert {HIT_GROUND, HIT_STRUCTURE, K.NO_HIT} < codes and max(codes) > 0


def test_box_in_front_gives_points_on_its_face():
    st = make_state([(CAR, 0, 0, 0), (CAR, 10, 0, 0)])
    cfg = LidarConfig(n_beams=16, n_azimuth=360)
    pc = cloud(st, cfg)
    on_car = pc.hit == 1
    face_x = 10 - kind_table("length")[CAR] / 2  # 7.55 m; the top (1.5 m) is below the mount
    assert on_car.sum() > 20
    assert np.all(np.abs(pc.x[on_car] - face_x) <= TOL)
    assert np.all(np.abs(pc.y[on_car]) <= kind_table("width")[CAR] / 2 + TOL)
    assert np.all((pc.z[on_car] >= -TOL) & (pc.z[on_car] <= KIND_HEIGHT_M[CAR] + TOL))
    # straight ahead (column 0): beam b reaches the face at range face_x / cos(el) when the
    # hit height 1.9 + face_x tan(el) is within the box's [0, 1.5] m, else the ground or nothing
    r_img, h_img = range_image(st, NO_STRUCT, 0, cfg)
    el = cfg.elevations()
    z_face = cfg.mount_z + face_x * np.tan(el)
    expect_car = (z_face >= 0) & (z_face <= KIND_HEIGHT_M[CAR])
    assert 3 <= expect_car.sum() <= 5
    assert np.array_equal(h_img[:, 0] == 1, expect_car)
    assert np.allclose(r_img[expect_car, 0], face_x / np.cos(el[expect_car]), rtol=0, atol=TOL)
    # the ego's own box never shows up
    assert 0 not in pc.hit
    assert pc.ring.dtype == np.int16 and pc.hit.dtype == np.int32 and pc.time_us == 100_000


def test_ground_points_at_the_expected_range():
    st = make_state([(CAR, 3, -2, 0.7)])
    cfg = LidarConfig(n_beams=9, elev_min_rad=math.radians(-30), elev_max_rad=math.radians(10),
                      n_azimuth=200, range_m=20.0, mount_x=1.2)
    r_img, h_img = range_image(st, NO_STRUCT, 0, cfg)
    el = cfg.elevations()
    down = el < 0
    expect = cfg.mount_z / np.sin(-el[down])
    reach = expect <= cfg.range_m  # shallow beams meet the ground beyond range: no return
    assert 0 < reach.sum() < down.sum()
    assert np.all(h_img[down][reach] == HIT_GROUND)
    assert np.allclose(r_img[down][reach], expect[reach][:, None], rtol=0, atol=TOL)
    assert np.all(h_img[down][~reach] == K.NO_HIT) and np.all(h_img[~down] == K.NO_HIT)
    pc = cloud(st, cfg)
    assert pc.n == reach.sum() * cfg.n_azimuth
    assert np.all(np.abs(pc.z) <= TOL)
    ox, oy, oz = sensor_origin(st, 0, cfg)
    assert pc.origin == (ox, oy, oz) and abs(ox - (3 + 1.2 * math.cos(0.7))) < TOL
    horiz = np.hypot(pc.x - ox, pc.y - oy)
    assert np.allclose(horiz, cfg.mount_z / np.tan(-el[pc.ring]), rtol=0, atol=TOL)


def test_structure_hits_are_labelled():
    st = make_state([(CAR, 0, 0, 0)])
    cfg = LidarConfig(n_beams=8, n_azimuth=360, mount_z=1.9)
    pc = cloud(st, cfg, buildings((30, 0, 0, 10, 10, 20)))
    on_b = pc.hit == HIT_STRUCTURE
    assert on_b.sum() > 50
    assert np.all(np.abs(pc.x[on_b] - 25.0) <= TOL) and np.all(pc.z[on_b] <= 20 + TOL)
    assert set(np.unique(pc.hit).tolist()) == {HIT_GROUND, HIT_STRUCTURE}


def test_occluded_box_gets_no_hits():
    # a bus between the ego and a car: every ray toward the car crosses the bus first
    st = make_state([(CAR, 0, 0, 0), (BUS, 10, 0, 0), (CAR, 25, 0, 0)])
    cfg = LidarConfig(n_beams=32, n_azimuth=720)
    pc = cloud(st, cfg)
    assert (pc.hit == 1).sum() > 50 and (pc.hit == 2).sum() == 0
    moved = cloud(st.replace(y=np.array([0.0, 12.0, 0.0])), cfg)
    assert (moved.hit == 2).sum() > 10


def test_box_around_the_sensor_is_ignored():
    # a bus overlapping the ego reaches above the 1.9 m mount: the sensor sits inside it
    st = make_state([(CAR, 0, 0, 0), (BUS, 1, 0, 0), (CAR, 15, 0, 0)])
    pc = cloud(st, LidarConfig(n_beams=16, n_azimuth=360))
    assert 1 not in pc.hit and (pc.hit == 2).sum() > 5


def test_noise_dropout_and_determinism():
    st = make_state([(CAR, 0, 0, 0)])
    cfg = LidarConfig(n_beams=16, n_azimuth=900, range_sigma_m=0.05, dropout=0.25)
    a, b, c = cloud(st, cfg, seed=1), cloud(st, cfg, seed=1), cloud(st, cfg, seed=2)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.ring, b.ring)
    assert a.n != c.n or not np.array_equal(a.x, c.x)
    clean = cloud(st, LidarConfig(n_beams=16, n_azimuth=900))
    assert abs(a.n / clean.n - 0.75) < 0.02
    # noisy range minus true range, per kept point
    el = cfg.elevations()[a.ring]
    err = (cfg.mount_z - a.z) / np.sin(-el) - cfg.mount_z / np.sin(-el)
    assert abs(err.std() / 0.05 - 1) < 0.05 and abs(err.mean()) < 0.003


@pytest.mark.parametrize("bad", [
    dict(n_beams=0), dict(n_azimuth=2.5), dict(elev_min_rad=0.3, elev_max_rad=0.1),
    dict(elev_max_rad=2.0), dict(range_m=-1.0), dict(mount_z=0.0), dict(range_sigma_m=-0.1),
    dict(dropout=-0.1), dict(n_beams=4, elev_min_rad=0.1, elev_max_rad=0.1),
])
def test_config_rejects_bad_values(bad):
    with pytest.raises(ValueError):
        LidarConfig(**bad)


def test_scene_boxes_skip_ego_and_invalid_rows():
    st = make_state([(CAR, 0, 0, 0), (BUS, 10, 0, 0), (CAR, 25, 0, 0)])
    st = st.replace(valid=np.array([True, False, True]))
    boxes = scene_boxes(st, buildings((30, 0, 0, 10, 10, 20)), 0)
    assert boxes[-1].tolist() == [2, HIT_STRUCTURE]
    assert boxes[5].tolist() == [KIND_HEIGHT_M[CAR], 20.0]
