"""One closed-loop run: map -> engine -> ego planner + NPC traffic -> outputs.

A run is a pure function of (scenario, map, seed, code version): every random draw comes
from ``RngTree(seed)``, and the state history is hashed step by step (each step's digest
chained to the previous hash), so two runs agree exactly iff their final hashes do.
"""

from __future__ import annotations

import hashlib
import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from planners.base import PlannerInit, PlannerInput, RuleContext, SensorRequest
from planners.registry import default_registry
from scenarios.criteria import Trace, evaluate, verdict
from scenarios.director import Director
from scenarios.map_registry import map_text
from scenarios.outputs import RunFolder, atomic_write_text, write_json
from scenarios.setup import EGO_ROW, build_world, with_bus_hours
from scenarios.spec import ScenarioSpec
from scenarios.version import code_version
from sim.actions import Actions
from sim.actors import KIND_PROPS, ActorKind
from sim.collision import detect_collisions
from sim.engines.embedded import EmbeddedConfig, EmbeddedEngine
from sim.rng import RngTree
from sim.roadnet.loader import load_network
from sim.roadnet.queries import route_offsets
from sim.traffic._kernels import _lane_value_at
from sim.traffic.signals import SIG_RED, SignalTiming


@dataclass(frozen=True)
class CollisionEvent:
    """Onset of contact between two actors (boxes overlapping after not overlapping)."""

    time_s: float
    actor_a: int
    actor_b: int
    row_a: int
    row_b: int
    kind_a: str
    kind_b: str
    x: float
    y: float
    relative_speed: float  # [m/s] |v_a - v_b| as vectors
    involves_ego: bool


@dataclass
class History:
    """Per-step values for pictures and criteria: (n_steps+1, n_actors) arrays."""

    x: np.ndarray
    y: np.ndarray
    yaw: np.ndarray
    speed: np.ndarray
    accel: np.ndarray
    valid: np.ndarray
    kind: np.ndarray

    @staticmethod
    def empty(steps: int, state) -> History:
        n = state.n_actors
        f = [np.zeros((steps + 1, n), np.float64) for _ in range(5)]
        return History(*f, np.zeros((steps + 1, n), bool), state.kind.copy())

    def record(self, k: int, state) -> None:
        self.x[k], self.y[k], self.yaw[k] = state.x, state.y, state.yaw
        self.speed[k], self.accel[k], self.valid[k] = state.speed, state.accel, state.valid

    def upto(self, k: int) -> History:
        return History(self.x[:k], self.y[:k], self.yaw[:k], self.speed[:k], self.accel[:k],
                       self.valid[:k], self.kind)


@dataclass
class RunResult:
    scenario: str
    seed: int
    duration_s: float
    steps: int
    wall_time_s: float  # the whole run: map load, set-up, kernel compilation, simulation
    loop_time_s: float  # the simulation loop alone (what the real-time factor uses)
    compile_time_s: float  # one-time Numba compilation (near 0 once cached)
    state_history_sha256: str
    collisions: list[CollisionEvent]
    ego: dict
    counts: dict
    planner: dict
    map: dict
    storyboard: list[dict] = field(default_factory=list)
    criteria: list[dict] = field(default_factory=list)
    verdict: str = "pass"
    parameters: dict = field(default_factory=dict)
    v2x: dict | None = None  # what went over the air (None: no V2X in this run)
    code_version: dict = field(default_factory=code_version)

    def to_json(self) -> dict:
        out = asdict(self)
        out["n_collisions"] = len(self.collisions)
        out["n_ego_collisions"] = sum(c.involves_ego for c in self.collisions)
        out["realtime_factor"] = self.duration_s / max(self.loop_time_s, 1e-9)
        return _json_safe(out)


