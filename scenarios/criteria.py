"""Pass criteria: the metric vocabulary scenario files may name, and their evaluation.

A criterion compares one number measured over a run with a threshold. Some numbers are
computed here from the run's :class:`Trace`; most come from the run-loop metrics of
:mod:`sim.metrics` (``Trace.reports``). Names without an evaluator (the take-over / MRM /
remote-assistance timings, which need an HMI model kav's stack does not have yet) are
recognised so scenario files can state them, and are reported as ``not_evaluated``: such a
run cannot be judged, and its verdict is ERROR, never PASS.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sim.actors import ActorKind


@dataclass
class Trace:
    """What a run recorded for evaluation; (T,) over steps, (T, n) over steps and rows.

    t_s [s]; x, y, yaw [m, rad], speed [m/s], accel [m/s^2], valid: (T, n);
    length, width, kind: (n,); ego_row; rows: actor name -> row; speed_limit: (T,) [m/s]
    at the ego; collisions: runner CollisionEvents;
    route_completion [0, 1]; goal_xy [m]; stale_spat_used: planner inputs that carried
    SPaT older than 1 s (0 without V2X).
    """

    t_s: np.ndarray
    x: np.ndarray
    y: np.ndarray
    yaw: np.ndarray
    speed: np.ndarray
    accel: np.ndarray
    valid: np.ndarray
    length: np.ndarray
    width: np.ndarray
    kind: np.ndarray
    ego_row: int
    rows: dict[str, int]
    speed_limit: np.ndarray
    collisions: list
    route_completion: float
    goal_xy: tuple[float, float]
    parked_rows: tuple[int, ...] = ()
    stale_spat_used: int = 0
    reports: dict = field(default_factory=dict)  # sim.metrics reports by metric name
    hazard_s: float | None = None  # [s] when the ego first held a V2X hazard warning (DENM)


def _corners(x, y, yaw, length, width) -> np.ndarray:
    """(T, 4, 2) box corners."""
    c, s = np.cos(yaw), np.sin(yaw)
    hl, hw = length / 2, width / 2
    out = np.empty(x.shape + (4, 2))
    for k, (a, b) in enumerate(((hl, hw), (hl, -hw), (-hl, -hw), (-hl, hw))):
        out[..., k, 0] = x + a * c - b * s
        out[..., k, 1] = y + a * s + b * c
    return out


def _seg_point(p, a, b) -> np.ndarray:
    """Distance from points p (T, 2) to segments a-b (T, 2)."""
    ab = b - a
    t = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab),
                                                               1e-12), 0.0, 1.0)
    return np.linalg.norm(p - (a + t[:, None] * ab), axis=1)


def box_distance(tr: Trace, i: int, j: int) -> np.ndarray:
    """(T,) gap [m] between the boxes of rows i and j (0 when touching); inf where either
    row is not valid."""
    ci = _corners(tr.x[:, i], tr.y[:, i], tr.yaw[:, i], tr.length[i], tr.width[i])
    cj = _corners(tr.x[:, j], tr.y[:, j], tr.yaw[:, j], tr.length[j], tr.width[j])
    d = np.full(len(tr.t_s), np.inf)
    for a, b in ((ci, cj), (cj, ci)):
        for k in range(4):
            for m in range(4):
                d = np.minimum(d, _seg_point(a[:, k], b[:, m], b[:, (m + 1) % 4]))
    # overlapping boxes: the corner distances stay positive, so test containment
    d[_overlap(ci, cj)] = 0.0
    d[~(tr.valid[:, i] & tr.valid[:, j])] = np.inf
    return d


def _overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(T,) separating-axis test of two (T, 4, 2) rectangles."""
    sep = np.zeros(a.shape[0], bool)
    for poly in (a, b):
        for k in range(2):
            e = poly[:, k + 1] - poly[:, k]
            n = np.stack([-e[:, 1], e[:, 0]], axis=1)
            pa = np.einsum("tkj,tj->tk", a, n)
            pb = np.einsum("tkj,tj->tk", b, n)
            sep |= (pa.max(1) < pb.min(1)) | (pb.max(1) < pa.min(1))
    return ~sep


def ttc(tr: Trace, i: int, j: int) -> np.ndarray:
    """(T,) time to collision [s] of row i with row j at constant velocities: the box gap
    divided by the closing speed along the line between centres (inf if not closing)."""
    dx, dy = tr.x[:, j] - tr.x[:, i], tr.y[:, j] - tr.y[:, i]
    dist = np.maximum(np.hypot(dx, dy), 1e-9)
    vix, viy = tr.speed[:, i] * np.cos(tr.yaw[:, i]), tr.speed[:, i] * np.sin(tr.yaw[:, i])
    vjx, vjy = tr.speed[:, j] * np.cos(tr.yaw[:, j]), tr.speed[:, j] * np.sin(tr.yaw[:, j])
    closing = ((vix - vjx) * dx + (viy - vjy) * dy) / dist
    gap = box_distance(tr, i, j)
    out = np.where(closing > 1e-6, gap / np.maximum(closing, 1e-6), np.inf)
    return np.where(np.isfinite(gap), out, np.inf)


