"""Crosswalk compliance of the ego (``shared/design/korea.md``): stop when a pedestrian is
crossing or about to cross (Road Traffic Act 27(1), from 2022-07-12), and always stop
before an unsignalised crosswalk inside a child protection zone (RTA 27(7), 2022).

Judged when the ego's front bumper enters a crosswalk: passes ``lane_s0`` of the crosswalk
on its lane (``network.crosswalks`` lane CSR; the front is tracked onto the next lane, see
:class:`sim.metrics.rules_signals.LaneFrame`).

- ``crosswalk_yield``: at that step some valid pedestrian is *crossing* (its centre inside
  the crosswalk polygon) or *about to cross*: within ABOUT_M = 2 m of the polygon and
  walking toward it faster than TOWARD_MPS = 0.3 m/s, or standing (|v| <= 0.3 m/s) within
  WAITING_M = 1.5 m of a kerb-side waiting point (``end_x`` / ``end_y``) while the
  crosswalk's pedestrian signal shows walk -- or shows nothing (unsignalised, or dark
  heads), where a waiting pedestrian may step out any time. Thresholds are kav proposals.
  actors = the pedestrians' ids; value = how many.
- ``child_zone_no_stop``: a crosswalk that is not ``signalised`` and whose lane points
  between lane_s0 - 10 m and lane_s1 carry PT_CHILD_ZONE must be preceded by a full stop:
  |v| < 0.1 m/s in some state (any duration: the law says stop, not wait) with the front
  0-10 m before lane_s0 (kav proposal for "before the crosswalk"). A stop counts for one
  entry only.
"""

from __future__ import annotations

import numpy as np

from sim.actors import ActorKind
from sim.metrics.base import Metric, MetricEvent, MetricReport, RunContext, StepInput
from sim.metrics.rules_signals import LaneFrame
from sim.roadnet.network import PT_CHILD_ZONE
from sim.state import WorldState
from sim.traffic.signals import PED_DONT_WALK

ABOUT_M = 2.0  # [m] kav proposal
TOWARD_MPS = 0.3  # [m/s] kav proposal
WAITING_M = 1.5  # [m] kav proposal
CHILD_STOP_SPEED = 0.1  # [m/s]
CHILD_STOP_WINDOW_M = 10.0  # [m] kav proposal
CONTINUED_M = 0.5  # [m] a crosswalk starting this close to a lane's start, ending this
# close to its predecessor's end, is the same crossing continued (not a second entry)


