"""The plain Python twin of the NPC vehicle step matches the Numba kernel.

States come from the embedded engine on the Sangam DMC grid: roaming traffic, pedestrians,
and scripted vehicles on fixed routes (a lane change the route asks for, a route that
ends), stepped for up to a minute so there are queues at red lights, vehicles inside
junctions, right turns on red and lane changes in progress. The engine's clock starts at
06:59:40, so the curb bus lane (07:00-09:00) closes after 20 s and the cars spawned on it
must merge out. The kernel's argument tuple is taken from ``EmbeddedEngine.step`` itself
(the kernel is wrapped while the engine steps), so signal states, crosswalk status, lane
access and junction conflicts are exactly those the engine passes; kernel and reference
then run on copies of it.
"""

from __future__ import annotations

import copy
import inspect
import math
from unittest import mock

import numpy as np
import pytest
from numba.core.dispatcher import Dispatcher

from sim.actions import Actions
from sim.actors import ActorKind
from sim.engines.embedded import EmbeddedConfig, EmbeddedEngine
from sim.roadnet.network import LaneType, Turn
from sim.roadnet.queries import locate
from sim.state import empty_state
from sim.traffic import _kernels as TK
from sim.traffic import _reference as reference
from sim.traffic._reference import vehicle_step_ref
from sim.traffic.spawn import place_vehicle, spawn_pedestrians, spawn_traffic

CLOCK_START_S = 6 * 3600 + 59 * 60 + 40.0  # 06:59:40, 20 s before the curb bus lane closes
N_ROWS = 300
FLOAT_TOL = 1e-9
ARG_NAMES = list(inspect.signature(vehicle_step_ref).parameters)
OUT_NAMES = [a for a in ARG_NAMES if a.startswith("out_")]
N_IN = len(ARG_NAMES) - len(OUT_NAMES)


@pytest.fixture(scope="session")
def sangam_net(sangam):
    """The Sangam DMC grid (``build_grid`` -> xodr file -> ``load_network``, tests/conftest.py)."""
    return sangam


@pytest.fixture(scope="session")
def engine(sangam_net, sangam_engine):
    """An engine whose clock starts at 06:59:40 (plan and walk graph shared)."""
    return EmbeddedEngine(sangam_net, EmbeddedConfig(clock_start_s=CLOCK_START_S),
                          signal_plan=sangam_engine.plan, walk_graph=sangam_engine.walk)


# -- helpers ---------------------------------------------------------------------------------


def engine_step_args(engine, state, actions, rng):
    """Step the engine; returns (the argument tuple it passed to the kernel, next state)."""
    calls = []
    kernel = TK.vehicle_step

    def spy(*args):
        calls.append(copy.deepcopy(args))
        return kernel(*args)

    with mock.patch.object(TK, "vehicle_step", spy):
        nxt = engine.step(state, actions, rng)
    assert len(calls) == 1, "EmbeddedEngine.step no longer calls _kernels.vehicle_step once"
    return calls[0], nxt


def with_args(args, **changes):
    """A copy of a kernel argument tuple with some arguments replaced by name."""
    out = list(args)
    for name, value in changes.items():
        out[ARG_NAMES.index(name)] = value
    return tuple(out)


def run_both(args):
    """Kernel and reference on separate copies of ``args``; returns their outputs as two
    dicts name -> array, after checking that neither touched its inputs."""
    results = []
    for step in (TK.vehicle_step, vehicle_step_ref):
        mine = copy.deepcopy(args)
        step(*mine)
        for name, before, after in zip(ARG_NAMES[:N_IN], args, mine):
            np.testing.assert_array_equal(after, before, err_msg=f"{step.__name__} changed {name}")
        results.append(dict(zip(OUT_NAMES, mine[N_IN:])))
    return results


def compare(args, context):
    """Assert kernel and reference agree on every output; returns the largest float
    difference and the kernel's outputs."""
    ker, ref = run_both(args)
    worst = 0.0
    for name in OUT_NAMES:
        k, r = ker[name], ref[name]
        assert k.dtype == r.dtype and k.shape == r.shape, f"{context}: {name}"
        if k.dtype.kind != "f":
            np.testing.assert_array_equal(r, k, err_msg=f"{context}: {name}")
            continue
        diff = r - k
        if name == "out_yaw":  # angles near +-pi may wrap to either end
            diff = (diff + math.pi) % (2.0 * math.pi) - math.pi
        err = float(np.max(np.abs(diff), initial=0.0))
        assert err <= FLOAT_TOL, f"{context}: {name} differs by {err:.3g}"
        worst = max(worst, err)
    return worst, ker


