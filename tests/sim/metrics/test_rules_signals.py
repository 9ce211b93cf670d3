"""signal_compliance against hand-computed cases on gangnam_grid (synthetic ego tracks,
hand-made signal snapshots). Also home of the small track helpers the other rules_* tests
import."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from sim.actors import ActorKind
from sim.engines.base import SignalSnapshot
from sim.metrics.base import MetricReport, RunContext, StepInput
from sim.metrics.rules_signals import SignalCompliance
from sim.roadnet.network import LANE_SIGNALISED, Turn
from sim.roadnet.queries import pose_at
from sim.state import empty_state
from sim.traffic.signals import PED_DONT_WALK, PED_WALK, SIG_GREEN, SIG_RED, SIG_YELLOW

DT_US = 50_000
HALF = 2.45  # half the 4.9 m car


# -- helpers shared by the rules_* tests ---------------------------------------------------
@functools.cache
def load(name: str):
    from scenarios.map_registry import build_map
    from sim.roadnet.loader import load_network_text

    return load_network_text(build_map(name), source=name)


def context(net, route, **kw) -> RunContext:
    return RunContext(network=net, ego_row=0, dt_us=DT_US, clock_start_s=kw.pop("clock", 0.0),
                      duration_s=60.0, route_lanes=np.asarray(route, np.int32),
                      route_xy=np.zeros((2, 2)), route_length_m=0.0, goal_xy=(0.0, 0.0), **kw)


def integrate(d0: float, speeds) -> tuple[list[float], list[float]]:
    """Centre distances [m] along the route for speeds [m/s] held one step each."""
    d = [d0]
    for v in speeds[:-1]:
        d.append(d[-1] + v * DT_US / 1e6)
    return d, list(speeds)


def states(net, route, dists, speeds, others=(), length=4.9, lanes=None):
    """Ego (row 0) at centre distances ``dists`` along ``route`` (or on ``lanes`` at s =
    dists); ``others``: (kind, x, y, yaw, speed, id) actors held fixed."""
    out = []
    n = 1 + len(others)
    for k, (dist, v) in enumerate(zip(dists, speeds)):
        if lanes is None:
            lane, s = route[-1], dist
            for q in route:
                if s < net.lanes.length[q] or q == route[-1]:
                    lane = q
                    break
                s -= net.lanes.length[q]
        else:
            lane, s = lanes[k], dist
        x, y, h = pose_at(net, lane, s)
        rows = [(int(ActorKind.CAR), x[0], y[0], h[0], v, 1, length)] + [
            (int(kd), ox, oy, oyaw, ov, oid, 0.5 if kd == ActorKind.PEDESTRIAN else 4.9)
            for kd, ox, oy, oyaw, ov, oid in others]
        st = empty_state(n, time_us=k * DT_US)
        col = list(zip(*rows))
        st = st.replace(valid=np.ones(n, bool), kind=np.array(col[0], np.int8),
                        x=np.array(col[1], float), y=np.array(col[2], float),
                        yaw=np.array(col[3], float), speed=np.array(col[4], float),
                        actor_id=np.array(col[5], np.int32), length=np.array(col[6], float),
                        width=np.full(n, 1.86), lane=np.array([lane] + [-1] * (n - 1), np.int32),
                        s=np.array([s] + [0.0] * (n - 1)))
        out.append(st)
    return out


def snapshot(net, lanes: dict | None = None, default=SIG_GREEN, cw=PED_DONT_WALK,
             arrows=None) -> SignalSnapshot:
    sig = np.full(net.lanes.n, default, np.int8)
    for lane, v in (lanes or {}).items():
        sig[lane] = v
    return SignalSnapshot(0, sig, np.full(net.crosswalks.n, cw, np.int8), arrows)


def run(metric, ctx, sts, sig) -> tuple[MetricReport, list]:
    """Run ``metric`` over the states with snapshot ``sig`` (or sig(k) per step)."""
    metric.start(ctx, sts[0])
    stepped = []
    for k in range(1, len(sts)):
        s = sig(k) if callable(sig) else sig
        stepped += metric.update(StepInput(k, sts[k - 1], sts[k], s))
    return metric.finish(sts[-1]), stepped


# -- fixtures of this file -----------------------------------------------------------------
def approach():
    """(net, predecessor P, approach lane A with a RIGHT and a STRAIGHT successor, R, S)."""
    net = load("gangnam_grid")
    ln = net.lanes
    for a in np.flatnonzero((ln.flags & LANE_SIGNALISED) > 0):
        succ = {Turn(ln.turn[v]): int(v) for v in ln.successors(a)}
        if Turn.RIGHT in succ and Turn.STRAIGHT in succ and len(ln.predecessors(a)):
            return net, int(ln.predecessors(a)[0]), int(a), succ[Turn.RIGHT], succ[
                Turn.STRAIGHT]
    raise AssertionError("gangnam_grid has no approach with right and straight")


def line_centre(net, p, a) -> float:
    """Centre distance along [P, A, ...] at which the front bumper is on A's stop line."""
    return float(net.lanes.length[p] + net.lanes.stop_s[a]) - HALF


