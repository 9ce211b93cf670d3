"""UN R157 (ALKS) time gap and cut-in judgement for the ego (``shared/design/metrics.md``,
"UN R157 / EU 2022/1426").

Frame: the lane frame at the ego, x along the heading of the ego's lane at its position
(the ego's heading when it is off the lane graph), y to the left measured from the lane
centre (ego's lateral offset ``d`` added). An other's extents in that frame come from its
box turned by its relative heading.

Lead vehicle: the nearest non-pedestrian whose rear lies ahead of the ego's front bumper
(bumper gap > 0) and that is in the ego's lane (same lane index) or has its centre within
+-1.5 m of the lane centre. Time gap = bumper gap / ego speed, counted only while the ego
drives faster than 7.2 km/h and not within 2 s of a new lead appearing (R157 lets the
system recover after a cut-in). Required gap: 1.0 s at 7.2 km/h rising linearly to 1.6 s
at 60 km/h (R157's table of 1.0, 1.1, ..., 1.6 s steps is close to this line; the brief
fixes the straight line), and 2.0 s above 60 km/h (a kav proposal, not R157 text).
``time_gap_violation_s`` = time counted with a gap below the requirement (each state after
a step stands for that step; the initial state counts for ``min_time_gap_s`` only).

Cut-in: a non-pedestrian that was ahead (bumper gap > 0) and outside the ego's lane at the
previous state, now has its near side inside the lane (|y| - half its lateral extent <
half the lane width), and moves laterally towards the lane centre faster than 0.2 m/s (so
an ego lane change does not count as the others cutting in). TTC at intrusion = bumper gap
/ closing speed (v_rel = v_ego - v_other cos(relative heading)); R157: the collision must be
avoided when TTC > v_rel/(2*6) + 0.25 s, with standing passengers v_rel/(2*2.4) + 0.16 s.
One ``cut_in`` event each (value = TTC [s], NaN when not closing), detail "avoidable" or
"unavoidable". ``avoidable_cut_in_collisions`` counts avoidable cut-ins later followed by
an ego contact with that actor.
"""

from __future__ import annotations

import math

import numpy as np

from sim.actors import ActorKind
from sim.metrics.base import Metric, MetricEvent, MetricReport, RunContext, StepInput
from sim.metrics.geometry import lane_point, to_frame
from sim.state import WorldState

KMH = 1.0 / 3.6
V_MIN = 7.2 * KMH  # [m/s] below this no time gap is required
V_60 = 60.0 * KMH  # [m/s]
LEAD_LAT_M = 1.5  # [m] centre offset from the lane centre that still makes a lead
GRACE_S = 2.0  # [s] after a new lead appears
CUT_IN_LAT_MPS = 0.2  # [m/s] lateral speed towards the lane centre that makes a cut-in
DEFAULT_LANE_M = 3.5  # [m] lane width off the lane graph


def required_time_gap(v_mps: float) -> float:
    """Minimum time gap [s] at ego speed v [m/s]: 1.0 s at 7.2 km/h, linear to 1.6 s at
    60 km/h, 2.0 s above (kav proposal); 1.0 s below 7.2 km/h (not enforced there)."""
    if v_mps > V_60 + 1e-9:
        return 2.0
    return 1.0 + 0.6 * max(0.0, v_mps - V_MIN) / (V_60 - V_MIN)


def cut_in_threshold(v_rel: float, standing: bool) -> float:
    """R157 TTC [s] above which a cut-in collision must be avoided (v_rel [m/s] >= 0)."""
    return v_rel / (2 * 2.4) + 0.16 if standing else v_rel / (2 * 6.0) + 0.25