def scripted_vehicles(net, state, lane_open, rng, n):
    """``n`` non-roaming cars on fixed routes from long lanes with a neighbour: even ones
    must change onto the neighbour at once and then follow it two lanes on, odd ones have a
    one-lane route that ends at the lane's end. Put rows 0..n-1 of an empty state."""
    ln = net.lanes
    candidates = [lane for lane in range(ln.n)
                  if ln.type[lane] == LaneType.DRIVING and ln.junction[lane] < 0
                  and lane_open[lane] and ln.length[lane] > 120.0
                  and max(ln.left[lane], ln.right[lane]) >= 0]
    for k, lane in enumerate(rng.choice(candidates, n, replace=False).tolist()):
        route = [lane]
        if k % 2 == 0:
            route.append(int(ln.left[lane] if ln.left[lane] >= 0 else ln.right[lane]))
            for _ in range(2):
                route.append(int(ln.successors(route[-1])[0]))
        state = place_vehicle(net, state, k, 100 + k, ActorKind.CAR, np.array(route), 20.0, 8.0,
                              False, rng)
    return state


def traffic_state(net, engine, seed, n_vehicles=200, n_scripted=12, n_pedestrians=40):
    rng = np.random.default_rng(seed)
    state = empty_state(N_ROWS)
    state = scripted_vehicles(net, state, engine.lane_open(0)[ActorKind.CAR], rng, n_scripted)
    state = spawn_traffic(net, state, rng, n_vehicles, time_of_day_s=engine.time_of_day_s(0))
    return spawn_pedestrians(engine.walk, state, rng, n_pedestrians), rng


def activity(args, ker, lane_junction):
    """What happened in one compared step (to check the states are not trivial)."""
    a = dict(zip(ARG_NAMES, args))
    veh = a["valid"] & a["is_vehicle"] & (a["lane"] >= 0)
    rows = np.flatnonzero(veh)
    changed = veh & (ker["out_last_lc"] == a["time_us"])
    nxt = a["route"][rows, np.minimum(a["route_pos"][rows] + 1, a["route"].shape[1] - 1)]
    return {
        "vehicles": int(veh.sum()),
        "lane_changes": int(changed.sum()),
        "route_lane_changes": int(np.sum(changed[rows] & (ker["out_lane"][rows] == nxt))),
        "off_closed_lane": int(np.sum(changed & ~a["kind_lane_open"][a["kind"], a["lane"]])),
        "standing": int(np.sum(veh & (ker["out_speed"] < 0.1))),
        "in_junction": int(np.sum(veh & (lane_junction[np.maximum(ker["out_lane"], 0)] >= 0))),
        "rtor_stop_made": int(np.sum(veh & (ker["out_stop_done"] >= 0))),
        "off_centre": int(np.sum(veh & (np.abs(a["d"]) > 1.0))),
    }


# -- tests -----------------------------------------------------------------------------------


def test_reference_has_the_kernel_signature_and_no_numba():
    assert list(inspect.signature(TK.vehicle_step.py_func).parameters) == ARG_NAMES
    # the twin is written independently: it calls no Numba function
    jitted = [name for name, value in vars(reference).items() if isinstance(value, Dispatcher)]
    assert not jitted


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reference_matches_kernel_on_sangam_traffic(sangam_net, engine, seed):
    state, rng = traffic_state(sangam_net, engine, seed)
    actions = Actions.none(N_ROWS)
    compare_at = {0, 100, 200, 400, 800, 1200}  # steps of 50 ms: 0 s ... 60 s
    totals = {}
    for step in range(max(compare_at) + 1):
        if step in compare_at:
            args, state = engine_step_args(engine, state, actions, rng)
            _, ker = compare(args, f"seed {seed}, t = {step * 0.05:.0f} s")
            for key, count in activity(args, ker, sangam_net.lanes.junction).items():
                totals[key] = totals.get(key, 0) + count
        else:
            state = engine.step(state, actions, rng)
    assert totals["vehicles"] >= 6 * 200
    assert totals["standing"] > 50 and totals["in_junction"] > 50 and totals["off_centre"] > 5


