"""Scenario specifications (frozen) and the catalogue that names them.

This is the in-code form every scenario source (built-in catalogue, scenario files,
OpenSCENARIO) loads into.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sim.actors import ActorKind

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class MapRef:
    """builder: name of a map builder (see :mod:`scenarios.maps.registry`)."""

    builder: str


@dataclass(frozen=True)
class EgoSpec:
    """The vehicle under test: kind, start and goal points (x, y) [m], planner name."""

    start: tuple[float, float]
    goal: tuple[float, float]
    kind: ActorKind = ActorKind.CAR
    planner: str = "idm-lane-follower"
    start_speed: float = 0.0  # [m/s]


@dataclass(frozen=True)
class TrafficSpec:
    """Background traffic: roaming NPC vehicles and walking pedestrians."""

    vehicles: int = 0
    pedestrians: int = 0


@dataclass(frozen=True)
class ScenarioSpec:
    id: str
    zone: str
    title: str
    description: str
    map: MapRef
    ego: EgoSpec
    traffic: TrafficSpec = field(default_factory=TrafficSpec)
    duration_s: float = 60.0
    dt_us: int = 50_000
    clock: str = "08:30"  # local time of day at t = 0 (bus-lane hours, night services)

    def __post_init__(self):
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", self.id):
            raise ValueError(f"scenario id {self.id!r}: use lower-case letters, digits and '-'")
        if not 0 < self.duration_s <= 24 * 3600:
            raise ValueError(f"scenario {self.id}: duration_s must be in (0, 86400], "
                             f"got {self.duration_s}")
        if not _CLOCK.match(self.clock):
            raise ValueError(f"scenario {self.id}: clock {self.clock!r} is not HH:MM")
        if self.traffic.vehicles < 0 or self.traffic.pedestrians < 0:
            raise ValueError(f"scenario {self.id}: traffic counts must be >= 0")

    @property
    def clock_s(self) -> float:
        hh, mm = self.clock.split(":")
        return int(hh) * 3600.0 + int(mm) * 60.0

    @property
    def n_steps(self) -> int:
        return int(round(self.duration_s * 1e6 / self.dt_us))


class ScenarioCatalog:
    """Scenarios by id; adding an id twice is an error. No global instance."""

    def __init__(self, specs: list[ScenarioSpec] | None = None):
        self._specs: dict[str, ScenarioSpec] = {}
        for spec in specs or []:
            self.add(spec)

    def add(self, spec: ScenarioSpec) -> None:
        if spec.id in self._specs:
            raise ValueError(f"scenario id {spec.id!r} is already in the catalogue")
        self._specs[spec.id] = spec

    def get(self, scenario_id: str) -> ScenarioSpec:
        try:
            return self._specs[scenario_id]
        except KeyError:
            raise KeyError(f"unknown scenario {scenario_id!r}; known: "
                           f"{', '.join(sorted(self._specs))}") from None

    def ids(self) -> list[str]:
        return sorted(self._specs)
