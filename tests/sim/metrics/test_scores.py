"""CARLA Leaderboard and nuPlan closed-loop scores against hand-computed cases
(shared/design/metrics.md)."""

from __future__ import annotations

import json
import math

import pytest

from sim.metrics.base import MetricEvent
from sim.metrics.scores import (
    CARLA_2_1_WEIGHTS,
    CARLA_PENALTY_COEFFICIENTS,
    CarlaScore,
    NuplanScore,
    carla_driving_score,
    carla_global_score,
    nuplan_aggregate,
    nuplan_score,
)


def ev(kind: str, t: float = 1.0, value: float = math.nan, terminal: bool = False
       ) -> MetricEvent:
    return MetricEvent(metric="test", kind=kind, time_s=t, x=0.0, y=0.0, value=value,
                       terminal=terminal)


# ---------------------------------------------------------------- CARLA 2.0


def test_coefficient_table_matches_leaderboard_2_0():
    assert CARLA_PENALTY_COEFFICIENTS == {
        "collision_pedestrian": 0.50, "collision_vehicle": 0.60, "collision_static": 0.65,
        "red_light": 0.70, "stop_sign": 0.80, "scenario_timeout": 0.70,
        "yield_emergency_vehicle": 0.70,
    }
    assert CARLA_2_1_WEIGHTS == {
        "collision_pedestrian": 1.0, "collision_vehicle": 0.7, "collision_static": 0.6,
        "red_light": 0.4, "stop_sign": 0.25, "scenario_timeout": 0.4,
        "yield_emergency_vehicle": 0.4,
    }


def test_no_events_full_route_scores_100_completed():
    s = carla_driving_score(1.0, [])
    assert s.driving_score == pytest.approx(100.0)
    assert s.infraction_penalty == 1.0
    assert s.status == "Completed"
    assert s.completed


def test_pedestrian_and_red_light_at_80_percent():
    # 80 x 0.5 x 0.7 = 28
    s = carla_driving_score(0.8, [ev("collision_pedestrian"), ev("red_light", t=2.0)])
    assert s.infraction_penalty == pytest.approx(0.35)
    assert s.route_completion == pytest.approx(80.0)
    assert s.driving_score == pytest.approx(28.0)
    assert s.counts == {"collision_pedestrian": 1, "red_light": 1}
    assert s.status == "Failed"  # unfinished, no terminating event


@pytest.mark.parametrize("kind, coef", [
    ("collision_static", 0.65), ("stop_sign", 0.80), ("scenario_timeout", 0.70),
    ("yield_emergency_vehicle", 0.70), ("collision_vehicle", 0.60),
])
def test_each_coefficient_applies(kind, coef):
    s = carla_driving_score(1.0, [ev(kind)])
    assert s.infraction_penalty == pytest.approx(coef)
    assert s.driving_score == pytest.approx(100.0 * coef)


def test_two_vehicle_collisions_multiply():
    s = carla_driving_score(1.0, [ev("collision_vehicle"), ev("collision_vehicle", t=5.0)])
    assert s.infraction_penalty == pytest.approx(0.36)
    assert s.driving_score == pytest.approx(36.0)
    assert s.counts["collision_vehicle"] == 2


def test_outside_route_lanes_reduces_completion():
    s = carla_driving_score(1.0, [], outside_route_lanes_fraction=0.10)
    assert s.route_completion == pytest.approx(90.0)
    assert s.raw_route_completion == pytest.approx(100.0)
    assert s.outside_route_lanes == pytest.approx(10.0)
    assert s.infraction_penalty == 1.0
    assert s.driving_score == pytest.approx(90.0)
    assert s.status == "Completed"  # judged on the route actually driven


def test_outside_lanes_combines_with_penalty():
    # 50 % completion, 20 % outside -> 40 %, then x 0.65
    s = carla_driving_score(0.5, [ev("collision_static")], outside_route_lanes_fraction=0.2)
    assert s.route_completion == pytest.approx(40.0)
    assert s.driving_score == pytest.approx(26.0)


