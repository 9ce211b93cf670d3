"""Behaviour layer: the rules of :mod:`planners.behaviour.rules` applied along the corridor.

Each step it reads the corridor (stop lines, crosswalks, junction entries, speed limits),
the perceived objects and the signal states, asks each rule, and returns the constraints
the lattice planner must respect: a speed cap, the furthest point the front bumper may
reach, and the lateral band. Every constraint carries the rule and reason that set it, so a
run can say why the vehicle stopped. Memory between steps is only what the rules need: how
long the vehicle has stood at a stop line or before a crosswalk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from planners.behaviour import rules as R
from planners.behaviour.corridor import Corridor
from planners.behaviour.geometry import poly_distance, project_polyline
from planners.behaviour.junctions import arrival_times, junction_crosswalks, straight_state
from planners.behaviour.types import BehaviourConfig, Constraint, Decision, EgoView, Perceived
from sim.actors import ActorKind
from sim.roadnet.network import (
    LANE_BUS_ONLY,
    LANE_JUNCTION,
    PT_CHILD_ZONE,
    PT_LC_LEFT,
    PT_LC_RIGHT,
    PT_NO_SIDEWALK,
    RoadNetwork,
    Turn,
)
from sim.traffic.model import TrafficConfig, circulating_lanes, junction_conflicts, lane_tables
from sim.traffic.signals import PED_NONE, PED_WALK, SIG_GREEN, SIG_NONE, SIG_RED

STOPPED_AHEAD = "stopped vehicle ahead"
LEAD_BRAKING = 1.0  # [m/s^2] a lead decelerating harder than this is planned to stop
JUNCTION_HALF_BAND = 1.0  # [m] lateral freedom on a junction lane (turn entry lag)


@dataclass
class _Memory:
    stood_since_us: dict = field(default_factory=dict)  # ("line"|"cw", id) -> time [us]
    stopped_done: set = field(default_factory=set)  # ("line"|"cw", id) full stops made


class BehaviourLayer:
    """Korean-rule behaviour over a corridor; one instance per run."""

    def __init__(self, net: RoadNetwork, cfg: BehaviourConfig | None = None,
                 uturn_plates: dict[int, str] | None = None, is_bus: bool = False,
                 clock_start_s: float = 0.0) -> None:
        self.net, self.cfg = net, cfg or BehaviourConfig()
        self.uturn_plates = dict(uturn_plates or {})
        self.is_bus, self.clock_start_s = is_bus, clock_start_s
        self.conf_ptr, self.conf = junction_conflicts(net)
        self.rank = circulating_lanes(net)
        self.mem = _Memory()
        self._v_point = self._point_speeds()

    def _point_speeds(self) -> np.ndarray:
        """(n_points,) [m/s] the speed each centreline point allows: the posted limit under
        the child-zone rules, a little under it (tracking noise must not cross it), and the
        curve speed for ``curve_lat_accel``. Fixed for a map, so computed once."""
        p = self.net.points
        lim = R.speed_limit(p.speed_limit, (p.flags & PT_CHILD_ZONE) != 0,
                            (p.flags & PT_NO_SIDEWALK) != 0)
        lim = np.maximum(lim - self.cfg.speed_margin_kmh / 3.6, 0.0)
        # the traffic model's smoothed centreline curvature (CARLA headings are float32)
        kappa = np.abs(lane_tables(self.net, TrafficConfig()).pt_curv)
        return np.minimum(lim, np.sqrt(self.cfg.curve_lat_accel / np.maximum(kappa, 1e-4)))

    # -- entry point ---------------------------------------------------------------------
    def decide(self, time_us: int, cor: Corridor, ego: EgoView, objs: Perceived,
               sig_lanes: np.ndarray, sig_cw: np.ndarray, goal_s: float,
               time_to_change: np.ndarray | None = None,
               arrows: np.ndarray | None = None) -> Decision:
        """Constraints for this step. sig_lanes (n_lanes,) / sig_cw (n_cw,) int8: signal
        states; goal_s [m]: path s of the goal (inf if beyond the corridor);
        time_to_change: (n_lanes,) [s] from SPaT, when received (NaN: unknown);
        arrows: (n_lanes,) bool movements with their own arrow head, when known."""
        front = ego.s + ego.half_length
        acts: list[Constraint] = []
        # a full stop counts for the approach it was made on, while that is still ahead
        here = {int(q) for q in cor.lanes}
        self.mem.stopped_done = {k for k in self.mem.stopped_done if k[-1] in here}
        s_stop = math.inf

        def stop_at(s: float, rule: str, why: str) -> None:
            nonlocal s_stop
            acts.append(Constraint(rule, why, s))
            s_stop = min(s_stop, s)

        if math.isfinite(goal_s):
            stop_at(goal_s + ego.half_length, "goal", "mission goal")
        v_max = self._speed(cor, ego, acts)
        self._signals(time_us, cor, ego, front, objs, sig_lanes, sig_cw, time_to_change,
                      arrows, stop_at)
        self._crosswalks(time_us, cor, ego, front, objs, sig_cw, stop_at)
        self._junction_yield(cor, ego, front, objs, sig_lanes, stop_at)
        v_max = self._leader(cor, ego, objs, v_max, stop_at, acts)
        d_min, d_max = self._band(cor, ego, time_us, any(
            c.rule == "leader" and c.reason == STOPPED_AHEAD for c in acts))
        return Decision(v_max, s_stop, d_min, d_max, 0.0, tuple(acts))

    # -- rules ---------------------------------------------------------------------------
    def _speed(self, cor: Corridor, ego: EgoView, acts: list) -> float:
        p = self.net.points
        vs, ds = [], []
        for k, q in enumerate(cor.lanes):
            sl = self.net.lane_points(int(q))
            s_path = cor.offset[k] + p.s[sl] - cor.start_s
            near = (s_path > ego.s - ego.half_length) & (s_path < ego.s + self.cfg.lookahead_m)
            if near.any():
                vs.append(self._v_point[sl][near])
                ds.append(s_path[near] - ego.s)
        if not vs:
            return math.inf
        v_lim, d = np.concatenate(vs), np.concatenate(ds)
        here = d <= ego.half_length
        v_now = float(np.min(v_lim[here])) if here.any() else math.inf
        v = min(v_now, R.approach_speed(v_lim[~here], d[~here] - ego.half_length,
                                        self.cfg.comfort_decel))
        acts.append(Constraint("speed", f"limit {v * 3.6:.0f} km/h", ego.s))
        return v

    def _signals(self, time_us, cor, ego, front, objs, sig_lanes, sig_cw, ttc, arrows,
                 stop_at):
        ln = self.net.lanes
        for k in range(len(cor.lanes) - 1):
            q, nxt = int(cor.lanes[k]), int(cor.lanes[k + 1])
            if not math.isfinite(ln.stop_s[q]):
                continue
            line = cor.path_s(k, float(ln.stop_s[q]))
            if line - front > self.cfg.lookahead_m:
                break
            state = int(sig_lanes[nxt]) if nxt < len(sig_lanes) else SIG_NONE
            if state == SIG_NONE:
                continue
            key = ("line", q)
            self._stand(key, time_us, ego, line - front)
            turn = int(ln.turn[nxt])
            if turn == Turn.RIGHT:
                stood = self._stood_s(key, time_us)
                if stood >= R.FULL_STOP_TIME:
                    self.mem.stopped_done.add(key)
                if key in self.mem.stopped_done:
                    stood = math.inf  # the full stop was made; pulling away must not undo it
                arrow = arrows is not None and bool(arrows[nxt])
                straight = straight_state(self.net, q, sig_lanes) if arrow else state
                dec = R.right_turn_on_red(straight, arrow, state, stood,
                                          self._turn_crosswalk_conflict(cor, k, objs, sig_cw))
                if state == SIG_GREEN and not dec.stop:
                    continue
                if dec.stop and front <= line + 0.5:
                    stop_at(line, "right_turn", dec.reason)
                continue
            if turn == Turn.UTURN:
                plate = self.uturn_plates.get(nxt, "none")
                ped = any(int(sig_cw[c]) == PED_WALK for c in junction_crosswalks(self.net, nxt))
                ok = R.uturn_allowed(plate, state == SIG_GREEN, ped,
                                     straight_state(self.net, q, sig_lanes) == SIG_RED)
                if not ok and front <= line + 0.5:
                    stop_at(line, "uturn", f"U-turn plate {plate!r} condition not met")
                if plate != "none":
                    continue  # the plate, not the left-turn signal, governs the U-turn
            t_change = float(ttc[nxt]) if ttc is not None and np.isfinite(ttc[nxt]) else None
            dec = R.signal_decision(state, line - front, ego.v, self.cfg.comfort_decel + 1.0,
                                    5.0, t_change, float(ln.length[nxt]))
            if dec.stop:
                stop_at(line, "signal", dec.reason)

    def _crosswalks(self, time_us, cor, ego, front, objs, sig_cw, stop_at):
        cw, p = self.net.crosswalks, self.net.points
        peds = np.flatnonzero(objs.kind == int(ActorKind.PEDESTRIAN))
        for k, q in enumerate(cor.lanes):
            q = int(q)
            for j in range(cw.lane_ptr[q], cw.lane_ptr[q + 1]):
                c = int(cw.lane_cw[j])
                s0 = cor.path_s(k, float(cw.lane_s0[j]))
                s1 = cor.path_s(k, float(cw.lane_s1[j]))
                if s0 - front > self.cfg.lookahead_m or s1 < ego.s - ego.half_length:
                    continue
                if front > s0 - 0.2:
                    continue  # already on it: stopping here would block the crossing
                states = self._ped_states(c, peds, objs)
                key = ("cw", c, q)
                stop_line = s0 - self.cfg.stop_margin_m
                self._stand(key, time_us, ego, stop_line - front)
                k_pt = p.flags[self.net.lane_points(q)]
                zone = bool(np.any(k_pt & PT_CHILD_ZONE))
                signalised = bool(cw.signalised[c])
                # PED_NONE at a signalised crosswalk: the heads are dark, treat it as
                # unsignalised (pedestrians waiting there may cross any time)
                state = int(sig_cw[c]) if c < len(sig_cw) else PED_NONE
                walk = (state == PED_WALK) if signalised and state != PED_NONE else None
                dec = R.crosswalk_must_stop(states, signalised, walk, zone,
                                            self._stood_s(key, time_us) >= R.FULL_STOP_TIME
                                            or key in self.mem.stopped_done)
                if self._stood_s(key, time_us) >= R.FULL_STOP_TIME:
                    self.mem.stopped_done.add(key)
                if dec.stop:
                    stop_at(stop_line, "crosswalk", dec.reason)

    def _junction_yield(self, cor, ego, front, objs, sig_lanes, stop_at):
        """Unprotected left, unsignalised junctions, roundabout entries: yield to conflicting
        movements that have priority, by gap acceptance."""
        ln = self.net.lanes
        for k in range(1, len(cor.lanes)):
            jl = int(cor.lanes[k])
            if not ln.flags[jl] & LANE_JUNCTION:
                continue
            entry = cor.path_s(k, 0.0)
            if entry - front > self.cfg.lookahead_m:
                break
            if front > entry + 0.5:
                continue  # already in it: finish the movement
            mine = int(sig_lanes[jl]) if jl < len(sig_lanes) else SIG_NONE
            if mine in (SIG_RED,) or self.rank[jl]:
                continue  # red is the signal rule's; circulating traffic has priority
            rivals = []
            for c in self.conf[self.conf_ptr[jl]:self.conf_ptr[jl + 1]]:
                c = int(c)
                theirs = int(sig_lanes[c]) if c < len(sig_lanes) else SIG_NONE
                if mine == SIG_GREEN and theirs != SIG_GREEN:
                    continue  # protected for us
                if mine == SIG_NONE and not self.rank[c] and ln.turn[jl] != Turn.LEFT:
                    continue  # unsignalised, equal rank: first come (we are not turning left)
                rivals.append(c)
            if not rivals:
                continue
            arrivals = arrival_times(self.net, rivals, objs, self.cfg.yield_horizon_s)
            line = cor.path_s(k - 1, float(ln.stop_s[int(cor.lanes[k - 1])])) \
                if math.isfinite(ln.stop_s[int(cor.lanes[k - 1])]) else entry - 1.0
            v = max(ego.v, 3.0)
            clear = (max(entry - front, 0.0) + float(ln.length[jl]) + 2 * ego.half_length) / v
            if not R.gap_acceptable(arrivals, clear):
                stop_at(min(line, entry - 0.5), "yield",
                        f"gap too short at junction lane {jl} ({ln.turn[jl]!s})")
            break  # the first junction ahead only; the next is decided when nearer

    def _leader(self, cor, ego, objs, v_max, stop_at, acts):
        """Stopped or slow vehicles in the corridor: stop behind stopped ones; cap speed so
        the IDM gap to a moving one is kept."""
        veh = np.flatnonzero(objs.kind != int(ActorKind.PEDESTRIAN))
        if not len(veh):
            return v_max
        s, d = self._project(cor, objs.x[veh], objs.y[veh])
        lane_w = float(self.net.points.width[self.net.lanes.pt_ptr[int(cor.lanes[0])]])
        ahead = (s > ego.s) & (np.abs(d) < 0.5 * (lane_w + objs.width[veh])) & \
            (s - ego.s < self.cfg.lookahead_m)
        if not ahead.any():
            return v_max
        j = np.flatnonzero(ahead)[int(np.argmin(s[ahead]))]
        row = veh[j]
        rear = s[j] - 0.5 * objs.length[row]
        v_lead = float(objs.speed[row])
        a_lead = float(objs.accel[row]) if objs.accel is not None else 0.0
        if v_lead < 1.0:
            stop_at(rear - self.cfg.min_gap_m, "leader", STOPPED_AHEAD)
        elif a_lead < -LEAD_BRAKING:
            # a braking lead stops at a known point: be able to stop behind it, whatever
            # the gap looks like now (the UN R157 lead-braking case)
            stop_at(rear + v_lead * v_lead / (-2.0 * a_lead) - self.cfg.min_gap_m, "leader",
                    f"lead braking at {-a_lead:.1f} m/s^2")
        gap = rear - (ego.s + ego.half_length)
        # IDM desired gap: the speed at which this gap would be the desired one
        headway, s0 = 1.5, self.cfg.min_gap_m
        v_idm = max(0.0, (gap - s0) / headway)
        v = min(v_max, max(v_idm, v_lead) if gap > s0 + 5.0 else v_idm)
        if v < v_max:
            acts.append(Constraint("leader", f"following at {gap:.1f} m", rear))
        return v

    def _band(self, cor, ego, time_us, blocked: bool) -> tuple[float, float]:
        """Lateral band [m]: the corridor lane; when a stopped vehicle blocks it, widened
        into a neighbour lane travelling the same way to pass, where the marking allows a
        lane change (no solid line) and it is not a bus lane in its hours. Moving traffic is
        followed, not swerved around: lane changes for the route are the corridor's job."""
        ln, p = self.net.lanes, self.net.points
        q = int(cor.lanes[0])
        w = float(p.width[ln.pt_ptr[q]])
        half = max(0.5 * w - 0.5 * ego.width - 0.1, 0.0)
        if ln.flags[q] & LANE_JUNCTION:
            half = max(half, JUNCTION_HALF_BAND)  # no painted edge inside a junction
        lo, hi = -half, half
        if not blocked:
            return lo, hi
        sl = self.net.lane_points(q)
        k = sl.start + min(int(np.searchsorted(p.s[sl], ego.s + cor.start_s)),
                           sl.stop - sl.start - 1)
        marking = {1: bool(p.flags[k] & PT_LC_LEFT), -1: bool(p.flags[k] & PT_LC_RIGHT)}
        tod = self.clock_start_s + time_us / 1e6
        for side, nb in ((1, int(ln.left[q])), (-1, int(ln.right[q]))):
            if nb < 0 or not marking[side]:
                continue
            hours = self.net.lanes.bus_hours[ln.bus_hours_ptr[nb]:ln.bus_hours_ptr[nb + 1]]
            if not R.bus_lane_allowed(bool(ln.flags[nb] & LANE_BUS_ONLY), hours, tod,
                                      self.is_bus, False):
                continue
            wn = float(p.width[ln.pt_ptr[nb]])
            if side > 0:
                hi = 0.5 * w + wn - 0.5 * ego.width - 0.1
            else:
                lo = -(0.5 * w + wn - 0.5 * ego.width - 0.1)
        return lo, hi

    # -- helpers -------------------------------------------------------------------------
    def _stand(self, key, time_us: int, ego: EgoView, dist: float) -> None:
        if ego.v < R.FULL_STOP_SPEED and -1.0 <= dist <= self.cfg.at_line_m:
            self.mem.stood_since_us.setdefault(key, time_us)
        else:
            self.mem.stood_since_us.pop(key, None)

    def _stood_s(self, key, time_us: int) -> float:
        t0 = self.mem.stood_since_us.get(key)
        return 0.0 if t0 is None else (time_us - t0) / 1e6

    def _ped_states(self, c: int, peds: np.ndarray, objs: Perceived) -> list[str]:
        if not len(peds):
            return []
        poly = self.net.crosswalks.polygon(c)
        cw = self.net.crosswalks
        out = []
        for i in peds:
            d0 = poly_distance(poly, objs.x[i], objs.y[i])
            d1 = poly_distance(poly, objs.x[i] + 0.5 * objs.vx[i], objs.y[i] + 0.5 * objs.vy[i])
            ends = np.hypot(cw.end_x[c] - objs.x[i], cw.end_y[c] - objs.y[i])
            waiting = objs.speed[i] < 0.3 and float(ends.min()) < R.ABOUT_TO_CROSS_M
            out.append(R.pedestrian_state(d0, (d0 - d1) / 0.5, waiting))
        return out

    def _turn_crosswalk_conflict(self, cor, k, objs, sig_cw) -> bool:
        """A pedestrian crossing or about to cross a crosswalk between the stop line of
        corridor lane k and 30 m past the junction."""
        cw = self.net.crosswalks
        peds = np.flatnonzero(objs.kind == int(ActorKind.PEDESTRIAN))
        for kk in range(k, min(k + 3, len(cor.lanes))):
            q = int(cor.lanes[kk])
            for j in range(cw.lane_ptr[q], cw.lane_ptr[q + 1]):
                states = self._ped_states(int(cw.lane_cw[j]), peds, objs)
                if {"crossing", "entering", "about"} & set(states):
                    return True
        return False

    def _project(self, cor: Corridor, x: np.ndarray, y: np.ndarray):
        """Path s and lateral offset d [m] of points on the corridor polyline."""
        return project_polyline(cor.x, cor.y, x, y)
