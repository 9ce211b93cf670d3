"""Lane compliance of the ego (``shared/design/korea.md``): bus-only lanes inside their
hours, stopping in a bus stop or bus lane, and crossing solid lane lines.

- ``bus_lane``: the ego (unless ``RunContext.ego_bus_exempt``, a bus) drives on a
  LANE_BUS_ONLY lane while it is restricted (``lanes.bus_hours`` windows in seconds of day,
  a window may wrap midnight; no window = all day, the blue double line) at
  ``RunContext.time_of_day_s``; junction connecting lanes (no markings there) never
  count. One event per entry, emitted when the ego leaves the bus
  lane(s) (or the run ends), stamped with the entry time and position; value = metres
  driven inside the restriction. Exempt (Korean rule: dashed sections allow entry to turn
  right): the ego entered where the lane's marking allows lane changes (PT_LC_LEFT or
  PT_LC_RIGHT on the lane point at its position: dashed), drove at most
  RIGHT_TURN_REACH_M = 50 m in it, and left it into a junction lane turning right.
- ``bus_stop_stop``: the ego (unless a bus) is at rest, |v| < 0.1 m/s, for >= 2 s inside a
  bus-stop area (``network.bus_stops`` where the map has them) or on a bus-only lane inside
  its hours, and is not queued: no vehicle standing (|v| < 0.5 m/s) ahead of it with a gap
  of at most 10 m and a lateral offset under 2 m (kav proposals). One event per standstill.
- ``solid_line_crossing``: the ego's lane changes to the old lane's left (right) neighbour
  where the old lane's point at its position lacks PT_LC_LEFT (PT_LC_RIGHT): the road
  marking there is solid.
"""

from __future__ import annotations

import math

import numpy as np

from sim.actors import is_vehicle
from sim.metrics.base import Metric, MetricEvent, MetricReport, RunContext, StepInput
from sim.roadnet.network import LANE_BUS_ONLY, LANE_JUNCTION, PT_LC_LEFT, PT_LC_RIGHT, Turn
from sim.state import WorldState

RIGHT_TURN_REACH_M = 50.0  # [m] dashed section before a right turn
REST_SPEED = 0.1  # [m/s]
REST_S = 2.0  # [s]
QUEUE_GAP_M = 10.0  # [m]
QUEUE_LATERAL_M = 2.0  # [m]
QUEUE_SPEED = 0.5  # [m/s] a vehicle ahead slower than this is standing


def in_hours(hours: list[tuple[int, int]], tod_s: float) -> bool:
    """Is ``tod_s`` [s of day] inside any (start, end) window [s]? Empty: all day."""
    if not hours:
        return True
    return any((a <= tod_s < b) if a <= b else (tod_s >= a or tod_s < b) for a, b in hours)