def test_min_speed_below_100_percent():
    # 1 - 0.3 (1 - 0.5) = 0.85
    s = carla_driving_score(1.0, [ev("min_speed", value=50.0)])
    assert s.infraction_penalty == pytest.approx(0.85)
    assert s.driving_score == pytest.approx(85.0)
    assert s.counts == {"min_speed": 1}


def test_min_speed_multiplies_with_other_penalties():
    s = carla_driving_score(1.0, [ev("red_light"), ev("min_speed", t=3.0, value=50.0),
                                  ev("min_speed", t=6.0, value=0.0)])
    assert s.infraction_penalty == pytest.approx(0.7 * 0.85 * 0.7)


def test_min_speed_at_or_above_100_has_no_effect():
    s = carla_driving_score(1.0, [ev("min_speed", value=120.0), ev("min_speed", value=100.0)])
    assert s.infraction_penalty == 1.0
    assert s.driving_score == pytest.approx(100.0)
    assert "min_speed" not in s.counts
    assert s.infractions == ()


def test_min_speed_without_value_is_rejected():
    with pytest.raises(ValueError):
        carla_driving_score(1.0, [ev("min_speed")])


def test_korean_rule_events_are_counted_not_penalised():
    s = carla_driving_score(0.6, [ev("speeding"), ev("bus_lane"), ev("speeding", t=4.0)])
    assert s.infraction_penalty == 1.0
    assert s.driving_score == pytest.approx(60.0)
    assert s.counts == {"speeding": 2, "bus_lane": 1}
    assert s.infractions == ()


@pytest.mark.parametrize("kind, status", [
    ("route_deviation", "Failed - Agent deviated from the route"),
    ("agent_blocked", "Failed - Agent got blocked"),
    ("route_timeout", "Failed - Agent timed out"),
])
def test_terminal_event_status_and_no_coefficient(kind, status):
    s = carla_driving_score(0.42, [ev("collision_vehicle"), ev(kind, t=9.0, terminal=True)])
    assert s.status == status
    assert not s.completed
    assert s.infraction_penalty == pytest.approx(0.6)  # the terminal event adds nothing
    assert s.route_completion == pytest.approx(42.0)
    assert s.driving_score == pytest.approx(42.0 * 0.6)
    assert [e.kind for e in s.infractions] == ["collision_vehicle", kind]


def test_earliest_terminal_event_names_the_failure():
    s = carla_driving_score(0.3, [ev("route_timeout", t=50.0, terminal=True),
                                  ev("agent_blocked", t=20.0, terminal=True)])
    assert s.status == "Failed - Agent got blocked"


def test_completed_threshold():
    assert carla_driving_score(0.9995, []).status == "Completed"
    assert carla_driving_score(0.99, []).status == "Failed"


def test_invalid_inputs_rejected():
    with pytest.raises(ValueError):
        carla_driving_score(80.0, [])  # a percentage, not a fraction
    with pytest.raises(ValueError):
        carla_driving_score(float("nan"), [])
    with pytest.raises(ValueError):
        carla_driving_score(1.0, [], outside_route_lanes_fraction=1.5)
    with pytest.raises(ValueError):
        carla_driving_score(1.0, [], variant="3.0")  # type: ignore[arg-type]


def test_carla_to_json_is_serialisable():
    s = carla_driving_score(0.8, [ev("collision_pedestrian"), ev("speeding", t=2.0)])
    d = json.loads(json.dumps(s.to_json()))
    assert d["driving_score"] == pytest.approx(40.0)
    assert d["status"] == "Failed"
    assert d["counts"] == {"collision_pedestrian": 1, "speeding": 1}
    assert d["carla_infractions"]["collisions_pedestrian"] == 1
    assert d["carla_infractions"]["collisions_vehicle"] == 0
    assert [i["kind"] for i in d["infractions"]] == ["collision_pedestrian"]


