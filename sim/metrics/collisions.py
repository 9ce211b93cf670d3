"""Ego collisions: onsets, kind, impact speed and blame (``shared/design/metrics.md``).

Contacts come from the run loop (``StepInput.new_contacts``: row pairs whose boxes began to
overlap this step); contacts with map structures (``network.structures``, the CARLA
"layout") are found here by testing the ego box against them every step. Only contacts
involving the ego become events:

* ``collision_pedestrian``: the other is a PEDESTRIAN (CARLA's walkers);
* ``collision_static``: the other is a parked row (``RunContext.parked_rows``) or a map
  structure (CARLA "layout");
* ``collision_vehicle``: anything else. CARLA counts cyclists and motorcycles as vehicles,
  nuPlan as VRUs; ``detail`` names the other's kind so a reader can regroup.

De-duplication follows ScenarioRunner's CollisionTest: a contact with the same other as the
last counted one, within 5 m (ego position) and 5 s of it, is the same infraction.

``value`` = impact speed [m/s], |v_ego - v_other| as vectors, taken from the state before
the step (the velocities that met; an engine may change them on contact).

Blame (``at_fault``), after nuPlan's ``no_ego_at_fault_collisions`` collision types, in
this order:

1. ego stopped (|speed| < 0.05 m/s, nuPlan's STOPPED_EGO) -> not at fault;
2. static other (parked row, structure) or a stopped other (< 0.05 m/s, STOPPED_TRACK)
   -> at fault;
3. the other's centre lies behind the ego's rear axle and within +-45 deg of the ego's
   reversed heading (ACTIVE_REAR) -> not at fault;
4. the ego's front bumper touches the other (ACTIVE_FRONT) -> at fault;
5. otherwise a lateral hit (ACTIVE_LATERAL): not at fault when the ego's box stayed inside
   its lane before and after the step (so the other moved into it), at fault when the ego
   was off the lane graph or its box crossed its lane's edge (nuPlan: "ego in multiple
   lanes").
"""

from __future__ import annotations

import math

import numpy as np

from sim.actors import ActorKind
from sim.metrics.base import Metric, MetricEvent, MetricReport, RunContext, StepInput
from sim.metrics.geometry import lane_point, overlaps, to_frame
from sim.state import WorldState

DEDUP_M = 5.0  # [m] ScenarioRunner collision de-duplication distance
DEDUP_S = 5.0  # [s] ... and time
STOPPED_MPS = 0.05  # [m/s] nuPlan's stopped threshold
REAR_CONE = math.pi / 4  # [rad] half-angle around the reversed heading that counts as "behind"
BUMPER_M = 0.2  # [m] depth of the front-bumper strip tested for a frontal hit
LANE_TOL_M = 0.1  # [m] slack before the ego's box counts as over its lane edge