def _json_safe(obj):
    """JSON has no infinity or NaN: a metric that is infinite (a stop error of a vehicle
    that never came to rest, a TTC with nobody closing in) is written as the string
    "inf" / "-inf" / "nan", so result.json stays strict JSON and says what happened."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return "nan" if obj != obj else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


def simulate(spec: ScenarioSpec, seed: int, map_path: Path, planner_name: str | None = None,
             duration_s: float | None = None,
             progress: Callable[[str], None] | None = None, *, v2x: bool = True,
             v2x_log: Path | None = None) -> tuple[RunResult, History, object]:
    """Run ``spec`` on the map at ``map_path``; returns (result, history, network).

    ``v2x``: run the scenario's V2X stations (False: as if no station had a radio);
    ``v2x_log``: where to write every transmitted frame (:mod:`v2x.framelog`)."""
    t_wall = time.perf_counter()
    net = load_network(map_path)
    if spec.bus_lane_hours is not None:
        net = with_bus_hours(net, spec.bus_lane_hours)
    sig = spec.signals
    timing = SignalTiming(straight_green=sig.straight_green, left_green=sig.left_green,
                          side_green=sig.side_green)
    engine = EmbeddedEngine(net, EmbeddedConfig(dt_us=spec.dt_us, clock_start_s=spec.clock_s,
                                                signal_timing=timing))
    tree = RngTree(seed)
    world = build_world(spec, net, engine.walk, tree)
    state, mission, goal_xy = world.state, world.mission, world.goal_xy
    n = state.n_actors
    ego_kind = ActorKind(int(state.kind[EGO_ROW]))
    director = Director(spec, net, world.rows, world.behaviours)
    registry = default_registry()
    planner = registry.create(planner_name or spec.ego.planner)
    init = PlannerInit(net, mission, goal_xy, EGO_ROW, ego_kind, KIND_PROPS[ego_kind],
                       spec.dt_us, clock_start_s=spec.clock_s,
                       rules=RuleContext(bus_lane_exempt=ego_kind == ActorKind.BUS))
    planner.initialize(init)
    sense = Sensing(planner.sensors, net, tree.child("sensors"))
    air = None
    if spec.v2x is not None and v2x:
        from scenarios.v2x_layer import V2XLayer

        air = V2XLayer(spec, net, engine.plan, state, tree, ego_row=EGO_ROW,
                       hazard_rows=world.parked_rows,
                       frame_log=str(v2x_log) if v2x_log is not None else None)
    steps = int(round((duration_s or spec.duration_s) * 1e6 / spec.dt_us))
    dt = spec.dt_us / 1e6
    hist = History.empty(steps, state)
    limit = np.zeros(steps + 1)
    chain = hashlib.sha256(state.digest()).digest()
    engine_rng = tree.child("engine")
    # Compile the kernels (first run only; cached afterwards) on a throwaway step: the step
    # is a pure function and every step draws from its own generator, so this changes
    # nothing, and the timed loop below measures simulation, not compilation.
    t_compile = time.perf_counter()
    warm = director.controls(state, Actions.none(n).with_control(EGO_ROW, 0.0, 0.0), dt)
    detect_collisions(engine.step(state, warm, tree.child("warm-up").generator()))
    if planner.warm_up_call:
        # planners keep state between calls, so a fresh twin takes the compiling call; the
        # sensors draw from per-step generators, so reading step 0 here changes nothing
        twin = registry.create(planner_name or spec.ego.planner)
        twin.initialize(init)
        twin.plan(PlannerInput(state.time_us, state, engine.signals(state.time_us),
                               *sense.read(0, state)))
    compile_s = time.perf_counter() - t_compile
    t_loop = time.perf_counter()
    events: list[CollisionEvent] = []
    base = Actions.none(n)
    done = False
    try:
        k, state, chain, distance, red_entries = _loop(
            spec, engine, director, planner, sense, air, state, hist, limit, steps, dt, chain,
            engine_rng, net, base, events, progress, t_loop)
        done = True
    finally:
        if air is not None:
            air.close() if done else air.abort()
    loop_s = time.perf_counter() - t_loop
    hist = hist.upto(k + 1)
    # the engine tracks the ego along its mission route (memory.route), whatever the planner
    along = float(route_offsets(net, mission)[int(state.memory.route_pos[EGO_ROW])]
                  + state.s[EGO_ROW])
    completion = (float(np.clip((along - mission.start_s) / mission.length, 0, 1))
                  if mission.length > 0 else 1.0)
    goal_dist = float(np.hypot(state.x[EGO_ROW] - goal_xy[0], state.y[EGO_ROW] - goal_xy[1]))
    trace = Trace(np.arange(k + 1) * dt, hist.x, hist.y, hist.yaw, hist.speed, hist.accel,
                  hist.valid, state.length, state.width, state.kind, EGO_ROW, world.rows,
                  limit[:k + 1], events, red_entries, completion, goal_xy, world.parked_rows,
                  stale_spat_used=air.stats.stale_spat_used if air is not None else 0)
    records = evaluate(spec.criteria, trace)
    result = RunResult(
        scenario=spec.id, seed=int(seed), duration_s=k * dt, steps=k,
        wall_time_s=time.perf_counter() - t_wall, loop_time_s=loop_s, compile_time_s=compile_s,
        state_history_sha256=chain.hex(), collisions=events,
        ego={"kind": ego_kind.name, "vehicle": spec.ego.vehicle, "distance_m": float(distance),
             "route_length_m": float(mission.length), "route_completion": completion,
             "reached_goal": goal_dist < 5.0, "final_goal_distance_m": goal_dist},
        counts={"vehicles": spec.traffic.vehicles, "pedestrians": spec.traffic.pedestrians,
                "actors": len(spec.actors)},
        planner={"name": planner.name, **planner.timings.summary()},
        map={"name": net.name, "sha256": net.sha256, "source": spec.map.label},
        storyboard=director.log, criteria=records, verdict=verdict(records),
        parameters=dict(spec.parameters),
        v2x=air.stats.to_json() if air is not None else None,
    )
    return result, hist, net


def _loop(spec, engine, director, planner, sense, air, state, hist, limit, steps, dt, chain,
          engine_rng, net, base, events, progress, t_loop):
    """The closed loop proper, from step 0 until the end: returns (last step, final state,
    state-history hash, distance driven [m], red-light entries)."""
    active: set[tuple[int, int]] = set()
    distance, red_entries = 0.0, 0
    pts, ptr = net.points, net.lanes.pt_ptr
    k = 0
    while True:
        state = director.update(state)
        hist.record(k, state)
        lane = int(state.lane[EGO_ROW])
        limit[k] = _lane_value_at(lane, float(state.s[EGO_ROW]), ptr, pts.s, pts.speed_limit) \
            if lane >= 0 else np.inf
        if k == steps or director.ended_at is not None:
            break
        signals = engine.signals(state.time_us)
        objects, cloud = sense.read(k, state)
        inbox = air.step(state.time_us, state) if air is not None else ()
        plan = planner.plan(PlannerInput(state.time_us, state, signals, objects, cloud, inbox))
        actions = director.controls(
            state, base.with_control(EGO_ROW, float(plan.accel), float(plan.steer)), dt)
        prev = state
        state = engine.step(state, actions, engine_rng.generator(k))
        k += 1
        chain = hashlib.sha256(chain + state.digest()).digest()
        distance += 0.5 * (prev.speed[EGO_ROW] + state.speed[EGO_ROW]) * dt
        red_entries += _ran_red(net, prev, state, signals)
        pairs = detect_collisions(state).as_set()
        for a, b in sorted(pairs - active):
            events.append(_event(state, a, b))
        active = pairs
        if progress and k % int(round(10e6 / spec.dt_us)) == 0:
            progress(f"[{state.time_us / 1e6:6.1f}/{steps * dt:.1f} s] ego "
                     f"{state.speed[EGO_ROW] * 3.6:5.1f} km/h, {distance:6.1f} m driven, "
                     f"{len(events)} collisions, {time.perf_counter() - t_loop:5.1f} s wall")
    return k, state, chain, distance, red_entries


FRAME_LOG = "v2x-frames.kavlog"


class Sensing:
    """Reads the sensors a planner asked for, each step from its own seeded generator."""

    def __init__(self, request: SensorRequest, net, rng_tree) -> None:
        self.request, self.net, self.rng = request, net, rng_tree

    def read(self, k: int, state):
        objects = cloud = None
        if self.request.objects is not None:
            from sim.sensors.objects import detect_objects

            objects = detect_objects(state, self.net.structures, EGO_ROW, self.request.objects,
                                     self.rng.child("objects").generator(k))
        if self.request.lidar is not None:
            from sim.sensors.lidar import scan

            cloud = scan(state, self.net.structures, EGO_ROW, self.request.lidar,
                         self.rng.child("lidar").generator(k))
        return objects, cloud


def _ran_red(net, prev, state, signals) -> int:
    """1 if the ego's front bumper crossed its lane's stop line this step while every
    movement from that lane showed red."""
    lane = int(prev.lane[EGO_ROW])
    if lane < 0 or not np.isfinite(net.lanes.stop_s[lane]):
        return 0
    nxt = [int(v) for v in net.lanes.successors(lane)]
    new = int(state.lane[EGO_ROW])
    half = 0.5 * float(prev.length[EGO_ROW])
    if new == lane:
        front = float(state.s[EGO_ROW]) + half
    elif new in nxt:
        front = np.inf  # already into the junction
    else:
        return 0  # changed lanes sideways: no line crossed on this lane
    if not float(prev.s[EGO_ROW]) + half < net.lanes.stop_s[lane] <= front:
        return 0
    states = [int(signals.lanes[v]) for v in nxt]
    return int(bool(states) and all(x == SIG_RED for x in states))


def _event(state, a: int, b: int) -> CollisionEvent:
    va = state.speed[a] * np.array([np.cos(state.yaw[a]), np.sin(state.yaw[a])])
    vb = state.speed[b] * np.array([np.cos(state.yaw[b]), np.sin(state.yaw[b])])
    return CollisionEvent(
        time_s=state.time_us / 1e6, actor_a=int(state.actor_id[a]), actor_b=int(state.actor_id[b]),
        row_a=int(a), row_b=int(b), kind_a=ActorKind(int(state.kind[a])).name,
        kind_b=ActorKind(int(state.kind[b])).name,
        x=float(0.5 * (state.x[a] + state.x[b])), y=float(0.5 * (state.y[a] + state.y[b])),
        relative_speed=float(np.linalg.norm(va - vb)),
        involves_ego=EGO_ROW in (a, b))


def run(spec: ScenarioSpec, seed: int = 0, out: Path | None = None,
        planner_name: str | None = None, duration_s: float | None = None,
        quiet: bool = False, v2x: bool = True, pcap: Path | None = None) -> RunResult:
    """Run a scenario and publish ``map.xodr``, ``bev.png`` and ``result.json`` into ``out``
    (default ``runs/<scenario>-<seed>/``), and with V2X ``v2x-frames.kavlog`` (every frame
    sent; ``pcap``: also written as a Wireshark capture there). ``v2x`` False runs the
    scenario with every radio off."""
    out = Path(out) if out is not None else Path("runs") / f"{spec.id}-{seed}"

    def say(msg: str) -> None:
        if not quiet:
            print(msg, flush=True)

    say(f"kav: {spec.id} ({spec.title}), seed {seed}, -> {out}")
    with RunFolder(out) as stage:
        map_path = stage / "map.xodr"
        atomic_write_text(map_path, map_text(spec.map))
        air_on = v2x and spec.v2x is not None
        log = stage / FRAME_LOG if air_on else None
        result, hist, net = simulate(spec, seed, map_path, planner_name, duration_s,
                                     progress=say, v2x=v2x, v2x_log=log)
        if pcap is not None and log is not None:
            from v2x.framelog import to_pcap

            to_pcap(log, Path(pcap))
        from scenarios.bev import render_bev

        render_bev(net, hist, stage / "bev.png", title=(
            f"{spec.id}  seed {seed}  {result.duration_s:.0f} s  "
            f"{len(result.collisions)} collisions"), ego_row=EGO_ROW)
        write_json(stage / "result.json", result.to_json())
    compile_note = (f", after {result.compile_time_s:.0f} s of one-time kernel compilation"
                    if result.compile_time_s > 2.0 else "")
    say(f"kav: simulated {result.duration_s:.0f} s in {result.loop_time_s:.1f} s "
        f"({result.duration_s / max(result.loop_time_s, 1e-9):.0f}x real time{compile_note}); "
        f"{len(result.collisions)} collisions; state hash "
        f"{result.state_history_sha256[:16]}; results in {out}")
    sys.stdout.flush()
    return result
