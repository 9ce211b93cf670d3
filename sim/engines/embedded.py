"""The embedded engine: kav's own Numba traffic simulation, no server needed (the default).

One step: signal states from the fixed-time plan -> crosswalk status -> NPC vehicles (IDM,
MOBIL, signals, crosswalk yielding, pure pursuit, kinematic bicycle, route tracking) and
externally controlled actors (the same bicycle model) -> pedestrians on the walk graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.actions import Actions
from sim.actors import ActorKind, is_vehicle, kind_table
from sim.engines.base import Engine, SignalSnapshot
from sim.pedestrians import _kernels as PK
from sim.pedestrians.walkgraph import WalkGraph, build_walk_graph
from sim.roadnet.network import RoadNetwork
from sim.state import AgentMemory, WorldState
from sim.traffic import _kernels as TK
from sim.traffic.model import (
    TrafficConfig,
    circulating_lanes,
    junction_conflicts,
    kind_lane_open,
    lane_tables,
)
from sim.traffic.signals import (
    SignalPlan,
    SignalTiming,
    crosswalk_states,
    crosswalk_walk_left_us,
    korean_plan,
    lane_states,
)


@dataclass(frozen=True)
class EmbeddedConfig:
    """dt_us: step [us] (20 Hz default); clock_start_s: time of day at time_us = 0 [s since
    00:00], for bus-lane hours; traffic / signal_timing: model constants."""

    dt_us: int = 50_000
    clock_start_s: float = 8.5 * 3600.0
    traffic: TrafficConfig = field(default_factory=TrafficConfig)
    signal_timing: SignalTiming = field(default_factory=SignalTiming)

    def __post_init__(self):
        if not (isinstance(self.dt_us, int) and 1_000 <= self.dt_us <= 1_000_000):
            raise ValueError(f"dt_us must be an integer in [1000, 1000000] us, got {self.dt_us!r}")
        if not 0.0 <= self.clock_start_s < 86400.0:
            raise ValueError(f"clock_start_s must be in [0, 86400) s, got {self.clock_start_s}")


class EmbeddedEngine(Engine):
    """Pure-function engine over a :class:`RoadNetwork`."""

    name = "embedded"

    def __init__(self, network: RoadNetwork, config: EmbeddedConfig | None = None,
                 signal_plan: SignalPlan | None = None, walk_graph: WalkGraph | None = None):
        self.network = network
        self.config = config or EmbeddedConfig()
        self.plan = signal_plan or korean_plan(network, self.config.signal_timing)
        self.walk = walk_graph or build_walk_graph(network)
        self._tables = lane_tables(network, self.config.traffic)
        self._conflicts = junction_conflicts(network)
        self._rank = circulating_lanes(network).astype(np.int32)  # junction priority
        self._cfg = self.config.traffic.vector(self.config.dt_us)
        self._kind_decel = kind_table("max_decel")
        self._kind_steer = kind_table("max_steer")
        self._kind_speed = kind_table("max_speed")
        self._open: tuple[int, np.ndarray] | None = None
        self._cw_polys = [network.crosswalks.polygon(c) for c in range(network.crosswalks.n)]

    def _crosswalks_taken(self, state: WorldState, rows: np.ndarray,
                          reach_s: float = 1.5) -> np.ndarray:
        """(n_cw,) bool: a pedestrian of ``rows`` is inside a crosswalk polygon now or will
        be within ``reach_s`` [s] at its speed."""
        cw = self.network.crosswalks
        out = np.zeros(cw.n, np.bool_)
        for i in np.flatnonzero(rows):
            ahead = state.speed[i] * reach_s
            pts = [(state.x[i], state.y[i]),
                   (state.x[i] + ahead * np.cos(state.yaw[i]),
                    state.y[i] + ahead * np.sin(state.yaw[i]))]
            for c, poly in enumerate(self._cw_polys):
                out[c] |= any(_inside(poly, px, py) for px, py in pts)
        return out

    @property
    def dt_us(self) -> int:
        return self.config.dt_us

    def time_of_day_s(self, time_us: int) -> float:
        return (self.config.clock_start_s + time_us / 1e6) % 86400.0

    def lane_open(self, time_us: int) -> np.ndarray:
        """(N_KINDS, n_lanes) bool lanes open per kind; bus hours change on whole minutes."""
        minute = int(self.time_of_day_s(time_us) // 60)
        if self._open is None or self._open[0] != minute:
            self._open = (minute, kind_lane_open(self.network, minute * 60.0))
        return self._open[1]

    def signals(self, time_us: int) -> SignalSnapshot:
        return SignalSnapshot(int(time_us), lane_states(self.plan, time_us),
                              crosswalk_states(self.plan, time_us))

    def step(self, state: WorldState, actions: Actions, rng: np.random.Generator) -> WorldState:
        n = state.n_actors
        actions.check(n)
        t = int(state.time_us)
        dt = self.config.dt_us / 1e6
        u_veh = rng.random(n)
        u_ped = rng.random(n)
        ln, p, cw, walk = (self.network.lanes, self.network.points, self.network.crosswalks,
                           self.walk)
        lane_sig = lane_states(self.plan, t)
        cw_state = crosswalk_states(self.plan, t)
        walk_left = crosswalk_walk_left_us(self.plan, t)
        is_ped_all = state.kind == int(ActorKind.PEDESTRIAN)
        # scripted pedestrians (darting out, crossing mid-block) leave the walk graph
        # (a pedestrian placed off the graph has no walk edge: never walk it on the graph)
        is_ped = is_ped_all & ~actions.controlled & (state.memory.route[:, 0] >= 0)
        is_veh = is_vehicle(state.kind)
        mem = state.memory
        blocked = np.zeros(cw.n, np.bool_)
        near = np.zeros(cw.n, np.bool_)
        PK.crosswalk_status(state.valid, is_ped, is_veh, state.speed, state.length, state.s,
                            mem.route, state.lane, state.s, mem.route_pos, state.params.v_desired,
                            walk.length, walk.cw, cw_state, walk_left, ln.length, cw.lane_ptr,
                            cw.lane_cw, cw.lane_s0, cw.lane_s1, blocked, near)
        ctl_ped = is_ped_all & actions.controlled & state.valid
        if np.any(ctl_ped) and cw.n:
            # scripted pedestrians are off the walk graph: block the crosswalks they stand
            # on or are about to step on, so NPC vehicles yield to them as to anyone
            blocked |= self._crosswalks_taken(state, ctl_ped)
        out = {k: np.empty(n) for k in ("x", "y", "yaw", "speed", "yaw_rate", "accel", "s", "d")}
        out_lane = np.empty(n, np.int32)
        out_route = np.empty_like(mem.route)
        out_pos = np.empty(n, np.int32)
        out_stopped = np.empty(n, np.int64)
        out_lc = np.empty(n, np.int64)
        out_done = np.empty(n, np.int32)
        pr = state.params
        TK.vehicle_step(
            t, dt, t // self.config.dt_us,
            state.valid, is_veh, state.kind, actions.controlled, actions.accel, actions.steer,
            actions.reverse, state.x, state.y, state.yaw, state.yaw_rate, state.speed,
            state.length,
            state.width, state.lane,
            state.s, state.d, pr.v_desired, pr.speed_factor, pr.headway, pr.min_gap, pr.a_max,
            pr.b_comf, pr.politeness, pr.wheelbase, mem.route, mem.route_pos, mem.roam,
            mem.stopped_since_us, mem.last_lane_change_us, mem.stop_done_lane,
            self._kind_decel, self._kind_steer, self._kind_speed, self.lane_open(t),
            ln.length, ln.succ_ptr, ln.succ, ln.pred_ptr, ln.pred, ln.left, ln.right, ln.turn,
            ln.stop_s, ln.junction, self._tables.vcurve, self._tables.vmin,
            self._conflicts[0], self._conflicts[1], self._rank, lane_sig,
            ln.pt_ptr, p.s, p.x, p.y, p.heading, self._tables.pt_curv, p.speed_limit, p.flags,
            p.width,
            cw.lane_ptr, cw.lane_cw, cw.lane_s0, blocked, u_veh, self._cfg,
            out["x"], out["y"], out["yaw"], out["speed"], out["yaw_rate"], out["accel"],
            out_lane, out["s"], out["d"], out_route, out_pos, out_stopped, out_lc, out_done)
        if np.any(is_ped & state.valid):
            PK.pedestrian_step(dt, state.valid, is_ped, state.s, mem.route, pr.v_desired, u_ped,
                               walk.x0, walk.y0, walk.x1, walk.y1, walk.length, walk.cw,
                               walk.rev, walk.dst, walk.out_ptr, walk.out, cw_state, walk_left,
                               near, out["x"], out["y"], out["yaw"], out["speed"], out["s"],
                               out_route)
        if np.any(ctl_ped):
            _walk_controlled(ctl_ped, state, actions, dt, out)
        memory = AgentMemory(route=out_route, route_pos=out_pos, roam=mem.roam,
                             stopped_since_us=out_stopped, last_lane_change_us=out_lc,
                             stop_done_lane=out_done)
        return WorldState(
            time_us=t + self.config.dt_us, valid=state.valid, actor_id=state.actor_id,
            kind=state.kind, x=out["x"], y=out["y"], yaw=out["yaw"], speed=out["speed"],
            yaw_rate=out["yaw_rate"], accel=out["accel"], length=state.length,
            width=state.width, lane=out_lane, s=out["s"], d=out["d"], params=state.params,
            memory=memory)


PED_MAX_TURN = 2.0 * np.pi  # [rad/s] a person turns on the spot within half a second


def _walk_controlled(rows: np.ndarray, state: WorldState, actions: Actions, dt: float,
                     out: dict[str, np.ndarray]) -> None:
    """Externally controlled pedestrians: a unicycle, ``accel`` [m/s^2] along the heading
    and ``steer`` read as the heading rate [rad/s]; speed in [0, the kind's max speed]."""
    vmax = kind_table("max_speed")[int(ActorKind.PEDESTRIAN)]
    v = np.clip(state.speed[rows] + actions.accel[rows] * dt, 0.0, vmax)
    rate = np.clip(actions.steer[rows], -PED_MAX_TURN, PED_MAX_TURN)
    yaw = state.yaw[rows] + rate * dt
    yaw = (yaw + np.pi) % (2.0 * np.pi) - np.pi
    v_mid = 0.5 * (state.speed[rows] + v)
    out["x"][rows] = state.x[rows] + v_mid * np.cos(yaw) * dt
    out["y"][rows] = state.y[rows] + v_mid * np.sin(yaw) * dt
    out["yaw"][rows], out["speed"][rows] = yaw, v
    out["yaw_rate"][rows], out["accel"][rows] = rate, (v - state.speed[rows]) / dt


def _inside(poly: np.ndarray, x: float, y: float) -> bool:
    """Point in polygon (even-odd rule); poly (k, 2) [m], not closed."""
    px, py = poly[:, 0], poly[:, 1]
    qx, qy = np.roll(px, -1), np.roll(py, -1)
    crosses = (py > y) != (qy > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at = px + (y - py) * (qx - px) / (qy - py)
    return bool(np.count_nonzero(crosses & (x < x_at)) % 2)