class R157(Metric):
    """Time gap to the lead vehicle and cut-in avoidability (UN R157)."""

    name = "r157"

    def start(self, ctx: RunContext, state: WorldState) -> None:
        self.ctx = ctx
        self.r = ctx.ego_row
        self.dt = ctx.dt_us / 1e6
        n = state.n_actors
        self.lead = -1
        self.grace_until = -math.inf
        self.min_gap = math.inf
        self.violation_s = 0.0
        self.cut_ins = 0
        self.avoidable: set[int] = set()
        self.avoidable_hits = 0
        self.events: list[MetricEvent] = []
        self.gap_series: list[float] = []
        self.req_series: list[float] = []
        self.prev_ahead = np.zeros(n, bool)
        self.prev_in = np.zeros(n, bool)
        self._observe(state, first=True)

    def _frame(self, st: WorldState) -> tuple[float, float, float]:
        """(heading [rad], ego lateral offset from the lane centre [m], lane width [m])."""
        r, net = self.r, self.ctx.network
        lane = int(st.lane[r])
        if lane < 0:
            return float(st.yaw[r]), 0.0, DEFAULT_LANE_M
        k = lane_point(net.lanes.pt_ptr, net.points.s, lane, float(st.s[r]))
        return float(net.points.heading[k]), float(st.d[r]), float(net.points.width[k])

    def _observe(self, st: WorldState, first: bool = False) -> list[MetricEvent]:
        r = self.r
        n = st.n_actors
        mask = st.valid & (st.kind != ActorKind.PEDESTRIAN)
        mask[r] = False
        o = np.flatnonzero(mask)
        ahead, inside = np.zeros(n, bool), np.zeros(n, bool)
        if not st.valid[r]:
            self.gap_series.append(math.nan)
            self.req_series.append(math.nan)
            self.prev_ahead, self.prev_in = ahead, inside
            return []
        head, d0, lane_w = self._frame(st)
        v = float(st.speed[r])
        lon, lat = to_frame(float(st.x[r]), float(st.y[r]), head, st.x[o], st.y[o])
        lat = lat + d0
        rel = st.yaw[o] - head
        half_lon = 0.5 * (st.length[o] * np.abs(np.cos(rel)) + st.width[o] * np.abs(np.sin(rel)))
        half_lat = 0.5 * (st.length[o] * np.abs(np.sin(rel)) + st.width[o] * np.abs(np.cos(rel)))
        erel = float(st.yaw[r]) - head
        ego_half = 0.5 * (st.length[r] * abs(math.cos(erel)) + st.width[r] * abs(math.sin(erel)))
        gap = lon - ego_half - half_lon
        ahead[o] = gap > 0
        inside[o] = ahead[o] & (np.abs(lat) - half_lat < 0.5 * lane_w)
        v_rel = v - st.speed[o] * np.cos(rel)
        out: list[MetricEvent] = []
        if not first:
            lat_v = st.speed[o] * np.sin(rel)  # leftward speed in the lane frame
            toward = -np.sign(lat) * lat_v > CUT_IN_LAT_MPS
            new = inside[o] & ~self.prev_in[o] & self.prev_ahead[o] & toward
            for i in np.flatnonzero(new).tolist():
                out.append(self._cut_in(st, int(o[i]), float(gap[i]), float(v_rel[i])))
        # lead vehicle and time gap
        lead_ok = ahead[o] & ((st.lane[o] == st.lane[r]) & (st.lane[r] >= 0)
                              | (np.abs(lat) <= LEAD_LAT_M))
        t = st.time_us / 1e6
        tg, req = math.nan, math.nan
        if lead_ok.any():
            i = int(np.flatnonzero(lead_ok)[np.argmin(gap[lead_ok])])
            lead = int(o[i])
            if lead != self.lead and not first:
                self.grace_until = t + GRACE_S
            self.lead = lead
            if v > V_MIN:
                tg, req = float(gap[i]) / v, required_time_gap(v)
                if t >= self.grace_until - 1e-9:
                    self.min_gap = min(self.min_gap, tg)
                    if tg < req and not first:
                        self.violation_s += self.dt
        else:
            self.lead = -1
        self.gap_series.append(tg)
        self.req_series.append(req)
        self.prev_ahead, self.prev_in = ahead, inside
        self.events += out
        return out

    def _cut_in(self, st: WorldState, j: int, gap: float, v_rel: float) -> MetricEvent:
        ttc = gap / v_rel if v_rel > 1e-6 else math.inf
        thr = cut_in_threshold(max(v_rel, 0.0), self.ctx.standing_passengers)
        avoidable = ttc > thr
        if avoidable:
            self.avoidable.add(j)
        else:
            self.avoidable.discard(j)
        self.cut_ins += 1
        r = self.r
        shown = f"{ttc:.2f} s" if math.isfinite(ttc) else "inf (not closing)"
        word = "avoidable" if avoidable else "unavoidable"
        return MetricEvent(
            self.name, "cut_in", st.time_us / 1e6, float(st.x[r]), float(st.y[r]),
            actors=(int(st.actor_id[j]),), value=ttc if math.isfinite(ttc) else math.nan,
            detail=f"{word}: row {j} cut in {gap:.1f} m ahead, TTC {shown} vs R157 "
                   f"threshold {thr:.2f} s at v_rel {v_rel:.2f} m/s")

    def update(self, step: StepInput) -> list[MetricEvent]:
        r = self.r
        for a, b in step.new_contacts:
            if r in (a, b):
                o = int(b if a == r else a)
                if o in self.avoidable:
                    self.avoidable.discard(o)
                    self.avoidable_hits += 1
        return self._observe(step.state)

    def finish(self, state: WorldState) -> MetricReport:
        values = {"min_time_gap_s": self.min_gap, "time_gap_violation_s": self.violation_s,
                  "cut_ins": float(self.cut_ins),
                  "avoidable_cut_in_collisions": float(self.avoidable_hits)}
        units = {"min_time_gap_s": "s", "time_gap_violation_s": "s", "cut_ins": "count",
                 "avoidable_cut_in_collisions": "count"}
        series = {"time_gap_s": np.asarray(self.gap_series),
                  "required_time_gap_s": np.asarray(self.req_series)}
        return MetricReport(self.name, values, units, tuple(self.events), series)
