"""Speed compliance of the ego against the posted and zone limits (``shared/design/
korea.md``: Safe Speed 5030 -- 50 km/h urban, 30 km/h residential; child protection zones
30 km/h, 20 km/h without a sidewalk; section average enforcement, 구간단속).

The limit at the ego is the map's lane-point ``speed_limit`` at its (lane, s) -- the sample
at or before s -- capped at 30 / 20 km/h where the point carries PT_CHILD_ZONE /
PT_NO_SIDEWALK (the map builders already write the lower limit; the cap guards maps that
only carry the zone record). Off the lane graph (lane -1) no limit applies.

Speeding episode: consecutive states with |speed| above the limit (tolerance 0 km/h). Each
state stands for one step (sample and hold), so an episode of k states lasts k * dt. Only
episodes lasting >= 0.5 s count (kav proposal: a single-step spike from a limit change under
the car, or integration noise, is not speeding); each gives one ``speeding`` event, stamped
at its start and position, emitted when it ends (or at the end of the run), value = the
largest excess [km/h] in the episode, detail = limit, zone and duration.

Section average (구간단속): RunContext carries no enforcement sections, so the section is
the whole run: distance driven / run time, against the lowest limit met along the way;
above it -> one ``section_average_speeding`` event at the end (value = excess [km/h]).
"""

from __future__ import annotations

import math

import numpy as np

from sim.metrics.base import Metric, MetricEvent, MetricReport, RunContext, StepInput
from sim.roadnet.network import PT_CHILD_ZONE, PT_NO_SIDEWALK
from sim.state import WorldState

KMH = 1.0 / 3.6
TOLERANCE_KMH = 0.0  # excess above which a state is over the limit
MIN_EPISODE_S = 0.5  # [s] kav proposal, see module docstring
CHILD_ZONE_KMH = 30.0
CHILD_ZONE_NO_SIDEWALK_KMH = 20.0


