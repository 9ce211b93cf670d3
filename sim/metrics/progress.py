"""Route progress and the CARLA / nuPlan measures built on it (``shared/design/metrics.md``).

Route completion: the ego's centre projected on ``RunContext.route_xy``; only segments in
a window from 5 m behind to max(30 m, 3 x the step's travel + 10 m) ahead of the current
progress are searched, and progress never decreases (a route that loops past itself cannot
make it jump). ``route_completion`` = progress / polyline length, in [0, 1].

CARLA Leaderboard 2.0:

* ``outside_route_lanes_fraction``: share of the distance driven [m] while the ego's lane is
  neither a route lane nor a same-direction neighbour (``lanes.left`` / ``lanes.right``) of
  one; off the lane graph counts as outside.
* terminal ``route_deviation``: distance from the route polyline (within the window) > 30 m
  (``route_deviation_m``: the largest such distance).
* terminal ``agent_blocked``: |speed| < 0.1 m/s continuously for 180 s.
* terminal ``route_timeout``: run time > 300 s + route length / (10 % of the mean speed limit
  over the route lanes' centreline samples, ``network.points.speed_limit``).
  Neither blocked nor timeout fires once the route is finished (< 1 m left).
* ``min_speed`` (value p [%], when p < 100): the route is cut into 4 quarters by distance;
  when the ego's progress passes a quarter's end (or at ``finish`` for the quarter it is
  in), p = 100 x mean ego |speed| / mean speed of the surrounding traffic, both over the
  states of that quarter with traffic: other valid non-pedestrian, non-parked rows moving
  faster than 0.1 m/s within 50 m (their mean speed at that state). No traffic: skipped.
  Events found at ``finish`` appear in the report only.

nuPlan:

* ``drivable_area_max_outside_m``: largest distance any ego box corner lies outside the
  drivable area: |d| - half the width of the nearest driving lane (``locate``), 0 inside;
  a corner with no driving lane within 20 m counts as 20 m. Like nuPlan's map, whose
  drivable area includes whole intersection polygons, a corner inside a junction (the
  convex hull of its connecting lanes' centrelines, widened by their half widths) is
  inside: a long vehicle's corners sweep between the connecting lanes when it turns.
* ``max_counterflow_m`` (driving_direction_compliance): the along-lane displacement of each
  step (the step's motion on the heading of the ego's lane at its previous position);
  the negative parts are summed over a sliding 1 s window; the largest sum.
* ``ego_progress_ratio``: max(progress, 2 m) / max(route length, 2 m). nuPlan divides by
  the expert's progress; kav has no expert log, so the full route to the goal stands in.
* ``speed_limit_compliance`` = max(0, 1 - integral of max(0, |v| - limit) dt / (2.23 m/s x
  duration)), limit = the lane sample's speed limit at the ego (no limit off the lane graph).

``lateral_error_m``: largest |d| of the ego while it is on a lane.
Series: ``speed_mps``, ``speed_limit_mps`` (NaN off the lane graph), ``route_completion``.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from sim.actors import ActorKind
from sim.metrics.base import Metric, MetricEvent, MetricReport, RunContext, StepInput
from sim.metrics.geometry import convex_hull, corners, inside_convex, lane_point
from sim.roadnet.queries import locate
from sim.state import WorldState

DEVIATION_M = 30.0
BLOCKED_MPS, BLOCKED_S = 0.1, 180.0
TIMEOUT_BASE_S, TIMEOUT_SPEED_SHARE = 300.0, 0.1
TRAFFIC_RADIUS_M, MOVING_MPS = 50.0, 0.1
WINDOW_BACK_M, WINDOW_AHEAD_M = 5.0, 30.0
FINISHED_M = 1.0  # [m] left to the goal at which the route counts as finished
OFF_MAP_M = 20.0  # [m] locate search radius (and the outside distance when nothing found)
OVERSPEED_MPS = 2.23  # [m/s] nuPlan max_overspeed_value_threshold
MIN_PROGRESS_M = 2.0  # [m] nuPlan progress floor
COUNTERFLOW_WINDOW_S = 1.0
INSIDE_MARGIN_M = 0.3  # [m] slack that lets the drivable-area check skip the map query


class Progress(Metric):
    """Route completion, CARLA's route terminations and min speed, nuPlan's progress,
    drivable-area, driving-direction and speed-limit measures."""

    name = "progress"

    def start(self, ctx: RunContext, state: WorldState) -> None:
        self.ctx = ctx
        self.r = ctx.ego_row
        self.dt = ctx.dt_us / 1e6
        net = self.net = ctx.network
        xy = np.asarray(ctx.route_xy, float).reshape(-1, 2)
        if len(xy) == 1:
            xy = np.vstack([xy, xy])
        self.a = xy[:-1]
        self.d = np.diff(xy, axis=0)
        self.len = np.hypot(self.d[:, 0], self.d[:, 1])
        self.cum = np.r_[0.0, np.cumsum(self.len)]
        self.total = float(self.cum[-1])
        self.route_len = float(ctx.route_length_m) if ctx.route_length_m > 0 else self.total
        lanes = np.asarray(ctx.route_lanes, np.int64)
        ok = np.zeros(net.lanes.n, bool)
        ok[lanes] = True
        for side in (net.lanes.left[lanes], net.lanes.right[lanes]):
            ok[side[side >= 0]] = True
        self.lane_ok = ok
        limits = np.concatenate([net.points.speed_limit[net.lane_points(int(q))]
                                 for q in lanes]) if len(lanes) else np.zeros(0)
        limits = limits[np.isfinite(limits) & (limits > 0)]
        self.mean_limit = float(limits.mean()) if len(limits) else math.nan
        self.timeout_s = (TIMEOUT_BASE_S + self.route_len / (TIMEOUT_SPEED_SHARE
                                                             * self.mean_limit)
                          if len(limits) else math.inf)
        self.parked = np.zeros(state.n_actors, bool)
        self.parked[list(ctx.parked_rows)] = True
        self.t0 = state.time_us / 1e6
        self.progress = 0.0
        self.progress, self.deviation = self._project(state, whole=True)
        self.max_deviation = self.deviation
        self.driven = self.outside = 0.0
        self.fired: set[str] = set()
        self.blocked_since: float | None = None
        self.q = 0  # quarter the ego is in
        self.q_ego = np.zeros(4)
        self.q_traffic = np.zeros(4)
        self.max_outside = 0.0
        self.junction_hulls = _junction_hulls(net)
        self.neg: deque[float] = deque(maxlen=max(1, round(COUNTERFLOW_WINDOW_S / self.dt)))
        self.max_counterflow = 0.0
        self.overspeed = 0.0
        self.duration = 0.0
        self.lateral = 0.0
        self.events: list[MetricEvent] = []
        self.speed_s: list[float] = []
        self.limit_s: list[float] = []
        self.completion_s: list[float] = []
        # start cannot return events: what the initial state shows goes out with step 1
        self.pending = self._observe(None, state)

    # -- geometry --------------------------------------------------------------------------
    def _project(self, st: WorldState, whole: bool = False) -> tuple[float, float]:
        """(monotone progress [m], distance from the route [m]) of the ego centre."""
        r = self.r
        p = np.array([st.x[r], st.y[r]])
        if whole:
            lo, hi = 0, len(self.len)
        else:
            ahead = max(WINDOW_AHEAD_M, 3.0 * abs(float(st.speed[r])) * self.dt + 10.0)
            lo = max(0, int(np.searchsorted(self.cum, self.progress - WINDOW_BACK_M)) - 1)
            hi = max(lo + 1, min(len(self.len),
                                 int(np.searchsorted(self.cum, self.progress + ahead)) + 1))
        a, d, ln = self.a[lo:hi], self.d[lo:hi], self.len[lo:hi]
        t = np.clip(((p - a) * d).sum(axis=1) / np.maximum(ln * ln, 1e-12), 0.0, 1.0)
        dist = np.hypot(*(a + t[:, None] * d - p).T)
        i = int(np.argmin(dist))
        along = float(self.cum[lo + i] + t[i] * ln[i])
        return max(self.progress, along), float(dist[i])

    def _limit_heading(self, st: WorldState) -> tuple[float, float, float]:
        """(speed limit [m/s], lane heading [rad], lane width [m]) at the ego; NaNs off-lane."""
        r, lane = self.r, int(st.lane[self.r])
        if lane < 0:
            return math.nan, math.nan, math.nan
        k = lane_point(self.net.lanes.pt_ptr, self.net.points.s, lane, float(st.s[r]))
        p = self.net.points
        return float(p.speed_limit[k]), float(p.heading[k]), float(p.width[k])

    def _outside_m(self, st: WorldState) -> float:
        """Largest distance [m] an ego box corner lies outside every driving lane."""
        r = self.r
        cx, cy = corners(st.x[r], st.y[r], st.yaw[r], st.length[r], st.width[r])
        loc = locate(self.net, cx, cy, max_dist=OFF_MAP_M)
        worst = 0.0
        p = self.net.points
        for i, (lane, s, d) in enumerate(zip(loc.lane.tolist(), loc.s.tolist(),
                                             loc.d.tolist())):
            if lane < 0:
                excess = OFF_MAP_M
            else:
                k = lane_point(self.net.lanes.pt_ptr, p.s, lane, s)
                excess = abs(d) - 0.5 * float(p.width[k])
            if excess > 0 and any(inside_convex(h, cx[i:i + 1], cy[i:i + 1])[0]
                                  for h in self.junction_hulls):
                excess = 0.0
            if excess > 0:
                excess = min(excess, self._near_own_lanes(st, cx[i], cy[i]))
            worst = max(worst, excess)
        return worst

    def _near_own_lanes(self, st: WorldState, x: float, y: float) -> float:
        """Excess [m] of a point beyond the ego's own lane, its neighbours and the lanes
        before and after it: the nearest centreline can belong to a lane tapering to zero
        width (a turn pocket opening), which says nothing about the lane the point is in."""
        lane = int(st.lane[self.r])
        if lane < 0:
            return OFF_MAP_M
        ln = self.net.lanes
        cand = {lane, int(ln.left[lane]), int(ln.right[lane])}
        cand |= {int(v) for v in ln.successors(lane)} | {int(v) for v in ln.predecessors(lane)}
        p = self.net.points
        best = OFF_MAP_M
        for c in sorted(q for q in cand if q >= 0):  # each on its own: the nearest
            ok = np.zeros(ln.n, bool)                  # centreline may be a zero-width one
            ok[c] = True
            loc = locate(self.net, x, y, max_dist=OFF_MAP_M, lane_ok=ok)
            if loc.lane[0] >= 0:
                k = lane_point(ln.pt_ptr, p.s, c, float(loc.s[0]))
                best = min(best, max(0.0, abs(float(loc.d[0])) - 0.5 * float(p.width[k])))
        return best

    # -- per step --------------------------------------------------------------------------
    def update(self, step: StepInput) -> list[MetricEvent]:
        out, self.pending = self.pending + self._observe(step.prev, step.state), []
        return out

    def _observe(self, prev: WorldState | None, st: WorldState) -> list[MetricEvent]:
        r = self.r
        out: list[MetricEvent] = []
        if not st.valid[r]:
            self.speed_s.append(math.nan)
            self.limit_s.append(math.nan)
            self.completion_s.append(self._completion())
            return out
        t = st.time_us / 1e6
        v = abs(float(st.speed[r]))
        limit, _, _ = self._limit_heading(st)
        if prev is not None and prev.valid[r]:
            self.progress, self.deviation = self._project(st)
            self.max_deviation = max(self.max_deviation, self.deviation)
            dx, dy = float(st.x[r] - prev.x[r]), float(st.y[r] - prev.y[r])
            ds = math.hypot(dx, dy)
            self.driven += ds
            if st.lane[r] < 0 or not self.lane_ok[st.lane[r]]:
                self.outside += ds
            _, head, _ = self._limit_heading(prev)
            along = dx * math.cos(head) + dy * math.sin(head) if math.isfinite(head) else 0.0
            self.neg.append(max(0.0, -along))
            self.max_counterflow = max(self.max_counterflow, sum(self.neg))
            self.duration += self.dt
            if math.isfinite(limit):
                self.overspeed += max(0.0, v - limit) * self.dt
            out += self._min_speed(st, v)
        if st.lane[r] >= 0:
            self.lateral = max(self.lateral, abs(float(st.d[r])))
        _, head, width = self._limit_heading(st)
        # a box well inside its own lane (corners' lateral reach plus a margin for the lane's
        # curvature under the box) has no corner outside: skip the map query then
        rel = float(st.yaw[r]) - head
        reach = 0.5 * (st.length[r] * abs(math.sin(rel)) + st.width[r] * abs(math.cos(rel)))
        if not abs(float(st.d[r])) + reach + INSIDE_MARGIN_M <= 0.5 * width:
            self.max_outside = max(self.max_outside, self._outside_m(st))
        finished = self.total - self.progress < FINISHED_M
        self.blocked_since = (self.blocked_since if self.blocked_since is not None else t) \
            if v < BLOCKED_MPS else None
        if self.deviation > DEVIATION_M:
            out += self._terminal(st, "route_deviation", self.deviation,
                                  f"{self.deviation:.1f} m from the route (> {DEVIATION_M:g} m)")
        if (not finished and self.blocked_since is not None
                and t - self.blocked_since >= BLOCKED_S - 1e-9):
            out += self._terminal(st, "agent_blocked", t - self.blocked_since,
                                  f"below {BLOCKED_MPS:g} m/s for {t - self.blocked_since:.0f} s")
        if not finished and t - self.t0 > self.timeout_s:
            out += self._terminal(st, "route_timeout", t - self.t0,
                                  f"route not finished in {self.timeout_s:.0f} s (300 s + "
                                  f"{self.route_len:.0f} m at 10 % of "
                                  f"{self.mean_limit * 3.6:.0f} km/h)")
        self.speed_s.append(v)
        self.limit_s.append(limit)
        self.completion_s.append(self._completion())
        self.events += out
        return out

    def _terminal(self, st: WorldState, kind: str, value: float, detail: str
                  ) -> list[MetricEvent]:
        if kind in self.fired:
            return []
        self.fired.add(kind)
        r = self.r
        return [MetricEvent(self.name, kind, st.time_us / 1e6, float(st.x[r]), float(st.y[r]),
                            value=value, detail=detail, terminal=True)]

    def _min_speed(self, st: WorldState, v: float) -> list[MetricEvent]:
        r = self.r
        if self.q < 4:
            m = st.valid & ~self.parked & (st.kind != ActorKind.PEDESTRIAN) & (
                np.abs(st.speed) > MOVING_MPS)
            m[r] = False
            m &= np.hypot(st.x - st.x[r], st.y - st.y[r]) <= TRAFFIC_RADIUS_M
            if m.any():
                self.q_ego[self.q] += v
                self.q_traffic[self.q] += float(np.abs(st.speed[m]).mean())
        out: list[MetricEvent] = []
        while self.q < 4 and self.progress >= self.total * (self.q + 1) / 4 - 1e-9:
            out += self._checkpoint(st)
            self.q += 1
        return out

    def _checkpoint(self, st: WorldState) -> list[MetricEvent]:
        q = self.q
        if self.q_traffic[q] <= 0:
            return []
        p = 100.0 * self.q_ego[q] / self.q_traffic[q]
        if p >= 100.0:
            return []
        r = self.r
        return [MetricEvent(self.name, "min_speed", st.time_us / 1e6, float(st.x[r]),
                            float(st.y[r]), value=p,
                            detail=f"quarter {q + 1} of the route at {p:.0f} % of the "
                                   f"surrounding traffic's mean speed")]

    def _completion(self) -> float:
        return min(1.0, self.progress / self.total) if self.total > 0 else 1.0

    def finish(self, state: WorldState) -> MetricReport:
        if self.q < 4:
            self.events += self._checkpoint(state)
        values = {
            "route_completion": self._completion(),
            "route_progress_m": self.progress,
            "outside_route_lanes_fraction": self.outside / self.driven if self.driven > 0
            else 0.0,
            "route_deviation_m": self.max_deviation,
            "route_timeout_s": self.timeout_s,
            "drivable_area_max_outside_m": self.max_outside,
            "max_counterflow_m": self.max_counterflow,
            "ego_progress_ratio": max(self.progress, MIN_PROGRESS_M) / max(self.total,
                                                                           MIN_PROGRESS_M),
            "speed_limit_compliance": max(0.0, 1.0 - self.overspeed / (
                OVERSPEED_MPS * self.duration)) if self.duration > 0 else 1.0,
            "lateral_error_m": self.lateral,
            "distance_driven_m": self.driven,
        }
        units = {"route_completion": "fraction", "route_progress_m": "m",
                 "outside_route_lanes_fraction": "fraction", "route_deviation_m": "m",
                 "route_timeout_s": "s", "drivable_area_max_outside_m": "m",
                 "max_counterflow_m": "m", "ego_progress_ratio": "ratio",
                 "speed_limit_compliance": "fraction", "lateral_error_m": "m",
                 "distance_driven_m": "m"}
        series = {"speed_mps": np.asarray(self.speed_s),
                  "speed_limit_mps": np.asarray(self.limit_s),
                  "route_completion": np.asarray(self.completion_s)}
        events = tuple(sorted(self.events, key=lambda e: e.time_s))
        return MetricReport(self.name, values, units, events, series)


def _junction_hulls(net) -> list[np.ndarray]:
    """Per junction: the convex hull of its connecting lanes' edges (centreline points
    offset by half the lane width both ways), (h, 2) [m]."""
    ln, p = net.lanes, net.points
    out = []
    for jid in np.unique(ln.junction[ln.junction >= 0]).tolist():
        pts = []
        for lane in np.flatnonzero(ln.junction == jid).tolist():
            sl = net.lane_points(lane)
            nx, ny = -np.sin(p.heading[sl]), np.cos(p.heading[sl])
            hw = 0.5 * p.width[sl]
            for sign in (-1.0, 1.0):
                pts.append(np.stack([p.x[sl] + sign * hw * nx, p.y[sl] + sign * hw * ny], 1))
        if pts:
            out.append(convex_hull(np.concatenate(pts)))
    return out
