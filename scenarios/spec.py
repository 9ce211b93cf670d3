"""Scenario specifications (frozen) and the catalogue that names them.

Every scenario source (catalogue TOML files, user TOML files, OpenSCENARIO imports) loads
into :class:`ScenarioSpec`; runs, exports and sweeps only ever see this form. Field
validation lives in ``__post_init__`` and raises ``ValueError("<field>: <reason>")`` so the
file loader can name the key path. Units: SI unless a name says otherwise (``_kmh``,
``_ms`` [milliseconds], ``_s``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from scenarios.schema import check
from scenarios.storyboard import ActSpec, Position, Trigger, WorldPosition, finite
from sim.actors import ActorKind
from sim.roadnet.conventions import parse_hours

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
EGO = "ego"  # the reserved actor name of the vehicle under test


@dataclass(frozen=True)
class MapRef:
    """Either ``builder`` (a registered map builder, see :mod:`scenarios.map_registry`) with
    its keyword ``params``, or ``xodr``: an OpenDRIVE file (relative paths are relative to
    the scenario file)."""

    builder: str | None = None
    params: tuple[tuple[str, float | int | str | bool], ...] = ()
    xodr: str | None = None

    def __post_init__(self):
        check((self.builder is None) != (self.xodr is None), "builder",
              "give exactly one of 'builder' and 'xodr'")
        check(self.xodr is None or not self.params, "params", "only builders take params")

    @property
    def label(self) -> str:
        return self.builder or str(self.xodr)


@dataclass(frozen=True)
class GeoReference:
    """WGS-84 anchor of the map origin [deg] (default: the zone's anchor)."""

    lat: float
    lon: float

    def __post_init__(self):
        check(-90.0 <= self.lat <= 90.0, "lat", f"must be in [-90, 90], got {self.lat}")
        check(-180.0 <= self.lon <= 180.0, "lon", f"must be in [-180, 180], got {self.lon}")


EGO_VEHICLES = {"car": ActorKind.CAR, "bus": ActorKind.BUS, "shuttle": ActorKind.BUS}
# a low-floor autonomous shuttle (e.g. Cheonggyecheon, Pangyo Zero Shuttle): bus-like rules,
# smaller body, 30 km/h service speed
SHUTTLE_DIMENSIONS = (5.3, 2.1)


@dataclass(frozen=True)
class EgoSpec:
    """The vehicle under test: ``vehicle`` type, start (heading from the lane), goal, the
    planner by registry name or ``module:Class``, and its initial speed [m/s]."""

    start: Position
    goal: Position
    vehicle: Literal["car", "bus", "shuttle"] = "car"
    planner: str = "kav-ref"
    start_speed: float = 0.0
    max_speed_kmh: float | None = None

    def __post_init__(self):
        check(0.0 <= self.start_speed <= 60.0, "start_speed",
              f"must be in [0, 60] m/s, got {self.start_speed}")
        check(self.max_speed_kmh is None or 5.0 <= self.max_speed_kmh <= 200.0,
              "max_speed_kmh", f"must be in [5, 200], got {self.max_speed_kmh}")

    @property
    def kind(self) -> ActorKind:
        return EGO_VEHICLES[self.vehicle]


@dataclass(frozen=True)
class ActorSpec:
    """A named actor. ``behaviour``: ``idm`` (the engine's traffic model drives it along a
    route to ``goal``, or roaming without one), ``scripted`` (keeps its lane at its speed
    and does only what events tell it, as OpenSCENARIO's default controller) or ``parked``
    (never moves). An event's action takes an ``idm`` actor over for the rest of the run.
    ``length``/``width`` [m] override the kind's box (a delivery van is a car of 5.2 m)."""

    name: str
    kind: ActorKind
    start: Position
    behaviour: Literal["idm", "scripted", "parked"] = "scripted"
    speed: float = 0.0
    goal: Position | None = None
    desired_speed: float | None = None
    length: float | None = None
    width: float | None = None

    def __post_init__(self):
        check(bool(re.match(r"^[A-Za-z_][A-Za-z0-9_\-]*$", self.name)), "name",
              f"{self.name!r} is not a name (letters, digits, _ -)")
        check(self.name != EGO, "name", f"'{EGO}' is reserved for the vehicle under test")
        check(-15.0 <= self.speed <= 60.0, "speed", f"must be in [-15, 60] m/s, got {self.speed}")
        check(self.desired_speed is None or 0.0 < self.desired_speed <= 60.0, "desired_speed",
              f"must be in (0, 60] m/s, got {self.desired_speed}")
        for f in ("length", "width"):
            v = getattr(self, f)
            check(v is None or 0.2 <= v <= 25.0, f, f"must be in [0.2, 25] m, got {v}")
        check(self.goal is None or self.behaviour == "idm", "goal", "only idm actors take a goal")


@dataclass(frozen=True)
class TrafficSpec:
    """Background traffic: roaming NPC vehicles and walking pedestrians."""

    vehicles: int = 0
    pedestrians: int = 0

    def __post_init__(self):
        check(0 <= self.vehicles <= 100_000, "vehicles", f"must be in [0, 100000], got "
                                                         f"{self.vehicles}")
        check(0 <= self.pedestrians <= 100_000, "pedestrians",
              f"must be in [0, 100000], got {self.pedestrians}")


@dataclass(frozen=True)
class SignalSpec:
    """Signal plan policy at every signalised junction (Korean phasing, straight first then
    left): greens [s] and the options the junctions of this scenario use."""

    straight_green: float = 30.0
    left_green: float = 15.0
    side_green: float = 20.0
    right_turn_arrow: bool = False
    actuated_left: bool = False
    unprotected_left: bool = False

    def __post_init__(self):
        for f in ("straight_green", "left_green", "side_green"):
            v = getattr(self, f)
            check(5.0 <= v <= 180.0, f, f"must be in [5, 180] s, got {v}")


@dataclass(frozen=True)
class RoadsideUnit:
    """A roadside unit at (x, y) [m] broadcasting ``messages`` within ``range_m``."""

    name: str
    position: WorldPosition
    messages: tuple[Literal["CAM", "DENM", "CPM", "SPATEM", "MAPEM", "IVIM"], ...]
    range_m: float = 300.0

    def __post_init__(self):
        check(len(self.messages) > 0, "messages", "an RSU must send at least one message type")
        check(10.0 <= self.range_m <= 2000.0, "range_m", f"must be in [10, 2000], got "
                                                         f"{self.range_m}")


@dataclass(frozen=True)
class LinkDegradation:
    """Extra loss and delay on every V2X link from ``start_s`` to ``end_s`` [s] (None: to
    the end): packet delivery ratio in [0, 1] (0: a blackout), added latency [ms]."""

    pdr: float = 1.0
    extra_latency_ms: float = 0.0
    start_s: float = 0.0
    end_s: float | None = None

    def __post_init__(self):
        check(0.0 <= self.pdr <= 1.0, "pdr", f"must be in [0, 1], got {self.pdr}")
        check(0.0 <= self.extra_latency_ms <= 10_000.0, "extra_latency_ms",
              f"must be in [0, 10000], got {self.extra_latency_ms}")
        check(self.start_s >= 0.0, "start_s", f"must be >= 0, got {self.start_s}")
        check(self.end_s is None or self.end_s > self.start_s, "end_s", "must be > start_s")


@dataclass(frozen=True)
class V2xSpec:
    """Radio profile (``wave``: IEEE 802.11p / ITS-G5; ``lte-v2x``: PC5 mode 4), roadside
    units, whether vehicles carry OBUs, and link degradation."""

    radio: Literal["wave", "lte-v2x"] = "wave"
    rsus: tuple[RoadsideUnit, ...] = ()
    obu_vehicles: bool = True
    degradation: LinkDegradation | None = None


OPS = ("<=", ">=", "<", ">", "==")


@dataclass(frozen=True)
class Criterion:
    """A pass criterion: ``metric`` (of :data:`scenarios.criteria.METRICS`, optionally about
    ``actor``) ``op`` ``threshold`` [``unit``]."""

    name: str
    metric: str
    op: Literal["<=", ">=", "<", ">", "=="]
    threshold: float
    unit: str = ""
    actor: str | None = None
    description: str = ""

    def __post_init__(self):
        finite("threshold", self.threshold)
        from scenarios.criteria import METRICS

        check(self.metric in METRICS, "metric",
              f"unknown metric {self.metric!r}; known: {', '.join(sorted(METRICS))}")


@dataclass(frozen=True)
class ScenarioSpec:
    """One concrete scenario. ``end`` may end the run before ``duration_s``; ``clock`` is
    the local time of day at t = 0 (bus-lane hours, night services)."""

    id: str
    zone: str
    title: str
    map: MapRef
    ego: EgoSpec
    description: str = ""
    tests: str = ""  # one line: what it tests (the catalogue listing shows it)
    catalogue_ref: str = ""  # e.g. "GN-RTOR" in shared/design/korea.md
    geo: GeoReference | None = None
    actors: tuple[ActorSpec, ...] = ()
    acts: tuple[ActSpec, ...] = ()
    end: Trigger | None = None
    traffic: TrafficSpec = field(default_factory=TrafficSpec)
    signals: SignalSpec = field(default_factory=SignalSpec)
    bus_lane_hours: str | None = None
    v2x: V2xSpec | None = None
    criteria: tuple[Criterion, ...] = ()
    duration_s: float = 60.0
    dt_us: int = 50_000
    clock: str = "08:30"
    parameters: tuple[tuple[str, float | int | str | bool], ...] = ()  # concrete values

    def __post_init__(self):
        check(bool(_ID.fullmatch(self.id)), "id",
              f"{self.id!r}: use lower-case letters, digits and '-'")
        check(0 < self.duration_s <= 24 * 3600, "duration_s",
              f"must be in (0, 86400], got {self.duration_s}")
        check(bool(_CLOCK.match(self.clock)), "clock", f"{self.clock!r} is not HH:MM")
        check(1_000 <= self.dt_us <= 1_000_000, "dt_us", f"must be in [1000, 1000000], got "
                                                         f"{self.dt_us}")
        if self.bus_lane_hours is not None:
            try:
                parse_hours(self.bus_lane_hours)
            except ValueError as exc:
                raise ValueError(f"bus_lane_hours: {exc}") from None
        self._check_names()

    def _check_names(self) -> None:
        actors = [a.name for a in self.actors]
        check(len(set(actors)) == len(actors), "actors", "actor names must be unique")
        known = set(actors) | {EGO}
        events = [e.name for act in self.acts for e in act.events]
        check(len(set(events)) == len(events), "acts", "event names must be unique")
        check(len({a.name for a in self.acts}) == len(self.acts), "acts",
              "act names must be unique")
        from scenarios.storyboard import referenced_actors, referenced_events

        for where, names in referenced_actors(self):
            for n in names:
                check(n in known, where, f"unknown actor {n!r} (known: {', '.join(sorted(known))})")
        for where, n in referenced_events(self):
            check(n in events, where, f"unknown event {n!r}")
        for c in self.criteria:
            check(c.actor is None or c.actor in known, "criteria",
                  f"{c.name}: unknown actor {c.actor!r}")

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

    def __iter__(self):
        return iter(self._specs[i] for i in self.ids())

    def __len__(self) -> int:
        return len(self._specs)
