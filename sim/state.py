"""WorldState: the whole simulated world at one instant, as a frozen structure of arrays.

One row per actor, padded: rows with ``valid == False`` are free slots (never spawned or
despawned) whose values mean nothing. Time is an integer number of microseconds so that
20 Hz steps add up exactly. Everything the traffic model must remember between steps lives
here too (``memory``), which keeps ``step(state, actions, rng) -> state`` a pure function.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, fields

import numpy as np

from sim.actors import KIND_PROPS, ActorKind

NO_LANE = -1
NEVER_US = np.iinfo(np.int64).min // 2


def _check(name: str, arr: np.ndarray, dtype, shape: tuple[int, ...]) -> None:
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{name}: expected numpy array, got {type(arr).__name__}")
    if arr.dtype != np.dtype(dtype):
        raise TypeError(f"{name}: dtype {arr.dtype}, expected {np.dtype(dtype)}")
    if arr.shape != shape:
        raise ValueError(f"{name}: shape {arr.shape}, expected {shape}")


@dataclass(frozen=True)
class AgentParams:
    """Per-actor behaviour parameters, fixed at spawn.

    v_desired: (n,) float64 [m/s] free-flow speed cap (walking speed for pedestrians).
    speed_factor: (n,) float64 [-] desired speed as a fraction of the posted limit.
    headway: (n,) float64 [s] IDM desired time gap T.
    min_gap: (n,) float64 [m] IDM standstill gap s0.
    a_max: (n,) float64 [m/s^2] IDM maximum acceleration a.
    b_comf: (n,) float64 [m/s^2] IDM comfortable deceleration b (positive).
    politeness: (n,) float64 [-] MOBIL politeness p.
    wheelbase: (n,) float64 [m] bicycle-model wheelbase (0 for pedestrians).
    """

    v_desired: np.ndarray
    speed_factor: np.ndarray
    headway: np.ndarray
    min_gap: np.ndarray
    a_max: np.ndarray
    b_comf: np.ndarray
    politeness: np.ndarray
    wheelbase: np.ndarray


@dataclass(frozen=True)
class AgentMemory:
    """What the embedded traffic model carries from one step to the next.

    route: (n, R) int32 lane indices (pedestrians: walk-graph edges), -1 padded.
    route_pos: (n,) int32 index into ``route`` of the current lane / edge.
    roam: (n,) bool; when true the route is extended with random successors as it runs out.
    stopped_since_us: (n,) int64 [us] start of the current standstill, NEVER_US if moving.
    last_lane_change_us: (n,) int64 [us] time of the last lane change, NEVER_US if none.
    stop_done_lane: (n,) int32 approach lane where the actor completed the full stop that
        Korean law requires before a right turn on red (-1 none).
    """

    route: np.ndarray
    route_pos: np.ndarray
    roam: np.ndarray
    stopped_since_us: np.ndarray
    last_lane_change_us: np.ndarray
    stop_done_lane: np.ndarray


@dataclass(frozen=True)
class WorldState:
    """The world at ``time_us``. All per-actor arrays have shape (n_actors,).

    time_us: int [us] simulation time.
    valid: bool, row holds a live actor.
    actor_id: int32, stable id of the actor in this run (scenario-assigned).
    kind: int8 :class:`sim.actors.ActorKind`.
    x, y: float64 [m] box centre in the OpenDRIVE inertial frame (x east, y north).
    yaw: float64 [rad] heading, counter-clockwise from +x.
    speed: float64 [m/s] along the heading (negative when reversing).
    yaw_rate: float64 [rad/s]; accel: float64 [m/s^2] longitudinal.
    length, width: float64 [m] box dimensions.
    lane: int32 lane index in the road network (-1 when off the lane graph).
    s: float64 [m] arc length along ``lane``'s centreline; d: float64 [m] lateral offset, left +.
    """

    time_us: int
    valid: np.ndarray
    actor_id: np.ndarray
    kind: np.ndarray
    x: np.ndarray
    y: np.ndarray
    yaw: np.ndarray
    speed: np.ndarray
    yaw_rate: np.ndarray
    accel: np.ndarray
    length: np.ndarray
    width: np.ndarray
    lane: np.ndarray
    s: np.ndarray
    d: np.ndarray
    params: AgentParams
    memory: AgentMemory

    @property
    def n_actors(self) -> int:
        return int(self.valid.shape[0])

    @property
    def max_route(self) -> int:
        return int(self.memory.route.shape[1])

    def replace(self, **changes) -> WorldState:
        return dataclasses.replace(self, **changes)

    def validate(self) -> WorldState:
        """Check dtypes and shapes of every array; returns self so it can be chained."""
        n = self.n_actors
        if not isinstance(self.time_us, (int, np.integer)):
            raise TypeError(f"time_us must be an integer [us], got {type(self.time_us).__name__}")
        for f in fields(self):
            if f.name in ("time_us", "params", "memory"):
                continue
            _check(f.name, getattr(self, f.name), _DTYPES[f.name], (n,))
        for f in fields(self.params):
            _check(f"params.{f.name}", getattr(self.params, f.name), np.float64, (n,))
        m = self.memory
        if m.route.ndim != 2:
            raise ValueError(f"memory.route: expected 2-D, got shape {m.route.shape}")
        _check("memory.route", m.route, np.int32, (n, m.route.shape[1]))
        _check("memory.route_pos", m.route_pos, np.int32, (n,))
        _check("memory.roam", m.roam, np.bool_, (n,))
        _check("memory.stopped_since_us", m.stopped_since_us, np.int64, (n,))
        _check("memory.last_lane_change_us", m.last_lane_change_us, np.int64, (n,))
        _check("memory.stop_done_lane", m.stop_done_lane, np.int32, (n,))
        return self

    def digest(self) -> bytes:
        """SHA-256 over time and every array (valid and padding rows alike), in field order."""
        h = hashlib.sha256()
        h.update(np.int64(self.time_us).tobytes())
        for arr in _arrays(self):
            a = np.ascontiguousarray(arr)
            h.update(a.dtype.str.encode())
            h.update(np.asarray(a.shape, dtype=np.int64).tobytes())
            h.update(a.tobytes())
        return h.digest()


_DTYPES = {
    "valid": np.bool_,
    "actor_id": np.int32,
    "kind": np.int8,
    "lane": np.int32,
}
for _name in ("x", "y", "yaw", "speed", "yaw_rate", "accel", "length", "width", "s", "d"):
    _DTYPES[_name] = np.float64


def _arrays(state: WorldState):
    for f in fields(state):
        if f.name in ("time_us", "params", "memory"):
            continue
        yield getattr(state, f.name)
    for part in (state.params, state.memory):
        for f in fields(part):
            yield getattr(part, f.name)


def empty_state(n_actors: int, max_route: int = 64, time_us: int = 0) -> WorldState:
    """A state with ``n_actors`` free (invalid) rows and room for ``max_route`` route steps."""
    if n_actors < 0 or max_route < 1:
        raise ValueError(f"need n_actors >= 0 and max_route >= 1, got {n_actors}, {max_route}")
    n = n_actors

    def z(dtype=np.float64):
        return np.zeros(n, dtype=dtype)

    params = AgentParams(
        v_desired=z(), speed_factor=np.ones(n), headway=np.full(n, 1.5), min_gap=np.full(n, 2.0),
        a_max=np.full(n, 1.5), b_comf=np.full(n, 2.0), politeness=np.full(n, 0.3), wheelbase=z(),
    )
    memory = AgentMemory(
        route=np.full((n, max_route), NO_LANE, dtype=np.int32),
        route_pos=z(np.int32),
        roam=z(np.bool_),
        stopped_since_us=np.full(n, NEVER_US, dtype=np.int64),
        last_lane_change_us=np.full(n, NEVER_US, dtype=np.int64),
        stop_done_lane=np.full(n, NO_LANE, dtype=np.int32),
    )
    return WorldState(
        time_us=int(time_us), valid=z(np.bool_), actor_id=np.full(n, -1, dtype=np.int32),
        kind=z(np.int8), x=z(), y=z(), yaw=z(), speed=z(), yaw_rate=z(), accel=z(),
        length=z(), width=z(), lane=np.full(n, NO_LANE, dtype=np.int32), s=z(), d=z(),
        params=params, memory=memory,
    )


def default_dimensions(kind: ActorKind) -> tuple[float, float, float]:
    """(length, width, wheelbase) [m] for a kind."""
    p = KIND_PROPS[ActorKind(kind)]
    return p.length, p.width, p.wheelbase