class SpeedCompliance(Metric):
    """Ego speed against the limit at its position; ``speeding`` and
    ``section_average_speeding`` events."""

    name = "speed_compliance"

    def start(self, ctx: RunContext, state: WorldState) -> None:
        self.ctx = ctx
        net = ctx.network
        self.pt_ptr = net.lanes.pt_ptr
        self.pt_s = net.points.s
        self.limit_kmh = net.points.speed_limit / KMH
        flags = net.points.flags
        zone = (flags & PT_CHILD_ZONE) > 0
        no_walk = zone & ((flags & PT_NO_SIDEWALK) > 0)
        cap = np.where(no_walk, CHILD_ZONE_NO_SIDEWALK_KMH,
                       np.where(zone, CHILD_ZONE_KMH, np.inf))
        self.limit_kmh = np.minimum(self.limit_kmh, cap)
        self.zone = np.where(no_walk, 2, np.where(zone, 1, 0)).astype(np.int8)
        self.dt_s = ctx.dt_us / 1e6
        self.t0_us = state.time_us
        self.events: list[MetricEvent] = []
        self.episode: dict | None = None
        self.over_s = 0.0
        self.max_kmh = 0.0
        self.dist_m = 0.0
        self.min_limit = math.inf
        self.speed_series: list[float] = []
        self.limit_series: list[float] = []
        self._observe(state)

    def _limit_at(self, lane: int, s: float) -> tuple[float, int]:
        """(limit [km/h], zone 0 none / 1 child zone / 2 child zone without sidewalk)."""
        a, b = int(self.pt_ptr[lane]), int(self.pt_ptr[lane + 1])
        k = a + max(int(np.searchsorted(self.pt_s[a:b], s, side="right")) - 1, 0)
        return float(self.limit_kmh[k]), int(self.zone[k])

    def _observe(self, st: WorldState) -> list[MetricEvent]:
        r = self.ctx.ego_row
        v_kmh = abs(float(st.speed[r])) / KMH
        self.max_kmh = max(self.max_kmh, v_kmh)
        lane = int(st.lane[r])
        self.speed_series.append(v_kmh)
        if lane < 0:
            self.limit_series.append(math.nan)
            return self._close(st.time_us)
        limit, zone = self._limit_at(lane, float(st.s[r]))
        self.limit_series.append(limit)
        self.min_limit = min(self.min_limit, limit)
        excess = v_kmh - limit
        if excess <= TOLERANCE_KMH:
            return self._close(st.time_us)
        self.over_s += self.dt_s
        ep = self.episode
        if ep is None:
            self.episode = ep = {"t0": st.time_us, "x": float(st.x[r]), "y": float(st.y[r]),
                                 "max": -1.0, "lane": lane}
        if excess > ep["max"]:
            ep.update(max=excess, limit=limit, zone=zone)
        return []

    def _close(self, end_us: int) -> list[MetricEvent]:
        """End the current episode at ``end_us``; its event if it lasted long enough."""
        ep, self.episode = self.episode, None
        if ep is None:
            return []
        dur = (end_us - ep["t0"]) / 1e6
        if dur < MIN_EPISODE_S - 1e-9:
            return []
        zone = ("", " (child protection zone, 어린이보호구역)",
                " (child protection zone without sidewalk)")[ep["zone"]]
        r, k, i = self.ctx.network.lane_key(ep["lane"])
        detail = (f"{ep['max']:.1f} km/h over the {ep['limit']:.0f} km/h limit{zone} for "
                  f"{dur:.2f} s from road {r} section {k} lane {i}")
        ev = MetricEvent(self.name, "speeding", ep["t0"] / 1e6, ep["x"], ep["y"],
                         value=ep["max"], detail=detail)
        self.events.append(ev)
        return [ev]

    def update(self, step: StepInput) -> list[MetricEvent]:
        r, p, s = self.ctx.ego_row, step.prev, step.state
        if p.valid[r] and s.valid[r]:
            self.dist_m += math.hypot(float(s.x[r] - p.x[r]), float(s.y[r] - p.y[r]))
        return self._observe(s)

    def finish(self, state: WorldState) -> MetricReport:
        self._close(state.time_us + self.ctx.dt_us)
        r = self.ctx.ego_row
        run_s = (state.time_us - self.t0_us) / 1e6
        avg = self.dist_m / run_s / KMH if run_s > 0 else 0.0
        if math.isfinite(self.min_limit) and avg > self.min_limit + TOLERANCE_KMH:
            self.events.append(MetricEvent(
                self.name, "section_average_speeding", state.time_us / 1e6, float(state.x[r]),
                float(state.y[r]), value=avg - self.min_limit,
                detail=f"average {avg:.1f} km/h over {self.dist_m:.0f} m in {run_s:.1f} s "
                       f"above the lowest limit on the way, {self.min_limit:.0f} km/h"))
        speeding = [e for e in self.events if e.kind == "speeding"]
        values = {
            "ego_over_limit_kmh": max((e.value for e in speeding), default=0.0),
            "over_limit_time_s": self.over_s,
            "ego_max_speed_kmh": self.max_kmh,
            "ego_mean_speed_kmh": avg,
            "section_average_kmh": avg,
            "section_limit_kmh": self.min_limit,
            "speeding_events": float(len(speeding)),
        }
        units = {"ego_over_limit_kmh": "km/h", "over_limit_time_s": "s",
                 "ego_max_speed_kmh": "km/h", "ego_mean_speed_kmh": "km/h",
                 "section_average_kmh": "km/h", "section_limit_kmh": "km/h",
                 "speeding_events": "count"}
        series = {"ego_speed_kmh": np.asarray(self.speed_series),
                  "speed_limit_kmh": np.asarray(self.limit_series)}
        events = tuple(sorted(self.events, key=lambda e: e.time_s))
        return MetricReport(self.name, values, units, events, series)
