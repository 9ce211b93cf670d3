"""The storyboard at run time: fires triggers, runs actions, drives scripted actors.

Each step the runner calls :meth:`Director.update` on the current state (acts and events
whose triggers hold start; teleports apply) and :meth:`Director.controls` for the scripted
actors' accelerations and steering. Scripted vehicles keep their lane at their commanded
speed (OpenSCENARIO's default controller): the speed follows the running speed action's
profile, the lateral offset the running lane-change / lane-offset profile, tracked with the
engine's own path-following steering law. Scripted pedestrians walk straight at their
speed (towards an acquired position if any). A condition with a rising edge latches once
it has risen (after its delay), so AND groups of one-off events work; level conditions
(``edge = "none"``) are re-evaluated every step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from scenarios.conditions import Measure
from scenarios.positions import neighbour, resolve, straight_route
from scenarios.spec import ScenarioSpec
from scenarios.storyboard import (
    AcquirePosition,
    LaneChange,
    LaneOffset,
    SpeedChange,
    Teleport,
    Transition,
    Trigger,
)
from sim.actions import Actions
from sim.actors import KIND_PROPS, ActorKind
from sim.roadnet.network import RoadNetwork
from sim.state import WorldState
from sim.traffic._kernels import _lane_value_at, path_steer
from sim.traffic.model import TrafficConfig, lane_tables


def shape_value(shape: str, p: float) -> float:
    """Progress of a transition shape at fraction ``p`` in [0, 1] (OpenSCENARIO shapes)."""
    p = min(max(p, 0.0), 1.0)
    if shape == "step":
        return 1.0
    if shape == "linear":
        return p
    if shape == "cubic":
        return p * p * (3.0 - 2.0 * p)
    return 0.5 - 0.5 * math.cos(math.pi * p)  # sinusoidal


@dataclass
class Profile:
    """A value moving from ``v0`` to ``v1`` with ``shape`` over [t0, t0 + duration] [s]."""

    v0: float
    v1: float
    t0: float
    duration: float
    shape: str
    event: str

    def at(self, t: float) -> float:
        if self.duration <= 0.0:
            return self.v1
        p = (t - self.t0) / self.duration
        return self.v0 + (self.v1 - self.v0) * shape_value(self.shape, p)

    def done(self, t: float) -> bool:
        return t >= self.t0 + self.duration - 1e-9


def duration_of(tr: Transition, delta: float, speed: float) -> float:
    """[s] a transition over ``delta`` takes: its time, delta / rate, or distance / speed."""
    if tr.shape == "step" or tr.value == 0.0:
        return 0.0
    if tr.dimension == "time":
        return tr.value
    if tr.dimension == "rate":
        return abs(delta) / tr.value
    return tr.value / max(abs(speed), 0.5)


@dataclass
class ActorCtl:
    """Runtime control of one actor row."""

    row: int
    kind: ActorKind
    controlled: bool
    parked: bool = False
    speed: Profile | None = None
    lateral: Profile | None = None  # offset [m] left of frame_lane's centre
    frame_lane: int = -1
    target: tuple[float, float, float, str] | None = None  # pedestrian (x, y, tol, event)


@dataclass
class EventRun:
    name: str
    actors: tuple[str, ...]
    actions: tuple
    trigger: Trigger
    act: str
    started_s: float | None = None
    ended_s: float | None = None
    pending: set = field(default_factory=set)


class Director:
    """Storyboard runtime for one run of ``spec`` on ``net``; ``rows`` maps actor names
    (and ``"ego"``) to state rows."""

    def __init__(self, spec: ScenarioSpec, net: RoadNetwork, rows: dict[str, int],
                 behaviours: dict[str, str]):
        self.spec, self.net, self.rows = spec, net, rows
        self.ctl = {name: ActorCtl(row, ActorKind.CAR, behaviours[name] != "idm",
                                   parked=behaviours[name] == "parked")
                    for name, row in rows.items() if name in behaviours}
        self.events = {e.name: EventRun(e.name, e.actors, e.actions, e.trigger, act.name)
                       for act in spec.acts for e in act.events}
        self.acts = {act.name: (act.start, None) for act in spec.acts}
        self.measure = Measure(net, rows, self.events)
        self.latched: dict[int, float] = {}  # id(condition) -> time it became true [s]
        self.prev: dict[int, bool] = {}
        self.log: list[dict] = []
        self.ended_at: float | None = None
        self.tables = lane_tables(net, TrafficConfig())
        tc = TrafficConfig()
        self.preview, self.lat_accel = tc.steer_preview_m, tc.steer_lat_accel

    # -- triggers ----------------------------------------------------------------------
    def _cond(self, c, state: WorldState) -> bool:
        t = state.time_us / 1e6
        key = id(c)
        if key in self.latched:
            return t >= self.latched[key]
        now = self.measure(c, state)
        rose = now and not self.prev.get(key, False)
        self.prev[key] = now
        if c.edge == "rising":
            if rose:
                self.latched[key] = t + c.delay
                return c.delay <= 0.0
            return False
        return now  # level condition (delay not applicable without an edge)

    def _fires(self, trig: Trigger, state: WorldState) -> bool:
        results = [all([self._cond(c, state) for c in g]) for g in trig.groups]
        return any(results)

    def update(self, state: WorldState) -> WorldState:
        """Advance the storyboard to ``state`` (its time); returns the state with any
        teleports applied."""
        t = state.time_us / 1e6
        for name, (start, started) in list(self.acts.items()):
            if started is None and (start is None or self._fires(start, state)):
                self.acts[name] = (start, t)
                self.log.append({"time_s": t, "element": "act", "name": name, "state": "start"})
        for ev in self.events.values():
            if ev.started_s is None and self.acts[ev.act][1] is not None \
                    and self._fires(ev.trigger, state):
                ev.started_s = t
                self.log.append({"time_s": t, "element": "event", "name": ev.name,
                                 "state": "start"})
                state = self._start(ev, state, t)
        self._track(state, t)
        for ev in self.events.values():
            if ev.started_s is not None and ev.ended_s is None and not ev.pending:
                ev.ended_s = t
                self.log.append({"time_s": t, "element": "event", "name": ev.name,
                                 "state": "end"})
        if self.ended_at is None and self.spec.end is not None and self._fires(self.spec.end,
                                                                               state):
            self.ended_at = t
            self.log.append({"time_s": t, "element": "storyboard", "name": "end",
                             "state": "end"})
        return state

    # -- actions -----------------------------------------------------------------------
    def _start(self, ev: EventRun, state: WorldState, t: float) -> WorldState:
        for actor in ev.actors:
            c = self.ctl.setdefault(actor, ActorCtl(self.rows[actor], ActorKind.CAR, True))
            c.controlled, c.parked = True, False
            c.kind = ActorKind(int(state.kind[c.row]))
            r = c.row
            for k, a in enumerate(ev.actions):
                tag = (ev.name, actor, k)
                if isinstance(a, SpeedChange):
                    v0 = float(state.speed[r])
                    target = a.target
                    if a.relative_to is not None:
                        ref = float(state.speed[self.rows[a.relative_to]])
                        target = ref + a.target if a.relative == "delta" else ref * a.target
                    self._replace(c, "speed")
                    c.speed = Profile(v0, target, t, duration_of(a.transition, target - v0, v0),
                                      a.transition.shape, ev.name)
                    ev.pending.add(tag)
                elif isinstance(a, (LaneChange, LaneOffset)):
                    d1 = self._lateral_target(a, c, state)
                    self._replace(c, "lateral")
                    d0 = float(state.d[r])
                    c.frame_lane = int(state.lane[r])
                    c.lateral = Profile(d0, d1, t, duration_of(a.transition, d1 - d0,
                                                               float(state.speed[r])),
                                        a.transition.shape, ev.name)
                    ev.pending.add(tag)
                elif isinstance(a, Teleport):
                    state = self._teleport(state, c, a, actor)
                elif isinstance(a, AcquirePosition):
                    p = resolve(self.net, a.position, state, self.rows, vehicle=False,
                                where=f"event {ev.name}")
                    c.target = (p.x, p.y, a.tolerance, ev.name)
                    ev.pending.add(tag)
        return state

    def _replace(self, c: ActorCtl, slot: str) -> None:
        """A new action of the same kind overrides the running one, which counts as ended."""
        old = getattr(c, slot)
        if old is not None:
            self._finish(old.event, c, slot)
            setattr(c, slot, None)

    def _finish(self, event: str, c: ActorCtl, slot: str | None = None) -> None:
        ev = self.events[event]
        name = next(n for n, r in self.rows.items() if r == c.row)
        ev.pending = {p for p in ev.pending if p[1] != name
                      or not _slot_matches(ev.actions[p[2]], slot)}

    def _lateral_target(self, a, c: ActorCtl, state: WorldState) -> float:
        """Offset [m] left of the actor's current lane centre where the action ends."""
        r, net = c.row, self.net
        lane = int(state.lane[r])
        if lane < 0:
            return float(state.d[r])
        if isinstance(a, LaneOffset):
            return a.offset
        base = 0
        if a.relative_to is not None:
            base = self._lanes_to(state, lane, r, self.rows[a.relative_to])
        steps = base + a.lanes
        tgt = neighbour(net, lane, steps)
        if tgt < 0:
            return float(state.d[r])  # no such lane here: keep the lane (logged as no-op)
        return self._offset_between(lane, steps, float(state.s[r])) + a.offset

    def _offset_between(self, lane: int, steps: int, s: float) -> float:
        """Lateral distance [m] from ``lane``'s centre to the centre ``steps`` lanes left."""
        total, cur = 0.0, lane
        w = self._width(cur, s)
        for _ in range(abs(steps)):
            nxt = int(self.net.lanes.left[cur] if steps > 0 else self.net.lanes.right[cur])
            s_n = s * self.net.lanes.length[nxt] / max(self.net.lanes.length[cur], 1e-6)
            w_n = self._width(nxt, s_n)
            total += 0.5 * (w + w_n)
            cur, w, s = nxt, w_n, s_n
        return total if steps > 0 else -total

    def _lanes_to(self, state: WorldState, lane: int, row: int, ref_row: int) -> int:
        """How many lanes left of ``lane`` (row ``row``'s lane) actor ``ref_row`` drives."""
        r_lane = int(state.lane[ref_row])
        for k in range(-4, 5):
            if neighbour(self.net, lane, k) == r_lane:
                return k
        # different lane sections (a seam between us): compare lateral positions instead
        p, s = self.net.points, float(state.s[row])
        h = _lane_value_at(lane, s, self.net.lanes.pt_ptr, p.s, p.heading)
        d = (-(state.x[ref_row] - state.x[row]) * math.sin(h)
             + (state.y[ref_row] - state.y[row]) * math.cos(h) + state.d[row])
        return int(round(d / max(self._width(lane, s), 2.5)))

    def _width(self, lane: int, s: float) -> float:
        return float(_lane_value_at(lane, s, self.net.lanes.pt_ptr, self.net.points.s,
                                    self.net.points.width))

    def _teleport(self, state: WorldState, c: ActorCtl, a: Teleport, actor: str) -> WorldState:
        vehicle = c.kind != ActorKind.PEDESTRIAN
        p = resolve(self.net, a.position, state, self.rows, vehicle=vehicle,
                    where=f"teleport of {actor}")
        arrays = {k: getattr(state, k).copy() for k in ("x", "y", "yaw", "lane", "s", "d")}
        r = c.row
        arrays["x"][r], arrays["y"][r], arrays["yaw"][r] = p.x, p.y, p.heading
        mem = state.memory
        if vehicle and p.lane >= 0:
            arrays["lane"][r], arrays["s"][r], arrays["d"][r] = p.lane, p.s, p.d
            route = mem.route.copy()
            lanes = straight_route(self.net, p.lane, route.shape[1], 2000.0)
            route[r] = -1
            route[r, :len(lanes)] = lanes
            pos = mem.route_pos.copy()
            pos[r] = 0
            mem = replace(mem, route=route, route_pos=pos)
            c.frame_lane, c.lateral = p.lane, None
        return replace(state, memory=mem, **arrays)

    def _track(self, state: WorldState, t: float) -> None:
        """Keep lateral frames on the actor's lane and close finished actions."""
        for c in self.ctl.values():
            r = c.row
            if c.lateral is not None:
                lane = int(state.lane[r])
                if lane != c.frame_lane and c.frame_lane >= 0:
                    shift = 0.0
                    for k in (-1, 1):  # moved one lane over: re-express the offsets there
                        if neighbour(self.net, c.frame_lane, k) == lane:
                            shift = self._offset_between(c.frame_lane, k, float(state.s[r]))
                    c.lateral.v0 -= shift
                    c.lateral.v1 -= shift
                    c.frame_lane = lane
                if c.lateral.done(t):
                    self._finish(c.lateral.event, c, "lateral")
            if c.speed is not None and c.speed.done(t):
                self._finish(c.speed.event, c, "speed")
            if c.target is not None:
                x, y, tol, ev = c.target
                if math.hypot(state.x[r] - x, state.y[r] - y) <= tol:
                    self._finish(ev, c, "target")

    def controls(self, state: WorldState, base: Actions, dt: float) -> Actions:
        """``base`` with every scripted actor's row controlled."""
        ctl_rows = [c for c in self.ctl.values() if c.controlled and state.valid[c.row]]
        if not ctl_rows:
            return base
        act = Actions(base.controlled.copy(), base.accel.copy(), base.steer.copy(),
                      base.reverse.copy())
        t_next = state.time_us / 1e6 + dt
        for c in ctl_rows:
            r = c.row
            props = KIND_PROPS[ActorKind(int(state.kind[r]))]
            v = float(state.speed[r])
            if c.parked:
                v_des = 0.0
            elif c.speed is not None:
                v_des = c.speed.at(t_next)
            else:
                v_des = v  # keep speed
            if c.target is not None and math.hypot(state.x[r] - c.target[0],
                                                   state.y[r] - c.target[1]) <= c.target[2]:
                v_des = 0.0  # arrived: stand
            acc = float(np.clip((v_des - v) / dt, -props.max_decel, props.max_decel))
            act.controlled[r], act.accel[r] = True, acc
            act.reverse[r] = v_des < 0.0 or v < 0.0
            act.steer[r] = self._steer(c, state, t_next, dt)
        return act

    def _steer(self, c: ActorCtl, state: WorldState, t: float, dt: float) -> float:
        r = c.row
        if c.kind == ActorKind.PEDESTRIAN or state.kind[r] == int(ActorKind.PEDESTRIAN):
            if c.target is None:
                return 0.0
            want = math.atan2(c.target[1] - state.y[r], c.target[0] - state.x[r])
            err = (want - state.yaw[r] + math.pi) % (2 * math.pi) - math.pi
            return err / dt  # heading rate; the engine caps it
        lane = int(state.lane[r])
        v = float(state.speed[r])
        if lane < 0 or v < 0.0:
            return 0.0  # reversing: hold the wheel straight
        lat = c.lateral if c.lateral is not None and c.frame_lane == lane else None
        d_des, d_rate, d_acc = 0.0, 0.0, 0.0
        if lat is not None:
            # follow the profile's own path: offset, its slope and curvature feed forward
            d_des = lat.v1 if lat.done(t) else lat.at(t)
            if not lat.done(t):
                h = 0.5 * dt
                d_rate = (lat.at(t + h) - lat.at(t - h)) / dt
                d_acc = (lat.at(t + h) - 2.0 * lat.at(t) + lat.at(t - h)) / (h * h)
        pt = self.net.points
        ptr = self.net.lanes.pt_ptr
        s = float(state.s[r])
        heading = _lane_value_at(lane, s, ptr, pt.s, pt.heading)
        kappa = _lane_value_at(lane, min(s + v * dt + 0.5, self.net.lanes.length[lane]), ptr,
                               pt.s, self.tables.pt_curv)
        if v > 0.5:
            heading += math.atan2(d_rate, v)
            kappa += d_acc / (v * v)
        props = KIND_PROPS[ActorKind(int(state.kind[r]))]
        steer = path_steer(v, float(state.yaw[r]), float(state.yaw_rate[r]),
                           float(state.params.wheelbase[r]), float(state.d[r]) - d_des,
                           heading, kappa, self.preview, self.lat_accel)
        return float(np.clip(steer, -props.max_steer, props.max_steer))


def _slot_matches(action, slot: str | None) -> bool:
    if slot is None:
        return True
    return {"speed": isinstance(action, SpeedChange),
            "lateral": isinstance(action, (LaneChange, LaneOffset)),
            "target": isinstance(action, AcquirePosition)}[slot]
