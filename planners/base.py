"""The planner contract automakers implement to drive kav's ego vehicle.

Shaped like nuPlan's ``AbstractPlanner``: ``initialize`` once with the map and mission,
then ``compute_plan`` every step with a frozen input; the base class times every call so a
run reports planner latency without the planner doing anything.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from sim.actors import ActorKind, KindProps
from sim.engines.base import SignalSnapshot
from sim.roadnet.network import RoadNetwork
from sim.roadnet.queries import Route
from sim.state import WorldState


@dataclass(frozen=True)
class PlannerInit:
    """Mission and vehicle, given once.

    network: the map; route: lane route from start to goal; goal_xy: (x, y) [m];
    ego_row: the ego's row in every WorldState; ego_kind / vehicle: its kind and limits;
    dt_us: control period [us].
    """

    network: RoadNetwork
    route: Route
    goal_xy: tuple[float, float]
    ego_row: int
    ego_kind: ActorKind
    vehicle: KindProps
    dt_us: int


@dataclass(frozen=True)
class PlannerInput:
    """What the planner sees at one step: time [us], the world state (ground truth until
    the sensor stack lands) and the traffic-signal states."""

    time_us: int
    state: WorldState
    signals: SignalSnapshot


@dataclass(frozen=True)
class Trajectory:
    """Planned motion: t_us (k,) int64 absolute times; x, y (k,) float64 [m]; v (k,) [m/s]."""

    t_us: np.ndarray
    x: np.ndarray
    y: np.ndarray
    v: np.ndarray


@dataclass(frozen=True)
class Plan:
    """Low-level control for this step (accel [m/s^2], steer [rad] front-wheel angle) and the
    trajectory it follows."""

    accel: float
    steer: float
    trajectory: Trajectory | None = None


@dataclass
class PlannerTimings:
    """Wall-clock durations of every ``compute_plan`` call [ns]."""

    calls_ns: list[int] = field(default_factory=list)

    def summary(self) -> dict:
        if not self.calls_ns:
            return {"calls": 0}
        a = np.asarray(self.calls_ns, dtype=np.float64) / 1e6
        return {"calls": len(a), "mean_ms": float(a.mean()), "p50_ms": float(np.median(a)),
                "p99_ms": float(np.percentile(a, 99)), "max_ms": float(a.max())}


class Planner(ABC):
    """Subclass and implement :meth:`initialize` and :meth:`compute_plan`."""

    #: registry name, e.g. "idm-lane-follower"
    name: str = ""

    def __init__(self) -> None:
        self.timings = PlannerTimings()

    @abstractmethod
    def initialize(self, init: PlannerInit) -> None:
        """Receive the map, route and vehicle before the first step."""

    @abstractmethod
    def compute_plan(self, inp: PlannerInput) -> Plan:
        """Return this step's control; must not mutate ``inp``."""

    def plan(self, inp: PlannerInput) -> Plan:
        """Timed call of :meth:`compute_plan` (what the runner uses)."""
        t0 = time.perf_counter_ns()
        out = self.compute_plan(inp)
        self.timings.calls_ns.append(time.perf_counter_ns() - t0)
        if not isinstance(out, Plan):
            raise TypeError(f"{type(self).__name__}.compute_plan returned "
                            f"{type(out).__name__}, expected Plan")
        return out
