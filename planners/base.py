"""The planner contract automakers implement to drive kav's ego vehicle.

Shaped like nuPlan's ``AbstractPlanner``: ``initialize`` once with the map and mission,
then ``compute_plan`` every step with a frozen input; the base class times every call so a
run reports planner latency without the planner doing anything.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.actors import ActorKind, KindProps
from sim.engines.base import SignalSnapshot
from sim.roadnet.network import RoadNetwork
from sim.roadnet.queries import Route
from sim.state import WorldState

if TYPE_CHECKING:  # sensor types only annotate; sim.sensors stays an optional import here
    from sim.sensors.lidar import LidarConfig, PointCloud
    from sim.sensors.objects import ObjectList, ObjectSensorConfig


@dataclass(frozen=True)
class SensorRequest:
    """Which simulated sensors the runner must read for this planner each step (None: off).

    objects: object-list sensor configuration (a radar/camera fusion box output);
    lidar: lidar configuration (point cloud).
    """

    objects: ObjectSensorConfig | None = None
    lidar: LidarConfig | None = None


@dataclass(frozen=True)
class RuleContext:
    """Traffic rules the map file does not carry, given by the scenario.

    uturn_plates: ((lane index, plate), ...) for U-turn lanes whose sign has a plate:
    "left_signal" (좌회전시), "ped_green" (보행신호시) or "red" (적신호시); a U-turn lane
    without an entry is permissive (no plate).
    bus_lane_exempt: the ego may use bus-only lanes (it is a bus).
    """

    uturn_plates: tuple[tuple[int, str], ...] = ()
    bus_lane_exempt: bool = False


@dataclass(frozen=True)
class PlannerInit:
    """Mission and vehicle, given once.

    network: the map; route: lane route from start to goal; goal_xy: (x, y) [m];
    ego_row: the ego's row in every WorldState; ego_kind / vehicle: its kind and limits;
    dt_us: control period [us]; clock_start_s: time of day at time 0 [s since midnight]
    (bus-lane hours); rules: scenario-given rules the map does not carry.
    """

    network: RoadNetwork
    route: Route
    goal_xy: tuple[float, float]
    ego_row: int
    ego_kind: ActorKind
    vehicle: KindProps
    dt_us: int
    clock_start_s: float = 0.0
    rules: RuleContext = RuleContext()


@dataclass(frozen=True)
class PlannerInput:
    """What the planner sees at one step.

    time_us: [us]; state: the world state (ground truth: the ego's own row is its
    localisation; a planner that wants realistic perception reads ``objects``/``lidar``
    instead of the other rows); signals: the signal states the onboard camera reads;
    objects / lidar: this step's sensor outputs when :attr:`Planner.sensors` asks for them;
    inbox: verified V2X messages received since the last step (oldest first).
    """

    time_us: int
    state: WorldState
    signals: SignalSnapshot
    objects: ObjectList | None = None
    lidar: PointCloud | None = None
    inbox: tuple = ()


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
    #: the sensors the runner reads for this planner (none: ground truth only)
    sensors: SensorRequest = SensorRequest()
    #: the runner calls a fresh instance once before the timed loop (JIT compilation stays
    #: out of the timings); leave False for planners whose set-up has side effects
    warm_up_call: bool = False

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
