"""kav-ref closed loop in situations built directly on the Sangam map: a red light, a
pedestrian about to cross, a right turn on red (full stop, then go), and the Sangam demo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from planners.base import PlannerInit, PlannerInput
from planners.behaviour import rules as R
from planners.perception.fusion import ExternalObjects
from planners.reference import ReferenceStack, ReferenceStackConfig
from scenarios.director import Director
from scenarios.runner import EGO_ROW, Sensing
from scenarios.scenario_file import parse_scenario_text
from scenarios.setup import build_world
from sim.actions import Actions
from sim.actors import KIND_PROPS, ActorKind
from sim.engines.base import SignalSnapshot
from sim.engines.embedded import EmbeddedConfig, EmbeddedEngine
from sim.rng import RngTree
from sim.sensors.objects import ObjectSensorConfig
from sim.traffic.signals import PED_DONT_WALK, PED_NONE, SIG_GREEN, SIG_NONE, SIG_RED

STOP_LINE_X = 193.875  # lane 110 / 109 of the Sangam grid: stop line before junction x=220
CROSSWALK_X0 = 20.125 + 175.256  # the approach crosswalk on lane 110


def _spec(sangam, ego: str, actors: str = ""):
    text = f"""
id = "situation"
zone = "sangam"
title = "built situation"
duration_s = 40.0
[map]
xodr = "{Path(sangam.source)}"
[ego]
vehicle = "car"
planner = "kav-ref"
{ego}
[traffic]
vehicles = 0
pedestrians = 0
{actors}
"""
    return parse_scenario_text(text, "situation.toml").concrete()


def drive(sangam, spec, signals, seconds: float, planner=None, inbox=None):
    """Closed loop with the signal states chosen by ``signals(time_s) -> (lanes, cw)``."""
    engine = EmbeddedEngine(sangam, EmbeddedConfig(dt_us=spec.dt_us))
    tree = RngTree(7)
    world = build_world(spec, sangam, engine.walk, tree)
    state = world.state
    director = Director(spec, sangam, world.rows, world.behaviours)
    planner = planner or ReferenceStack()
    kind = ActorKind(int(state.kind[EGO_ROW]))
    planner.initialize(PlannerInit(sangam, world.mission, world.goal_xy, EGO_ROW, kind,
                                   KIND_PROPS[kind], spec.dt_us))
    sense = Sensing(planner.sensors, sangam, tree.child("sensors"))
    base = Actions.none(state.n_actors)
    dt = spec.dt_us / 1e6
    log = []
    for k in range(int(seconds / dt)):
        state = director.update(state)
        lanes, cw = signals(state.time_us / 1e6)
        snap = SignalSnapshot(state.time_us, lanes, cw)
        objects, cloud = sense.read(k, state)
        msgs = inbox(state) if inbox else ()
        plan = planner.plan(PlannerInput(state.time_us, state, snap, objects, cloud, msgs))
        log.append((state.time_us / 1e6, float(state.x[EGO_ROW]), float(state.y[EGO_ROW]),
                    float(state.speed[EGO_ROW]), state.x.copy(), state.y.copy()))
        actions = director.controls(state, base.with_control(EGO_ROW, plan.accel, plan.steer),
                                    dt)
        state = engine.step(state, actions, tree.child("engine").generator(k))
    return log, world, planner


def _const(sangam, lane_state, cw_state):
    lanes = np.full(sangam.lanes.n, lane_state, np.int8)
    cws = np.full(sangam.crosswalks.n, cw_state, np.int8)
    return lambda t: (lanes, cws)


def front_x(log, i):
    return log[i][1] + 0.5 * KIND_PROPS[ActorKind.CAR].length


def test_stops_for_a_red_light_and_goes_on_green(sangam):
    spec = _spec(sangam, 'start = { x = 100.0, y = 175.125 }\n'
                         'goal = { x = 400.0, y = 175.125 }\nstart_speed = 12.0')
    red = _const(sangam, SIG_RED, PED_DONT_WALK)
    green = _const(sangam, SIG_GREEN, PED_DONT_WALK)
    log, _, planner = drive(sangam, spec, lambda t: red(t) if t < 20.0 else green(t), 30.0)
    fronts = np.array([front_x(log, i) for i in range(len(log))])
    t = np.array([r[0] for r in log])
    v = np.array([r[3] for r in log])
    during_red = t < 20.0
    assert fronts[during_red].max() <= STOP_LINE_X + 0.3
    assert fronts[during_red].max() > STOP_LINE_X - 6.0  # stopped at the line, not far back
    assert v[(t > 15.0) & (t < 20.0)].max() < 0.2
    assert fronts[-1] > 230.0  # through the junction once green
    assert planner.timings.summary()["calls"] == len(log)


@pytest.mark.parametrize("heading, must_stop", [(1.5708, True), (-1.5708, False)])
def test_yields_to_a_pedestrian_about_to_cross(sangam, heading, must_stop):
    # the pedestrian stands on the south sidewalk at the crosswalk's kerb end and walks
    # north onto it (about to cross), or away from it (not crossing)
    actors = f"""
