"""Plain Python twin of :func:`sim.traffic._kernels.vehicle_step` (the NPC vehicle step).

Same model, same inputs, same outputs, written for reading rather than speed: the lane index
is a dict of sorted ``(s, row)`` lists, the lane graph's CSR arrays are looked up as lists,
and each rule of the model is one small function. :func:`vehicle_step_ref` takes exactly the
kernel's argument list and, like the kernel, writes the ``out_*`` arrays in place (returns
None), so one argument tuple drives either. ``tests/sim/test_traffic_reference.py`` checks
that both agree; ``benchmarks/traffic_step.py`` times them.

One step, per valid vehicle row on a lane (other rows are copied, yaw rate and accel 0):

1. *Lane index.* Vehicles are bucketed by lane and sorted by (s, row). A box that reaches
   past its lane edge (+ ``GHOST_MARGIN``) into a neighbour lane also gets a *ghost* entry
   there at the proportional s, so that lane's traffic reacts to it.
2. *Route.* Roaming vehicles slide their route window so the current lane is first and
   append random open successors until ``ROUTE_KEEP`` lanes lie ahead.
3. *Longitudinal* (IDM). The acceleration is the minimum of IDM against the leader found
   along the route (own lane, then the following route lanes, where a vehicle that just
   took the other branch of a fork counts within ``FORK_OVERLAP``), against leaders in (or
   just past) the lanes the vehicle's own box still reaches into, and against virtual
   stopped obstacles along the route: blocked crosswalks, the route end (or the end of a
   lane where a lane change is still due, minus a margin), junction entries while a
   conflicting junction lane is busy or a conflicting vehicle arrives first
   (``_Step.must_yield``), and red / stoppable yellow stop lines, with the Korean right turn
   on red (full stop of ``rtor_wait`` at the line, then go if the merge is clear). The
   desired speed is the posted limit x the driver's factor, capped by curve speeds, with
   lower limits ahead anticipated at comfortable braking.
4. *Lateral* (MOBIL). A lane change is considered when off junctions, near the lane centre,
   past the cooldown, and either required (the route continues in a neighbour lane, or a
   roaming vehicle is on a lane closed to its kind) or discretionary (roaming, moving, far
   enough from the next junction). Required changes only pass MOBIL's safety test;
   discretionary ones look left on even steps and right on odd steps with a keep-right bias.
   Steering tracks the route centreline (:func:`path_steer`).
5. *Motion.* Kinematic bicycle (:func:`sim.dynamics._reference.bicycle_step_ref`), then
   localisation along the route; a controlled vehicle that drives into a neighbour lane is
   followed there. Standstill start times and the full-stop record are updated.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from typing import NamedTuple

import numpy as np

from sim.dynamics._reference import bicycle_step_ref
from sim.traffic._kernels import (  # constants only: the layout shared with the kernel
    C_B_SAFE,
    C_LC_BIAS,
    C_LC_COOLDOWN_S,
    C_LC_END_MARGIN,
    C_LC_EVERY,
    C_LC_MIN_SPEED,
    C_LC_THRESHOLD,
    C_LOOKAHEAD,
    C_LOOKAHEAD_T,
    C_MERGE_CLEAR,
    C_RTOR_WAIT_S,
    C_STEER_LAT,
    C_STEER_PREVIEW,
    C_YELLOW_DECEL,
    FORK_OVERLAP,
    GHOST_MARGIN,
    NEVER,
    ROUTE_KEEP,
    SIG_GREEN,
    SIG_RED,
    SIG_YELLOW,
    TURN_RIGHT,
)

INF = math.inf


def idm_accel(v, v0, headway, min_gap, a_max, b_comf, gap, v_lead):
    """IDM acceleration [m/s^2]; ``gap`` = inf means free road. Above v0 it brakes at most b."""
    # powers as products (x^4 = (x^2)^2), as the kernel computes them: Python's ``**`` calls
    # libm pow, which can differ in the last bit
    ratio = v / max(v0, 0.1)
    free = max(1.0 - _square(_square(ratio)), -b_comf / a_max)
    if gap == INF:
        return a_max * free
    s_star = min_gap + max(0.0, v * headway + v * (v - v_lead) / (2.0 * math.sqrt(a_max * b_comf)))
    return a_max * (free - _square(s_star / max(gap, 0.05)))


def _square(x):
    return x * x


def path_steer(v, yaw, yaw_rate, wheelbase, d, lane_heading, kappa_ref, preview, lat_accel):
    """Front-wheel angle [rad] that keeps the box centre on the lane centreline.

    kappa = kappa_ref - d / P^2 - 1.8 sin(e_psi) / P, the correction capped at ``lat_accel``
    / v^2; e_psi is the angle between the centre's velocity (yaw + slip) and the lane.
    Inverted exactly for the kinematic bicycle about the box centre (l_r = L/2).
    """
    if wheelbase <= 0.0:
        return 0.0
    half = 0.5 * wheelbase
    beta = math.asin(max(-1.0, min(1.0, yaw_rate * half / v))) if abs(v) > 0.5 else 0.0
    e_psi = yaw + beta - lane_heading
    e_psi = math.atan2(math.sin(e_psi), math.cos(e_psi))
    cap = lat_accel / max(v * v, 1.0)
    corr = min(max(-d / (preview * preview) - 1.8 * math.sin(e_psi) / preview, -cap), cap)
    sin_beta = max(-0.95, min(0.95, (kappa_ref + corr) * half))
    return math.atan(2.0 * math.tan(math.asin(sin_beta)))


class _Road:
    """The lane graph, the sampled centrelines, and this step's signals and crosswalks."""

    def __init__(self, lane_length, succ_ptr, succ, pred_ptr, pred, left, right, lane_turn,
                 lane_stop_s, lane_junction, lane_vcurve, lane_vmin, conf_ptr, conf, lane_rank,
                 lane_sig,
                 pt_ptr, pt_s, pt_x, pt_y, pt_heading, pt_curv, pt_speed, pt_flags, pt_width,
                 cw_ptr, cw_idx, cw_s0, cw_blocked):
        self.length = lane_length.tolist()
        self.left, self.right = left.tolist(), right.tolist()
        self.turn, self.stop_s = lane_turn.tolist(), lane_stop_s.tolist()
        self.junction, self.sig = lane_junction.tolist(), lane_sig.tolist()
        self.vcurve, self.vmin = lane_vcurve.tolist(), lane_vmin.tolist()
        self._csr = {"succ": (succ_ptr.tolist(), succ), "pred": (pred_ptr.tolist(), pred),
                     "conf": (conf_ptr.tolist(), conf)}
        self.rank = lane_rank.tolist()  # junction priority (see model.circulating_lanes)
        self._cw_ptr, self._cw_idx, self._cw_s0 = cw_ptr.tolist(), cw_idx, cw_s0
        self.cw_blocked = cw_blocked.tolist()
        self.pt_ptr = pt_ptr.tolist()
        self.pt_s, self.pt_x, self.pt_y = pt_s, pt_x, pt_y
        self.pt_heading, self.pt_curv, self.pt_speed = pt_heading, pt_curv, pt_speed
        self.pt_flags, self.pt_width = pt_flags, pt_width

    def _list(self, name, lane):
        ptr, values = self._csr[name]
        return values[ptr[lane]:ptr[lane + 1]].tolist()

    def successors(self, lane):
        return self._list("succ", lane)

    def predecessors(self, lane):
        return self._list("pred", lane)

    def conflicts(self, lane):
        """Junction lanes crossing or merging with junction lane ``lane``."""
        return self._list("conf", lane)

    def crossings(self, lane):
        """(crosswalk, s [m] where the lane enters it) for each crosswalk over ``lane``."""
        a, b = self._cw_ptr[lane], self._cw_ptr[lane + 1]
        return list(zip(self._cw_idx[a:b].tolist(), self._cw_s0[a:b].tolist()))

    def is_neighbour(self, a, b):
        return b >= 0 and (self.left[a] == b or self.right[a] == b)

    def sample(self, lane, s):
        """Index of the centreline sample at or before ``s`` on ``lane`` (the first if none)."""
        a, b = self.pt_ptr[lane], self.pt_ptr[lane + 1]
        return max(bisect_right(self.pt_s, s, a, b) - 1, a)

    def value_at(self, lane, s, values):
        """A per-sample array's value at the sample at or before ``s`` on ``lane``."""
        return values[self.sample(lane, s)]

    def following(self, route_row, pos, lane):
        """Route lanes after ``route_row[pos]`` (= ``lane``) that continue straight on from
        it, up to the end of the route or the next lane change the route asks for."""
        cur = lane
        for nxt in route_row[pos + 1:]:
            if nxt < 0 or self.is_neighbour(cur, nxt):
                return
            yield nxt
            cur = nxt

    def localise(self, lane, s_guess, x, y, route_row, pos, follow_any=False):
        """Project (x, y) onto ``lane`` near ``s_guess`` (the 5 segments around it), moving
        on along the route (up to 4 lanes) while the projection is at the lane's end. With
        ``follow_any`` (a vehicle driving itself) a next route lane that is not a successor
        is replaced by the successor whose start is nearest. Returns (lane, s [m], d [m]
        left +, pos)."""
        best_s = best_d = 0.0
        for _ in range(4):
            a, last = self.pt_ptr[lane], self.pt_ptr[lane + 1] - 1
            lo = min(max(bisect_right(self.pt_s, s_guess, a, last + 1) - 1, a), last - 1)
            k0, k1 = max(lo - 2, a), min(lo + 3, last)  # segments k0 .. k1-1
            xs, ys, ss = (v[k0:k1 + 1].tolist() for v in (self.pt_x, self.pt_y, self.pt_s))
            best = INF
            for k in range(k1 - k0):
                ex, ey = xs[k + 1] - xs[k], ys[k + 1] - ys[k]
                ll = ex * ex + ey * ey
                t = 0.0
                if ll > 0.0:
                    t = min(max(((x - xs[k]) * ex + (y - ys[k]) * ey) / ll, 0.0), 1.0)
                dist = math.hypot(x - (xs[k] + t * ex), y - (ys[k] + t * ey))
                if dist < best:
                    best = dist
                    best_s = ss[k] + t * (ss[k + 1] - ss[k])
                    left_side = ex * (y - ys[k]) - ey * (x - xs[k]) >= 0.0
                    best_d = dist if left_side else -dist
            if best_s < self.length[lane] - 1e-9 or pos + 1 >= len(route_row):
                break
            nxt = route_row[pos + 1]
            if follow_any and nxt not in self.successors(lane):
                starts = [(math.hypot(self.pt_x[self.pt_ptr[b]] - x,
                                      self.pt_y[self.pt_ptr[b]] - y), b)
                          for b in self.successors(lane)]
                if starts:
                    nxt = min(starts, key=lambda t: t[0])[1]  # first of equals, as the kernel
                    route_row[pos + 1] = nxt
            if nxt < 0 or self.is_neighbour(lane, nxt):
                break
            s_guess -= self.length[lane]
            lane, pos = nxt, pos + 1
        return lane, best_s, best_d, pos

    def dist_to_junction(self, lane, s, route_row, pos):
        """Distance [m] from (lane, s) to the next junction lane on the route (inf if none
        before the route ends or changes lanes)."""
        if self.junction[lane] >= 0:
            return 0.0
        dist = self.length[lane] - s
        for nxt in self.following(route_row, pos, lane):
            if self.junction[nxt] >= 0:
                return dist
            dist += self.length[nxt]
        return INF

    def curvature_ahead(self, lane, s_ahead, route_row, pos):
        """Centreline curvature [1/m] at ``s_ahead`` along the route from (lane, pos),
        clamped to the end of the straight-on part of the route."""
        ahead = self.following(route_row, pos, lane)
        while s_ahead > self.length[lane]:
            nxt = next(ahead, None)
            if nxt is None:
                s_ahead = self.length[lane]
                break
            s_ahead -= self.length[lane]
            lane = nxt
        return self.value_at(lane, s_ahead, self.pt_curv)

    def pick_successor(self, lane, u, lane_open):
        """A random open successor of ``lane`` (uniform by ``u`` in [0, 1)); if only closed
        lanes (a bus lane in its hours) lead on, any of them (merge out later); -1 if none."""
        options = [q for q in self.successors(lane) if lane_open[q]] or self.successors(lane)
        if not options:
            return -1
        return options[min(int(u * len(options)), len(options) - 1)]

    def extend_route(self, route_row, pos, u, lane_open):
        """Slide the route window (a list, changed in place) so ``pos`` is 0, then append
        random successors until ROUTE_KEEP lanes lie ahead. Returns the new pos (0)."""
        if pos > 0:
            route_row[:] = route_row[pos:] + [-1] * pos
        last = 0
        while last + 1 < len(route_row) and route_row[last + 1] >= 0:
            last += 1
        draw = u
        while last < ROUTE_KEEP and last + 1 < len(route_row):
            nxt = self.pick_successor(route_row[last], draw, lane_open)
            if nxt < 0:
                break
            last += 1
            route_row[last] = nxt
            draw = (draw * 7919.0 + 0.618033988749895) % 1.0
        return 0


