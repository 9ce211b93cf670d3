"""From a finished run to its verdict: metric reports -> criteria, scores, PASS/FAIL/ERROR.

The verdict is ERROR when the run itself broke (an exception in the loop) or when a
criterion the scenario states cannot be evaluated by kav (the run cannot be judged, so it is
neither passed nor failed); FAIL when any criterion failed or a terminating event (route
deviation, blocked, timeout) ended the run; PASS otherwise. ERROR is never reported as PASS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from scenarios.criteria import Trace, evaluate
from scenarios.setup import EGO_ROW
from sim.actors import ActorKind
from sim.metrics.base import MetricEvent, MetricReport, RunContext
from sim.metrics.scores import carla_driving_score, nuplan_score
from sim.roadnet.queries import route_polyline


@dataclass
class Evaluation:
    criteria: list[dict]
    verdict: str
    error: str | None
    scores: dict
    infractions: list[dict]
    metrics: dict
    series: dict = field(default_factory=dict)


def run_context(spec, net, plan, world, ego_kind: ActorKind, duration_s: float) -> RunContext:
    """The fixed facts every metric gets for this run."""
    return RunContext(
        network=net, ego_row=EGO_ROW, dt_us=spec.dt_us, clock_start_s=spec.clock_s,
        duration_s=float(duration_s), route_lanes=np.asarray(world.mission.lanes, np.int32),
        route_xy=route_polyline(net, world.mission),
        route_length_m=float(world.mission.length), goal_xy=tuple(world.goal_xy),
        signal_plan=plan, ego_bus_exempt=ego_kind == ActorKind.BUS,
        parked_rows=tuple(world.parked_rows),
        actor_rows=tuple((name, row) for name, row in world.rows.items()))


def evaluate_run(spec, ctx: RunContext, reports: dict[str, MetricReport],
                 events: list[MetricEvent], hist, loop, world, completion: float, air,
                 error: str | None) -> Evaluation:
    k = loop.k
    dt = spec.dt_us / 1e6
    trace = Trace(np.arange(k + 1) * dt, hist.x, hist.y, hist.yaw, hist.speed, hist.accel,
                  hist.valid, loop.state.length, loop.state.width, loop.state.kind, EGO_ROW,
                  world.rows, loop.limit[:k + 1], loop.events, completion,
                  world.goal_xy, world.parked_rows,
                  stale_spat_used=air.stats.stale_spat_used if air is not None else 0,
                  reports=reports,
                  hazard_s=(air.stats.first_hazard_us / 1e6
                            if air is not None and air.stats.first_hazard_us is not None
                            else None))
    # every report lists all its events, including those only known at the end (the
    # min-speed check of the quarter the ego was still in)
    events = sorted(set(events) | {e for r in reports.values() for e in r.events},
                    key=lambda e: (e.time_s, e.metric, e.kind))
    records = evaluate(spec.criteria, trace)
    terminal = loop.terminal
    verdict, why = judge(records, error, terminal)
    metrics = {name: dict(r.values) for name, r in sorted(reports.items())}
    infractions = [e.to_json() for e in events]
    series = {f"{name}.{s}": v for name, r in reports.items() for s, v in r.series.items()}
    series["t_s"] = trace.t_s
    series["ego.speed_mps"] = trace.speed[:, EGO_ROW]
    series["ego.speed_limit_mps"] = trace.speed_limit
    return Evaluation(records, verdict, why, scores(reports, events), infractions, metrics,
                      series)


def judge(records: list[dict], error: str | None, terminal: MetricEvent | None
          ) -> tuple[str, str | None]:
    """(verdict, reason for ERROR)."""
    if error is not None:
        return "ERROR", f"the run broke at {error}"
    missing = [r["name"] for r in records if r["status"] == "not_evaluated"]
    if missing:
        return "ERROR", ("kav cannot evaluate " + "; ".join(repr(m) for m in missing)
                         + " (no evaluator for its metric yet), so the run cannot be judged")
    if any(r["status"] == "fail" for r in records) or terminal is not None:
        return "FAIL", None
    return "PASS", None


def scores(reports: dict[str, MetricReport], events: list[MetricEvent]) -> dict:
    """CARLA Leaderboard 2.0 (and the 2.1 variant) and nuPlan CLS for this run."""
    prog = _values(reports, "progress")
    completion = float(prog.get("route_completion", 0.0))
    outside = float(prog.get("outside_route_lanes_fraction", 0.0))
    out = {}
    for variant, key in (("2.0", "carla_lb2"), ("2.1", "carla_lb21")):
        out[key] = carla_driving_score(completion, events, outside, variant=variant).to_json()
    coll = _values(reports, "collisions")
    fault = []
    fault += ["static"] * int(coll.get("at_fault_static", 0))
    fault += ["vehicle"] * int(coll.get("at_fault_vru_or_vehicle", 0))
    sur = _values(reports, "surrogate")
    comfort = _values(reports, "comfort")
    out["nuplan"] = nuplan_score(
        at_fault_collision_kinds=fault,
        drivable_area_max_outside_m=_finite(prog.get("drivable_area_max_outside_m", 0.0)),
        max_counterflow_m=_finite(prog.get("max_counterflow_m", 0.0)),
        ego_progress_ratio=_finite(prog.get("ego_progress_ratio", completion)),
        ttc_within_bound=bool(sur.get("ttc_within_bound", 1.0) >= 0.5),
        speed_limit_compliance=_finite(prog.get("speed_limit_compliance", 1.0)),
        comfortable=bool(comfort.get("comfort_ok", 1.0) >= 0.5)).to_json()
    return out


def _values(reports: dict[str, MetricReport], name: str) -> dict[str, float]:
    r = reports.get(name)
    return dict(r.values) if r is not None else {}


def _finite(v: float) -> float:
    return float(v) if math.isfinite(float(v)) else 0.0