def kinds(rep):
    return [e.kind for e in rep.events]


# -- red and yellow ------------------------------------------------------------------------
def test_red_light_entry_is_counted_once_at_the_crossing():
    net, p, a, _, s = approach()
    line = line_centre(net, p, a)
    d, v = integrate(line - 10.0, [10.0] * 31)  # front reaches the line after 1.0 s
    rep, stepped = run(SignalCompliance(), context(net, [p, a, s]), states(net, [p, a, s], d, v),
                       snapshot(net, {s: SIG_RED}))
    assert kinds(rep) == ["red_light"] and len(stepped) == 1
    assert rep.events[0].time_s == 1.0
    assert rep.values["red_light_entries"] == 1.0
    rep, _ = run(SignalCompliance(), context(net, [p, a, s]), states(net, [p, a, s], d, v),
                 snapshot(net, {s: SIG_GREEN}))
    assert rep.values["red_light_entries"] == 0.0


def test_yellow_judged_with_the_korean_formula():
    # v = 10 m/s: stopping needs v*Tb + v^2/(2d) = 10 + 100/10 = 20 m
    net, p, a, _, s = approach()
    line = line_centre(net, p, a)
    sig = snapshot(net, {s: SIG_YELLOW})
    for start, expect in ((40.0, 1.0), (25.0, 1.0), (19.0, 0.0), (15.0, 0.0)):
        d, v = integrate(line - start, [10.0] * int(start / 0.5 + 3))
        rep, _ = run(SignalCompliance(), context(net, [p, a, s]),
                     states(net, [p, a, s], d, v), sig)
        assert rep.values["red_light_entries"] == expect, start
        if expect:
            assert "yellow though it could stop" in rep.events[0].detail


def test_unknown_movement_judged_when_the_centre_enters_it():
    net, p, a, r, s = approach()
    line = line_centre(net, p, a)
    d, v = integrate(line - 5.0, [10.0] * 40)  # the centre reaches S ~0.75 s after the line
    sts = states(net, [p, a, s], d, v)
    rep, stepped = run(SignalCompliance(), context(net, []), sts, snapshot(net, {s: SIG_RED}))
    assert kinds(rep) == ["red_light"] and rep.events[0].time_s == 0.5
    rep, _ = run(SignalCompliance(), context(net, []), sts, snapshot(net, {r: SIG_RED}))
    assert kinds(rep) == []  # it went straight, and straight was green