# ---------------------------------------------------------------- CARLA 2.1


def test_2_1_pedestrian_and_red_light():
    s = carla_driving_score(1.0, [ev("collision_pedestrian"), ev("red_light")], variant="2.1")
    assert s.infraction_penalty == pytest.approx(1.0 / 2.4)
    assert s.driving_score == pytest.approx(100.0 / 2.4)
    assert s.variant == "2.1"


def test_2_1_min_speed_weight():
    # w = 0.4 x (1 - 0.5) = 0.2; plus stop sign 0.25
    s = carla_driving_score(0.5, [ev("min_speed", value=50.0), ev("stop_sign")], variant="2.1")
    assert s.infraction_penalty == pytest.approx(1.0 / 1.45)
    assert s.driving_score == pytest.approx(50.0 / 1.45)


# ---------------------------------------------------------------- CARLA global


def test_global_score_is_mean_over_routes():
    a = carla_driving_score(1.0, [])  # 100, penalty 1
    b = carla_driving_score(0.8, [ev("collision_pedestrian"), ev("red_light")])  # 28
    c = carla_driving_score(0.5, [ev("agent_blocked", terminal=True)])  # 50
    g = carla_global_score([a, b, c])
    assert g.driving_score == pytest.approx((100.0 + 28.0 + 50.0) / 3)
    assert g.route_completion == pytest.approx((100.0 + 80.0 + 50.0) / 3)
    assert g.infraction_penalty == pytest.approx((1.0 + 0.35 + 1.0) / 3)
    assert g.n_routes == 3
    assert g.result == "Failed"
    assert g.failed_routes == ((1, "Failed"), (2, "Failed - Agent got blocked"))
    assert g.counts == {"collision_pedestrian": 1, "red_light": 1, "agent_blocked": 1}
    assert g.driving_score_std == pytest.approx(
        math.sqrt(((100 - 178 / 3) ** 2 + (28 - 178 / 3) ** 2 + (50 - 178 / 3) ** 2) / 2))
    json.dumps(g.to_json())


def test_global_score_single_route_and_errors():
    g = carla_global_score([carla_driving_score(1.0, [])])
    assert g.result == "Completed"
    assert math.isnan(g.driving_score_std)
    assert g.to_json()["scores_std_dev"]["driving_score"] is None
    with pytest.raises(ValueError):
        carla_global_score([])
    with pytest.raises(ValueError):
        carla_global_score([carla_driving_score(1.0, []),
                            carla_driving_score(1.0, [], variant="2.1")])


# ---------------------------------------------------------------- nuPlan


GOOD = dict(at_fault_collision_kinds=(), drivable_area_max_outside_m=0.0,
            max_counterflow_m=0.0, ego_progress_ratio=1.0, ttc_within_bound=True,
            speed_limit_compliance=1.0, comfortable=True)


def nup(**kw) -> NuplanScore:
    return nuplan_score(**{**GOOD, **kw})


def test_nuplan_all_good_is_one():
    s = nup()
    assert s.score == pytest.approx(1.0)
    assert s.multiplier == 1.0


def test_nuplan_progress_is_weighted():
    s = nup(ego_progress_ratio=0.9)
    assert s.ego_progress_along_expert_route == pytest.approx(0.9)
    assert s.score == pytest.approx((5 * 0.9 + 5 + 4 + 2) / 16)


def test_nuplan_progress_ratio_clipped():
    assert nup(ego_progress_ratio=1.7).ego_progress_along_expert_route == 1.0
    assert nup(ego_progress_ratio=1.7).score == pytest.approx(1.0)


def test_nuplan_static_only_collision_halves():
    s = nup(at_fault_collision_kinds=["static"])
    assert s.no_ego_at_fault_collisions == 0.5
    assert s.score == pytest.approx(0.5)


