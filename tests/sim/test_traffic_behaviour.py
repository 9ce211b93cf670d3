"""The embedded engine's NPC behaviour, one rule at a time, on the Sangam grid."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim.actions import Actions
from sim.actors import ActorKind
from sim.collision import detect_collisions
from sim.engines.embedded import EmbeddedConfig, EmbeddedEngine
from sim.rng import RngTree
from sim.roadnet.network import LANE_SIGNALISED, LaneType, Turn
from sim.roadnet.queries import lane_access_mask
from sim.state import empty_state
from sim.traffic.signals import SignalPlan
from sim.traffic.spawn import place_vehicle, spawn_pedestrians, spawn_traffic

US = 1_000_000


def _plan(net, green: dict[int, tuple[float, float]] | None = None, cycle_s: float = 200.0):
    """A plan where every junction lane in ``green`` is green in [a, b) s and red otherwise
    (cycle 200 s); all other lanes and crosswalks unsignalised."""
    n, m = net.lanes.n, net.crosswalks.n
    z = lambda k: np.zeros(k, np.int64)  # noqa: E731
    cyc, g0, g1, y1 = z(n), z(n), z(n), z(n)
    for lane, (a, b) in (green or {}).items():
        cyc[lane], g0[lane], g1[lane], y1[lane] = cycle_s * US, a * US, b * US, b * US + 3 * US
    return SignalPlan(cyc, z(n), g0, g1, y1, z(m), z(m), z(m), z(m))


def _approach(net, turn: Turn, min_upstream: float = 80.0):
    """(route, approach lane, junction lane) for a signalised movement: the route runs from
    lanes at least ``min_upstream`` m before the approach lane's end, through the movement,
    onto the exit lane."""
    ln = net.lanes
    for a in np.flatnonzero(ln.flags & LANE_SIGNALISED):
        for j in ln.successors(int(a)):
            if ln.turn[j] != turn:
                continue
            chain, dist = [int(a)], float(ln.length[a])
            while dist < min_upstream and len(ln.predecessors(chain[0])) == 1:
                chain.insert(0, int(ln.predecessors(chain[0])[0]))
                dist += float(ln.length[chain[0]])
            if dist >= min_upstream:
                return chain + [int(j), int(ln.successors(int(j))[0])], int(a), int(j)
    raise AssertionError(f"no signalised {turn.name} movement with a long upstream lane")


def _start_s(net, route, app, before_line):
    """s on route[0] that is ``before_line`` [m] before the stop line of ``app``."""
    ln = net.lanes
    dist = float(ln.stop_s[app])
    for lane in route[:route.index(app)]:
        dist += float(ln.length[lane])
    return dist - before_line


def _run(engine, state, steps, actions=None, seed=0):
    states = [state]
    acts = actions or Actions.none(state.n_actors)
    tree = RngTree(seed).child("engine")
    for k in range(steps):
        state = engine.step(state, acts, tree.generator(k))
        states.append(state)
    return states


def _one(net, route, s, speed, n=1, kind=ActorKind.CAR):
    st = empty_state(n, 16)
    return place_vehicle(net, st, 0, 1, kind, np.asarray(route, np.int32), s, speed, False,
                         RngTree(0).generator())


def _front_past(net, st, row, lane, s_line):
    """Signed distance [m] of the front bumper past ``s_line`` on ``lane`` (- = before)."""
    assert st.lane[row] == lane
    return st.s[row] + 0.5 * st.length[row] - s_line


def test_step_is_pure(sangam, sangam_engine):
    st = spawn_traffic(sangam, empty_state(40, 16), RngTree(1).generator(), 30)
    before = st.digest()
    a = sangam_engine.step(st, Actions.none(40), RngTree(1).generator(0))
    assert st.digest() == before, "step must not modify its input"
    b = sangam_engine.step(st, Actions.none(40), RngTree(1).generator(0))
    assert a.digest() == b.digest()
    assert a.time_us == st.time_us + sangam_engine.dt_us
    with pytest.raises(ValueError, match="Actions.controlled"):
        sangam_engine.step(st, Actions.none(39), RngTree(1).generator(0))


def test_stops_at_red_and_goes_on_green(sangam):
    route, app, j = _approach(sangam, Turn.STRAIGHT)
    eng = EmbeddedEngine(sangam, signal_plan=_plan(sangam, {j: (30.0, 60.0)}))
    st = _one(sangam, route, _start_s(sangam, route, app, 70.0), 12.0)
    states = _run(eng, st, int(40 * US / eng.dt_us))
    at_25s = states[int(25 * US / eng.dt_us)]
    assert at_25s.speed[0] < 0.05
    assert -4.0 < _front_past(sangam, at_25s, 0, app, sangam.lanes.stop_s[app]) <= 0.0
    assert states[-1].lane[0] in route[-2:], "moves on once the light turns green at 30 s"


def test_follows_stopped_leader_without_contact(sangam):
    ln = sangam.lanes
    lane = int(np.flatnonzero((ln.type == LaneType.DRIVING) & (ln.length > 100))[0])
    eng = EmbeddedEngine(sangam, signal_plan=_plan(sangam))
    st = _one(sangam, [lane], 5.0, 13.0, n=2)
    st = place_vehicle(sangam, st, 1, 2, ActorKind.CAR, np.array([lane], np.int32), 80.0, 0.0,
                       False, RngTree(1).generator())
    hold = Actions.none(2).with_control(1, -5.0, 0.0)  # the leader stays put
    states = _run(eng, st, 300, hold)
    gaps = [s.s[1] - s.s[0] - 0.5 * (s.length[0] + s.length[1]) for s in states]
    assert min(gaps) > 0.5
    assert states[-1].speed[0] < 0.05 and gaps[-1] < 6.0


def test_overtakes_slow_vehicle_by_changing_lanes(sangam):
    ln = sangam.lanes
    cands = [i for i in np.flatnonzero((ln.type == LaneType.DRIVING) & (ln.junction < 0)
                                       & (ln.left >= 0)) if ln.length[i] > 150]
    lane = int(cands[0])
    eng = EmbeddedEngine(sangam, signal_plan=_plan(sangam))
    st = empty_state(2, 16)
    st = place_vehicle(sangam, st, 0, 1, ActorKind.CAR, np.array([lane], np.int32), 10.0, 12.0,
                       True, RngTree(2).generator())
    st = place_vehicle(sangam, st, 1, 2, ActorKind.CAR, np.array([lane], np.int32), 45.0, 3.0,
                       False, RngTree(3).generator())
    crawl = Actions.none(2).with_control(1, 0.0, 0.0)
    states = _run(eng, st, 120, crawl)
    changed = [s for s in states if s.lane[0] == ln.left[lane]]
    assert changed, "a faster roaming car should overtake on the left"
    assert all(s.lane[0] != ln.right[lane] or ln.right[lane] < 0 for s in states)


def test_right_turn_on_red_needs_a_full_stop(sangam):
    route, app, j = _approach(sangam, Turn.RIGHT, min_upstream=60.0)
    eng = EmbeddedEngine(sangam, signal_plan=_plan(sangam, {j: (150.0, 160.0)}))
    st = _one(sangam, route, _start_s(sangam, route, app, 50.0), 10.0)
    states = _run(eng, st, int(30 * US / eng.dt_us))
    entered = next(k for k, s in enumerate(states) if s.lane[0] == j)
    stopped = [k for k in range(entered) if states[k].speed[0] < 0.1 and states[k].lane[0] == app]
    assert stopped, "must come to a full stop before turning right on red"
    assert (entered - stopped[0]) * eng.dt_us >= eng.config.traffic.rtor_full_stop_s * US
    line = sangam.lanes.stop_s[app]
    assert _front_past(sangam, states[stopped[0]], 0, app, line) <= 0.0


def test_yields_to_pedestrian_on_crosswalk(sangam):
    eng = EmbeddedEngine(sangam, signal_plan=_plan(sangam))  # no signals: pure yielding
    cws = sangam.crosswalks
    walk = eng.walk
    # a crosswalk with a driving lane crossing it well inside the lane
    for k in range(len(cws.lane_cw)):
        lane = int(np.searchsorted(cws.lane_ptr, k, side="right") - 1)
        if cws.lane_s0[k] > 60 and sangam.lanes.junction[lane] < 0:
            c = int(cws.lane_cw[k])
            break
    edge = int(np.flatnonzero(walk.cw == c)[0])
    route = [lane]
    for _ in range(3):  # the route goes on past the crosswalk: only the pedestrian stops us
        route.append(int(sangam.lanes.successors(route[-1])[0]))
    st = _one(sangam, route, cws.lane_s0[k] - 55.0, 10.0, n=2)
    arrays = {f.name: getattr(st, f.name).copy() for f in dataclasses.fields(st)
              if f.name not in ("time_us", "params", "memory")}
    arrays["valid"][1], arrays["kind"][1] = True, int(ActorKind.PEDESTRIAN)
    arrays["length"][1] = arrays["width"][1] = 0.5
    arrays["x"][1] = 0.5 * (walk.x0[edge] + walk.x1[edge])
    arrays["y"][1] = 0.5 * (walk.y0[edge] + walk.y1[edge])
    arrays["s"][1] = 0.5 * walk.length[edge]
    walk_route = st.memory.route.copy()
    walk_route[1, 0] = edge
    v_des = st.params.v_desired.copy()
    v_des[1] = 0.5  # a slow walker: still on the crosswalk when the car arrives
    st = st.replace(params=dataclasses.replace(st.params, v_desired=v_des),
                    memory=dataclasses.replace(st.memory, route=walk_route), **arrays)
    states = _run(eng, st, 700)
    assert not any(detect_collisions(s).rows.size for s in states)
    waiting = [s for s in states if s.speed[0] < 0.05]
    assert waiting, "the car must stop for the pedestrian on the crosswalk"
    assert all(s.lane[0] == lane and s.s[0] + 0.5 * s.length[0] < cws.lane_s0[k]
               for s in waiting)
    assert states[-1].lane[0] != lane, "drives on once the pedestrian has crossed"


def test_no_lane_change_into_a_closed_bus_lane(sangam):
    eng = EmbeddedEngine(sangam, EmbeddedConfig(clock_start_s=8 * 3600.0))
    st = spawn_traffic(sangam, empty_state(200, 16), RngTree(4).generator(), 200,
                       time_of_day_s=8 * 3600.0)
    states = _run(eng, st, 700)
    ln = sangam.lanes
    closed = ~lane_access_mask(sangam, ActorKind.CAR, 8 * 3600.0) & (ln.type == LaneType.DRIVING)
    assert closed.any()
    for a, b in zip(states, states[1:]):
        cars = a.valid & (a.kind == int(ActorKind.CAR)) & (a.lane >= 0) & (b.lane != a.lane)
        for i in np.flatnonzero(cars):
            if b.lane[i] in (ln.left[a.lane[i]], ln.right[a.lane[i]]):
                assert not closed[b.lane[i]], "MOBIL moved a car into a bus-only lane"


def test_background_traffic_is_nearly_collision_free(sangam, sangam_engine):
    st = spawn_traffic(sangam, empty_state(190, 16), RngTree(7).generator(), 150)
    st = spawn_pedestrians(sangam_engine.walk, st, RngTree(8).generator(), 40)
    active, onsets = set(), []
    tree = RngTree(7).child("engine")
    for k in range(1200):
        st = sangam_engine.step(st, Actions.none(190), tree.generator(k))
        pairs = detect_collisions(st).as_set()
        onsets += sorted(pairs - active)
        active = pairs
    ped = int(ActorKind.PEDESTRIAN)
    assert sum(ped in (st.kind[a], st.kind[b]) for a, b in onsets) == 0
    assert len(onsets) <= 1, f"collision onsets in 60 s of 150 NPC vehicles: {onsets}"
    moving = st.valid & (st.kind != ped)
    assert st.speed[moving].mean() > 2.0, "traffic keeps flowing"
