"""The scripted part of a scenario: positions, trigger conditions, actions, events and acts.

Modelled on OpenSCENARIO 1.x's storyboard so that ``.xosc`` files import into it and
catalogue scenarios export from it without loss: an act starts when its trigger fires; each
of its events then fires once, when its own trigger fires, and starts its actions on its
actors. A trigger is true when any of its condition groups is (OR), a group when all of
its conditions are (AND). Units: SI (m, s, m/s, rad); positions in the map's OpenDRIVE
inertial frame.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from scenarios.schema import check

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def _name(field: str, value: str) -> None:
    check(bool(NAME.match(value)), field, f"{value!r} is not a name (letters, digits, _ -)")


# -- positions -----------------------------------------------------------------------------

@dataclass(frozen=True)
class WorldPosition:
    """x, y [m] in the map frame; heading [rad] counter-clockwise from +x (None: along the
    lane found there)."""

    x: float
    y: float
    heading: float | None = None


@dataclass(frozen=True)
class LanePosition:
    """OpenDRIVE road id, lane id (negative: right of the reference line), s [m] along the
    road, offset [m] lateral from the lane centre (positive left)."""

    road: int
    lane: int
    s: float
    offset: float = 0.0

    def __post_init__(self):
        check(self.lane != 0, "lane", "lane 0 is the reference line, not a lane")
        check(self.s >= 0.0, "s", f"must be >= 0, got {self.s}")


@dataclass(frozen=True)
class RelativeLanePosition:
    """``ds`` [m] ahead of (negative: behind) actor ``entity`` along its lane, ``dlane``
    lanes to its left (negative: right), ``offset`` [m] from that lane's centre."""

    entity: str
    ds: float
    dlane: int = 0
    offset: float = 0.0


Position = WorldPosition | LanePosition | RelativeLanePosition

# -- conditions ----------------------------------------------------------------------------

Rule = Literal["less", "greater", "equal", "less_or_equal", "greater_or_equal"]
Edge = Literal["rising", "none"]


def compare(value: float, rule: str, threshold: float, tol: float = 1e-9) -> bool:
    """``value <rule> threshold``; ``equal`` within ``tol``."""
    if rule == "less":
        return value < threshold
    if rule == "greater":
        return value > threshold
    if rule == "less_or_equal":
        return value <= threshold + tol
    if rule == "greater_or_equal":
        return value >= threshold - tol
    return abs(value - threshold) <= tol


@dataclass(frozen=True)
class SimulationTime:
    """Simulation time [s] compared with ``value``."""

    TAG = "time"
    value: float
    rule: Rule = "greater_or_equal"
    delay: float = 0.0
    edge: Edge = "rising"


@dataclass(frozen=True)
class ReachPosition:
    """Actor ``entity`` within ``tolerance`` [m] of ``position``."""

    TAG = "reach"
    entity: str
    position: Position
    tolerance: float = 2.0
    delay: float = 0.0
    edge: Edge = "rising"

    def __post_init__(self):
        check(self.tolerance > 0.0, "tolerance", f"must be > 0, got {self.tolerance}")


@dataclass(frozen=True)
class RelativeDistance:
    """Distance [m] from ``entity`` to ``ref``: ``cartesian`` (straight line) or
    ``longitudinal`` (along ``entity``'s heading); ``freespace``: between the boxes'
    nearest points, else between centres."""

    TAG = "distance"
    entity: str
    ref: str
    value: float
    rule: Rule = "less"
    coordinate: Literal["cartesian", "longitudinal"] = "cartesian"
    freespace: bool = False
    delay: float = 0.0
    edge: Edge = "rising"


@dataclass(frozen=True)
class TimeHeadway:
    """Time headway [s] of ``entity`` behind ``ref``: longitudinal gap / own speed (inf when
    ``ref`` is not ahead or the actor stands)."""

    TAG = "headway"
    entity: str
    ref: str
    value: float
    rule: Rule = "less"
    freespace: bool = True
    delay: float = 0.0
    edge: Edge = "rising"


@dataclass(frozen=True)
class TimeToCollision:
    """Time to collision [s] of ``entity`` with ``ref``: gap / closing speed along
    ``entity``'s heading, constant velocities (inf when not closing)."""

    TAG = "ttc"
    entity: str
    ref: str
    value: float
    rule: Rule = "less"
    freespace: bool = True
    delay: float = 0.0
    edge: Edge = "rising"


@dataclass(frozen=True)
class Speed:
    """Speed [m/s] of ``entity`` compared with ``value``."""

    TAG = "speed"
    entity: str
    value: float
    rule: Rule = "greater"
    delay: float = 0.0
    edge: Edge = "rising"


@dataclass(frozen=True)
class EventState:
    """Event ``event`` has reached ``state`` (``start``: fired; ``end``: all its actions
    finished)."""

    TAG = "event"
    event: str
    state: Literal["start", "end"] = "end"
    delay: float = 0.0
    edge: Edge = "rising"


Condition = (SimulationTime | ReachPosition | RelativeDistance | TimeHeadway | TimeToCollision
             | Speed | EventState)
CONDITION_TYPES = (SimulationTime, ReachPosition, RelativeDistance, TimeHeadway,
                   TimeToCollision, Speed, EventState)


@dataclass(frozen=True)
class Trigger:
    """OR over groups, AND within a group."""

    groups: tuple[tuple[Condition, ...], ...]

    def __post_init__(self):
        check(len(self.groups) > 0 and all(len(g) > 0 for g in self.groups), "groups",
              "a trigger needs at least one condition in every group")
        for g in self.groups:
            for c in g:
                check(c.delay >= 0.0, "delay", f"must be >= 0, got {c.delay}")

    @staticmethod
    def all_of(*conditions: Condition) -> Trigger:
        return Trigger((tuple(conditions),))

    def conditions(self) -> list[Condition]:
        return [c for g in self.groups for c in g]