[[actors]]
name = "walker"
kind = "pedestrian"
start = {{ x = 197.875, y = 168.3, heading = {heading} }}
speed = 0.0
[[acts]]
name = "step_out"
[[acts.events]]
name = "walk"
actor = "walker"
when = [{{ type = "time", value = 4.0 }}]
actions = [{{ type = "speed", target = 1.3, shape = "step" }}]
"""
    spec = _spec(sangam, 'start = { x = 110.0, y = 175.125 }\n'
                         'goal = { x = 400.0, y = 175.125 }\nstart_speed = 10.0', actors)
    log, world, _ = drive(sangam, spec, _const(sangam, SIG_NONE, PED_NONE), 16.0)
    row = world.rows["walker"]
    fronts = np.array([front_x(log, i) for i in range(len(log))])
    gaps = [np.hypot(r[4][row] - r[1], r[5][row] - r[2]) for r in log]
    if must_stop:
        t_in = next(r[0] for r in log if r[5][row] > 170.25)  # on the carriageway
        before = np.array([r[0] for r in log]) <= t_in + 2.0
        assert fronts[before].max() <= CROSSWALK_X0
        assert min(gaps) > 2.0
    else:
        assert fronts[-1] > CROSSWALK_X0 + 10.0  # not held up


def test_right_turn_on_red_full_stop_then_turns(sangam):
    spec = _spec(sangam, 'start = { x = 120.0, y = 171.875 }\n'
                         'goal = { x = 213.5, y = 80.0 }\nstart_speed = 10.0')
    log, _, planner = drive(sangam, spec, _const(sangam, SIG_RED, PED_DONT_WALK), 30.0)
    t = np.array([r[0] for r in log])
    v = np.array([r[3] for r in log])
    fronts = np.array([front_x(log, i) for i in range(len(log))])
    y = np.array([r[2] for r in log])
    # a full stop (< 0.5 km/h for >= 0.5 s) with the front at the stop line ...
    at_line = (v < R.FULL_STOP_SPEED) & (fronts > STOP_LINE_X - 3.0) & \
        (fronts <= STOP_LINE_X + 0.3)
    runs = np.flatnonzero(at_line)
    assert len(runs) and (t[runs[-1]] - t[runs[0]]) >= R.FULL_STOP_TIME
    # ... before the front ever passes the line, then the turn on red
    first_past = np.flatnonzero(fronts > STOP_LINE_X + 0.3)
    assert len(first_past) and t[first_past[0]] > t[runs[0]] + R.FULL_STOP_TIME
    assert y[-1] < 150.0  # turned right, heading south


def test_waits_on_red_right_turn_while_a_pedestrian_crosses_the_exit(sangam):
    actors = """
[[actors]]
name = "walker"
kind = "pedestrian"
start = { x = 209.0, y = 156.25, heading = 0.0 }
speed = 0.0
[[acts]]
name = "cross"
[[acts.events]]
name = "walk"
actor = "walker"
when = [{ type = "time", value = 0.5 }]
actions = [{ type = "speed", target = 0.9, shape = "step" }]
"""
    spec = _spec(sangam, 'start = { x = 150.0, y = 171.875 }\n'
                         'goal = { x = 213.5, y = 80.0 }\nstart_speed = 6.0', actors)
    log, world, _ = drive(sangam, spec, _const(sangam, SIG_RED, PED_DONT_WALK), 22.0)
    row = world.rows["walker"]
    gaps = [np.hypot(r[4][row] - r[1], r[5][row] - r[2]) for r in log]
    assert min(gaps) > 2.5


def test_lidar_perception_stops_behind_a_parked_car(sangam):
    """perception="lidar": ray-cast points -> ground removal -> clusters -> tracks -> the
    leader rule stops the car behind a van parked in its lane."""
    actors = """
[[actors]]
name = "van"
kind = "truck"
behaviour = "parked"
start = { x = 160.0, y = 175.125, heading = 0.0 }
"""
    spec = _spec(sangam, 'start = { x = 100.0, y = 175.125 }\n'
                         'goal = { x = 400.0, y = 175.125 }\nstart_speed = 10.0', actors)
    stack = ReferenceStack(ReferenceStackConfig(perception="lidar"))
    assert stack.sensors.lidar is not None and stack.sensors.objects is None
    log, world, _ = drive(sangam, spec, _const(sangam, SIG_GREEN, PED_DONT_WALK), 15.0, stack)
    row = world.rows["van"]
    van_rear = float(log[0][4][row]) - 0.5 * KIND_PROPS[ActorKind.TRUCK].length
    fronts = np.array([front_x(log, i) for i in range(len(log))])
    assert fronts.max() < van_rear - 1.0  # stopped behind it
    assert log[-1][3] < 0.2


def _external_walker(row):
    """The walker's true state as a roadside unit would report it (CPM), 100 ms old."""
    def inbox(state):
        return (ExternalObjects(
            x=state.x[[row]], y=state.y[[row]], yaw=state.yaw[[row]], speed=state.speed[[row]],
            length=state.length[[row]], width=state.width[[row]], kind=state.kind[[row]],
            age_us=np.array([100_000]), pos_sigma=np.array([0.5]), source=np.array([7])),)
    return inbox