class LaneCompliance(Metric):
    """``bus_lane``, ``bus_stop_stop`` and ``solid_line_crossing`` events of the ego."""

    name = "lane_compliance"

    def start(self, ctx: RunContext, state: WorldState) -> None:
        self.ctx, net = ctx, ctx.network
        ln = net.lanes
        # junction connectors carry no lane markings: the restriction is a road-segment rule
        self.bus = (((ln.flags & LANE_BUS_ONLY) > 0)
                    & ((ln.flags & LANE_JUNCTION) == 0)).tolist()
        self.hours = [[(int(a), int(b)) for a, b in
                       ln.bus_hours[ln.bus_hours_ptr[i]:ln.bus_hours_ptr[i + 1]]]
                      for i in range(ln.n)]
        self.left, self.right, self.turn = ln.left.tolist(), ln.right.tolist(), ln.turn.tolist()
        self.pt_ptr, self.pt_s, self.pt_flags = ln.pt_ptr, net.points.s, net.points.flags
        self.stops = getattr(net, "bus_stops", None)
        self.events: list[MetricEvent] = []
        self.episode: dict | None = None
        self.rest_t0: int | None = None
        self.rest_reported = False
        self.bus_m = 0.0
        self._observe(state, 0.0)

    def _flags_at(self, lane: int, s: float) -> int:
        a, b = int(self.pt_ptr[lane]), int(self.pt_ptr[lane + 1])
        k = a + max(int(np.searchsorted(self.pt_s[a:b], s, side="right")) - 1, 0)
        return int(self.pt_flags[k])

    def _restricted(self, lane: int, time_us: int) -> bool:
        return (lane >= 0 and self.bus[lane] and not self.ctx.ego_bus_exempt
                and in_hours(self.hours[lane], self.ctx.time_of_day_s(time_us)))

    def _where(self, lane: int) -> str:
        r, k, i = self.ctx.network.lane_key(lane)
        return f"road {r} section {k} lane {i}"

    def update(self, step: StepInput) -> list[MetricEvent]:
        r, p, st = self.ctx.ego_row, step.prev, step.state
        out: list[MetricEvent] = []
        a, b = int(p.lane[r]), int(st.lane[r])
        if a >= 0 and b >= 0 and b != a and b in (self.left[a], self.right[a]):
            side, bit = ("left", PT_LC_LEFT) if b == self.left[a] else ("right", PT_LC_RIGHT)
            if not self._flags_at(a, float(p.s[r])) & bit:
                out.append(MetricEvent(
                    self.name, "solid_line_crossing", st.time_us / 1e6, float(st.x[r]),
                    float(st.y[r]), detail=f"changed {side} from {self._where(a)} to "
                                           f"{self._where(b)} across a solid line at "
                                           f"s = {float(p.s[r]):.1f} m"))
        dist = math.hypot(float(st.x[r] - p.x[r]), float(st.y[r] - p.y[r]))
        out += self._observe(st, dist)
        self.events += out
        return out

    def _observe(self, st: WorldState, dist: float) -> list[MetricEvent]:
        r = self.ctx.ego_row
        lane = int(st.lane[r])
        out: list[MetricEvent] = []
        restricted = self._restricted(lane, st.time_us)
        if restricted:
            ep = self.episode
            if ep is None:
                dashed = bool(self._flags_at(lane, float(st.s[r])) & (PT_LC_LEFT | PT_LC_RIGHT))
                self.episode = ep = {"t": st.time_us / 1e6, "x": float(st.x[r]),
                                     "y": float(st.y[r]), "lane": lane, "dashed": dashed,
                                     "m": 0.0}
            else:
                ep["m"] += dist
        elif self.episode is not None:
            out += self._close(lane)
        out += self._rest(st, lane, restricted)
        return out

    def _close(self, exit_lane: int) -> list[MetricEvent]:
        ep, self.episode = self.episode, None
        if (ep["dashed"] and ep["m"] <= RIGHT_TURN_REACH_M and exit_lane >= 0
                and self.turn[exit_lane] == Turn.RIGHT):
            return []  # dashed section, then a right turn: allowed
        self.bus_m += ep["m"]
        return [MetricEvent(self.name, "bus_lane", ep["t"], ep["x"], ep["y"], value=ep["m"],
                            detail=f"drove {ep['m']:.1f} m in bus-only {self._where(ep['lane'])}"
                                   " inside its hours")]

    def _in_bus_stop(self, st: WorldState, lane: int) -> bool:
        bs = self.stops
        if bs is None or lane < 0 or not getattr(bs, "n", 0):
            return False
        s = float(st.s[self.ctx.ego_row])
        hit = (bs.lane == lane) & (bs.s0 <= s) & (s <= bs.s1)
        return bool(np.any(hit))

    def _rest(self, st: WorldState, lane: int, restricted: bool) -> list[MetricEvent]:
        r = self.ctx.ego_row
        zone = not self.ctx.ego_bus_exempt and (restricted or self._in_bus_stop(st, lane))
        if not zone or abs(float(st.speed[r])) >= REST_SPEED or self._queued(st):
            self.rest_t0, self.rest_reported = None, False
            return []
        if self.rest_t0 is None:
            self.rest_t0 = st.time_us
        if self.rest_reported or st.time_us - self.rest_t0 < REST_S * 1e6 - 1:
            return []
        self.rest_reported = True
        what = "bus lane inside its hours" if restricted else "bus stop"
        return [MetricEvent(self.name, "bus_stop_stop", self.rest_t0 / 1e6, float(st.x[r]),
                            float(st.y[r]),
                            detail=f"stood >= {REST_S:.0f} s in a {what} on "
                                   f"{self._where(lane)}")]

    def _queued(self, st: WorldState) -> bool:
        """A standing vehicle at most QUEUE_GAP_M ahead of the ego, in its path."""
        r = self.ctx.ego_row
        others = st.valid & is_vehicle(st.kind) & (np.abs(st.speed) < QUEUE_SPEED)
        others[r] = False
        rows = np.flatnonzero(others)
        if not len(rows):
            return False
        c, s = math.cos(float(st.yaw[r])), math.sin(float(st.yaw[r]))
        dx, dy = st.x[rows] - st.x[r], st.y[rows] - st.y[r]
        lon = dx * c + dy * s
        lat = -dx * s + dy * c
        gap = lon - 0.5 * (st.length[r] + st.length[rows])
        return bool(np.any((lon > 0) & (gap <= QUEUE_GAP_M) & (np.abs(lat) < QUEUE_LATERAL_M)))

    def finish(self, state: WorldState) -> MetricReport:
        if self.episode is not None:
            self.events += self._close(-1)
        count = {k: sum(e.kind == k for e in self.events)
                 for k in ("bus_lane", "bus_stop_stop", "solid_line_crossing")}
        values = {"bus_lane_violations": float(count["bus_lane"]), "bus_lane_m": self.bus_m,
                  "bus_stop_stops": float(count["bus_stop_stop"]),
                  "solid_line_crossings": float(count["solid_line_crossing"])}
        units = {"bus_lane_violations": "count", "bus_lane_m": "m", "bus_stop_stops": "count",
                 "solid_line_crossings": "count"}
        events = tuple(sorted(self.events, key=lambda e: e.time_s))
        return MetricReport(self.name, values, units, events)