class Collisions(Metric):
    """Ego collision onsets: kind, impact speed, at-fault flag."""

    name = "collisions"

    def start(self, ctx: RunContext, state: WorldState) -> None:
        self.ctx = ctx
        self.r = ctx.ego_row
        self.parked = set(int(p) for p in ctx.parked_rows)
        self.st = ctx.network.structures
        # a structure can only touch the ego if the centres are closer than the two
        # half-diagonals: cheap prefilter before the box test
        self.st_radius = 0.5 * np.hypot(self.st.length, self.st.width)
        self.active_structures: set[int] = set()
        self.last: dict[tuple, tuple[float, float, float]] = {}
        self.events: list[MetricEvent] = []
        self._structure_contacts(state)  # contacts present at the start are not onsets

    def _structure_contacts(self, st: WorldState) -> set[int]:
        if self.st.n == 0:
            return set()
        r, s = self.r, self.st
        reach = 0.5 * math.hypot(st.length[r], st.width[r]) + self.st_radius
        near = np.flatnonzero(np.hypot(s.x - st.x[r], s.y - st.y[r]) <= reach)
        if len(near) == 0:
            hit: set[int] = set()
        else:
            ov = overlaps(st.x[r], st.y[r], st.yaw[r], st.length[r], st.width[r], s.x[near],
                          s.y[near], s.yaw[near], s.length[near], s.width[near])
            hit = set(near[ov].tolist())
        new = hit - self.active_structures
        self.active_structures = hit
        return new

    def update(self, step: StepInput) -> list[MetricEvent]:
        r = self.r
        out: list[MetricEvent] = []
        if not step.state.valid[r]:
            return out
        for a, b in step.new_contacts:
            if r in (a, b):
                out += self._contact(step, int(b if a == r else a), None)
        for i in sorted(self._structure_contacts(step.state)):
            out += self._contact(step, None, i)
        self.events += out
        return out

    def _contact(self, step: StepInput, o: int | None, structure: int | None
                 ) -> list[MetricEvent]:
        st, r = step.state, self.r
        t = st.time_us / 1e6
        ex, ey = float(st.x[r]), float(st.y[r])
        key = ("row", o) if o is not None else ("map", structure)
        seen = self.last.get(key)
        if seen is not None and t - seen[0] < DEDUP_S and math.hypot(ex - seen[1],
                                                                      ey - seen[2]) < DEDUP_M:
            return []
        self.last[key] = (t, ex, ey)
        # velocities before the step, where both rows existed then
        pre = step.prev if (step.prev.valid[r] and (o is None or step.prev.valid[o])) else st
        ve = float(pre.speed[r]) * np.array([math.cos(pre.yaw[r]), math.sin(pre.yaw[r])])
        if o is None:
            vo, kind = np.zeros(2), "collision_static"
            s = self.st
            what = f"map structure {s.odr_id[structure]} ({s.type[structure]})"
            actors: tuple[int, ...] = ()
        else:
            vo = float(pre.speed[o]) * np.array([math.cos(pre.yaw[o]), math.sin(pre.yaw[o])])
            kname = ActorKind(int(st.kind[o])).name
            if o in self.parked:
                kind, what = "collision_static", f"parked {kname} (row {o})"
            elif st.kind[o] == ActorKind.PEDESTRIAN:
                kind, what = "collision_pedestrian", f"PEDESTRIAN (row {o})"
            else:
                kind, what = "collision_vehicle", f"{kname} (row {o})"
            actors = (int(st.actor_id[o]),)
        impact = float(np.hypot(*(ve - vo)))
        fault, why = self._blame(step, pre, o, kind == "collision_static")
        ev = MetricEvent(self.name, kind, t, ex, ey, actors=actors, value=impact,
                         detail=f"ego hit {what} at {impact:.2f} m/s: {why}", at_fault=fault)
        return [ev]

    def _blame(self, step: StepInput, pre: WorldState, o: int | None, static: bool
               ) -> tuple[bool, str]:
        st, r = step.state, self.r
        if abs(pre.speed[r]) < STOPPED_MPS:
            return False, "ego stopped"
        if static:
            return True, "moving ego into a static object"
        if abs(pre.speed[o]) < STOPPED_MPS:
            return True, "moving ego into a stopped actor"
        lon, lat = to_frame(st.x[r], st.y[r], st.yaw[r], st.x[o], st.y[o])
        wb = float(st.params.wheelbase[r])
        rear_axle = -0.5 * wb if wb > 0 else -0.25 * float(st.length[r])
        if lon < rear_axle and abs(math.atan2(lat, -lon)) <= REAR_CONE:
            return False, "hit from behind"
        c, s = math.cos(st.yaw[r]), math.sin(st.yaw[r])
        off = 0.5 * float(st.length[r]) - 0.5 * BUMPER_M
        if overlaps(st.x[r] + off * c, st.y[r] + off * s, st.yaw[r], BUMPER_M, st.width[r],
                    st.x[o], st.y[o], st.yaw[o], st.length[o], st.width[o])[()]:
            return True, "frontal hit"
        if self._in_lane(pre) and self._in_lane(st):
            return False, "side hit while the ego kept its lane"
        return True, "side hit while the ego was across its lane edge"

    def _in_lane(self, st: WorldState) -> bool:
        """The ego's box lies laterally inside its lane (within LANE_TOL_M)."""
        r, net = self.r, self.ctx.network
        lane = int(st.lane[r])
        if lane < 0:
            return False
        k = lane_point(net.lanes.pt_ptr, net.points.s, lane, float(st.s[r]))
        rel = float(st.yaw[r] - net.points.heading[k])
        half = 0.5 * (abs(math.sin(rel)) * st.length[r] + abs(math.cos(rel)) * st.width[r])
        return abs(float(st.d[r])) + half <= 0.5 * float(net.points.width[k]) + LANE_TOL_M

    def finish(self, state: WorldState) -> MetricReport:
        ev = self.events
        fault = [e for e in ev if e.at_fault]
        values = {
            "ego_collisions": float(len(ev)),
            "collisions_pedestrian": float(sum(e.kind == "collision_pedestrian" for e in ev)),
            "collisions_vehicle": float(sum(e.kind == "collision_vehicle" for e in ev)),
            "collisions_static": float(sum(e.kind == "collision_static" for e in ev)),
            "at_fault_collisions": float(len(fault)),
            "at_fault_vru_or_vehicle": float(sum(e.kind != "collision_static" for e in fault)),
            "at_fault_static": float(sum(e.kind == "collision_static" for e in fault)),
            "max_impact_speed_mps": max((e.value for e in ev), default=0.0),
        }
        units = dict.fromkeys(values, "count")
        units["max_impact_speed_mps"] = "m/s"
        return MetricReport(self.name, values, units, tuple(ev))
