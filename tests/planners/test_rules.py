"""Each Korean rule unit on its own (planners.behaviour.rules), with the law's numbers."""

import math

import numpy as np
import pytest

from planners.behaviour import rules as R
from sim.traffic.signals import SIG_GREEN, SIG_NONE, SIG_RED, SIG_YELLOW

KMH = 1 / 3.6


@pytest.mark.parametrize("posted, zone, no_walk, expect", [
    (50, False, False, 50), (30, False, False, 30), (50, True, False, 30),
    (50, True, True, 20), (30, True, True, 20), (60, False, True, 60),
])
def test_speed_limit_5030_and_child_zone(posted, zone, no_walk, expect):
    assert R.speed_limit(posted * KMH, zone, no_walk) == pytest.approx(expect * KMH)


def test_approach_speed_lets_the_car_meet_a_lower_limit_ahead():
    v = R.approach_speed(np.array([30 * KMH]), np.array([40.0]), 2.0)
    assert v == pytest.approx(math.sqrt((30 * KMH) ** 2 + 2 * 2.0 * 40.0))
    assert R.approach_speed(np.zeros(0), np.zeros(0), 2.0) == math.inf


def test_signal_decision_red_yellow_dilemma_and_spat():
    assert R.signal_decision(SIG_RED, 30.0, 10.0).stop
    assert not R.signal_decision(SIG_RED, -1.0, 10.0).stop  # already past the line
    assert R.signal_decision(SIG_YELLOW, 30.0, 10.0).stop  # needs 1.7 m/s^2
    assert not R.signal_decision(SIG_YELLOW, 5.0, 14.0).stop  # would need 19.6 m/s^2
    assert not R.signal_decision(SIG_GREEN, 30.0, 10.0).stop
    # SPaT says the green ends in 2 s; clearing needs (30 + 20) / 10 = 5 s: stop now
    assert R.signal_decision(SIG_GREEN, 30.0, 10.0, 3.0, 5.0, 2.0, 20.0).stop
    assert not R.signal_decision(SIG_GREEN, 30.0, 10.0, 3.0, 5.0, 9.0, 20.0).stop
    assert not R.signal_decision(SIG_NONE, 30.0, 10.0).stop


def test_right_turn_on_red_needs_a_full_stop_then_a_clear_crosswalk():
    assert R.right_turn_on_red(SIG_RED, False, SIG_NONE, 0.0, False).stop
    assert R.right_turn_on_red(SIG_RED, False, SIG_NONE, 0.4, False).stop
    assert not R.right_turn_on_red(SIG_RED, False, SIG_NONE, 0.5, False).stop
    assert R.right_turn_on_red(SIG_RED, False, SIG_NONE, 5.0, True).stop
    # on green no stop is needed, but pedestrians still win
    assert not R.right_turn_on_red(SIG_GREEN, False, SIG_NONE, 0.0, False).stop
    assert R.right_turn_on_red(SIG_GREEN, False, SIG_NONE, 0.0, True).stop
    # with an arrow head only the green arrow allows the turn, stop or no stop
    assert R.right_turn_on_red(SIG_RED, True, SIG_RED, 10.0, False).stop
    assert not R.right_turn_on_red(SIG_RED, True, SIG_GREEN, 0.0, False).stop


def test_pedestrian_crossing_about_to_cross_or_clear():
    assert R.pedestrian_state(0.0, 0.0, False) == "crossing"
    assert R.pedestrian_state(1.0, 0.0, True) == "about"  # waiting at the kerb
    assert R.pedestrian_state(1.5, 1.2, False) == "entering"  # on it within 1.5 s
    assert R.pedestrian_state(2.5, 1.2, False) == "about"  # walking in
    assert R.pedestrian_state(3.3, 1.4, False) == "about"  # in within 3 s
    assert R.pedestrian_state(2.0, -1.0, False) == "clear"  # walking away
    assert R.pedestrian_state(10.0, 1.4, False) == "clear"


def test_crosswalk_stop_rules():
    assert R.crosswalk_must_stop(["crossing"], True, False, False, False).stop
    assert R.crosswalk_must_stop(["entering"], True, False, False, False).stop  # against red
    assert R.crosswalk_must_stop(["about"], False, None, False, False).stop
    # waiting for their own green at a signalised crossing: the car may go
    assert not R.crosswalk_must_stop(["about"], True, False, False, False).stop
    assert R.crosswalk_must_stop(["about"], True, True, False, False).stop
    # child zone, unsignalised: stop even when empty, once
    assert R.crosswalk_must_stop([], False, None, True, False).stop
    assert not R.crosswalk_must_stop([], False, None, True, True).stop
    assert not R.crosswalk_must_stop([], True, None, True, False).stop


@pytest.mark.parametrize("plate, left, ped, red, ok", [
    ("none", False, False, False, True), ("left_signal", True, False, False, True),
    ("left_signal", False, True, True, False), ("ped_green", False, True, False, True),
    ("ped_green", True, False, False, False), ("red", False, False, True, True),
    ("red", True, True, False, False),
])
def test_uturn_plates(plate, left, ped, red, ok):
    assert R.uturn_allowed(plate, left, ped, red) is ok


def test_unknown_plate_is_an_error_naming_it():
    with pytest.raises(ValueError, match="'sometimes'"):
        R.uturn_allowed("sometimes", True, True, True)


def test_gap_acceptance():
    assert R.gap_acceptable(np.zeros(0), 4.0)
    assert R.gap_acceptable(np.array([7.0, math.inf]), 4.0)  # 7 >= max(5.5, 4 + 2)
    assert not R.gap_acceptable(np.array([5.0]), 2.0)  # under the critical gap
    assert not R.gap_acceptable(np.array([6.5]), 5.0)  # PET would be 1.5 s


def test_bus_lane_hours_and_dashed_right_turn_section():
    hours = np.array([[7 * 3600, 9 * 3600], [17 * 3600, 19 * 3600]])
    assert not R.bus_lane_allowed(True, hours, 8 * 3600, False, False)
    assert R.bus_lane_allowed(True, hours, 12 * 3600, False, False)
    assert R.bus_lane_allowed(True, hours, 8 * 3600, True, False)  # a bus
    assert R.bus_lane_allowed(True, hours, 8 * 3600, False, True)  # dashed, turning right
    assert not R.bus_lane_allowed(True, np.zeros((0, 2)), 3 * 3600, False, False)  # 24/7
    assert R.bus_lane_allowed(False, np.zeros((0, 2)), 0.0, False, False)