def test_reference_matches_kernel_through_lane_changes_and_red_lights(sangam_net, engine):
    """Compare every 7th step for 60 s (7 is coprime with MOBIL's 10-step rota, so every
    row's turn gets compared): lane changes (MOBIL, route-required, off the closing bus
    lane) and right turns on red happen in some compared steps."""
    state, rng = traffic_state(sangam_net, engine, seed=3, n_vehicles=150)
    actions = Actions.none(N_ROWS)
    totals = {}
    closing = int(20e6 // engine.dt_us)  # the curb bus lane closes at 07:00, 20 s in
    for step in range(1200):
        if step % 7 == 0 or closing <= step < closing + 20:  # and the exits right after
            args, state = engine_step_args(engine, state, actions, rng)
            _, ker = compare(args, f"step {step}")
            for key, count in activity(args, ker, sangam_net.lanes.junction).items():
                totals[key] = totals.get(key, 0) + count
        else:
            state = engine.step(state, actions, rng)
    assert totals["lane_changes"] > totals["route_lane_changes"] + totals["off_closed_lane"]
    assert totals["route_lane_changes"] > 0
    assert totals["rtor_stop_made"] > 0


def test_reference_matches_kernel_leaving_a_closing_bus_lane(sangam_net, engine):
    """When the curb bus lane closes at 07:00, cars on it must merge out where the marking
    allows (on this map it is solid blue, so here the marking is made broken); compared at
    every step of the 6 s after the closing."""
    import dataclasses

    from sim.roadnet.network import LANE_BUS_ONLY, PT_LC_LEFT, PT_LC_RIGHT

    ln, p = sangam_net.lanes, sangam_net.points
    flags = p.flags.copy()
    for lane in np.flatnonzero((ln.flags & LANE_BUS_ONLY) & (ln.junction < 0)):
        flags[ln.pt_ptr[lane]:ln.pt_ptr[lane + 1]] |= PT_LC_LEFT | PT_LC_RIGHT
    broken = dataclasses.replace(sangam_net, points=dataclasses.replace(p, flags=flags))
    eng = EmbeddedEngine(broken, engine.config, signal_plan=engine.plan, walk_graph=engine.walk)
    state, rng = traffic_state(broken, eng, seed=3, n_vehicles=150)
    actions = Actions.none(N_ROWS)
    closing = int(20e6 // eng.dt_us)
    for _ in range(closing):
        state = eng.step(state, actions, rng)
    exits = 0
    for step in range(closing, closing + 120):
        args, state = engine_step_args(eng, state, actions, rng)
        _, ker = compare(args, f"step {step}")
        exits += activity(args, ker, ln.junction)["off_closed_lane"]
    assert exits > 0, "some car on the closing bus lane merges out of it"


def test_reference_matches_kernel_with_controlled_vehicles(sangam_net, engine):
    """Externally actuated rows: one weaves across lanes (the step follows it into the
    neighbour lane), one brakes into reverse, one brakes to a stand; NPCs react to them.
    Compared every 10th step and at each step where the weaving car changes lanes."""
    ln = sangam_net.lanes
    state, rng = traffic_state(sangam_net, engine, seed=4, n_vehicles=150)
    weave = next(k for k in range(0, 12, 2) if ln.left[state.lane[k]] >= 0)
    reverse, stand = 1, 3
    switches = 0
    for step in range(400):
        actions = (Actions.none(N_ROWS)
                   .with_control(weave, 0.4 if state.speed[weave] < 9.0 else 0.0,
                                 0.08 * math.cos(2.0 * math.pi * step * 0.05 / 8.0))
                   .with_control(reverse, -1.0, 0.0, reverse=True)
                   .with_control(stand, -3.0, 0.0))
        args, nxt = engine_step_args(engine, state, actions, rng)
        before, after = state.lane[weave], nxt.lane[weave]
        switched = after >= 0 and after in (ln.left[before], ln.right[before])
        if switched or step % 10 == 0:
            compare(args, f"step {step}")
        switches += switched
        state = nxt
    assert switches >= 2  # over to the left lane and back
    assert state.speed[reverse] < 0.0 and state.speed[stand] == 0.0


def test_reference_matches_kernel_with_speed_limit_drops(sangam_net, engine):
    """Limits that drop along a lane (none on this map): the second half of every long
    lane becomes a 30 km/h zone, which drivers anticipate from behind."""
    state, rng = traffic_state(sangam_net, engine, seed=5)
    actions = Actions.none(N_ROWS)
    for _ in range(200):
        state = engine.step(state, actions, rng)
    args, _ = engine_step_args(engine, state, actions, rng)
    ln, p = sangam_net.lanes, sangam_net.points
    pt_speed = p.speed_limit.copy()
    vmin = args[ARG_NAMES.index("lane_vmin")].copy()
    for lane in np.flatnonzero(ln.length > 60.0):
        a, b = ln.pt_ptr[lane], ln.pt_ptr[lane + 1]
        zone = p.s[a:b] > 0.5 * ln.length[lane]
        pt_speed[a:b][zone] = np.minimum(pt_speed[a:b][zone], 30.0 / 3.6)
        vmin[lane] = pt_speed[a:b].min()
    _, ker = compare(with_args(args, pt_speed=pt_speed, lane_vmin=vmin), "speed limit drops")
    _, ker_plain = compare(args, "posted limits")
    assert np.sum(ker["out_accel"] < ker_plain["out_accel"] - 1e-6) > 10  # they slow down


def test_reference_matches_kernel_at_dead_ends(single_road):
    """The hand-written single road ends after 100 m: roaming cars find no successor to add
    to their routes and stop before the road's end (or a pedestrian at the crosswalk)."""
    engine = EmbeddedEngine(single_road)
    rng = np.random.default_rng(6)
    state = empty_state(16)
    driving = np.flatnonzero(single_road.lanes.type == LaneType.DRIVING).tolist()
    starts = [(lane, s) for lane in driving for s in (10.0, 30.0, 55.0, 80.0)]
    starts.append((driving[0], 98.5))  # 1 m short of the end: the look-ahead passes it
    for row, (lane, s) in enumerate(starts):
        state = place_vehicle(single_road, state, row, row, ActorKind.CAR, np.array([lane]), s,
                              6.0, True, rng)
    state = spawn_pedestrians(engine.walk, state, rng, 2)
    actions = Actions.none(16)
    for step in range(400):
        if step % 5 == 0:
            args, state = engine_step_args(engine, state, actions, rng)
            compare(args, f"single road, step {step}")
        else:
            state = engine.step(state, actions, rng)
    cars = np.arange(len(starts))
    assert np.all(state.speed[cars] < 0.1)
    assert np.all(state.s[cars] <= single_road.lanes.length[state.lane[cars]])


def test_steering_at_a_lane_seam_follows_the_next_lane(sangam_net, engine):
    """A car booked at the very end of a left-turn lane steers exactly as one booked at the
    start of the exit lane with the same pose (the kernel once read the turn lane's heading
    at the exit lane's s, steering for the start of the turn for one step)."""
    ln = sangam_net.lanes
    turn = next(lane for lane in range(ln.n)
                if ln.turn[lane] == Turn.LEFT and len(ln.successors(lane)) == 1)
    exit_lane = int(ln.successors(turn)[0])
    rng = np.random.default_rng(0)
    at_seam = place_vehicle(sangam_net, empty_state(2), 0, 1, ActorKind.CAR,
                            np.array([turn, exit_lane]), float(ln.length[turn]), 8.0, False, rng)
    on_exit = place_vehicle(sangam_net, empty_state(2), 0, 1, ActorKind.CAR,
                            np.array([exit_lane]), 0.0, 8.0, False, rng)
    # same pose; s and d as the engine's localisation would book them on the exit lane
    only_exit = np.zeros(ln.n, bool)
    only_exit[exit_lane] = True
    loc = locate(sangam_net, at_seam.x[:1], at_seam.y[:1], lane_ok=only_exit)
    s, d = on_exit.s.copy(), on_exit.d.copy()
    s[0], d[0] = loc.s[0], loc.d[0]
    on_exit = on_exit.replace(x=at_seam.x, y=at_seam.y, yaw=at_seam.yaw, s=s, d=d)
    curvature = []
    for state in (at_seam, on_exit):
        args, nxt = engine_step_args(engine, state, Actions.none(2), np.random.default_rng(1))
        compare(args, "lane seam")
        assert nxt.lane[0] == exit_lane
        curvature.append(nxt.yaw_rate[0] / (0.5 * (state.speed[0] + nxt.speed[0])))
    assert curvature[0] == pytest.approx(curvature[1], abs=1e-12)
