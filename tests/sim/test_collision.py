"""Oriented-box collision detection: kernel vs brute force, hand cases."""

import numpy as np

from sim.actors import ActorKind
from sim.collision import _kernels as K
from sim.collision._reference import boxes_overlap_ref, overlapping_pairs_ref
from sim.collision.detect import detect_collisions
from sim.state import empty_state

PED = int(ActorKind.PEDESTRIAN)


def test_kernel_matches_brute_force():
    rng = np.random.default_rng(0)
    for n in (2, 50, 400):
        valid = rng.random(n) < 0.95
        x, y = rng.uniform(0, 60, n), rng.uniform(0, 60, n)
        yaw = rng.uniform(-np.pi, np.pi, n)
        kind = rng.integers(0, 6, n).astype(np.int8)
        length = np.where(kind == PED, 0.5, rng.uniform(2, 11, n))
        width = np.where(kind == PED, 0.5, rng.uniform(0.8, 2.5, n))
        out = np.empty((4096, 2), np.int32)
        found = K.overlapping_pairs(valid, x, y, yaw, length, width, kind, PED, out)
        got = out[:found]
        got = got[np.lexsort((got[:, 1], got[:, 0]))]
        ref = overlapping_pairs_ref(valid, x, y, yaw, length, width, kind, PED)
        assert np.array_equal(got, ref)
        if n == 400:
            assert len(ref) > 10


def test_hand_cases():
    # two 4 x 2 boxes side by side, 2.05 m apart: no contact; rotated 45 deg: contact
    assert not K.boxes_overlap(0, 0, 0, 4, 2, 0, 2.05, 0, 4, 2)
    assert K.boxes_overlap(0, 0, 0, 4, 2, 0, 2.05, np.pi / 4, 4, 2)
    assert boxes_overlap_ref((0, 0, 0, 4, 2), (0, 2.05, np.pi / 4, 4, 2))
    # corner to corner on the diagonal
    assert not K.boxes_overlap(0, 0, 0, 2, 2, 2.01, 2.01, 0, 2, 2)
    assert K.boxes_overlap(0, 0, 0, 2, 2, 1.99, 1.99, 0, 2, 2)


def test_detect_collisions_skips_pedestrian_pairs_and_grows_buffer():
    st = empty_state(60)
    kinds = np.zeros(60, np.int8)
    kinds[:2] = PED
    st = st.replace(valid=np.ones(60, bool), kind=kinds, x=np.zeros(60), y=np.zeros(60),
                    length=np.full(60, 4.0), width=np.full(60, 2.0))
    pairs = detect_collisions(st, capacity=4)
    assert len(pairs.rows) == 60 * 59 // 2 - 1  # every pair except the two pedestrians
    assert (0, 1) not in pairs.as_set()
