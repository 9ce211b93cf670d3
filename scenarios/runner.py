"""One closed-loop run: map -> engine -> ego planner + NPC traffic -> metrics -> outputs.

A run is a pure function of (scenario, map, seed, code version): every random draw comes
from ``RngTree(seed)``, and the state history is hashed step by step (each step's digest
chained to the previous hash), so two runs agree exactly iff their final hashes do.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from planners.base import PlannerInit, PlannerInput, RuleContext
from planners.registry import default_registry
from scenarios.director import Director
from scenarios.evaluation import Evaluation, evaluate_run, run_context
from scenarios.loop import ClosedLoop, CollisionEvent, History, Observer, Sensing
from scenarios.setup import EGO_ROW, build_world, with_bus_hours
from scenarios.spec import ScenarioSpec
from scenarios.version import code_version
from sim.actions import Actions
from sim.actors import KIND_PROPS, ActorKind
from sim.collision import detect_collisions
from sim.engines.embedded import EmbeddedConfig, EmbeddedEngine
from sim.metrics.registry import MetricSet, default_metrics
from sim.rng import RngTree
from sim.roadnet.loader import load_network
from sim.roadnet.queries import route_offsets
from sim.traffic.signals import SignalTiming

__all__ = ["EGO_ROW", "FRAME_LOG", "CollisionEvent", "History", "RunResult", "Sensing",
           "simulate"]

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
    verdict: str = "PASS"  # PASS / FAIL / ERROR (the run itself broke, or cannot be judged)
    error: str | None = None  # why the verdict is ERROR
    parameters: dict = field(default_factory=dict)
    v2x: dict | None = None  # what went over the air (None: no V2X in this run)
    scores: dict = field(default_factory=dict)  # carla_lb2, carla_lb21, nuplan
    infractions: list[dict] = field(default_factory=list)  # every metric event, time order
    metrics: dict = field(default_factory=dict)  # metric -> value name -> number
    terminated: dict | None = None  # the event that ended the run early, if any
    stage_time_s: dict = field(default_factory=dict)  # loop wall time per stage [s]
    title: str = ""
    recording: dict | None = None  # path, final hash, signing key fingerprint
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
    if isinstance(obj, (float, np.floating)) and not math.isfinite(obj):
        return "nan" if obj != obj else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


def simulate(spec: ScenarioSpec, seed: int, map_path: Path, planner_name: str | None = None,
             duration_s: float | None = None,
             progress: Callable[[str], None] | None = None, *, v2x: bool = True,
             v2x_log: Path | None = None,
             observer: Observer | None = None) -> tuple[RunResult, History, object]:
    """Run ``spec`` on the map at ``map_path``; returns (result, history, network).

    ``v2x``: run the scenario's V2X stations (False: as if no station had a radio);
    ``v2x_log``: where to write every transmitted frame (:mod:`v2x.framelog`);
    ``observer``: called with every hashed state (the recorder, ``kav replay --verify``).
    Set-up errors (map, scenario, planner name) raise; anything that breaks once the loop
    runs makes the result's verdict ERROR, with the step and the reason, and what was
    simulated until then."""
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
    steps = int(round((duration_s or spec.duration_s) * 1e6 / spec.dt_us))
    dt = spec.dt_us / 1e6
    ctx = run_context(spec, net, engine.plan, world, ego_kind, steps * dt)
    metrics = MetricSet(default_metrics().create_all())
    metrics.start(ctx, state)
    air = None
    if spec.v2x is not None and v2x:
        from scenarios.v2x_layer import V2XLayer

        air = V2XLayer(spec, net, engine.plan, state, tree, ego_row=EGO_ROW,
                       hazard_rows=world.parked_rows,
                       frame_log=str(v2x_log) if v2x_log is not None else None)
    hist = History.empty(steps, state)
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
    loop = ClosedLoop(spec, engine, director, planner, sense, air, metrics, state, hist, steps,
                      net, Actions.none(n), progress, observer)
    error = None
    try:
        loop.run(tree.child("engine"))
    except Exception as exc:  # noqa: BLE001 - whatever broke, the verdict is ERROR
        error = (f"step {loop.k + 1} (t = {loop.k * dt:.2f} s): {type(exc).__name__}: {exc}\n"
                 + "".join(traceback.format_exception(exc)[-6:]))
    finally:
        if air is not None:
            air.close() if error is None else air.abort()
    loop_s = time.perf_counter() - t_loop
    k, state = loop.k, loop.state
    hist = hist.upto(k + 1)
    hist.length, hist.width = state.length.copy(), state.width.copy()
    # the engine tracks the ego along its mission route (memory.route), whatever the planner
    along = float(route_offsets(net, mission)[int(state.memory.route_pos[EGO_ROW])]
                  + state.s[EGO_ROW])
    completion = (float(np.clip((along - mission.start_s) / mission.length, 0, 1))
                  if mission.length > 0 else 1.0)
    goal_dist = float(np.hypot(state.x[EGO_ROW] - goal_xy[0], state.y[EGO_ROW] - goal_xy[1]))
    reports = metrics.finish(state)
    ev: Evaluation = evaluate_run(spec, ctx, reports, metrics.events, hist, loop, world,
                                  completion, air, error)
    hist.series = ev.series
    result = RunResult(
        scenario=spec.id, seed=int(seed), duration_s=k * dt, steps=k,
        wall_time_s=time.perf_counter() - t_wall, loop_time_s=loop_s, compile_time_s=compile_s,
        state_history_sha256=loop.chain.hex(), collisions=loop.events,
        ego={"kind": ego_kind.name, "vehicle": spec.ego.vehicle,
             "distance_m": float(loop.distance), "route_length_m": float(mission.length),
             "route_completion": completion, "reached_goal": goal_dist < 5.0,
             "final_goal_distance_m": goal_dist},
        counts={"vehicles": spec.traffic.vehicles, "pedestrians": spec.traffic.pedestrians,
                "actors": len(spec.actors)},
        planner={"name": planner.name, **planner.timings.summary()},
        map={"name": net.name, "sha256": net.sha256, "source": spec.map.label},
        storyboard=director.log, criteria=ev.criteria, verdict=ev.verdict, error=ev.error,
        parameters=dict(spec.parameters),
        v2x=air.stats.to_json() if air is not None else None,
        scores=ev.scores, infractions=ev.infractions, metrics=ev.metrics,
        terminated=loop.terminal.to_json() if loop.terminal is not None else None,
        stage_time_s={k_: round(v, 4) for k_, v in loop.stage_s.items()}, title=spec.title,
    )
    return result, hist, net


FRAME_LOG = "v2x-frames.kavlog"


def run(spec: ScenarioSpec, seed: int = 0, out: Path | None = None, **kwargs) -> RunResult:
    """``kav run``: see :func:`scenarios.publish.run` (which writes every output file)."""
    from scenarios.publish import run as publish_run

    return publish_run(spec, seed, out, **kwargs)
