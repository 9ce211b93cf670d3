"""The Metric plug-in contract: callbacks on the run loop that measure and time-stamp.

A run creates fresh metric instances (:mod:`sim.metrics.registry`), calls ``start`` once with
the run's fixed :class:`RunContext` and the initial state, ``update`` after every engine
step with a :class:`StepInput`, and ``finish`` once with the final state. ``update`` returns
the :class:`MetricEvent` s that happened during that step (infractions, rule violations,
terminating conditions) so the recorder can store them with the step; ``finish`` returns
the :class:`MetricReport`: named values, every event again, and per-step series for plots.

A metric judges what happened in the world, never what the planner meant: it sees world
states, signal states and the map, not planner internals, so the same metric grades any
planner (kav's reference stack, a user's plug-in, a CARLA run).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from sim.engines.base import SignalSnapshot
from sim.roadnet.network import RoadNetwork
from sim.state import WorldState
from sim.traffic.signals import SignalPlan


@dataclass(frozen=True)
class RunContext:
    """What every metric knows before the first step; fixed for the run.

    network: the loaded map. signal_plan: the controller plan (yellow durations for the
    Korean yellow formula), None when the engine has no plan. ego_row: the vehicle under
    test. dt_us [us]: step length. clock_start_s [s]: time of day at ``time_us == 0``.
    duration_s [s]: scheduled run length. route_lanes: (m,) int32 lane indices of the ego's
    mission route in driving order; route_xy: (k, 2) float64 [m] its centreline polyline
    from start to goal; route_length_m [m]. goal_xy [m]. ego_bus_exempt: the ego may use bus
    lanes (it is a bus). uturn_plates: ((lane index, plate), ...), plate "left_signal" /
    "ped_green" / "red" (a U-turn lane missing here has no plate: permissive).
    parked_rows: rows of static obstacles (parked vans, cones). actor_rows: (name, row) of
    the scenario's named actors. standing_passengers: the ego carries standees (R157's
    stricter cut-in formula).
    """

    network: RoadNetwork
    ego_row: int
    dt_us: int
    clock_start_s: float
    duration_s: float
    route_lanes: np.ndarray
    route_xy: np.ndarray
    route_length_m: float
    goal_xy: tuple[float, float]
    signal_plan: SignalPlan | None = None
    ego_bus_exempt: bool = False
    uturn_plates: tuple[tuple[int, str], ...] = ()
    parked_rows: tuple[int, ...] = ()
    actor_rows: tuple[tuple[str, int], ...] = ()
    standing_passengers: bool = False

    def time_of_day_s(self, time_us: int) -> float:
        """Seconds since local midnight at simulation time ``time_us`` (wraps at 24 h)."""
        return (self.clock_start_s + time_us / 1e6) % 86400.0


@dataclass(frozen=True)
class StepInput:
    """One engine step, from ``prev`` to ``state`` (``state.time_us - prev.time_us ==
    dt_us``).

    k: index of ``state`` (1 after the first step). signals: the signal states in force
    during the step (those at ``prev.time_us``, which the planner saw). new_contacts:
    row pairs (a < b) whose boxes began to overlap in this step.
    """

    k: int
    prev: WorldState
    state: WorldState
    signals: SignalSnapshot
    new_contacts: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class MetricEvent:
    """Something that happened at one instant: an infraction, a rule violation, a
    terminating condition.

    metric: name of the metric that saw it. kind: what it is (``collision_pedestrian``,
    ``red_light``, ``speeding``, ``rtor_without_full_stop``, ...; the score tables key on
    these). time_s [s] simulation time; x, y [m] where (the ego's position unless stated).
    actors: actor ids involved besides the ego. value: a severity in the unit the metric
    states (NaN when none). detail: one line for people. terminal: the run cannot usefully
    go on (route deviation, blocked, timeout); the runner ends it. at_fault: for
    collisions, whether the ego is to blame (None: not a collision, or not judged).
    """

    metric: str
    kind: str
    time_s: float
    x: float
    y: float
    actors: tuple[int, ...] = ()
    value: float = math.nan
    detail: str = ""
    terminal: bool = False
    at_fault: bool | None = None

    def to_json(self) -> dict:
        out = {"metric": self.metric, "kind": self.kind, "time_s": self.time_s,
               "x": self.x, "y": self.y, "actors": list(self.actors), "detail": self.detail,
               "terminal": self.terminal, "at_fault": self.at_fault}
        out["value"] = None if math.isnan(self.value) else self.value
        return out


@dataclass(frozen=True)
class MetricReport:
    """What one metric concluded. values: name -> number (units in ``units``), infinite where
    the measure never applied (a TTC with nobody closing in). events: every event, in time
    order. series: name -> (n_steps + 1,) float64 per-state values for plots (optional)."""

    name: str
    values: dict[str, float]
    units: dict[str, str]
    events: tuple[MetricEvent, ...] = ()
    series: dict[str, np.ndarray] = field(default_factory=dict)


class Metric(ABC):
    """Subclass, name it, and implement the three callbacks."""

    #: registry name, e.g. "collisions"
    name: str = ""

    @abstractmethod
    def start(self, ctx: RunContext, state: WorldState) -> None:
        """Called once before the first step with the initial state."""

    @abstractmethod
    def update(self, step: StepInput) -> list[MetricEvent]:
        """Called after every engine step; returns the events of this step."""

    @abstractmethod
    def finish(self, state: WorldState) -> MetricReport:
        """Called once with the final state; returns the report."""


def ego_xy(state: WorldState, ctx: RunContext) -> tuple[float, float]:
    """The ego's box centre [m], for event positions."""
    return float(state.x[ctx.ego_row]), float(state.y[ctx.ego_row])