class _Fleet:
    """Per-actor arrays as Python lists, by the kernel's argument names: ``fleet.speed[i]``,
    ``fleet.v_desired[i]``, ``fleet.last_lc[i]`` ..."""

    def __init__(self, **arrays):
        for name, values in arrays.items():
            setattr(self, name, values.tolist())

    def idm(self, j, gap, v_lead, v0=None):
        """IDM acceleration of row ``j`` at its speed (desired speed ``v0``, by default its
        v_desired) behind a leader at ``gap`` [m] going ``v_lead``."""
        return idm_accel(self.speed[j], self.v_desired[j] if v0 is None else v0,
                         self.headway[j], self.min_gap[j], self.a_max[j], self.b_comf[j],
                         gap, v_lead)


class _LaneIndex:
    """Vehicle rows bucketed by lane, sorted by (s, row), with ghost entries.

    ``rows[lane]`` / ``s[lane]``: the entries of a lane (row, s [m] on that lane);
    ``rank[row]``: position of a vehicle's own entry in its lane's lists; ``ghost[row]``:
    (left, right) neighbour lanes the vehicle's box reaches into (-1 for none).
    """

    def __init__(self, road, fleet, rows):
        entries = defaultdict(list)
        self.ghost = {}
        for i in rows:
            ln, s = fleet.lane[i], fleet.s[i]
            entries[ln].append((s, i))
            into_left, into_right = self._overlap_sides(road, ln, s, fleet.d[i], fleet.yaw[i],
                                                        fleet.length[i], fleet.width[i])
            g_left = road.left[ln] if into_left else -1
            g_right = road.right[ln] if into_right else -1
            self.ghost[i] = (g_left, g_right)
            for g in (g_left, g_right):
                if g >= 0:
                    entries[g].append((s * road.length[g] / max(road.length[ln], 1e-6), i))
        self.rows, self.s, self.rank = {}, {}, {}
        for ln, lane_entries in entries.items():
            lane_entries.sort()
            self.s[ln] = [e[0] for e in lane_entries]
            self.rows[ln] = [e[1] for e in lane_entries]
            for k, r in enumerate(self.rows[ln]):
                if fleet.lane[r] == ln:
                    self.rank[r] = k

    @staticmethod
    def _overlap_sides(road, lane, s, d, yaw, length, width):
        """Whether the box, seen in its lane's frame, reaches past the left / right edge."""
        k = road.sample(lane, s)
        dpsi = yaw - road.pt_heading[k]
        reach = 0.5 * length * abs(math.sin(dpsi)) + 0.5 * width * abs(math.cos(dpsi))
        edge = 0.5 * road.pt_width[k] + GHOST_MARGIN
        return d + reach > edge, d - reach < -edge

    def rows_in(self, lane):
        return self.rows.get(lane, ())

    def s_in(self, lane):
        return self.s.get(lane, ())

    def first_ahead(self, lane, s, skip):
        """Position of the first entry of ``lane`` beyond ``s`` that is not row ``skip``."""
        rows = self.rows_in(lane)
        k = bisect_right(self.s_in(lane), s)
        while k < len(rows) and rows[k] == skip:
            k += 1
        return k

    def last_behind(self, lane, s, skip):
        """Position of the last entry of ``lane`` at or before ``s`` not row ``skip`` (or -1)."""
        rows = self.rows_in(lane)
        k = bisect_right(self.s_in(lane), s) - 1
        while k >= 0 and rows[k] == skip:
            k -= 1
        return k


