"""Put actors into a world state: single actors at a lane position, or random background
traffic (roaming vehicles, walking pedestrians) drawn from a seeded generator."""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.actors import KIND_PROPS, ActorKind
from sim.collision._kernels import boxes_overlap
from sim.pedestrians.walkgraph import WalkGraph
from sim.roadnet.network import LANE_JUNCTION, RoadNetwork
from sim.roadnet.queries import lane_access_mask, pose_at
from sim.state import WorldState

# Seoul urban fleet mix by kind (share of vehicles); delivery motorcycles are common.
DEFAULT_MIX = {ActorKind.CAR: 0.8, ActorKind.BUS: 0.04, ActorKind.TRUCK: 0.08,
               ActorKind.MOTORCYCLE: 0.08}


class SpawnError(ValueError):
    """An actor could not be placed (no free row, lane too short, overlap...)."""


def _copy_rows(state: WorldState) -> dict:
    """Writable copies of every per-actor array, to be filled and frozen again."""
    arrays = {f.name: getattr(state, f.name).copy() for f in dataclasses.fields(state)
              if f.name not in ("time_us", "params", "memory")}
    arrays["params"] = {f.name: getattr(state.params, f.name).copy()
                        for f in dataclasses.fields(state.params)}
    arrays["memory"] = {f.name: getattr(state.memory, f.name).copy()
                        for f in dataclasses.fields(state.memory)}
    return arrays


def _freeze(state: WorldState, arrays: dict) -> WorldState:
    params = dataclasses.replace(state.params, **arrays.pop("params"))
    memory = dataclasses.replace(state.memory, **arrays.pop("memory"))
    return state.replace(params=params, memory=memory, **arrays).validate()


def free_rows(state: WorldState) -> np.ndarray:
    return np.flatnonzero(~state.valid)


def _driver_params(a: dict, row: int, kind: ActorKind, rng: np.random.Generator) -> None:
    props = KIND_PROPS[kind]
    p = a["params"]
    p["v_desired"][row] = props.max_speed
    p["speed_factor"][row] = float(np.clip(rng.normal(1.0, 0.08), 0.8, 1.15))
    p["headway"][row] = float(rng.uniform(1.2, 1.8))
    p["min_gap"][row] = 2.0
    p["a_max"][row] = {ActorKind.BUS: 1.0, ActorKind.TRUCK: 1.2,
                       ActorKind.MOTORCYCLE: 2.5}.get(kind, float(rng.uniform(1.4, 2.0)))
    p["b_comf"][row] = 1.5 if kind == ActorKind.BUS else 2.0
    p["politeness"][row] = float(rng.uniform(0.1, 0.5))
    p["wheelbase"][row] = props.wheelbase


def place_vehicle(net: RoadNetwork, state: WorldState, row: int, actor_id: int, kind: ActorKind,
                  route: np.ndarray, s: float, speed: float, roam: bool,
                  rng: np.random.Generator) -> WorldState:
    """Put one vehicle on ``route[0]`` at arc length ``s`` [m] with ``speed`` [m/s]."""
    route = np.asarray(route, np.int32)
    if not 0 <= row < state.n_actors or state.valid[row]:
        raise SpawnError(f"row {row} is not a free row of the state")
    if len(route) == 0 or len(route) > state.max_route:
        raise SpawnError(f"route of {len(route)} lanes does not fit (max {state.max_route})")
    a = _copy_rows(state)
    _fill_vehicle(net, a, row, actor_id, kind, route, s, speed, roam, rng)
    return _freeze(state, a)


