"""The initial world of a scenario: ego, named actors, background traffic and pedestrians.

Rows: the ego is row 0, the scenario's actors follow in file order (so an actor may be
positioned relative to the ego or to any actor before it), then NPC vehicles, then
pedestrians. Every random draw comes from a named child of the run's RNG tree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from scenarios.positions import PositionError, resolve, straight_route
from scenarios.spec import EGO, SHUTTLE_DIMENSIONS, ScenarioSpec
from sim.actors import KIND_PROPS, ActorKind
from sim.rng import RngTree
from sim.roadnet.conventions import parse_hours
from sim.roadnet.network import RoadNetwork
from sim.roadnet.queries import Route, RouteError
from sim.roadnet.queries import route as plan_route
from sim.state import WorldState, empty_state
from sim.traffic.spawn import place_vehicle, spawn_pedestrians, spawn_traffic

EGO_ROW = 0
EGO_ID = 0
MAX_ROUTE = 96  # lanes a route may hold; a scripted actor's straight route stops there
SCRIPTED_ROUTE_M = 3000.0  # [m] how far a scripted vehicle's lane route reaches


class ScenarioSetupError(ValueError):
    """The scenario cannot be set up on its map (names the actor and the reason)."""


@dataclass(frozen=True)
class World:
    state: WorldState
    rows: dict[str, int]  # actor name (and "ego") -> row
    behaviours: dict[str, str]  # actor name -> idm | scripted | parked
    mission: Route
    goal_xy: tuple[float, float]
    parked_rows: tuple[int, ...]


def with_bus_hours(net: RoadNetwork, hours: str) -> RoadNetwork:
    """``net`` with every part-time bus lane restricted during ``hours`` instead (all-day
    bus lanes stay all day)."""
    ln = net.lanes
    parsed = parse_hours(hours)
    ptr, flat = [0], []
    for lane in range(ln.n):
        own = ln.bus_hours[ln.bus_hours_ptr[lane]:ln.bus_hours_ptr[lane + 1]]
        rows = parsed if len(own) else ()
        flat += [list(h) for h in rows]
        ptr.append(len(flat))
    lanes = replace(ln, bus_hours_ptr=np.asarray(ptr, np.int32),
                    bus_hours=np.asarray(flat, np.int32).reshape(-1, 2))
    return replace(net, lanes=lanes)


def _resize(state: WorldState, row: int, length: float, width: float) -> WorldState:
    ln, wd = state.length.copy(), state.width.copy()
    ln[row], wd[row] = length, width
    wb = state.params.wheelbase.copy()
    if wb[row] > 0:
        wb[row] = 0.6 * length  # typical wheelbase / length of cars, vans and buses
    return replace(state, length=ln, width=wd, params=replace(state.params, wheelbase=wb))


def build_world(spec: ScenarioSpec, net: RoadNetwork, walk, tree: RngTree) -> World:
    """Place everything ``spec`` asks for; ScenarioSetupError naming what does not fit."""
    clock = spec.clock_s
    try:
        start = resolve(net, spec.ego.start, where="ego.start")
        goal = resolve(net, spec.ego.goal, vehicle=False, where="ego.goal")
        mission = plan_route(net, (start.x, start.y), (goal.x, goal.y), spec.ego.kind, clock)
    except (PositionError, RouteError) as exc:
        raise ScenarioSetupError(f"{spec.id}: ego: {exc}") from None
    n = 1 + len(spec.actors) + spec.traffic.vehicles + spec.traffic.pedestrians
    state = empty_state(n, max_route=max(MAX_ROUTE, len(mission.lanes) + 1))
    state = place_vehicle(net, state, EGO_ROW, EGO_ID, spec.ego.kind, mission.lanes,
                          mission.start_s, spec.ego.start_speed, roam=False,
                          rng=tree.child("ego").generator())
    if spec.ego.vehicle == "shuttle":
        state = _resize(state, EGO_ROW, *SHUTTLE_DIMENSIONS)
    rows, behaviours, parked = {EGO: EGO_ROW}, {}, []
    for k, actor in enumerate(spec.actors):
        row = 1 + k
        where = f"actors.{actor.name}"
        try:
            state = _place_actor(net, state, row, actor, rows, tree.child(f"actor/{actor.name}"),
                                 clock, where)
        except (PositionError, RouteError, ValueError) as exc:
            raise ScenarioSetupError(f"{spec.id}: {exc}") from None
        if actor.length is not None or actor.width is not None:
            state = _resize(state, row, actor.length or float(state.length[row]),
                            actor.width or float(state.width[row]))
        rows[actor.name], behaviours[actor.name] = row, actor.behaviour
        if actor.behaviour == "parked":
            parked.append(row)
    state = spawn_traffic(net, state, tree.child("traffic").generator(), spec.traffic.vehicles,
                          time_of_day_s=clock)
    state = spawn_pedestrians(walk, state, tree.child("pedestrians").generator(),
                              spec.traffic.pedestrians)
    return World(state, rows, behaviours, mission, (goal.x, goal.y), tuple(parked))


def _place_actor(net, state, row, actor, rows, tree, clock, where) -> WorldState:
    rng = tree.generator()
    if actor.kind == ActorKind.PEDESTRIAN:
        p = resolve(net, actor.start, state, rows, vehicle=False, where=f"{where}.start")
        return _place_pedestrian(state, row, p.x, p.y, p.heading, actor.speed, rng)
    p = resolve(net, actor.start, state, rows, where=f"{where}.start")
    if actor.behaviour == "idm" and actor.goal is not None:
        g = resolve(net, actor.goal, state, rows, vehicle=False, where=f"{where}.goal")
        r = plan_route(net, (p.x, p.y), (g.x, g.y), actor.kind, clock)
        if len(r.lanes) > state.max_route:
            raise ValueError(f"{where}.goal: route of {len(r.lanes)} lanes is too long")
        lanes, s, roam = r.lanes, r.start_s, False
    else:
        lanes, s = straight_route(net, p.lane, state.max_route, SCRIPTED_ROUTE_M), p.s
        roam = actor.behaviour == "idm"
        if roam:
            lanes = lanes[:1]
    state = place_vehicle(net, state, row, row, actor.kind, lanes, s, actor.speed, roam, rng)
    if abs(p.d) > 1e-6:  # off the lane centre (a van on the kerb side, a filtering bike)
        x, y, d = state.x.copy(), state.y.copy(), state.d.copy()
        h = float(state.yaw[row])
        x[row] -= p.d * np.sin(h)
        y[row] += p.d * np.cos(h)
        d[row] = p.d
        state = replace(state, x=x, y=y, d=d)
    if actor.desired_speed is not None:
        params = state.params
        v = params.v_desired.copy()
        v[row] = actor.desired_speed
        state = replace(state, params=replace(params, v_desired=v))
    return state


def _place_pedestrian(state: WorldState, row: int, x: float, y: float, yaw: float,
                      speed: float, rng: np.random.Generator) -> WorldState:
    """A pedestrian off the walk graph (scripted): position, heading [rad], speed [m/s]."""
    props = KIND_PROPS[ActorKind.PEDESTRIAN]
    arr = {k: getattr(state, k).copy() for k in ("valid", "actor_id", "kind", "x", "y", "yaw",
                                                 "speed", "length", "width", "lane")}
    arr["valid"][row], arr["actor_id"][row] = True, row
    arr["kind"][row] = int(ActorKind.PEDESTRIAN)
    arr["x"][row], arr["y"][row], arr["yaw"][row], arr["speed"][row] = x, y, yaw, speed
    arr["length"][row], arr["width"][row], arr["lane"][row] = props.length, props.width, -1
    v = state.params.v_desired.copy()
    v[row] = max(speed, 1.0 + 0.4 * rng.random())
    return replace(state, params=replace(state.params, v_desired=v), **arr)