# -- right turns ---------------------------------------------------------------------------
def _rtor_track(net, p, a, r, stop_s: float):
    """Approach at 5 m/s, stand ``stop_s`` seconds with the front 1 m before the line, then
    cross at 2 m/s."""
    line = line_centre(net, p, a)
    d, v = integrate(line - 11.0, [5.0] * 40)  # 10 m in 2 s: front 1 m before the line
    n_stop = int(round(stop_s / 0.05))
    d += [d[-1]] * n_stop
    v = v[:-1] + [0.0] * (n_stop + 1)
    d2, v2 = integrate(d[-1], [2.0] * 30)
    return states(net, [p, a, r], d + d2[1:], v + v2[1:])


def test_right_turn_on_red_needs_a_full_stop_of_half_a_second():
    net, p, a, r, _ = approach()
    sig = snapshot(net, {r: SIG_RED})
    ctx = context(net, [p, a, r])
    rep, _ = run(SignalCompliance(), ctx, _rtor_track(net, p, a, r, 1.0), sig)
    assert kinds(rep) == []
    rep, _ = run(SignalCompliance(), ctx, _rtor_track(net, p, a, r, 0.25), sig)
    assert kinds(rep) == ["rtor_without_full_stop"]
    line = line_centre(net, p, a)
    d, v = integrate(line - 10.0, [2.0] * 130)  # rolls through at 2 m/s
    rep, _ = run(SignalCompliance(), ctx, states(net, [p, a, r], d, v), sig)
    assert rep.values["rtor_without_full_stop"] == 1.0
    assert rep.values["red_light_entries"] == 0.0


def test_right_turn_arrow_allows_only_the_green_arrow():
    net, p, a, r, _ = approach()
    arrows = np.zeros(net.lanes.n, bool)
    arrows[r] = True
    ctx = context(net, [p, a, r])
    track = _rtor_track(net, p, a, r, 1.0)  # even after a full stop
    rep, _ = run(SignalCompliance(), ctx, track, snapshot(net, {r: SIG_RED}, arrows=arrows))
    assert kinds(rep) == ["red_arrow"] and rep.values["red_arrow_violations"] == 1.0
    rep, _ = run(SignalCompliance(), ctx, track, snapshot(net, {r: SIG_GREEN}, arrows=arrows))
    assert kinds(rep) == []


# -- U-turn plates -------------------------------------------------------------------------
def _uturn_net():
    """gangnam_grid with one LEFT movement relabelled as a U-turn (no U-turns on the map)."""
    net = load("gangnam_grid")
    ln = net.lanes
    for a in np.flatnonzero((ln.flags & LANE_SIGNALISED) > 0):
        lefts = [int(v) for v in ln.successors(a) if ln.turn[v] == Turn.LEFT]
        if lefts and len(ln.predecessors(a)):
            turn = ln.turn.copy()
            turn[lefts[0]] = Turn.UTURN
            net = dataclasses.replace(net, lanes=dataclasses.replace(ln, turn=turn))
            return net, int(ln.predecessors(a)[0]), int(a), lefts[0]
    raise AssertionError("no left turn")


def test_uturn_plates():
    net, p, a, u = _uturn_net()
    line = line_centre(net, p, a)
    d, v = integrate(line - 5.0, [5.0] * 30)
    sts = states(net, [p, a, u], d, v)

    def go(plate, sig):
        return run(SignalCompliance(), context(net, [p, a, u], uturn_plates=((u, plate),)),
                   sts, sig)[0]

    assert kinds(go("ped_green", snapshot(net, cw=PED_DONT_WALK))) == ["uturn_violation"]
    assert kinds(go("ped_green", snapshot(net, cw=PED_WALK))) == []
    # on red: the plate, not the signal, governs (no red_light for a plated U-turn)
    assert kinds(go("red", snapshot(net, default=SIG_RED))) == []
    assert kinds(go("red", snapshot(net, default=SIG_GREEN))) == ["uturn_violation"]
    assert kinds(go("left_signal", snapshot(net, default=SIG_RED))) == ["uturn_violation"]
    # no plate: permissive
    rep, _ = run(SignalCompliance(), context(net, [p, a, u]), sts, snapshot(net, default=SIG_RED))
    assert kinds(rep) == []