def _others(tr: Trace, actor: str | None) -> list[int]:
    if actor is not None:
        return [tr.rows[actor]]
    return [r for r in range(tr.x.shape[1]) if r != tr.ego_row and tr.valid[:, r].any()]


def _min_over(tr: Trace, actor: str | None, fn) -> float:
    vals = [float(np.min(fn(tr, tr.ego_row, j))) for j in _others(tr, actor)]
    return min(vals) if vals else math.inf


def _pedestrian_clearance(tr: Trace, actor: str | None) -> float:
    peds = [j for j in _others(tr, actor) if tr.kind[j] == int(ActorKind.PEDESTRIAN)]
    vals = [float(np.min(box_distance(tr, tr.ego_row, j))) for j in peds]
    return min(vals) if vals else math.inf


def _ego(tr: Trace, name: str) -> np.ndarray:
    return getattr(tr, name)[:, tr.ego_row]


def _stop_error(tr: Trace, actor: str | None) -> float:
    if _ego(tr, "speed")[-1] > 0.1:
        return math.inf  # never came to rest
    return float(math.hypot(_ego(tr, "x")[-1] - tr.goal_xy[0], _ego(tr, "y")[-1] - tr.goal_xy[1]))


def _mean_speed_kmh(tr: Trace, actor: str | None) -> float:
    span = tr.t_s[-1] - tr.t_s[0]
    dist = np.sum(np.hypot(np.diff(_ego(tr, "x")), np.diff(_ego(tr, "y"))))
    return float(dist / span * 3.6) if span > 0 else 0.0


def _decel_onset(tr: Trace, actor: str | None) -> float:
    """[s] from the first V2X hazard warning the ego held to the first step after it where
    the ego brakes (longitudinal accel <= -0.5 m/s^2); inf when it never did (or no warning
    ever arrived, which a scenario that expects one must count as a failure)."""
    if tr.hazard_s is None:
        return math.inf
    acc = _ego(tr, "accel")
    after = np.nonzero((tr.t_s >= tr.hazard_s) & (acc <= -0.5))[0]
    return float(tr.t_s[after[0]] - tr.hazard_s) if len(after) else math.inf


def _reported(metric: str, value: str) -> Evaluator:
    """Evaluator reading ``value`` of the run-loop metric ``metric`` (``value:<row>`` when the
    criterion names an actor)."""

    def read(tr: Trace, actor: str | None) -> float:
        rep = tr.reports.get(metric)
        if rep is None:
            raise KeyError(f"metric {metric!r} did not run")
        key = value if actor is None else f"{value}:{tr.rows[actor]}"
        if key not in rep.values:
            raise KeyError(f"metric {metric!r} has no value {key!r}")
        return float(rep.values[key])

    return read



Evaluator = Callable[[Trace, "str | None"], float]


@dataclass(frozen=True)
class Metric:
    unit: str
    description: str
    evaluate: Evaluator | None = None  # None: named, evaluated by the metrics package later