def _fill_vehicle(net, a, row, actor_id, kind, route, s, speed, roam, rng) -> None:
    props = KIND_PROPS[kind]
    x, y, h = pose_at(net, route[:1], [s])
    a["valid"][row], a["actor_id"][row], a["kind"][row] = True, actor_id, int(kind)
    a["x"][row], a["y"][row], a["yaw"][row] = x[0], y[0], h[0]
    a["speed"][row], a["yaw_rate"][row], a["accel"][row] = speed, 0.0, 0.0
    a["length"][row], a["width"][row] = props.length, props.width
    a["lane"][row], a["s"][row], a["d"][row] = route[0], s, 0.0
    _driver_params(a, row, kind, rng)
    m = a["memory"]
    m["route"][row] = -1
    m["route"][row, :len(route)] = route
    m["route_pos"][row] = 0
    m["roam"][row] = roam


STOP_LINE_CLEARANCE = 25.0  # [m] no spawning closer than this to a stop line: a car put
# there at speed could not stop for red


def _last_spawn_s(ln, lane: int) -> float:
    """Furthest s [m] a vehicle centre may be spawned at on ``lane``."""
    if np.isfinite(ln.stop_s[lane]):
        return float(ln.stop_s[lane]) - STOP_LINE_CLEARANCE
    if len(ln.successors(lane)) and any(ln.junction[v] >= 0 for v in ln.successors(lane)):
        return float(ln.length[lane]) - 10.0
    return float(ln.length[lane]) - 1.0


def _touches(a, b, margin: float = 0.5) -> bool:
    """Boxes (x, y, heading, length, width) closer than ``margin`` [m] (inflated overlap)."""
    if np.hypot(a[0] - b[0], a[1] - b[1]) > 0.5 * (np.hypot(a[3], a[4]) + np.hypot(b[3], b[4])) \
            + 2 * margin:
        return False
    return bool(boxes_overlap(a[0], a[1], a[2], a[3] + 2 * margin, a[4] + 2 * margin,
                              b[0], b[1], b[2], b[3] + 2 * margin, b[4] + 2 * margin))