def test_nuplan_two_static_collisions_zero():
    # max(0, 1 - 2 / (1 + 1)) = 0 in EgoAtFaultCollisionStatistics
    assert nup(at_fault_collision_kinds=["static", "static"]).score == 0.0


@pytest.mark.parametrize("kinds", [["vehicle"], ["vru"], ["static", "vehicle"]])
def test_nuplan_vehicle_or_vru_collision_zero(kinds):
    s = nup(at_fault_collision_kinds=kinds)
    assert s.no_ego_at_fault_collisions == 0.0
    assert s.score == 0.0


def test_nuplan_unknown_collision_kind_rejected():
    with pytest.raises(ValueError):
        nup(at_fault_collision_kinds=["pedestrian"])


@pytest.mark.parametrize("m, factor", [(0.0, 1.0), (1.99, 1.0), (2.0, 0.5), (4.0, 0.5),
                                       (5.99, 0.5), (6.0, 0.0), (7.0, 0.0)])
def test_nuplan_driving_direction_is_a_multiplier(m, factor):
    s = nup(max_counterflow_m=m, ego_progress_ratio=0.9)
    assert s.driving_direction_compliance == factor
    assert s.score == pytest.approx(factor * (5 * 0.9 + 5 + 4 + 2) / 16)


@pytest.mark.parametrize("m, factor", [(0.0, 1.0), (0.29, 1.0), (0.30, 0.0), (0.31, 0.0)])
def test_nuplan_drivable_area(m, factor):
    s = nup(drivable_area_max_outside_m=m)
    assert s.drivable_area_compliance == factor
    assert s.score == pytest.approx(factor)


def test_nuplan_no_progress_zero():
    s = nup(ego_progress_ratio=0.1)
    assert s.ego_is_making_progress == 0.0
    assert s.score == 0.0
    s = nup(ego_progress_ratio=0.2)
    assert s.ego_is_making_progress == 1.0
    assert s.score == pytest.approx((5 * 0.2 + 5 + 4 + 2) / 16)


def test_nuplan_speed_compliance_weighted():
    assert nup(speed_limit_compliance=0.5).score == pytest.approx((5 + 5 + 4 * 0.5 + 2) / 16)
    with pytest.raises(ValueError):
        nup(speed_limit_compliance=1.5)


def test_nuplan_ttc_and_comfort_weighted():
    assert nup(ttc_within_bound=False).score == pytest.approx(11 / 16)
    assert nup(comfortable=False).score == pytest.approx(14 / 16)


def test_nuplan_multipliers_combine():
    s = nup(at_fault_collision_kinds=["static"], max_counterflow_m=3.0,
            speed_limit_compliance=0.5)
    assert s.multiplier == pytest.approx(0.25)
    assert s.score == pytest.approx(0.25 * 14 / 16)


def test_nuplan_to_json_and_aggregate():
    a, b = nup(), nup(ego_progress_ratio=0.1)
    d = json.loads(json.dumps(a.to_json()))
    assert d["multipliers"]["driving_direction_compliance"] == 1.0
    assert "driving_direction_compliance" not in d["weighted"]
    assert d["weights"]["ego_progress_along_expert_route"] == 5.0
    agg = nuplan_aggregate([a, b])
    assert agg.score == pytest.approx(0.5)
    assert agg.n_scenarios == 2
    assert agg.metrics["ego_is_making_progress"] == pytest.approx(0.5)
    assert agg.metrics["ego_progress_along_expert_route"] == pytest.approx(0.55)
    json.dumps(agg.to_json())
    with pytest.raises(ValueError):
        nuplan_aggregate([])


def test_results_are_frozen():
    with pytest.raises(AttributeError):
        nup().score = 0.0  # type: ignore[misc]
    s: CarlaScore = carla_driving_score(1.0, [])
    with pytest.raises(AttributeError):
        s.driving_score = 0.0  # type: ignore[misc]
