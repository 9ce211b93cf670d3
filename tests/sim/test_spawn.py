"""Spawning background traffic: no overlaps, clear of stop lines, honest failures."""

import numpy as np
import pytest

from sim.collision import detect_collisions
from sim.rng import RngTree
from sim.state import empty_state
from sim.traffic.spawn import STOP_LINE_CLEARANCE, SpawnError, spawn_pedestrians, spawn_traffic


def test_spawned_traffic_does_not_overlap(sangam):
    st = spawn_traffic(sangam, empty_state(400, 16), RngTree(1).generator(), 400)
    assert st.valid.all()
    assert detect_collisions(st).rows.size == 0
    assert len(set(st.actor_id.tolist())) == 400
    ln = sangam.lanes
    signalled = np.isfinite(ln.stop_s[st.lane])
    assert np.all(st.s[signalled] <= ln.stop_s[st.lane[signalled]] - STOP_LINE_CLEARANCE + 1e-9)
    assert np.all(ln.junction[st.lane] < 0)


def test_same_seed_same_traffic(sangam):
    a = spawn_traffic(sangam, empty_state(50, 16), RngTree(5).generator(), 50)
    b = spawn_traffic(sangam, empty_state(50, 16), RngTree(5).generator(), 50)
    c = spawn_traffic(sangam, empty_state(50, 16), RngTree(6).generator(), 50)
    assert a.digest() == b.digest() != c.digest()


def test_spawn_errors(sangam, single_road, sangam_engine):
    with pytest.raises(SpawnError, match="10 vehicles requested, 5 free rows"):
        spawn_traffic(sangam, empty_state(5, 16), RngTree(1).generator(), 10)
    with pytest.raises(SpawnError, match="too small for this demand"):
        spawn_traffic(single_road, empty_state(200, 16), RngTree(1).generator(), 200)
    st = spawn_pedestrians(sangam_engine.walk, empty_state(10, 4), RngTree(1).generator(), 10)
    assert np.all(st.kind == 4) and np.all(st.lane == -1)