class _BoxHash:
    """Boxes bucketed in 12 m cells so an overlap test only looks at close neighbours."""

    CELL = 12.0  # [m] > the longest vehicle plus margins

    def __init__(self):
        self.cells: dict[tuple[int, int], list] = {}

    def _key(self, x: float, y: float) -> tuple[int, int]:
        return int(x // self.CELL), int(y // self.CELL)

    def add(self, box) -> None:
        self.cells.setdefault(self._key(box[0], box[1]), []).append(box)

    def touches(self, box) -> bool:
        cx, cy = self._key(box[0], box[1])
        return any(_touches(box, other) for dx in (-1, 0, 1) for dy in (-1, 0, 1)
                   for other in self.cells.get((cx + dx, cy + dy), ()))


def spawn_traffic(net: RoadNetwork, state: WorldState, rng: np.random.Generator,
                  n_vehicles: int, first_id: int = 1000, mix: dict | None = None,
                  time_of_day_s: float | None = None, speed_fraction: float = 0.6,
                  spacing: float = 6.0) -> WorldState:
    """Add ``n_vehicles`` roaming NPC vehicles on non-junction lanes, bumper gaps >= ``spacing``.

    Lanes are drawn with probability proportional to length; raises SpawnError if the map
    cannot hold them or the state lacks free rows.
    """
    mix = mix or DEFAULT_MIX
    rows = free_rows(state)
    if n_vehicles > len(rows):
        raise SpawnError(f"{n_vehicles} vehicles requested, {len(rows)} free rows in the state")
    kinds = list(mix)
    probs = np.asarray([mix[k] for k in kinds], float)
    probs /= probs.sum()
    ln = net.lanes
    occupied: dict[int, list[tuple[float, float]]] = {}
    a = _copy_rows(state)
    for k in np.flatnonzero(state.valid):
        if state.lane[k] >= 0:
            occupied.setdefault(int(state.lane[k]), []).append(
                (state.s[k] - state.length[k] / 2, state.s[k] + state.length[k] / 2))
    usable = (ln.flags & LANE_JUNCTION) == 0
    boxes = _BoxHash()
    for k in np.flatnonzero(state.valid):
        boxes.add((a["x"][k], a["y"][k], a["yaw"][k], a["length"][k], a["width"][k]))
    for v in range(n_vehicles):
        kind = kinds[int(rng.choice(len(kinds), p=probs))]
        length = KIND_PROPS[kind].length
        ok = (usable & lane_access_mask(net, kind, time_of_day_s)
              & (ln.length > length + 2 * spacing))
        weights = np.where(ok, ln.length, 0.0)
        if weights.sum() <= 0:
            raise SpawnError(f"{net.source}: no lane can hold a {kind.name}")
        for _attempt in range(200):
            lane = int(rng.choice(ln.n, p=weights / weights.sum()))
            s_max = _last_spawn_s(ln, lane) - length / 2
            if s_max <= length / 2 + 1.0:
                continue
            s = float(rng.uniform(length / 2 + 1.0, s_max))
            lo, hi = s - length / 2 - spacing, s + length / 2 + spacing
            if not all(hi <= b0 or lo >= b1 for b0, b1 in occupied.get(lane, [])):
                continue
            x, y, h = (float(q[0]) for q in pose_at(net, [lane], [s]))
            if not boxes.touches((x, y, h, length, KIND_PROPS[kind].width)):
                break
        else:
            raise SpawnError(f"{net.source}: could not place vehicle {v + 1} of {n_vehicles} "
                             f"without overlap; the map is too small for this demand")
        occupied.setdefault(lane, []).append((s - length / 2, s + length / 2))
        boxes.add((x, y, h, length, KIND_PROPS[kind].width))
        limit = float(net.points.speed_limit[ln.pt_ptr[lane]])
        row = int(rows[v])
        _fill_vehicle(net, a, row, first_id + v, kind, np.array([lane], np.int32), s,
                      speed_fraction * limit, True, rng)
    return _freeze(state, a)


def spawn_pedestrians(walk: WalkGraph, state: WorldState, rng: np.random.Generator,
                      n_pedestrians: int, first_id: int = 5000) -> WorldState:
    """Add walking pedestrians on corner edges of the walk graph (crossing edges if none)."""
    rows = free_rows(state)
    if n_pedestrians > len(rows):
        raise SpawnError(f"{n_pedestrians} pedestrians requested, {len(rows)} free rows left")
    if n_pedestrians and walk.n_edges == 0:
        raise SpawnError("the map has no crosswalks, so pedestrians have nowhere to walk")
    edges = np.flatnonzero(walk.cw < 0)
    if len(edges) == 0:
        edges = np.arange(walk.n_edges)
    props = KIND_PROPS[ActorKind.PEDESTRIAN]
    a = _copy_rows(state)
    for k in range(n_pedestrians):
        row, e = int(rows[k]), int(rng.choice(edges))
        s = float(rng.uniform(0.0, walk.length[e])) if walk.cw[e] < 0 else 0.0
        t = s / walk.length[e] if walk.length[e] > 0 else 0.0
        a["valid"][row], a["actor_id"][row] = True, first_id + k
        a["kind"][row] = int(ActorKind.PEDESTRIAN)
        a["x"][row] = walk.x0[e] + t * (walk.x1[e] - walk.x0[e])
        a["y"][row] = walk.y0[e] + t * (walk.y1[e] - walk.y0[e])
        a["yaw"][row] = np.arctan2(walk.y1[e] - walk.y0[e], walk.x1[e] - walk.x0[e])
        a["speed"][row] = 0.0
        a["length"][row], a["width"][row] = props.length, props.width
        a["lane"][row], a["s"][row], a["d"][row] = -1, s, 0.0
        a["params"]["v_desired"][row] = float(rng.uniform(1.1, 1.5))
        a["memory"]["route"][row] = -1
        a["memory"]["route"][row, 0] = e
        a["memory"]["route_pos"][row] = 0
    return _freeze(state, a)
