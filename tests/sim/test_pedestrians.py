"""Pedestrians: walk graph, kernels vs references, waiting for the walk signal."""

import dataclasses

import numpy as np
import pytest

from sim.actions import Actions
from sim.actors import ActorKind, is_vehicle
from sim.pedestrians import _kernels as K
from sim.pedestrians import _reference as R
from sim.rng import RngTree
from sim.roadnet.queries import lane_width_at, locate
from sim.state import empty_state
from sim.traffic.signals import (
    PED_DONT_WALK,
    PED_WALK,
    crosswalk_states,
    crosswalk_walk_left_us,
)
from sim.traffic.spawn import spawn_pedestrians, spawn_traffic

PED = int(ActorKind.PEDESTRIAN)


def test_walk_graph_structure(sangam, sangam_engine):
    walk, cws = sangam_engine.walk, sangam.crosswalks
    assert np.bincount(walk.cw[walk.cw >= 0], minlength=cws.n).tolist() == [2] * cws.n
    corner = np.flatnonzero(walk.cw < 0)
    assert len(corner) >= 4 * sangam.junctions.signalised.sum()
    assert np.array_equal(walk.rev[walk.rev], np.arange(walk.n_edges))
    # corner edges stay off the carriageway
    for e in corner:
        t = np.linspace(0.2, 0.8, 5)
        x = walk.x0[e] + t * (walk.x1[e] - walk.x0[e])
        y = walk.y0[e] + t * (walk.y1[e] - walk.y0[e])
        loc = locate(sangam, x, y, max_dist=10.0)
        on = loc.lane >= 0
        assert np.all(np.abs(loc.d[on]) >= 0.5 * lane_width_at(sangam, loc.lane[on], loc.s[on]))
    # waiting points are off the carriageway too
    loc = locate(sangam, walk.node_x, walk.node_y, max_dist=10.0)
    on = loc.lane >= 0
    assert np.all(np.abs(loc.d[on]) > 0.5 * lane_width_at(sangam, loc.lane[on], loc.s[on]))


@pytest.fixture(scope="module")
def busy_states(sangam, sangam_engine):
    st = spawn_traffic(sangam, empty_state(200, 16), RngTree(3).generator(), 150)
    st = spawn_pedestrians(sangam_engine.walk, st, RngTree(4).generator(), 50)
    out, tree = [], RngTree(3).child("engine")
    for k in range(801):
        if k % 200 == 0:
            out.append(st)
        st = sangam_engine.step(st, Actions.none(200), tree.generator(k))
    return out


def _inputs(net, engine, st):
    walk, cws = engine.walk, net.crosswalks
    plan, t = engine.plan, st.time_us
    state, left = crosswalk_states(plan, t), crosswalk_walk_left_us(plan, t)
    is_ped, is_veh = st.kind == PED, is_vehicle(st.kind)
    status_args = (st.valid, is_ped, is_veh, st.speed, st.length, st.s, st.memory.route,
                   st.lane, st.s, st.memory.route_pos, st.params.v_desired, walk.length,
                   walk.cw, state, left, net.lanes.length, cws.lane_ptr, cws.lane_cw,
                   cws.lane_s0, cws.lane_s1)
    return status_args, state, left, is_ped


def test_crosswalk_status_matches_reference(sangam, sangam_engine, busy_states):
    seen_blocked = seen_near = 0
    for st in busy_states:
        args, *_ = _inputs(sangam, sangam_engine, st)
        blocked = np.zeros(sangam.crosswalks.n, bool)
        near = np.zeros(sangam.crosswalks.n, bool)
        K.crosswalk_status(*args, blocked, near)
        rb, rn = R.crosswalk_status_ref(*args)
        assert np.array_equal(blocked, rb) and np.array_equal(near, rn)
        seen_blocked += blocked.sum()
        seen_near += near.sum()
    assert seen_blocked and seen_near


def test_pedestrian_step_matches_reference(sangam, sangam_engine, busy_states):
    walk = sangam_engine.walk
    for k, st in enumerate(busy_states):
        args, state, left, is_ped = _inputs(sangam, sangam_engine, st)
        blocked = np.zeros(sangam.crosswalks.n, bool)
        near = np.zeros(sangam.crosswalks.n, bool)
        K.crosswalk_status(*args, blocked, near)
        u = RngTree(k).generator().random(st.n_actors)
        n = st.n_actors
        outs = [np.zeros(n) for _ in range(5)]
        route = st.memory.route.copy()
        common = (st.valid, is_ped, st.s, st.memory.route, st.params.v_desired, u, walk.x0,
                  walk.y0, walk.x1, walk.y1, walk.length, walk.cw, walk.rev, walk.dst,
                  walk.out_ptr, walk.out, state, left, near)
        K.pedestrian_step(0.05, *common, *outs, route)
        ref = R.pedestrian_step_ref(0.05, *common)
        assert set(ref) == set(np.flatnonzero(st.valid & is_ped))
        for row, (x, y, yaw, v, s, e) in ref.items():
            got = (outs[0][row], outs[1][row], outs[2][row], outs[3][row], outs[4][row])
            assert np.allclose(got, (x, y, yaw, v, s), atol=1e-12)
            assert route[row, 0] == e


def test_waits_for_walk_then_crosses(sangam, sangam_engine):
    plan, walk = sangam_engine.plan, sangam_engine.walk
    c = int(np.flatnonzero(plan.cw_cycle_us > 0)[0])
    edge = int(np.flatnonzero(walk.cw == c)[0])
    cyc, off = int(plan.cw_cycle_us[c]), int(plan.cw_offset_us[c])
    t0 = off + int(plan.cw_walk_end_us[c]) + 1_000_000  # just after walk ended
    t0 -= (t0 // cyc) * cyc
    st = spawn_pedestrians(walk, empty_state(1, 4, time_us=t0), RngTree(0).generator(), 1)
    route = st.memory.route.copy()
    route[0, 0] = edge
    st = st.replace(x=np.array([walk.x0[edge]]), y=np.array([walk.y0[edge]]), s=np.zeros(1),
                    memory=dataclasses.replace(st.memory, route=route))
    tree = RngTree(0).child("engine")
    crossed_at = None
    for k in range(int(cyc / sangam_engine.dt_us) + 10):
        ped_state = crosswalk_states(plan, st.time_us)[c]
        st_next = sangam_engine.step(st, Actions.none(1), tree.generator(k))
        if st_next.s[0] > 0.01 and st_next.memory.route[0, 0] == edge and crossed_at is None:
            crossed_at = st.time_us
            assert ped_state == PED_WALK
        if crossed_at is None:
            assert st_next.s[0] == 0.0, "waits at the kerb until walk"
            # waiting is only right on don't-walk, or when walk has too little time left
            time_needed = 1e6 * walk.length[edge] / st.params.v_desired[0]
            assert ped_state == PED_DONT_WALK or crosswalk_walk_left_us(
                plan, st.time_us)[c] < time_needed
        st = st_next
    assert crossed_at is not None, "crosses within one signal cycle"