class _Decision(NamedTuple):
    """What the NPC driver of one row decided this step."""

    accel: float  # [m/s^2]
    steer: float  # [rad] front-wheel angle
    lane: int  # lane, s [m] and route position after any lane change made this step
    s: float
    pos: int
    lane_changed: bool
    full_stop_made: bool  # stands at a red right-turn line long enough (Korean full stop)


class _Step:
    """Everything one call sees; the methods are the rules of the model for vehicle ``i``."""

    def __init__(self, road, fleet, index, cfg, time_us, dt, step_index, kind_max_decel,
                 kind_max_steer, kind_lane_open):
        self.road, self.fleet, self.index, self.cfg = road, fleet, index, cfg
        self.time_us, self.dt, self.step_index = time_us, dt, step_index
        self.max_decel, self.max_steer = kind_max_decel.tolist(), kind_max_steer.tolist()
        self.lane_open = [row.tolist() for row in kind_lane_open]

    # -- longitudinal -------------------------------------------------------------------

    def first_on_branches(self, cur, nxt, skip):
        """(row, s [m]) of the first vehicle other than ``skip`` on ``nxt``, or on another
        successor of ``cur`` while within FORK_OVERLAP of the fork (branches leaving one
        lane overlap there); the first successor wins ties; (-1, inf) if none."""
        ix = self.index
        best, best_s = -1, INF
        for b in self.road.successors(cur):
            k = ix.first_ahead(b, -INF, skip)
            if k < len(ix.rows_in(b)):
                s_b = ix.s_in(b)[k]
                if s_b < best_s and (b == nxt or s_b < FORK_OVERLAP):
                    best, best_s = ix.rows_in(b)[k], s_b
        return best, best_s

    def leader(self, i, lane, s, route_row, pos, lookahead):
        """(row, bumper-to-bumper gap [m]) of the first vehicle ahead along the route,
        including one that just took the other branch of a fork we are about to pass."""
        ix, fl = self.index, self.fleet
        rows, ss = ix.rows_in(lane), ix.s_in(lane)
        k = ix.rank[i]
        if k + 1 < len(rows):
            j = rows[k + 1]
            return j, ss[k + 1] - s - 0.5 * (fl.length[i] + fl.length[j])
        dist = self.road.length[lane] - s
        cur = lane
        for nxt in self.road.following(route_row, pos, lane):
            if dist >= lookahead:
                break
            j, s_j = self.first_on_branches(cur, nxt, i)
            if j >= 0:
                return j, dist + s_j - 0.5 * (fl.length[i] + fl.length[j])
            dist += self.road.length[nxt]
            cur = nxt
        return -1, INF

    def leader_in_lane(self, i, g, s_g):
        """(row, gap [m]) of the first vehicle other than i ahead of ``s_g`` in lane ``g``
        (a lane our box still reaches into), else at the start of a lane ``g`` leads into
        (any branch within FORK_OVERLAP; all of it if ``g`` has one successor)."""
        ix, fl = self.index, self.fleet
        k = ix.first_ahead(g, s_g, i)
        if k < len(ix.rows_in(g)):
            j = ix.rows_in(g)[k]
            return j, ix.s_in(g)[k] - s_g - 0.5 * (fl.length[i] + fl.length[j])
        successors = self.road.successors(g)
        j, s_j = self.first_on_branches(g, successors[0] if len(successors) == 1 else -1, i)
        if j >= 0:
            return j, self.road.length[g] - s_g + s_j - 0.5 * (fl.length[i] + fl.length[j])
        return -1, INF

    def free_speed(self, i, lane, s, v, route_row, pos, lookahead):
        """Desired speed [m/s]: posted limit x the driver's factor and the curve speed here,
        with lower limits ahead (later on this lane or on the next route lanes) anticipated
        at comfortable braking b: v0 <= sqrt(v_ahead^2 + 2 b dist)."""
        road, fl = self.road, self.fleet
        b, f = fl.b_comf[i], fl.speed_factor[i]
        v0 = min(fl.v_desired[i], f * road.value_at(lane, s, road.pt_speed), road.vcurve[lane])
        horizon = min(v * v / (2.0 * b) + 10.0, lookahead)
        if f * road.vmin[lane] < v0:  # the limit drops somewhere on this lane: scan ahead
            for k in range(road.pt_ptr[lane], road.pt_ptr[lane + 1]):
                ds = road.pt_s[k] - s
                if ds > horizon:
                    break
                if ds > 0.0:
                    v0 = min(v0, math.sqrt(_square(f * road.pt_speed[k]) + 2.0 * b * ds))
        dist = road.length[lane] - s
        for nxt in road.following(route_row, pos, lane):
            if dist >= horizon:
                break
            v_next = min(f * road.pt_speed[road.pt_ptr[nxt]], road.vcurve[nxt])
            v0 = min(v0, math.sqrt(v_next * v_next + 2.0 * b * max(dist, 0.0)))
            dist += road.length[nxt]
        return v0

    def must_yield(self, i, j_lane, app, dist_me, v):
        """Whether to wait before entering junction lane ``j_lane`` from approach ``app``.

        Wait while a vehicle is on a junction lane that crosses or merges with ours, or while
        the last vehicle of another approach towards such a lane (not held by a red) reaches
        the junction first, within 8 s: the earlier time to the entry goes, the lower
        approach lane index breaks ties. Between lanes of different priority rank the
        lower one yields to every such arrival and the higher one to none (it still waits
        while someone is on the lower one)."""
        road, ix, fl = self.road, self.index, self.fleet
        t_me = dist_me / max(v, 1.0)
        my_rank = road.rank[j_lane]
        for other in road.conflicts(j_lane):
            if ix.rows_in(other):
                return True
            if road.sig[other] == SIG_RED:
                continue
            if road.rank[other] < my_rank:
                continue  # they give way to us
            outranked = road.rank[other] > my_rank
            for p in road.predecessors(other):
                if p == app or road.junction[p] >= 0:
                    continue
                if outranked and self.arrives_upstream(i, p):
                    return True
                if not ix.rows_in(p):
                    continue
                last = ix.rows_in(p)[-1]
                if last == i:
                    continue
                t_other = (road.length[p] - ix.s_in(p)[-1]) / max(fl.speed[last], 1.0)
                if t_other < 8.0 and (outranked or t_other < t_me
                                      or (t_other == t_me and p < app)):
                    return True
        return False

    def arrives_upstream(self, i, p):
        """Whether the last vehicle on a lane into approach ``p`` reaches the end of ``p``
        within 8 s (yielding drivers watch beyond a short approach such as a ring
        segment)."""
        road, ix, fl = self.road, self.index, self.fleet
        for pp in road.predecessors(p):
            if not ix.rows_in(pp):
                continue
            last = ix.rows_in(pp)[-1]
            dist = road.length[p] + road.length[pp] - ix.s_in(pp)[-1]
            if last != i and dist / max(fl.speed[last], 1.0) < 8.0:
                return True
        return False

    def merge_clear(self, j_lane, clear_dist):
        """True when a right turn through junction lane ``j_lane`` on red cannot cut anyone
        off: the exit lanes are free for ``clear_dist``, no one is on another junction lane
        into them, and no one moving is within ``clear_dist`` of a green / yellow one."""
        road, ix, fl = self.road, self.index, self.fleet
        for out in road.successors(j_lane):
            if ix.rows_in(out) and ix.s_in(out)[0] < clear_dist:
                return False
            for other in road.predecessors(out):
                if other == j_lane:
                    continue
                if ix.rows_in(other):
                    return False
                if road.sig[other] not in (SIG_GREEN, SIG_YELLOW):
                    continue
                for app in road.predecessors(other):
                    if ix.rows_in(app):
                        last = ix.rows_in(app)[-1]
                        if (road.length[app] - ix.s_in(app)[-1] < clear_dist
                                and fl.speed[last] > 1.0):
                            return False
        return True

    def obstacle_accel(self, i, lane, s, v, v0, lead_gap, route_row, pos):
        """(minimum IDM acceleration over virtual stopped obstacles ahead along the route,
        whether the vehicle now stands at a red stop line before a right turn long enough to
        have made the Korean full stop)."""
        road, cfg, fl = self.road, self.cfg, self.fleet
        len_i = fl.length[i]
        hw, mg, am, bc = fl.headway[i], fl.min_gap[i], fl.a_max[i], fl.b_comf[i]

        def stop_at(gap):  # IDM behind a stopped obstacle ``gap`` [m] ahead of the bumper
            return idm_accel(v, v0, hw, mg, am, bc, max(gap, 0.0), 0.0)

        a_min, at_rtor_line = INF, False
        lookahead = cfg[C_LOOKAHEAD] + cfg[C_LOOKAHEAD_T] * v
        off = -s  # distance from the vehicle centre to the start of lane ``cur`` [m]
        cur, r = lane, pos
        while off < lookahead:
            nxt = route_row[r + 1] if r + 1 < len(route_row) else -1
            for cw, s0 in road.crossings(cur):  # someone on it or about to step on
                if road.cw_blocked[cw]:
                    gap = off + s0 - 1.0 - 0.5 * len_i
                    if gap > -0.3:  # not on it yet: stop before it
                        a_min = min(a_min, stop_at(gap))
            change_needed = road.is_neighbour(cur, nxt)
            if nxt < 0 or change_needed:
                open_ahead = self.fleet.roam[i] and nxt < 0 and len(road.successors(cur)) > 0
                if not open_ahead:  # route end, dead end, or a lane change still to make
                    end = road.length[cur] - (cfg[C_LC_END_MARGIN] if change_needed else 0.0)
                    a_min = min(a_min, stop_at(off + end - 0.5 * len_i))
                break
            sig = road.sig[nxt]
            held = False  # a red (or stoppable yellow) light holds us at this stop line
            if sig in (SIG_RED, SIG_YELLOW) and not math.isnan(road.stop_s[cur]):
                gap = off + road.stop_s[cur] - 0.5 * len_i
                if gap > -0.5:  # front bumper not past the line
                    stop = True
                    if sig == SIG_YELLOW and v * v > 2.0 * cfg[C_YELLOW_DECEL] * max(gap, 0.01):
                        stop = False  # cannot stop comfortably: clear the junction
                    if sig == SIG_RED and road.turn[nxt] == TURN_RIGHT:
                        if fl.stop_done[i] == cur:  # full stop made: go if the merge is clear
                            stop = not self.merge_clear(nxt, cfg[C_MERGE_CLEAR])
                        elif (cur == lane and gap < mg + 3.0 and v < 0.1 and
                              fl.stopped_since[i] != NEVER
                              and self.time_us - fl.stopped_since[i] >= cfg[C_RTOR_WAIT_S] * 1e6):
                            at_rtor_line = True
                    if stop:
                        a_min = min(a_min, stop_at(gap))
                        held = True
            if road.junction[nxt] >= 0 and road.junction[cur] < 0 and not held:
                stop_s = road.stop_s[cur]
                entry = stop_s if not math.isnan(stop_s) else road.length[cur]
                gap = off + entry - 0.5 * len_i
                # only the first car before the entry yields: one behind follows its leader
                if -0.5 < gap < v * v / (2.0 * bc) + 10.0 and lead_gap >= gap and \
                        self.must_yield(i, nxt, cur, off + road.length[cur], v):
                    a_min = min(a_min, stop_at(gap))
            off += road.length[cur]
            cur = nxt
            r += 1
        return a_min, at_rtor_line

    # -- lateral ------------------------------------------------------------------------

    def mobil(self, i, lane, s, v, tgt, a_cur, lead_gap, lead_row, safety_only, v0_i):
        """MOBIL for a change from ``lane`` to ``tgt``; ``a_cur`` is the vehicle's
        leader-following acceleration plus the direction bias. Returns (go, s on tgt [m])."""
        road, ix, fl, cfg = self.road, self.index, self.fleet, self.cfg
        s_t = s * road.length[tgt] / max(road.length[lane], 1e-6)
        rows, ss = ix.rows_in(tgt), ix.s_in(tgt)
        # new leader: ahead on the target lane, else first on a lane the target leads into
        k = ix.first_ahead(tgt, s_t, i)
        new_lead, lead_s = (rows[k], ss[k]) if k < len(rows) else (-1, INF)
        if new_lead < 0:
            for nq in road.successors(tgt):
                e = ix.first_ahead(nq, -INF, i)
                if e < len(ix.rows_in(nq)) and ix.s_in(nq)[e] + road.length[tgt] < lead_s:
                    new_lead, lead_s = ix.rows_in(nq)[e], ix.s_in(nq)[e] + road.length[tgt]
        # new follower: behind on the target lane, else last on a lane leading into it
        k = ix.last_behind(tgt, s_t, i)
        new_fol, fol_s = (rows[k], ss[k]) if k >= 0 else (-1, -INF)
        if new_fol < 0:
            for p in road.predecessors(tgt):
                e = ix.last_behind(p, INF, i)
                if e >= 0 and ix.s_in(p)[e] - road.length[p] > fol_s:
                    new_fol, fol_s = ix.rows_in(p)[e], ix.s_in(p)[e] - road.length[p]
        len_i = fl.length[i]
        gap_f, v_nl = INF, 0.0
        if new_lead >= 0:
            gap_f = lead_s - s_t - 0.5 * (len_i + fl.length[new_lead])
            v_nl = fl.speed[new_lead]
            if gap_f < 0.5:
                return False, 0.0
        a_fol_after = a_fol_before = 0.0
        if new_fol >= 0:
            f = new_fol
            gap_b = s_t - fol_s - 0.5 * (len_i + fl.length[f])
            if gap_b < 0.5:
                return False, 0.0
            a_fol_after = fl.idm(f, gap_b, v)
            if a_fol_after < -cfg[C_B_SAFE]:  # safety: the new follower brakes too hard
                return False, 0.0
            gap_fb = INF if new_lead < 0 else lead_s - fol_s - 0.5 * (
                fl.length[f] + fl.length[new_lead])
            a_fol_before = fl.idm(f, gap_fb, v_nl)
        if safety_only:
            return True, s_t
        a_new = fl.idm(i, gap_f, v_nl, v0_i)
        a_old_before = a_old_after = 0.0
        k = ix.rank[i]
        if k > 0:  # the old follower gets our leader
            o = ix.rows_in(lane)[k - 1]
            gap_o = s - ix.s_in(lane)[k - 1] - 0.5 * (len_i + fl.length[o])
            a_old_before = fl.idm(o, gap_o, v)
            gap_o2 = INF if lead_row < 0 else gap_o + len_i + lead_gap
            a_old_after = fl.idm(o, gap_o2, 0.0 if lead_row < 0 else fl.speed[lead_row])
        incentive = a_new - a_cur + fl.politeness[i] * (
            (a_fol_after - a_fol_before) + (a_old_after - a_old_before))
        return incentive > cfg[C_LC_THRESHOLD], s_t

    # -- the driver ---------------------------------------------------------------------

    def drive(self, i, route_row, pos):
        """The NPC driver of row ``i`` on its route (a list, changed in place): route
        extension, IDM, lane changes, steering."""
        road, fl, cfg = self.road, self.fleet, self.cfg
        kd = fl.kind[i]
        lane_open = self.lane_open[kd]
        roam, v, li, si = fl.roam[i], fl.speed[i], fl.lane[i], fl.s[i]
        if roam:
            pos = road.extend_route(route_row, pos, fl.u[i], lane_open)
        lookahead = cfg[C_LOOKAHEAD] + cfg[C_LOOKAHEAD_T] * v
        lead, lead_gap = self.leader(i, li, si, route_row, pos, lookahead)
        v0 = self.free_speed(i, li, si, v, route_row, pos, lookahead)
        a_lead = fl.idm(i, lead_gap, fl.speed[lead] if lead >= 0 else 0.0, v0)
        for g in self.index.ghost[i]:  # while our box still reaches into a neighbour lane
            if g >= 0:
                s_g = si * road.length[g] / max(road.length[li], 1e-6)
                jg, gap_g = self.leader_in_lane(i, g, s_g)
                if jg >= 0:
                    a_lead = min(a_lead, fl.idm(i, gap_g, fl.speed[jg], v0))
        a_obs, full_stop_made = self.obstacle_accel(i, li, si, v, v0, lead_gap, route_row, pos)
        acc = min(a_lead, a_obs)

        # lane changes: required by the route, forced off a closed lane, or MOBIL's choice
        nxt = route_row[pos + 1] if pos + 1 < len(route_row) else -1
        req = nxt if road.is_neighbour(li, nxt) else -1
        if req < 0 and roam and not lane_open[li]:
            req = next((c for c in (road.left[li], road.right[li]) if c >= 0 and lane_open[c]),
                       -1)
        required = req >= 0
        # MOBIL reconsiders this vehicle every `every` steps (staggered by row), looking left
        # and right in turn; a required change is tried every step
        every = max(int(cfg[C_LC_EVERY]), 1)
        turn = self.step_index + i
        look = (turn // every) % 2
        # one lane change at a time: the last must be over (cooldown, back on a centre)
        may = (road.junction[li] < 0 and abs(fl.d[i]) < 0.5
               and (required or turn % every == 0)
               and self.time_us - fl.last_lc[i] >= cfg[C_LC_COOLDOWN_S] * 1e6
               and (required or (roam and v > cfg[C_LC_MIN_SPEED]
                                 and road.dist_to_junction(li, si, route_row, pos)
                                 > cfg[C_LC_END_MARGIN] + 2.0 * v)))
        changed = False
        if may:
            marking = int(road.value_at(li, si, road.pt_flags))  # bit 0: may go left, 1: right
            for side, tgt in enumerate((road.left[li], road.right[li])):
                if tgt < 0 or not (marking & (1 << side)):
                    continue
                if required:
                    if tgt != req:
                        continue
                elif side != look or not lane_open[tgt]:
                    continue
                bias = cfg[C_LC_BIAS] if side == 0 else -cfg[C_LC_BIAS]  # keep right
                go, s_t = self.mobil(i, li, si, v, tgt, a_lead + bias, lead_gap, lead, required,
                                     v0)
                if go:
                    if tgt == nxt:
                        pos += 1  # the change the route asked for
                    else:
                        route_row[pos:] = [tgt] + [-1] * (len(route_row) - pos - 1)
                        pos = road.extend_route(route_row, pos, fl.u[i], lane_open)
                    li, si, changed = tgt, s_t, True
                    break
        acc = max(min(acc, fl.a_max[i]), -self.max_decel[kd])

        # steering: track the centreline of the (possibly new) lane, or of the next route
        # lane when the vehicle stands at the very end of this one
        if li == fl.lane[i] and si < road.length[li] - 1e-9:
            l_now, s_now, d_now, p_now = li, si, fl.d[i], pos  # the last step's localisation
        else:
            l_now, s_now, d_now, p_now = road.localise(li, si, fl.x[i], fl.y[i], route_row,
                                                       pos)
        kref = road.curvature_ahead(l_now, s_now + v * self.dt + 0.5, route_row, p_now)
        steer = path_steer(v, fl.yaw[i], fl.yaw_rate[i], fl.wheelbase[i], d_now,
                           road.value_at(l_now, s_now, road.pt_heading), kref,
                           cfg[C_STEER_PREVIEW], cfg[C_STEER_LAT])
        max_steer = self.max_steer[kd]
        steer = max(min(steer, max_steer), -max_steer)
        return _Decision(acc, steer, li, si, pos, changed, full_stop_made)


def vehicle_step_ref(
        time_us, dt, step_index,
        valid, is_vehicle, kind, controlled, act_accel, act_steer, act_reverse,
        x, y, yaw, yaw_rate, speed, length, width, lane, s, d,
        v_desired, speed_factor, headway, min_gap, a_max, b_comf, politeness, wheelbase,
        route, route_pos, roam, stopped_since, last_lc, stop_done,
        kind_max_decel, kind_max_steer, kind_max_speed, kind_lane_open,
        lane_length, succ_ptr, succ, pred_ptr, pred, left, right, lane_turn, lane_stop_s,
        lane_junction, lane_vcurve, lane_vmin, conf_ptr, conf, lane_rank, lane_sig,
        pt_ptr, pt_s, pt_x, pt_y, pt_heading, pt_curv, pt_speed, pt_flags, pt_width,
        cw_ptr, cw_idx, cw_s0, cw_blocked, u, cfg,
        out_x, out_y, out_yaw, out_speed, out_yaw_rate, out_accel, out_lane, out_s, out_d,
        out_route, out_route_pos, out_stopped_since, out_last_lc, out_stop_done):
    """Advance every valid vehicle row by ``dt`` [s]; other rows are copied unchanged.

    Arguments, shapes and units as :func:`sim.traffic._kernels.vehicle_step`; the ``out_*``
    arrays are written in place (nothing is returned) and the inputs are not modified.
    """
    time_us, dt = int(time_us), float(dt)
    road = _Road(lane_length, succ_ptr, succ, pred_ptr, pred, left, right, lane_turn,
                 lane_stop_s, lane_junction, lane_vcurve, lane_vmin, conf_ptr, conf, lane_rank,
                 lane_sig,
                 pt_ptr, pt_s, pt_x, pt_y, pt_heading, pt_curv, pt_speed, pt_flags, pt_width,
                 cw_ptr, cw_idx, cw_s0, cw_blocked)
    fleet = _Fleet(kind=kind, x=x, y=y, yaw=yaw, yaw_rate=yaw_rate, speed=speed, length=length,
                   width=width, lane=lane, s=s, d=d, v_desired=v_desired,
                   speed_factor=speed_factor, headway=headway, min_gap=min_gap, a_max=a_max,
                   b_comf=b_comf, politeness=politeness, wheelbase=wheelbase, roam=roam,
                   stopped_since=stopped_since, last_lc=last_lc, stop_done=stop_done, u=u)
    movers = [i for i in range(valid.shape[0])
              if valid[i] and is_vehicle[i] and fleet.lane[i] >= 0]
    index = _LaneIndex(road, fleet, movers)
    step = _Step(road, fleet, index, cfg.tolist(), time_us, dt, int(step_index),
                 kind_max_decel, kind_max_steer, kind_lane_open)

    # rows that do not move keep their state; yaw rate and acceleration read 0
    for dst, src in ((out_x, x), (out_y, y), (out_yaw, yaw), (out_speed, speed),
                     (out_lane, lane), (out_s, s), (out_d, d), (out_route, route),
                     (out_route_pos, route_pos), (out_stopped_since, stopped_since),
                     (out_last_lc, last_lc), (out_stop_done, stop_done)):
        dst[...] = src
    out_yaw_rate[:] = 0.0
    out_accel[:] = 0.0

    # 1. decisions: the NPC driver, or the actions for controlled rows
    accel = np.zeros(valid.shape[0])
    steer = np.zeros(valid.shape[0])
    decided = {}
    for i in movers:
        route_row = route[i].tolist()  # changed in place by the decision
        if controlled[i]:
            dec = _Decision(float(act_accel[i]), float(act_steer[i]), fleet.lane[i], fleet.s[i],
                            int(route_pos[i]), False, False)
        else:
            dec = step.drive(i, route_row, int(route_pos[i]))
            if dec.full_stop_made:
                out_stop_done[i] = fleet.lane[i]
            if dec.lane_changed:
                out_last_lc[i] = time_us
        accel[i], steer[i] = dec.accel, dec.steer
        decided[i] = dec, route_row

    # 2. kinematic bicycle for every moving row (the actions' reverse flag for controlled)
    mask = np.zeros(valid.shape[0], np.bool_)
    mask[movers] = True
    (out_x[:], out_y[:], out_yaw[:], out_speed[:], out_yaw_rate[:],
     out_accel[:]) = bicycle_step_ref(mask, x, y, yaw, speed, accel, steer, wheelbase,
                                      kind_max_speed[kind], controlled & act_reverse, dt)

    # 3. localisation along the route, memory updates
    for i in movers:
        dec, route_row = decided[i]
        v_new = float(out_speed[i])
        s_guess = dec.s + 0.5 * (fleet.speed[i] + v_new) * dt
        xi, yi = float(out_x[i]), float(out_y[i])
        nl, ns, nd, npos = road.localise(dec.lane, s_guess, xi, yi, route_row, dec.pos,
                                         follow_any=bool(controlled[i]))
        half_w = 0.5 * road.value_at(nl, ns, pt_width)
        if controlled[i] and abs(nd) > half_w:
            # a controlled vehicle changes lanes on its own: follow it to the neighbour
            side_lane = road.left[nl] if nd > 0 else road.right[nl]
            if side_lane >= 0:
                s_side = ns * road.length[side_lane] / max(road.length[nl], 1e-6)
                sl, s_sl, d_sl, _ = road.localise(side_lane, s_side, xi, yi, route_row, npos)
                if abs(d_sl) < abs(nd):
                    nl, ns, nd = sl, s_sl, d_sl
                    if npos + 1 < len(route_row) and route_row[npos + 1] == nl:
                        npos += 1  # the lane change its route asked for
                    else:
                        route_row[npos] = nl
        if out_stop_done[i] >= 0 and nl != out_stop_done[i]:
            out_stop_done[i] = -1  # the full-stop record belongs to the approach lane only
        out_lane[i], out_s[i], out_d[i], out_route_pos[i] = nl, ns, nd, npos
        out_route[i] = route_row
        if v_new < 0.1:  # standing: keep the start of the standstill, or start one now
            if fleet.stopped_since[i] == NEVER or fleet.speed[i] >= 0.1:
                out_stopped_since[i] = time_us
        else:
            out_stopped_since[i] = NEVER