def polygon_distance(px: np.ndarray, py: np.ndarray, poly: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance [m] of points (px, py: (k,)) to polygon ``poly`` (m, 2), 0 inside, and the
    unit direction (ux, uy: (k,)) from each point to the nearest boundary point."""
    a = poly
    b = np.roll(poly, -1, axis=0)
    ab = b - a  # (m, 2)
    dx = px[:, None] - a[None, :, 0]
    dy = py[:, None] - a[None, :, 1]
    den = np.maximum(ab[:, 0] ** 2 + ab[:, 1] ** 2, 1e-12)
    t = np.clip((dx * ab[:, 0] + dy * ab[:, 1]) / den, 0.0, 1.0)
    cx = a[None, :, 0] + t * ab[:, 0]
    cy = a[None, :, 1] + t * ab[:, 1]
    d = np.hypot(px[:, None] - cx, py[:, None] - cy)
    j = np.argmin(d, axis=1)
    rows = np.arange(len(px))
    dist = d[rows, j]
    ux = (cx[rows, j] - px) / np.maximum(dist, 1e-9)
    uy = (cy[rows, j] - py) / np.maximum(dist, 1e-9)
    # even-odd rule: edges straddling the point's y, crossing to its right
    ay, by = a[None, :, 1], b[None, :, 1]
    straddle = (ay > py[:, None]) != (by > py[:, None])
    xc = a[None, :, 0] + (py[:, None] - ay) * ab[:, 0] / np.where(ab[:, 1] == 0, 1e-12,
                                                                   ab[:, 1])
    inside = np.sum(straddle & (px[:, None] < xc), axis=1) % 2 == 1
    return np.where(inside, 0.0, dist), ux, uy


class CrosswalkCompliance(Metric):
    """``crosswalk_yield`` and ``child_zone_no_stop`` events of the ego."""

    name = "crosswalk_compliance"

    def start(self, ctx: RunContext, state: WorldState) -> None:
        self.ctx, net = ctx, ctx.network
        self.frame = LaneFrame(net, ctx.route_lanes)
        cw, ln, p = net.crosswalks, net.lanes, net.points
        self.cw = cw
        self.polys = [cw.polygon(c) for c in range(cw.n)]
        # per lane: [(crosswalk, s0, s1, child-zone stop required)]
        self.on_lane: list[list[tuple[int, float, float, bool]]] = [[] for _ in range(ln.n)]
        for lane in range(ln.n):
            sl = net.lane_points(lane)
            for j in range(int(cw.lane_ptr[lane]), int(cw.lane_ptr[lane + 1])):
                c, s0, s1 = int(cw.lane_cw[j]), float(cw.lane_s0[j]), float(cw.lane_s1[j])
                near = (p.s[sl] >= s0 - CHILD_STOP_WINDOW_M) & (p.s[sl] <= s1)
                zone = bool(np.any(p.flags[sl][near] & PT_CHILD_ZONE))
                if s0 <= CONTINUED_M and any(
                        int(k) == c and cw.lane_s1[i] >= ln.length[q] - CONTINUED_M
                        for q in ln.predecessors(lane)
                        for i, k in enumerate(cw.lane_cw[cw.lane_ptr[q]:cw.lane_ptr[q + 1]],
                                              start=int(cw.lane_ptr[q]))):
                    continue  # the same crosswalk carried over from the previous lane
                self.on_lane[lane].append((c, s0, s1, zone and not bool(cw.signalised[c])))
        self.stopped: set[tuple[int, int]] = set()  # (lane, crosswalk) stopped before
        self.events: list[MetricEvent] = []
        self._stops(state)

    def _stops(self, st: WorldState) -> None:
        r = self.ctx.ego_row
        if abs(float(st.speed[r])) >= CHILD_STOP_SPEED:
            return
        for lane, f in self.frame.fronts(int(st.lane[r]), float(st.s[r]),
                                         0.5 * float(st.length[r])):
            for c, s0, _, child in self.on_lane[lane]:
                if child and 0.0 <= s0 - f <= CHILD_STOP_WINDOW_M:
                    self.stopped.add((lane, c))

    def update(self, step: StepInput) -> list[MetricEvent]:
        r, prev, st = self.ctx.ego_row, step.prev, step.state
        out: list[MetricEvent] = []
        for lane, lo, hi in self.frame.front_intervals(
                int(prev.lane[r]), int(st.lane[r]), float(prev.s[r]), float(st.s[r]),
                0.5 * float(prev.length[r])):
            for c, s0, _, child in self.on_lane[lane]:
                if lo < s0 <= hi:
                    out += self._entered(lane, c, child, step)
        self._stops(st)
        self.events += out
        return out

    def _entered(self, lane: int, c: int, child: bool, step: StepInput) -> list[MetricEvent]:
        r, st = self.ctx.ego_row, step.state
        t, x, y = st.time_us / 1e6, float(st.x[r]), float(st.y[r])
        where = f"crosswalk {self.cw.odr_id[c]} on {self.frame.key(lane)}"
        out = []
        peds = self._pedestrians(c, st, step.signals.crosswalks)
        if peds:
            ids = tuple(int(st.actor_id[k]) for k, _ in peds)
            what = ", ".join(f"{int(st.actor_id[k])} {how}" for k, how in peds)
            out.append(MetricEvent(self.name, "crosswalk_yield", t, x, y, actors=ids,
                                   value=float(len(peds)),
                                   detail=f"entered {where} while pedestrians were "
                                          f"crossing or about to cross ({what})"))
        if child:
            if (lane, c) in self.stopped:
                self.stopped.discard((lane, c))
            else:
                out.append(MetricEvent(
                    self.name, "child_zone_no_stop", t, x, y,
                    detail=f"entered unsignalised child-zone {where} without a full stop "
                           f"(< {CHILD_STOP_SPEED} m/s within {CHILD_STOP_WINDOW_M:.0f} m "
                           "before it)"))
        return out

    def _pedestrians(self, c: int, st: WorldState, ped_sig: np.ndarray
                     ) -> list[tuple[int, str]]:
        """(row, "crossing" / "about to cross") of pedestrians the ego had to yield to."""
        rows = np.flatnonzero(st.valid & (st.kind == int(ActorKind.PEDESTRIAN)))
        rows = rows[rows != self.ctx.ego_row]
        if not len(rows):
            return []
        px, py = st.x[rows], st.y[rows]
        dist, ux, uy = polygon_distance(px, py, self.polys[c])
        v = st.speed[rows]
        toward = v * (np.cos(st.yaw[rows]) * ux + np.sin(st.yaw[rows]) * uy)
        cw = self.cw
        wait = np.min(np.hypot(px[:, None] - cw.end_x[c][None, :],
                               py[:, None] - cw.end_y[c][None, :]), axis=1) <= WAITING_M
        sig = int(ped_sig[c]) if c < len(ped_sig) else 0
        walk_allowed = not (cw.signalised[c] and sig == PED_DONT_WALK)
        out = []
        for k, row in enumerate(rows):
            if dist[k] <= 0.0:
                out.append((int(row), "crossing"))
            elif dist[k] <= ABOUT_M and toward[k] > TOWARD_MPS:
                out.append((int(row), "about to cross"))
            elif wait[k] and walk_allowed and abs(v[k]) <= TOWARD_MPS:
                out.append((int(row), "waiting at the kerb on walk"))
        return out

    def finish(self, state: WorldState) -> MetricReport:
        yields = sum(e.kind == "crosswalk_yield" for e in self.events)
        child = sum(e.kind == "child_zone_no_stop" for e in self.events)
        values = {"crosswalk_yield_violations": float(yields),
                  "child_zone_stop_violations": float(child)}
        events = tuple(sorted(self.events, key=lambda e: e.time_s))
        return MetricReport(self.name, values, {k: "count" for k in values}, events)

