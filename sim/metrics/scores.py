"""Scores users already know, built from kav's metric events: the CARLA Leaderboard driving
score and the nuPlan closed-loop score (CLS).

Definitions follow ``shared/design/metrics.md`` and the reference code it names:

* CARLA Leaderboard 2.0 (carla-simulator/leaderboard, ``leaderboard`` 2.0 branch,
  ``leaderboard/utils/statistics_manager.py``: ``PENALTY_VALUE_DICT``, ``PENALTY_PERC_DICT``,
  ``compute_route_statistics``, ``compute_global_statistics``), with the Leaderboard 2.1
  penalty ``1 / (1 + sum of weights)`` offered as the named variant ``"2.1"``.
* nuPlan closed-loop score (motional/nuplan-devkit,
  ``nuplan/planning/metrics/aggregator/weighted_average_metric_aggregator.py`` and the
  closed-loop metric config; per-metric thresholds from
  ``nuplan/planning/metrics/evaluation_metrics/common/*.py``).

Everything here is a pure function of numbers and :class:`~sim.metrics.base.MetricEvent`
objects; results are frozen dataclasses with ``to_json()``. The per-run metrics measure;
this module only scores.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from sim.metrics.base import MetricEvent

# ----------------------------------------------------------------------------------------
# CARLA Leaderboard
# ----------------------------------------------------------------------------------------

#: Leaderboard 2.0 ``PENALTY_VALUE_DICT``: the infraction penalty (starting at 1.0) is
#: multiplied by the coefficient once per event of the kind. Keys are MetricEvent.kind.
CARLA_PENALTY_COEFFICIENTS: dict[str, float] = {
    "collision_pedestrian": 0.50,
    "collision_vehicle": 0.60,
    "collision_static": 0.65,
    "red_light": 0.70,
    "stop_sign": 0.80,
    "scenario_timeout": 0.70,
    "yield_emergency_vehicle": 0.70,
}

#: Leaderboard 2.0 ``PENALTY_PERC_DICT`` value for MIN_SPEED_INFRACTION (type "decreases"):
#: per checkpoint with p < 100 %, penalty *= 1 - (1 - 0.7) * (1 - p / 100).
CARLA_MIN_SPEED_COEFFICIENT: float = 0.70

#: Leaderboard 2.1 weights: penalty = 1 / (1 + sum of w over events).
CARLA_2_1_WEIGHTS: dict[str, float] = {
    "collision_pedestrian": 1.0,
    "collision_vehicle": 0.7,
    "collision_static": 0.6,
    "red_light": 0.4,
    "stop_sign": 0.25,
    "scenario_timeout": 0.4,
    "yield_emergency_vehicle": 0.4,
}

#: Leaderboard 2.1 min-speed weight: w = 0.4 * (1 - p / 100) per checkpoint with p < 100 %.
CARLA_2_1_MIN_SPEED_WEIGHT: float = 0.4

#: MetricEvent.kind of a min-speed checkpoint; ``event.value`` is p [%], the ego's mean speed
#: as a percentage of the surrounding traffic's mean speed over the checkpoint.
MIN_SPEED_KIND: str = "min_speed"

#: Terminating kinds -> the leaderboard's failure message ("Failed - <message>"). They carry
#: no coefficient: the route ends and its completion is what was driven.
CARLA_TERMINAL_REASONS: dict[str, str] = {
    "route_deviation": "Agent deviated from the route",
    "agent_blocked": "Agent got blocked",
    "route_timeout": "Agent timed out",
}

#: kav kind -> the leaderboard 2.0 route-record infraction key (``PENALTY_NAME_DICT`` and
#: "Route timeouts"), so a kav result can be laid next to a leaderboard results JSON.
CARLA_INFRACTION_NAMES: dict[str, str] = {
    "collision_static": "collisions_layout",
    "collision_pedestrian": "collisions_pedestrian",
    "collision_vehicle": "collisions_vehicle",
    "red_light": "red_light",
    "stop_sign": "stop_infraction",
    "min_speed": "min_speed_infractions",
    "yield_emergency_vehicle": "yield_emergency_vehicle_infractions",
    "scenario_timeout": "scenario_timeouts",
    "route_deviation": "route_dev",
    "agent_blocked": "vehicle_blocked",
    "route_timeout": "Route timeouts",
}

#: A route counts as finished ("Completed") at this completion fraction or more [0, 1].
ROUTE_COMPLETED_MIN: float = 0.999

CarlaVariant = Literal["2.0", "2.1"]


@dataclass(frozen=True)
class CarlaScore:
    """One route's CARLA Leaderboard score.

    variant: "2.0" (multiplicative penalty) or "2.1" (``1 / (1 + sum w)``).
    driving_score [0, 100]: ``route_completion * infraction_penalty``.
    route_completion [0, 100] %: completion after the outside-route-lanes reduction,
    ``raw_route_completion * (1 - outside_route_lanes / 100)``.
    raw_route_completion [0, 100] %: the share of the route driven, as measured.
    outside_route_lanes [0, 100] %: share of the route driven outside the route's lanes.
    infraction_penalty (0, 1]: product of coefficients (2.0) or 1 / (1 + sum w) (2.1).
    status: "Completed", "Failed - Agent deviated from the route", "Failed - Agent got
    blocked", "Failed - Agent timed out", or "Failed" (route unfinished, no terminating event).
    counts: MetricEvent.kind -> number of events of that kind, every kind passed in
    (Korean rule events such as ``speeding`` included; they do not change the score).
    Min-speed checkpoints at p >= 100 % are not infractions and are not counted.
    infractions: the events that changed the penalty or ended the route, in time order.
    """

    variant: str
    driving_score: float
    route_completion: float
    raw_route_completion: float
    outside_route_lanes: float
    infraction_penalty: float
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    infractions: tuple[MetricEvent, ...] = ()

    @property
    def completed(self) -> bool:
        """The route was finished."""
        return self.status == "Completed"

    def carla_infraction_counts(self) -> dict[str, int]:
        """Counts keyed by the leaderboard 2.0 route-record infraction names (every name,
        zero where none happened)."""
        out = dict.fromkeys(CARLA_INFRACTION_NAMES.values(), 0)
        for kind, name in CARLA_INFRACTION_NAMES.items():
            out[name] += self.counts.get(kind, 0)
        return out

    def to_json(self) -> dict:
        return {
            "variant": self.variant,
            "status": self.status,
            "driving_score": self.driving_score,
            "route_completion": self.route_completion,
            "raw_route_completion": self.raw_route_completion,
            "outside_route_lanes": self.outside_route_lanes,
            "infraction_penalty": self.infraction_penalty,
            "counts": dict(self.counts),
            "carla_infractions": self.carla_infraction_counts(),
            "infractions": [e.to_json() for e in self.infractions],
        }


def _check_fraction(name: str, value: float) -> float:
    value = float(value)
    if not (0.0 <= value <= 1.0):  # also rejects NaN
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    return value


def _min_speed_percent(event: MetricEvent) -> float:
    p = float(event.value)
    if math.isnan(p) or p < 0.0:
        raise ValueError(f"min_speed event needs value = p >= 0 [%], got {event.value!r}")
    return p


def carla_driving_score(
    route_completion: float,
    events: Sequence[MetricEvent],
    outside_route_lanes_fraction: float = 0.0,
    variant: CarlaVariant = "2.0",
) -> CarlaScore:
    """Score one route as the CARLA Leaderboard does.

    route_completion [0, 1]: share of the route driven (distance along the route / route
    length). events: the run's MetricEvents; their ``kind`` keys the tables above.
    outside_route_lanes_fraction [0, 1]: share of the route driven outside the route lanes.
    variant: "2.0" or "2.1".

    Definition (metrics.md "CARLA Leaderboard 2.0 driving score"; leaderboard 2.0 branch,
    ``statistics_manager.py``):

    * driving score = route completion [%] x infraction penalty.
    * 2.0: penalty starts at 1.0 and is multiplied once per event by
      :data:`CARLA_PENALTY_COEFFICIENTS` (pedestrian 0.50, vehicle 0.60, static 0.65, red
      light 0.70, stop sign 0.80, scenario timeout 0.70, yield to emergency vehicle 0.70);
      each ``min_speed`` checkpoint with p < 100 % multiplies it by
      ``1 - 0.3 * (1 - p / 100)``; p >= 100 % has no effect.
    * 2.1: penalty = ``1 / (1 + sum w)`` with :data:`CARLA_2_1_WEIGHTS` and, per min-speed
      checkpoint with p < 100 %, ``w = 0.4 * (1 - p / 100)``.
    * Outside route lanes: completion x (1 - outside% / 100) (the leaderboard docs: that
      part of the route does not count towards completion). The 2.0 code applies the same
      factor to the penalty instead (``OUTSIDE_ROUTE_LANES_INFRACTION: [0, 'increases']``),
      so the driving score is identical; only the completion / penalty split differs.
    * Terminating kinds (:data:`CARLA_TERMINAL_REASONS`) carry no coefficient; status
      becomes "Failed - <reason>" (the earliest such event) unless the route was finished.
      Status is "Completed" when route_completion >= :data:`ROUTE_COMPLETED_MIN`
      (the leaderboard's ``target_reached``, which takes precedence as in the code), else
      "Failed - <reason>", else plain "Failed". The leaderboard itself labels a finished
      route with no infraction at all "Perfect"; kav reports "Completed" for both.
    * Other kinds (Korean rule events) are counted but carry no coefficient.

    Scores are not rounded (the leaderboard rounds its JSON output).
    """
    if variant not in ("2.0", "2.1"):
        raise ValueError(f"variant must be '2.0' or '2.1', got {variant!r}")
    completion = _check_fraction("route_completion", route_completion)
    outside = _check_fraction("outside_route_lanes_fraction", outside_route_lanes_fraction)

    ordered = sorted(events, key=lambda e: e.time_s)
    counts: dict[str, int] = {}
    infractions: list[MetricEvent] = []
    product = 1.0
    weight_sum = 0.0
    terminal_reason = ""
    for ev in ordered:
        kind = ev.kind
        if kind == MIN_SPEED_KIND:
            p = _min_speed_percent(ev)
            if p >= 100.0:
                continue
            shortfall = 1.0 - p / 100.0
            product *= 1.0 - (1.0 - CARLA_MIN_SPEED_COEFFICIENT) * shortfall
            weight_sum += CARLA_2_1_MIN_SPEED_WEIGHT * shortfall
            infractions.append(ev)
        elif kind in CARLA_PENALTY_COEFFICIENTS:
            product *= CARLA_PENALTY_COEFFICIENTS[kind]
            weight_sum += CARLA_2_1_WEIGHTS[kind]
            infractions.append(ev)
        elif kind in CARLA_TERMINAL_REASONS:
            if not terminal_reason:
                terminal_reason = CARLA_TERMINAL_REASONS[kind]
            infractions.append(ev)
        counts[kind] = counts.get(kind, 0) + 1

    penalty = product if variant == "2.0" else 1.0 / (1.0 + weight_sum)
    raw_pct = 100.0 * completion
    completion_pct = raw_pct * (1.0 - outside)
    if completion >= ROUTE_COMPLETED_MIN:
        status = "Completed"
    elif terminal_reason:
        status = "Failed - " + terminal_reason
    else:
        status = "Failed"
    return CarlaScore(
        variant=variant,
        driving_score=max(completion_pct * penalty, 0.0),
        route_completion=completion_pct,
        raw_route_completion=raw_pct,
        outside_route_lanes=100.0 * outside,
        infraction_penalty=penalty,
        status=status,
        counts=counts,
        infractions=tuple(infractions),
    )


@dataclass(frozen=True)
class CarlaGlobalScore:
    """Mean over routes (leaderboard ``compute_global_statistics``).

    driving_score [0, 100], route_completion [0, 100] %, infraction_penalty [0, 1]: means
    over routes. *_std: sample standard deviations (n - 1), NaN for a single route (the
    leaderboard writes 'NaN'). n_routes. result: "Completed" when every route was, else
    "Failed". failed_routes: (route index, status) of the routes that failed. counts: kind ->
    total events over routes.
    """

    variant: str
    driving_score: float
    route_completion: float
    infraction_penalty: float
    driving_score_std: float
    route_completion_std: float
    infraction_penalty_std: float
    n_routes: int
    result: str
    failed_routes: tuple[tuple[int, str], ...] = ()
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        def num(v: float) -> float | None:
            return None if math.isnan(v) else v

        return {
            "variant": self.variant,
            "result": self.result,
            "n_routes": self.n_routes,
            "scores_mean": {"driving_score": self.driving_score,
                            "route_completion": self.route_completion,
                            "infraction_penalty": self.infraction_penalty},
            "scores_std_dev": {"driving_score": num(self.driving_score_std),
                               "route_completion": num(self.route_completion_std),
                               "infraction_penalty": num(self.infraction_penalty_std)},
            "failed_routes": [[i, s] for i, s in self.failed_routes],
            "counts": dict(self.counts),
        }


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    n = len(values)
    mean = math.fsum(values) / n
    if n == 1:
        return mean, math.nan
    return mean, math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))


def carla_global_score(scores: Sequence[CarlaScore]) -> CarlaGlobalScore:
    """Global leaderboard score: the plain mean over routes of driving score, route
    completion and infraction penalty (metrics.md: "global score = mean over routes";
    ``statistics_manager.compute_global_statistics``). Infractions per km are not computed
    (they need route lengths). Raises ValueError for no routes or mixed variants."""
    if not scores:
        raise ValueError("carla_global_score needs at least one route")
    variants = {s.variant for s in scores}
    if len(variants) != 1:
        raise ValueError(f"cannot mix CARLA variants {sorted(variants)}")
    ds, ds_sd = _mean_std([s.driving_score for s in scores])
    rc, rc_sd = _mean_std([s.route_completion for s in scores])
    ip, ip_sd = _mean_std([s.infraction_penalty for s in scores])
    failed = tuple((i, s.status) for i, s in enumerate(scores) if not s.completed)
    counts: dict[str, int] = {}
    for s in scores:
        for kind, n in s.counts.items():
            counts[kind] = counts.get(kind, 0) + n
    return CarlaGlobalScore(
        variant=scores[0].variant,
        driving_score=ds, route_completion=rc, infraction_penalty=ip,
        driving_score_std=ds_sd, route_completion_std=rc_sd, infraction_penalty_std=ip_sd,
        n_routes=len(scores),
        result="Failed" if failed else "Completed",
        failed_routes=failed,
        counts=counts,
    )


# ----------------------------------------------------------------------------------------
# nuPlan closed-loop score
# ----------------------------------------------------------------------------------------

#: Weighted metrics of the closed-loop score and their weights (closed-loop aggregator config).
NUPLAN_WEIGHTS: dict[str, float] = {
    "ego_progress_along_expert_route": 5.0,
    "time_to_collision_within_bound": 5.0,
    "speed_limit_compliance": 4.0,
    "ego_is_comfortable": 2.0,
}

#: Multiplier metrics (the aggregator's ``multiple_metrics``). driving_direction_compliance is
#: a multiplier in the code although the docs list it with weight 5 (nuplan-devkit#273).
NUPLAN_MULTIPLIERS: tuple[str, ...] = (
    "no_ego_at_fault_collisions",
    "drivable_area_compliance",
    "driving_direction_compliance",
    "ego_is_making_progress",
)

#: ``EgoAtFaultCollisionStatistics`` max violation thresholds per track class: the class
#: score is max(0, 1 - n / (threshold + 1)); the metric is the product over classes.
NUPLAN_COLLISION_MAX_VIOLATIONS: dict[str, int] = {"vru": 0, "vehicle": 0, "static": 1}

#: ``DrivableAreaComplianceStatistics.max_violation_threshold`` [m]: a corner this far or
#: farther outside the drivable area fails the metric.
NUPLAN_DRIVABLE_AREA_MAX_M: float = 0.3

#: ``DrivingDirectionComplianceStatistics`` thresholds [m] of counter-flow progress over a
#: 1 s window: below 2 -> 1.0, below 6 -> 0.5, else 0.0.
NUPLAN_DIRECTION_COMPLIANCE_M: float = 2.0
NUPLAN_DIRECTION_VIOLATION_M: float = 6.0

#: ``EgoIsMakingProgressStatistics.min_progress_threshold``: ego/expert progress ratio.
NUPLAN_MIN_PROGRESS_RATIO: float = 0.2


@dataclass(frozen=True)
class NuplanScore:
    """One scenario's nuPlan closed-loop score; every metric score in [0, 1].

    Multipliers: no_ego_at_fault_collisions {0, 0.5, 1}, drivable_area_compliance {0, 1},
    driving_direction_compliance {0, 0.5, 1}, ego_is_making_progress {0, 1}; multiplier is
    their product. Weighted: ego_progress_along_expert_route [0, 1] (weight 5),
    time_to_collision_within_bound {0, 1} (5), speed_limit_compliance [0, 1] (4),
    ego_is_comfortable {0, 1} (2); weighted_average = sum w s / sum w. score = multiplier x
    weighted_average, in [0, 1].
    """

    no_ego_at_fault_collisions: float
    drivable_area_compliance: float
    driving_direction_compliance: float
    ego_is_making_progress: float
    ego_progress_along_expert_route: float
    time_to_collision_within_bound: float
    speed_limit_compliance: float
    ego_is_comfortable: float
    multiplier: float
    weighted_average: float
    score: float

    def metric_scores(self) -> dict[str, float]:
        """Metric name -> score, multipliers first, then the weighted metrics."""
        return {name: getattr(self, name) for name in (*NUPLAN_MULTIPLIERS, *NUPLAN_WEIGHTS)}

    def to_json(self) -> dict:
        return {
            "multipliers": {n: getattr(self, n) for n in NUPLAN_MULTIPLIERS},
            "weighted": {n: getattr(self, n) for n in NUPLAN_WEIGHTS},
            "weights": dict(NUPLAN_WEIGHTS),
            "multiplier": self.multiplier,
            "weighted_average": self.weighted_average,
            "score": self.score,
        }


_NUPLAN_COLLISION_KINDS = frozenset(NUPLAN_COLLISION_MAX_VIOLATIONS)


def nuplan_score(
    *,
    at_fault_collision_kinds: Sequence[str],
    drivable_area_max_outside_m: float,
    max_counterflow_m: float,
    ego_progress_ratio: float,
    ttc_within_bound: bool,
    speed_limit_compliance: float,
    comfortable: bool,
) -> NuplanScore:
    """Score one scenario as nuPlan's closed-loop aggregator does.

    at_fault_collision_kinds: one entry per at-fault collision, "static", "vehicle" or "vru"
    (pedestrian / cyclist). drivable_area_max_outside_m [m] >= 0: the farthest any ego corner
    got outside the drivable area over the run. max_counterflow_m [m] >= 0: the largest
    progress against the lane direction over any 1 s window. ego_progress_ratio: ego progress
    along the expert route / expert progress (any finite number; clipped to [0, 1]).
    ttc_within_bound: time to collision never fell below its bound. speed_limit_compliance
    [0, 1]: nuPlan's ``max(0, 1 - integral(overspeed) dt / (2.23 m/s x duration))``.
    comfortable: every comfort bound held.

    Definition (metrics.md "nuPlan closed-loop score"; ``weighted_average_metric_aggregator``
    ``_compute_scenario_score``): score = prod(multipliers) x sum(w_i s_i) / sum(w_i); a zero
    multiplier product makes the score 0.

    * no_ego_at_fault_collisions: 1 with none; else the product over classes of
      max(0, 1 - n / (t + 1)) with t = 0 for vehicles and VRUs, 1 for static objects, so one
      static-only collision gives 0.5, two give 0, any vehicle or VRU gives 0.
    * drivable_area_compliance: 0 when drivable_area_max_outside_m >= 0.3 m (the code's
      ``distance >= max_violation_threshold``; metrics.md says "> 0.3 m"), else 1.
    * driving_direction_compliance: 1 when max_counterflow_m < 2 m, 0.5 when < 6 m, else 0
      (the code's strict comparisons: exactly 2 m gives 0.5, exactly 6 m gives 0).
      nuPlan's docs list it as a weighted metric with weight 5, but the code treats it as a
      multiplier (nuplan-devkit#273); kav follows the code.
    * ego_is_making_progress: 1 when the clipped progress ratio >= 0.2, else 0.
    * Weighted: ego_progress_along_expert_route 5 (the ratio clipped to [0, 1]; nuPlan floors
      both progresses at 2 m before dividing, which the caller's ratio should include),
      time_to_collision_within_bound 5 (1 / 0), speed_limit_compliance 4, ego_is_comfortable
      2 (1 / 0).
    """
    counts = dict.fromkeys(NUPLAN_COLLISION_MAX_VIOLATIONS, 0)
    for kind in at_fault_collision_kinds:
        if kind not in _NUPLAN_COLLISION_KINDS:
            raise ValueError(f"at-fault collision kind must be one of "
                             f"{sorted(_NUPLAN_COLLISION_KINDS)}, got {kind!r}")
        counts[kind] += 1
    collisions = 1.0
    if any(counts.values()):
        for kind, n in counts.items():
            collisions *= max(0.0, 1.0 - n / (NUPLAN_COLLISION_MAX_VIOLATIONS[kind] + 1))

    outside = float(drivable_area_max_outside_m)
    if math.isnan(outside) or outside < 0.0:
        raise ValueError(f"drivable_area_max_outside_m must be >= 0, got {outside!r}")
    drivable = 0.0 if outside >= NUPLAN_DRIVABLE_AREA_MAX_M else 1.0

    counterflow = float(max_counterflow_m)
    if math.isnan(counterflow) or counterflow < 0.0:
        raise ValueError(f"max_counterflow_m must be >= 0, got {counterflow!r}")
    if counterflow < NUPLAN_DIRECTION_COMPLIANCE_M:
        direction = 1.0
    elif counterflow < NUPLAN_DIRECTION_VIOLATION_M:
        direction = 0.5
    else:
        direction = 0.0

    ratio = float(ego_progress_ratio)
    if not math.isfinite(ratio):
        raise ValueError(f"ego_progress_ratio must be finite, got {ratio!r}")
    progress = min(1.0, max(0.0, ratio))
    making_progress = 1.0 if progress >= NUPLAN_MIN_PROGRESS_RATIO else 0.0

    speed = _check_fraction("speed_limit_compliance", speed_limit_compliance)
    ttc = 1.0 if ttc_within_bound else 0.0
    comfort = 1.0 if comfortable else 0.0

    multiplier = collisions * drivable * direction * making_progress
    weighted = {
        "ego_progress_along_expert_route": progress,
        "time_to_collision_within_bound": ttc,
        "speed_limit_compliance": speed,
        "ego_is_comfortable": comfort,
    }
    weighted_average = (math.fsum(NUPLAN_WEIGHTS[k] * v for k, v in weighted.items())
                        / math.fsum(NUPLAN_WEIGHTS.values()))
    score = 0.0 if multiplier == 0.0 else multiplier * weighted_average
    return NuplanScore(
        no_ego_at_fault_collisions=collisions,
        drivable_area_compliance=drivable,
        driving_direction_compliance=direction,
        ego_is_making_progress=making_progress,
        ego_progress_along_expert_route=progress,
        time_to_collision_within_bound=ttc,
        speed_limit_compliance=speed,
        ego_is_comfortable=comfort,
        multiplier=multiplier,
        weighted_average=weighted_average,
        score=score,
    )


@dataclass(frozen=True)
class NuplanAggregate:
    """nuPlan's ``final_score`` row: score [0, 1] = mean of scenario scores; metrics: metric
    name -> mean of that metric's score over scenarios; n_scenarios."""

    score: float
    n_scenarios: int
    metrics: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"score": self.score, "n_scenarios": self.n_scenarios,
                "metrics": dict(self.metrics)}


def nuplan_aggregate(scores: Sequence[NuplanScore]) -> NuplanAggregate:
    """Final closed-loop score: the mean of scenario scores (metrics.md "final = mean over
    scenarios"; the aggregator's scenario-type means weighted by scenario counts reduce to
    this plain mean). Raises ValueError for no scenarios."""
    if not scores:
        raise ValueError("nuplan_aggregate needs at least one scenario")
    n = len(scores)
    names = (*NUPLAN_MULTIPLIERS, *NUPLAN_WEIGHTS)
    metrics = {name: math.fsum(getattr(s, name) for s in scores) / n for name in names}
    return NuplanAggregate(score=math.fsum(s.score for s in scores) / n, n_scenarios=n,
                           metrics=metrics)
