"""The closed loop proper: director -> sensors -> V2X -> planner -> engine -> metrics.

:class:`ClosedLoop` advances one step at a time and keeps its progress in plain attributes,
so when a planner (or anything else) raises mid-run, the runner still knows which step broke
and what was simulated until then, and can report the run as ERROR with that evidence.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from planners.base import PlannerInput
from scenarios.setup import EGO_ROW
from sim.actors import ActorKind
from sim.collision import detect_collisions
from sim.metrics.base import MetricEvent, StepInput
from sim.traffic._kernels import _lane_value_at


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
    series: dict = field(default_factory=dict)  # metric series for plots, (n_steps+1,) each
    length: np.ndarray | None = None  # (n,) [m] box sizes (fixed over a run)
    width: np.ndarray | None = None

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
                       self.valid[:k], self.kind, self.series, self.length, self.width)


#: observer(k, state, sim_hash, frames, planner, events): called with every hashed state
#: (k = 0 for the initial one), the V2X frames sent in the step that led to it, a JSON-able
#: summary of the plan that drove it, and the metric events of that step.
Observer = Callable[[int, object, bytes, list, dict | None, list[MetricEvent]], None]


class ClosedLoop:
    """Steps a run. ``k``: index of the last hashed state; ``state``: that state; ``chain``:
    the state-history hash through it; ``terminal``: the metric event that ended the run."""

    def __init__(self, spec, engine, director, planner, sense, air, metrics, state, hist,
                 steps, net, base, progress=None, observer: Observer | None = None):
        self.spec, self.engine, self.director, self.planner = spec, engine, director, planner
        self.sense, self.air, self.metrics, self.hist = sense, air, metrics, hist
        self.steps, self.net, self.base, self.progress = steps, net, base, progress
        self.observer = observer
        self.dt = spec.dt_us / 1e6
        self.engine_rng = None
        self.state = state
        self.chain = hashlib.sha256(state.digest()).digest()
        self.k = 0
        self.limit = np.zeros(steps + 1)
        self.events: list[CollisionEvent] = []
        self.distance = 0.0
        self.terminal: MetricEvent | None = None
        self._active: set[tuple[int, int]] = set()
        self.stage_s = dict.fromkeys(("director", "sensors", "v2x", "planner", "engine",
                                      "metrics", "recorder"), 0.0)
        if observer is not None:
            observer(0, state, self.chain, [], None, [])

    def run(self, engine_rng) -> None:
        t_loop = time.perf_counter()
        clock = time.perf_counter
        st = self.stage_s
        pts, ptr = self.net.points, self.net.lanes.pt_ptr
        while True:
            t0 = clock()
            state = self.state = self.director.update(self.state)
            self.hist.record(self.k, state)
            lane = int(state.lane[EGO_ROW])
            self.limit[self.k] = (_lane_value_at(lane, float(state.s[EGO_ROW]), ptr, pts.s,
                                                 pts.speed_limit) if lane >= 0 else np.inf)
            st["director"] += clock() - t0
            if (self.k == self.steps or self.director.ended_at is not None
                    or self.terminal is not None):
                break
            signals = self.engine.signals(state.time_us)
            t0 = clock()
            objects, cloud = self.sense.read(self.k, state)
            t1 = clock()
            inbox = self.air.step(state.time_us, state) if self.air is not None else ()
            t2 = clock()
            plan = self.planner.plan(PlannerInput(state.time_us, state, signals, objects, cloud,
                                                  inbox))
            t3 = clock()
            st["sensors"] += t1 - t0
            st["v2x"] += t2 - t1
            st["planner"] += t3 - t2
            actions = self.director.controls(
                state, self.base.with_control(EGO_ROW, float(plan.accel), float(plan.steer)),
                self.dt)
            prev = state
            state = self.engine.step(state, actions, engine_rng.generator(self.k))
            self.chain = hashlib.sha256(self.chain + state.digest()).digest()
            pairs = detect_collisions(state).as_set()
            new = sorted(pairs - self._active)
            self._active = pairs
            t4 = clock()
            st["engine"] += t4 - t3
            for a, b in new:
                self.events.append(_event(state, a, b))
            self.distance += 0.5 * (prev.speed[EGO_ROW] + state.speed[EGO_ROW]) * self.dt
            step_events = self.metrics.update(StepInput(self.k + 1, prev, state, signals,
                                                        tuple(new)))
            t5 = clock()
            st["metrics"] += t5 - t4
            self.k += 1
            self.state = state
            if self.observer is not None:
                frames = self.air.last_frames if self.air is not None else []
                self.observer(self.k, state, self.chain, frames, plan_summary(plan, inbox,
                              objects), step_events)
                st["recorder"] += clock() - t5
            for e in step_events:
                if e.terminal and self.terminal is None:
                    self.terminal = e
            if self.progress and self.k % int(round(10e6 / self.spec.dt_us)) == 0:
                self.progress(
                    f"[{state.time_us / 1e6:6.1f}/{self.steps * self.dt:.1f} s] ego "
                    f"{state.speed[EGO_ROW] * 3.6:5.1f} km/h, {self.distance:6.1f} m driven, "
                    f"{len(self.events)} collisions, {time.perf_counter() - t_loop:5.1f} s wall")


def plan_summary(plan, inbox, objects) -> dict:
    """What the recording keeps of a planner call: its command, a coarse look at the
    trajectory it follows (every 5th point, cm), and how much it was told."""
    out = {"accel": float(plan.accel), "steer": float(plan.steer),
           "inbox_items": len(inbox),
           "objects_seen": 0 if objects is None else int(len(objects.row))}
    tr = plan.trajectory
    if tr is not None and len(tr.x):
        out["trajectory"] = {"t_us": tr.t_us[::5].tolist(),
                             "x": np.round(tr.x[::5], 2).tolist(),
                             "y": np.round(tr.y[::5], 2).tolist(),
                             "v": np.round(tr.v[::5], 2).tolist()}
    return out


class Sensing:
    """Reads the sensors a planner asked for, each step from its own seeded generator."""

    def __init__(self, request, net, rng_tree) -> None:
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