@pytest.mark.parametrize("reported", [True, False])
def test_externally_reported_pedestrian_is_fused_and_yielded_to(sangam, reported):
    """A short-sighted ego (object sensor 12 m) stops in time for a pedestrian stepping onto
    the crosswalk only when a roadside unit reports the pedestrian."""
    actors = """
[[actors]]
name = "walker"
kind = "pedestrian"
start = { x = 197.875, y = 168.3, heading = 1.5708 }
speed = 0.0
[[acts]]
name = "step_out"
[[acts.events]]
name = "walk"
actor = "walker"
when = [{ type = "time", value = 3.0 }]
actions = [{ type = "speed", target = 1.3, shape = "step" }]
"""
    spec = _spec(sangam, 'start = { x = 110.0, y = 175.125 }\n'
                         'goal = { x = 400.0, y = 175.125 }\nstart_speed = 12.0', actors)
    stack = ReferenceStack(ReferenceStackConfig(objects=ObjectSensorConfig(range_m=12.0)))
    row = 1
    log, world, _ = drive(sangam, spec, _const(sangam, SIG_NONE, PED_NONE), 12.0, stack,
                          inbox=_external_walker(row) if reported else None)
    assert world.rows["walker"] == row
    fronts = np.array([front_x(log, i) for i in range(len(log))])
    if reported:
        assert fronts.max() <= CROSSWALK_X0
    else:
        assert fronts.max() > CROSSWALK_X0  # seen too late to stop before the crosswalk


def test_unprotected_left_waits_for_the_oncoming_gap(sangam):
    """Left turn on a permissive green (left and opposing straight both green, 비보호):
    the ego holds at the line while a car comes the other way, turns once it has passed,
    and leaves a post-encroachment time of at least 2 s at the conflict point."""
    actors = """
[[actors]]
name = "oncoming"
kind = "car"
behaviour = "scripted"
start = { x = 330.0, y = 3.25, heading = 3.14159 }
speed = 12.5
"""
    spec = _spec(sangam, 'start = { x = 165.0, y = 0.0 }\n'
                         'goal = { x = 223.25, y = 100.0 }\nstart_speed = 5.0', actors)
    log, world, _ = drive(sangam, spec, _const(sangam, SIG_GREEN, PED_DONT_WALK), 20.0)
    row = world.rows["oncoming"]
    t = np.array([r[0] for r in log])
    ego_x, ego_y = np.array([r[1] for r in log]), np.array([r[2] for r in log])
    onc_x = np.array([r[4][row] for r in log])
    # conflict point: where the ego's turn crosses the oncoming lane (y = 3.25)
    ego_there = t[np.flatnonzero(ego_y > 3.25 - 1.0)]
    onc_gone = t[np.flatnonzero(onc_x < ego_x[np.argmax(ego_y > 3.25 - 1.0)] - 2.5)]
    assert len(ego_there) and len(onc_gone), "both must reach the conflict point"
    assert ego_there[0] - onc_gone[0] >= 2.0  # post-encroachment time
    assert ego_y[-1] > 25.0  # and then it did turn left, north


def test_reports_of_the_ego_itself_are_not_obstacles(sangam):
    """Roadside detectors report the ego too: kav-ref drops reports inside its own box (a
    phantom of itself would stop it dead) and keeps everything else."""
    spec = _spec(sangam, 'start = { x = 110.0, y = 175.125 }\n'
                         'goal = { x = 400.0, y = 175.125 }\nstart_speed = 10.0')

    def self_and_other(state):
        x = np.array([state.x[EGO_ROW] + 0.4, state.x[EGO_ROW] + 30.0])
        return (ExternalObjects(
            x=x, y=np.full(2, state.y[EGO_ROW] - 0.3), yaw=np.zeros(2), speed=np.zeros(2),
            length=np.full(2, 4.9), width=np.full(2, 1.9), kind=np.zeros(2, np.int8),
            age_us=np.full(2, 50_000), pos_sigma=np.full(2, 0.3), source=np.full(2, 7)),)

    stack = ReferenceStack()
    log, world, _ = drive(sangam, spec, _const(sangam, SIG_NONE, PED_NONE), 1.0, stack,
                          inbox=self_and_other)
    state = world.state
    inp = PlannerInput(state.time_us, state, SignalSnapshot(0, *[a for a in _const(
        sangam, SIG_NONE, PED_NONE)(0)]), None, None, self_and_other(state))
    ext = stack.external_objects(inp)
    assert ext is not None and ext.n == 1
    assert ext.x[0] == pytest.approx(state.x[EGO_ROW] + 30.0)
    assert log[-1][3] > 5.0  # not stopped by a phantom of itself