# -- actions -------------------------------------------------------------------------------

Shape = Literal["step", "linear", "cubic", "sinusoidal"]


@dataclass(frozen=True)
class Transition:
    """How an action reaches its target: ``shape`` over ``dimension`` = ``value`` (``time``
    [s], ``distance`` [m] or ``rate`` [unit/s, e.g. m/s^2 for speed])."""

    shape: Shape = "step"
    dimension: Literal["time", "distance", "rate"] = "time"
    value: float = 0.0

    def __post_init__(self):
        check(self.value >= 0.0, "value", f"must be >= 0, got {self.value}")
        check(self.shape == "step" or self.value > 0.0, "value",
              f"a {self.shape} transition needs a value > 0")


@dataclass(frozen=True)
class SpeedChange:
    """Change speed to ``target`` [m/s] (negative: reverse), or to ``relative_to``'s speed
    plus ``target`` (``relative = "delta"``) / times ``target`` (``"factor"``)."""

    TAG = "speed"
    target: float
    transition: Transition = Transition()
    relative_to: str | None = None
    relative: Literal["delta", "factor"] = "delta"


@dataclass(frozen=True)
class LaneChange:
    """Move to the lane ``lanes`` to the left (negative: right) of the actor's own lane, or
    of actor ``relative_to``'s lane; end ``offset`` [m] left of that lane's centre."""

    TAG = "lane_change"
    lanes: int
    transition: Transition = Transition("sinusoidal", "time", 3.0)
    relative_to: str | None = None
    offset: float = 0.0


@dataclass(frozen=True)
class LaneOffset:
    """Drift to ``offset`` [m] left of the current lane's centre (motorcycle filtering
    between lanes: about half a lane width)."""

    TAG = "lane_offset"
    offset: float
    transition: Transition = Transition("sinusoidal", "time", 2.0)


@dataclass(frozen=True)
class Teleport:
    """Put the actor at ``position`` now."""

    TAG = "teleport"
    position: Position


@dataclass(frozen=True)
class AcquirePosition:
    """Head straight for ``position`` (pedestrians: walk there at the actor's speed, then
    stand); ``tolerance`` [m] counts as arrived."""

    TAG = "acquire_position"
    position: Position
    tolerance: float = 0.3

    def __post_init__(self):
        check(self.tolerance > 0.0, "tolerance", f"must be > 0, got {self.tolerance}")


Action = SpeedChange | LaneChange | LaneOffset | Teleport | AcquirePosition
ACTION_TYPES = (SpeedChange, LaneChange, LaneOffset, Teleport, AcquirePosition)


@dataclass(frozen=True)
class EventSpec:
    """When ``trigger`` fires (once, while its act runs), ``actions`` start on ``actors``."""

    name: str
    actors: tuple[str, ...]
    trigger: Trigger
    actions: tuple[Action, ...]

    def __post_init__(self):
        _name("name", self.name)
        check(len(self.actors) > 0, "actors", "an event needs at least one actor")
        check(len(self.actions) > 0, "actions", "an event needs at least one action")


@dataclass(frozen=True)
class ActSpec:
    """A group of events that become armed when ``start`` fires (None: at t = 0)."""

    name: str
    events: tuple[EventSpec, ...]
    start: Trigger | None = None

    def __post_init__(self):
        _name("name", self.name)


def finite(field: str, value: float) -> None:
    check(math.isfinite(value), field, f"must be finite, got {value}")


def _position_refs(p) -> list[str]:
    return [p.entity] if isinstance(p, RelativeLanePosition) else []


def _condition_refs(c) -> list[str]:
    out = [getattr(c, f) for f in ("entity", "ref") if getattr(c, f, None)]
    if isinstance(c, ReachPosition):
        out += _position_refs(c.position)
    return out


def _action_refs(a) -> list[str]:
    out = [a.relative_to] if getattr(a, "relative_to", None) else []
    if isinstance(a, (Teleport, AcquirePosition)):
        out += _position_refs(a.position)
    return out


def _triggers(spec):
    for act in spec.acts:
        if act.start is not None:
            yield f"acts.{act.name}.start", act.start
        for e in act.events:
            yield f"acts.{act.name}.events.{e.name}.trigger", e.trigger
    if spec.end is not None:
        yield "end", spec.end


def referenced_actors(spec) -> list[tuple[str, list[str]]]:
    """(where, actor names) for every actor reference in ``spec`` (a ScenarioSpec)."""
    out = [(f"actors.{a.name}.start", _position_refs(a.start)) for a in spec.actors]
    out += [(f"actors.{a.name}.goal", _position_refs(a.goal)) for a in spec.actors if a.goal]
    out += [("ego.start", _position_refs(spec.ego.start)),
            ("ego.goal", _position_refs(spec.ego.goal))]
    for where, trig in _triggers(spec):
        out += [(where, _condition_refs(c)) for c in trig.conditions()]
    for act in spec.acts:
        for e in act.events:
            where = f"acts.{act.name}.events.{e.name}"
            out.append((f"{where}.actors", list(e.actors)))
            out += [(f"{where}.actions", _action_refs(a)) for a in e.actions]
    return out


def referenced_events(spec) -> list[tuple[str, str]]:
    """(where, event name) for every EventState condition in ``spec``."""
    return [(where, c.event) for where, trig in _triggers(spec) for c in trig.conditions()
            if isinstance(c, EventState)]
