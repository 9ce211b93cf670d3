"""Korean traffic rules as small, separately testable decisions (``shared/design/korea.md``).

Each function takes plain numbers (SI units) and returns a decision; the behaviour layer
(:mod:`planners.behaviour.layer`) finds the inputs on the map and in the tracked objects
and turns the decisions into planner constraints. None of them looks at the map itself, so
an automaker can test or replace one rule without the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.traffic.signals import SIG_GREEN, SIG_NONE, SIG_RED, SIG_YELLOW

KMH = 1.0 / 3.6

# -- speed (안전속도 5030, 어린이보호구역) ---------------------------------------------------
CHILD_ZONE_KMH = 30.0
CHILD_ZONE_NO_SIDEWALK_KMH = 20.0


def speed_limit(posted, child_zone, no_sidewalk):
    """Speed the vehicle may drive [m/s]: the posted limit [m/s] (5030: 50 urban, 30 local,
    as the map gives), capped at 30 km/h in a child protection zone and 20 km/h there when
    the road has no sidewalk. Scalars or equal-shape arrays (one value per map point)."""
    zone_cap = np.where(no_sidewalk, CHILD_ZONE_NO_SIDEWALK_KMH, CHILD_ZONE_KMH) * KMH
    v = np.where(child_zone, np.minimum(posted, zone_cap), posted)
    return float(v) if np.ndim(v) == 0 else v


def approach_speed(v_limit_ahead: np.ndarray, dist_ahead: np.ndarray, decel: float) -> float:
    """Highest speed now [m/s] from which every later limit (v_limit_ahead [m/s] at
    dist_ahead [m], both (k,)) can be met braking at ``decel`` [m/s^2]."""
    d = np.maximum(dist_ahead, 0.0)
    return float(np.min(np.sqrt(v_limit_ahead ** 2 + 2.0 * decel * d))) if len(d) else math.inf


# -- signals ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SignalDecision:
    stop: bool
    reason: str


def signal_decision(state: int, dist_to_line: float, v: float, comfort_decel: float = 3.0,
                    max_decel: float = 5.0, time_to_change: float | None = None,
                    clear_distance: float = 0.0) -> SignalDecision:
    """Stop at the stop line or go, for the movement's signal ``state`` (SIG_*).

    dist_to_line [m]: front bumper to the stop line (negative once past); v [m/s];
    time_to_change [s]: SPaT's time until the state ends, when the signal broadcasts it;
    clear_distance [m]: from the stop line to beyond the conflict area.

    - red: stop (right turn on red is decided by :func:`right_turn_on_red`);
    - yellow: stop unless stopping would need more than ``max_decel`` (the dilemma zone
      Korea's yellow formula is sized for: Y covers reaction plus the stop at 5 m/s^2);
    - green with SPaT: if the green ends before the car can clear and it can stop
      comfortably, stop now instead of meeting the yellow at speed;
    - no signal / unknown: go (other rules apply).
    """
    if dist_to_line < 0.0:
        return SignalDecision(False, "past the stop line")
    need = v * v / (2.0 * max(dist_to_line, 0.01))
    if state == SIG_RED:
        return SignalDecision(True, "red")
    if state == SIG_YELLOW:
        if need > max_decel:
            return SignalDecision(False, "yellow: cannot stop safely")
        return SignalDecision(True, "yellow")
    if state == SIG_GREEN and time_to_change is not None and v > 0.5:
        t_clear = (dist_to_line + clear_distance) / v
        if t_clear > time_to_change and need <= comfort_decel:
            return SignalDecision(True, "green ends before clearing (SPaT)")
    return SignalDecision(False, "green" if state == SIG_GREEN else "no signal")


# -- right turn on red (2023-01-22) -------------------------------------------------------
FULL_STOP_SPEED = 0.5 * KMH  # [m/s] below this the vehicle counts as stopped
FULL_STOP_TIME = 0.5  # [s] for at least this long


def right_turn_on_red(vehicle_state: int, has_arrow: bool, arrow_state: int,
                      stopped_at_line_s: float, pedestrian_conflict: bool) -> SignalDecision:
    """May the vehicle turn right now?

    vehicle_state: the approach's straight signal (SIG_*); has_arrow / arrow_state: a
    right-turn arrow head and its state; stopped_at_line_s [s]: how long it has stood at the
    stop line (0 if it has not); pedestrian_conflict: a pedestrian is crossing or about to
    cross a crosswalk the turn passes.

    With an arrow: only on the green arrow. Without: on red a full stop at the stop line
    first. Always: never while a pedestrian is crossing or about to cross.
    """
    if has_arrow:
        if arrow_state != SIG_GREEN:
            return SignalDecision(True, "right-turn arrow not green")
    elif vehicle_state in (SIG_RED, SIG_YELLOW) and stopped_at_line_s < FULL_STOP_TIME:
        return SignalDecision(True, "right turn on red: full stop first")
    if pedestrian_conflict:
        return SignalDecision(True, "pedestrian crossing the turn's crosswalk")
    return SignalDecision(False, "right turn clear")


# -- crosswalks (RTA 27(1), 27(7)) --------------------------------------------------------
ABOUT_TO_CROSS_M = 3.0  # [m] from the crosswalk: near enough to count as about to cross
ABOUT_TO_CROSS_S = 3.0  # [s] walking into the crosswalk within this counts as well


ENTERING_S = 1.5  # [s] walking in faster than this: on it before a driver could react


def pedestrian_state(dist_to_crosswalk: float, closing_speed: float, waiting: bool) -> str:
    """"crossing", "entering", "about" (to cross) or "clear" for one pedestrian and one
    crosswalk.

    dist_to_crosswalk [m]: 0 inside the polygon; closing_speed [m/s]: speed towards it
    (positive = approaching); waiting: standing at the crosswalk's kerb end. "entering":
    walking in and on it within ENTERING_S, whatever their signal shows.
    """
    if dist_to_crosswalk <= 0.0:
        return "crossing"
    if closing_speed > 0.5 and dist_to_crosswalk / closing_speed <= ENTERING_S:
        return "entering"
    if dist_to_crosswalk <= ABOUT_TO_CROSS_M and (waiting or closing_speed > 0.2):
        return "about"
    if closing_speed > 0.2 and dist_to_crosswalk / closing_speed <= ABOUT_TO_CROSS_S:
        return "about"
    return "clear"


def crosswalk_must_stop(states: list[str], signalised: bool, ped_signal_walk: bool | None,
                        child_zone: bool, full_stop_done: bool) -> SignalDecision:
    """Stop before a crosswalk?

    states: :func:`pedestrian_state` of each pedestrian near it; signalised: a signal
    governs it; ped_signal_walk: its pedestrian signal shows walk (None: unknown);
    child_zone: inside a child protection zone; full_stop_done: the vehicle already stood
    before this crosswalk.

    Anyone crossing or stepping on: stop. About to cross: stop, except at a signalised
    crosswalk whose pedestrians face don't-walk (they wait for their green). Unsignalised
    crosswalk in a child zone: always a full stop first, pedestrians or not (RTA 27(7),
    2022).
    """
    if "crossing" in states:
        return SignalDecision(True, "pedestrian crossing")
    if "entering" in states:
        return SignalDecision(True, "pedestrian stepping onto the crosswalk")
    if "about" in states and not (signalised and ped_signal_walk is False):
        return SignalDecision(True, "pedestrian about to cross")
    if child_zone and not signalised and not full_stop_done:
        return SignalDecision(True, "child zone: full stop at unsignalised crosswalk")
    return SignalDecision(False, "crosswalk clear")


# -- U-turn (plates) ----------------------------------------------------------------------
PLATES = ("none", "left_signal", "ped_green", "red")


def uturn_allowed(plate: str, left_signal_green: bool, ped_green: bool,
                  vehicle_red: bool) -> bool:
    """A U-turn under a U-turn sign with ``plate``: "none" (permissive), "left_signal"
    (좌회전시: during the left-turn green), "ped_green" (보행신호시: during the pedestrian
    green) or "red" (적신호시: while the vehicle signal is red)."""
    if plate == "none":
        return True
    if plate == "left_signal":
        return left_signal_green
    if plate == "ped_green":
        return ped_green
    if plate == "red":
        return vehicle_red
    raise ValueError(f"unknown U-turn plate {plate!r}; expected one of {', '.join(PLATES)}")


# -- unprotected left (비보호) and other yields: gap acceptance ---------------------------
CRITICAL_GAP_S = 5.5  # [s] left turn across one opposing stream (HCM 2010, passenger car)
PET_MARGIN_S = 2.0  # [s] the catalogue's post-encroachment time for unprotected lefts


def gap_acceptable(arrivals_s: np.ndarray, own_clear_s: float,
                   critical_gap_s: float = CRITICAL_GAP_S,
                   pet_margin_s: float = PET_MARGIN_S) -> bool:
    """Accept the gap if every conflicting vehicle reaches the conflict area (arrivals_s
    (k,) [s], inf = never) later than both the critical gap and the time the ego needs to
    clear it (own_clear_s [s]) plus the post-encroachment margin."""
    if len(arrivals_s) == 0:
        return True
    return bool(np.min(arrivals_s) >= max(critical_gap_s, own_clear_s + pet_margin_s))


# -- bus-only lanes -----------------------------------------------------------------------
def bus_lane_allowed(bus_only: bool, hours: np.ndarray, time_of_day_s: float,
                     is_bus: bool, turning_right_within_dashed: bool) -> bool:
    """May the vehicle drive in this lane now?

    bus_only: the lane carries the bus-only rule; hours: (k, 2) [s of day] restriction
    windows (empty: all day, the blue double line); turning_right_within_dashed: it is in
    the dashed section before its right turn, where entering is allowed.
    """
    if not bus_only or is_bus or turning_right_within_dashed:
        return True
    if len(hours) == 0:
        return False
    t = time_of_day_s % 86400.0
    return not any(a <= t < b for a, b in hours)


def movement_state_or_none(states: np.ndarray, lane: int) -> int:
    """Signal state of a movement lane, SIG_NONE for lanes without one."""
    return int(states[lane]) if 0 <= lane < len(states) else SIG_NONE