METRICS: dict[str, Metric] = {
    "ego_collisions": Metric("count", "collisions involving the ego (onsets)",
                             lambda tr, a: float(sum(c.involves_ego and (
                                 a is None or tr.rows[a] in (c.row_a, c.row_b))
                                 for c in tr.collisions))),
    "collisions": Metric("count", "all collisions between any actors (onsets)",
                         lambda tr, a: float(len(tr.collisions))),
    "obstacle_strikes": Metric("count", "ego contacts with parked obstacles (cones, vans)",
                               lambda tr, a: float(sum(c.involves_ego and (
                                   c.row_a in tr.parked_rows or c.row_b in tr.parked_rows)
                                   for c in tr.collisions))),
    "ego_max_speed_kmh": Metric("km/h", "highest ego speed",
                                lambda tr, a: float(np.max(_ego(tr, "speed")) * 3.6)),
    "ego_over_limit_kmh": Metric("km/h", "largest ego excess over the posted/zone limit",
                                 lambda tr, a: float(max(0.0, np.max(
                                     _ego(tr, "speed") - tr.speed_limit)) * 3.6)),
    "ego_mean_speed_kmh": Metric("km/h", "ego distance / time (section average)",
                                 _mean_speed_kmh),
    "ego_max_decel": Metric("m/s^2", "largest ego deceleration",
                            lambda tr, a: float(max(0.0, -np.min(_ego(tr, "accel"))))),
    "ego_max_accel": Metric("m/s^2", "largest ego acceleration",
                            lambda tr, a: float(max(0.0, np.max(_ego(tr, "accel"))))),
    "route_completion": Metric("fraction", "share of the mission route driven",
                               lambda tr, a: float(tr.route_completion)),
    "stop_error_m": Metric("m", "ego distance from its goal once at rest (inf if moving)",
                           _stop_error),
    "min_distance_m": Metric("m", "smallest box gap between the ego and the actor (or any)",
                             lambda tr, a: _min_over(tr, a, box_distance)),
    "min_ttc_s": Metric("s", "smallest time to collision of the ego with the actor (or any)",
                        lambda tr, a: _min_over(tr, a, ttc)),
    "pedestrian_clearance_m": Metric("m", "smallest gap between the ego and a pedestrian",
                                     _pedestrian_clearance),
    "red_light_entries": Metric("count", "ego stop-line crossings on red, or on a yellow it "
                                         "could have stopped for (Korean yellow formula)",
                                _reported("signal_compliance", "red_light_entries")),
    "pet_s": Metric("s", "post-encroachment time at the conflict zone",
                    _reported("surrogate", "pet_s")),
    "min_time_gap_s": Metric("s", "smallest time gap to the lead vehicle (R157)",
                             _reported("r157", "min_time_gap_s")),
    "rtor_without_full_stop": Metric("count", "right turns on red without a full stop",
                                     _reported("signal_compliance", "rtor_without_full_stop")),
    "red_arrow_violations": Metric("count", "right turns against a red arrow",
                                   _reported("signal_compliance", "red_arrow_violations")),
    "crosswalk_yield_violations": Metric("count", "crosswalk entries while a pedestrian "
                                                  "crosses or is about to",
                                         _reported("crosswalk_compliance",
                                                   "crosswalk_yield_violations")),
    "child_zone_stop_violations": Metric("count", "unsignalised child-zone crosswalks passed "
                                                  "without a full stop",
                                         _reported("crosswalk_compliance",
                                                   "child_zone_stop_violations")),
    "uturn_violations": Metric("count", "U-turns outside their plate condition",
                               _reported("signal_compliance", "uturn_violations")),
    "bus_lane_violations": Metric("count", "bus-lane driving inside its hours",
                                  _reported("lane_compliance", "bus_lane_violations")),
    "bus_stop_stops": Metric("count", "stops inside a bus stop or bus lane",
                             _reported("lane_compliance", "bus_stop_stops")),
    "decel_onset_s": Metric("s", "time from a warning (DENM) to the ego starting to brake",
                            _decel_onset),
    "lateral_error_m": Metric("m", "largest lateral deviation from the lane centre",
                              _reported("progress", "lateral_error_m")),
    "solid_line_crossings": Metric("count", "crossings of solid lane lines",
                                   _reported("lane_compliance", "solid_line_crossings")),
    "max_drac_mps2": Metric("m/s^2", "largest deceleration rate needed to avoid a collision",
                            _reported("surrogate", "max_drac_mps2")),
    "at_fault_collisions": Metric("count", "ego collisions the ego is to blame for",
                                  _reported("collisions", "at_fault_collisions")),
    "max_impact_speed_mps": Metric("m/s", "highest relative speed at an ego collision",
                                   _reported("collisions", "max_impact_speed_mps")),
    "avoidable_cut_in_collisions": Metric(
        "count", "collisions after cut-ins UN R157 requires the system to avoid (TTC at lane "
        "intrusion above v_rel / (2 x 6 m/s^2) + 0.25 s)",
        _reported("r157", "avoidable_cut_in_collisions")),
    # named, not evaluated: kav's stack has no take-over / MRM / remote-assistance HMI yet
    "takeover_lead_s": Metric("s", "time from takeover request to the ODD boundary"),
    "mrm_latency_s": Metric("s", "time from unanswered request / ODD exit to MRM start"),
    "odd_exits_autonomous": Metric("count", "boundary crossings in autonomous mode"),
    "remote_assist_request_s": Metric("s", "time from a full block to the assistance request"),
    "stale_spat_used": Metric("count", "signal messages older than 1 s acted upon",
                              lambda tr, a: float(tr.stale_spat_used)),
}


def evaluate(criteria, tr: Trace) -> list[dict]:
    """ScenarioRunner-shaped criterion records: name, actor, expected, actual, status
    (``pass`` / ``fail`` / ``not_evaluated``)."""
    out = []
    for c in criteria:
        m = METRICS[c.metric]
        rec = {"name": c.name, "metric": c.metric, "actor": c.actor,
               "expected": f"{c.op} {c.threshold:g} {c.unit or m.unit}".strip(),
               "actual": None, "status": "not_evaluated"}
        if m.evaluate is None:
            rec["reason"] = f"kav has no evaluator for {c.metric!r} yet"
        else:
            try:
                value = float(m.evaluate(tr, c.actor))
            except KeyError as exc:  # the metric that measures it did not run
                rec["reason"] = str(exc.args[0])
                value = None
            if value is not None:
                rec["actual"] = value
                rec["status"] = "pass" if _holds(value, c.op, c.threshold) else "fail"
        rec["success"] = rec["status"] == "pass"  # ScenarioRunner's field
        out.append(rec)
    return out


def _holds(value: float, op: str, threshold: float) -> bool:
    return {"<=": value <= threshold, ">=": value >= threshold, "<": value < threshold,
            ">": value > threshold, "==": value == threshold}[op]
