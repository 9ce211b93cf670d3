"""Baseline planners: reference points any automaker's planner should beat.

``IdmLaneFollower`` drives the route with the Intelligent Driver Model: it follows the
leader along its lanes, stops at red (and at yellow when it comfortably can), stops for
pedestrians on or next to its path, keeps the posted and curve speed, makes the lane
changes its route requires when the target gap is free, and steers by pure pursuit.
"""

from __future__ import annotations

import math

import numpy as np

from planners.base import Plan, Planner, PlannerInit, PlannerInput, Trajectory
from sim.actors import ActorKind, is_vehicle
from sim.roadnet.queries import lane_width_at, locate, pose_at, route_offsets
from sim.traffic._kernels import idm_accel
from sim.traffic.model import TrafficConfig, lane_tables
from sim.traffic.signals import SIG_RED, SIG_YELLOW


class IdmLaneFollower(Planner):
    """IDM longitudinal + pure-pursuit lateral control along the mission route."""

    name = "idm-lane-follower"

    def __init__(self, headway: float = 1.5, min_gap: float = 2.0, a_max: float = 1.5,
                 b_comf: float = 2.0, lookahead_m: float = 80.0, yellow_decel: float = 3.0,
                 pedestrian_margin_m: float = 1.5):
        super().__init__()
        self.headway, self.min_gap, self.a_max, self.b_comf = headway, min_gap, a_max, b_comf
        self.lookahead_m, self.yellow_decel = lookahead_m, yellow_decel
        self.pedestrian_margin_m = pedestrian_margin_m

    def initialize(self, init: PlannerInit) -> None:
        self.init = init
        net = init.network
        self.route = init.route.lanes
        self.offset = route_offsets(net, init.route)  # [m] at the start of each route lane
        self.goal_along = self.offset[-1] + init.route.goal_s
        self.tables = lane_tables(net, TrafficConfig())
        self.changing = False

    # -- helpers -----------------------------------------------------------------------
    def _along(self, pos: int, s: float) -> float:
        return float(self.offset[pos] + s)

    def _obstacles(self, inp: PlannerInput, pos: int, along: float, v: float, v0: float):
        """Min IDM acceleration over leaders, pedestrians, stop lines and the goal."""
        st, net, e = inp.state, self.init.network, self.init.ego_row
        ln = net.lanes
        half_len = 0.5 * st.length[e]
        a = math.inf

        def idm(gap: float, v_lead: float) -> float:
            return idm_accel(v, v0, self.headway, self.min_gap, self.a_max, self.b_comf,
                             max(gap, 0.0), v_lead)

        window = slice(pos, len(self.route))
        route_index = np.full(ln.n, -1, np.int64)
        route_index[self.route[window][::-1]] = np.arange(len(self.route) - 1, pos - 1, -1)
        others = st.valid & is_vehicle(st.kind) & (st.lane >= 0)
        others[e] = False
        k = route_index[np.where(others, st.lane, 0)]
        cand = others & (k >= 0)
        dist = np.where(cand, self.offset[np.maximum(k, 0)] + st.s - along, np.inf)
        dist = np.where(dist > 0, dist, np.inf)
        if np.isfinite(dist).any():
            j = int(np.argmin(dist))
            a = min(a, idm(dist[j] - half_len - 0.5 * st.length[j], st.speed[j]))
        peds = np.flatnonzero(st.valid & (st.kind == int(ActorKind.PEDESTRIAN)))
        if len(peds):
            mask = np.zeros(ln.n, bool)
            mask[self.route[window]] = True
            loc = locate(net, st.x[peds], st.y[peds], max_dist=8.0, lane_ok=mask)
            for q in np.flatnonzero(loc.lane >= 0):
                hw = 0.5 * lane_width_at(net, loc.lane[q], loc.s[q])[0]
                if abs(loc.d[q]) > hw + self.pedestrian_margin_m:
                    continue
                d_ped = self.offset[route_index[loc.lane[q]]] + loc.s[q] - along
                if 0.0 < d_ped < self.lookahead_m:
                    a = min(a, idm(d_ped - half_len - 1.0, 0.0))
        for k in range(pos, len(self.route) - 1):
            if self.offset[k] - along > self.lookahead_m:
                break
            nxt = int(self.route[k + 1])
            sig = inp.signals.lanes[nxt]
            stop_s = ln.stop_s[self.route[k]]
            if sig in (SIG_RED, SIG_YELLOW) and not math.isnan(stop_s):
                gap = self.offset[k] + stop_s - along - half_len
                if gap > -0.5 and not (sig == SIG_YELLOW
                                       and v * v > 2 * self.yellow_decel * max(gap, 0.01)):
                    a = min(a, idm(gap, 0.0))
        return min(a, idm(self.goal_along - along - half_len, 0.0))

    def _free_speed(self, pos: int, lane: int, s: float, along: float, v: float) -> float:
        net = self.init.network
        p, ln = net.points, net.lanes
        k = ln.pt_ptr[lane] + max(int(np.searchsorted(p.s[ln.pt_ptr[lane]:ln.pt_ptr[lane + 1]],
                                                      s, side="right")) - 1, 0)
        v0 = min(float(p.speed_limit[k]), float(self.tables.vcurve[lane]),
                 self.init.vehicle.max_speed)
        horizon = v * v / (2 * self.b_comf) + 10.0
        for q in range(pos + 1, len(self.route)):
            dist = self.offset[q] - along
            if dist > horizon:
                break
            nxt = int(self.route[q])
            v_next = min(float(p.speed_limit[ln.pt_ptr[nxt]]), float(self.tables.vcurve[nxt]))
            v0 = min(v0, math.sqrt(v_next ** 2 + 2 * self.b_comf * max(dist, 0.0)))
        return v0

    def _target_lane(self, inp: PlannerInput, pos: int, lane: int, s: float, v: float) -> int:
        """The lane to steer on: the next route lane when the route asks for a lane change
        and its gap is free (then committed until the engine sees us there)."""
        if pos + 1 >= len(self.route) or not self.init.route.lane_change[pos + 1]:
            self.changing = False
            return lane
        tgt = int(self.route[pos + 1])
        if self.changing:
            return tgt
        st, net, e = inp.state, self.init.network, self.init.ego_row
        s_t = s * net.lanes.length[tgt] / max(net.lanes.length[lane], 1e-6)
        on_t = st.valid & (st.lane == tgt)
        on_t[e] = False
        clear = 0.5 * st.length[e] + 6.0 + v
        if not np.any(on_t & (np.abs(st.s - s_t) < clear + 0.5 * st.length)):
            self.changing = True
            return tgt
        return lane

    # -- the contract ----------------------------------------------------------------
    def compute_plan(self, inp: PlannerInput) -> Plan:
        st, e = inp.state, self.init.ego_row
        pos = int(st.memory.route_pos[e])
        lane, s, v = int(st.lane[e]), float(st.s[e]), float(st.speed[e])
        along = self._along(pos, s)
        v0 = self._free_speed(pos, lane, s, along, v)
        a = min(self._obstacles(inp, pos, along, v, v0),
                idm_accel(v, v0, self.headway, self.min_gap, self.a_max, self.b_comf,
                          math.inf, 0.0))
        a = float(np.clip(a, -self.init.vehicle.max_decel, self.a_max))
        steer_lane = self._target_lane(inp, pos, lane, s, v)
        steer = self._pursuit(st, e, steer_lane, pos + (steer_lane != lane), s, v)
        return Plan(accel=a, steer=steer, trajectory=self._rollout(inp.time_us, pos, s, v, a))

    def _point_ahead(self, pos: int, lane: int, s: float, dist: float):
        """World point ``dist`` [m] ahead of (lane, s) along the route, and its heading."""
        ln = self.init.network.lanes
        rem, k = s + dist, pos
        cur = lane
        while rem > ln.length[cur] and k + 1 < len(self.route) and not self.init.route.lane_change[
                k + 1]:
            rem -= ln.length[cur]
            k += 1
            cur = int(self.route[k])
        x, y, h = pose_at(self.init.network, [cur], [min(rem, ln.length[cur])])
        return float(x[0]), float(y[0]), float(h[0])

    def _pursuit(self, st, e: int, lane: int, pos: int, s: float, v: float) -> float:
        wb = self.init.vehicle.wheelbase
        if lane != int(st.lane[e]):
            ln = self.init.network.lanes
            s = s * ln.length[lane] / max(ln.length[int(st.lane[e])], 1e-6)
        tx, ty, _ = self._point_ahead(min(pos, len(self.route) - 1), lane, s, 4.0 + 0.6 * v)
        rx = st.x[e] - 0.5 * wb * math.cos(st.yaw[e])
        ry = st.y[e] - 0.5 * wb * math.sin(st.yaw[e])
        alpha = math.atan2(ty - ry, tx - rx) - st.yaw[e]
        steer = math.atan2(2.0 * wb * math.sin(alpha), max(math.hypot(tx - rx, ty - ry), 1e-3))
        lim = self.init.vehicle.max_steer
        return float(np.clip(steer, -lim, lim))

    def _rollout(self, t_us: int, pos: int, s: float, v: float, a: float) -> Trajectory:
        """3 s of the plan at constant acceleration along the route, every 0.5 s."""
        ts = np.arange(0.0, 3.01, 0.5)
        vs = np.maximum(v + a * ts, 0.0)
        dist = np.concatenate([[0.0], np.cumsum(0.5 * (vs[1:] + vs[:-1]) * 0.5)])
        lane = int(self.route[pos])
        pts = [self._point_ahead(pos, lane, s, d)[:2] for d in dist]
        return Trajectory(t_us=(t_us + ts * 1e6).astype(np.int64),
                          x=np.array([p[0] for p in pts]), y=np.array([p[1] for p in pts]), v=vs)
