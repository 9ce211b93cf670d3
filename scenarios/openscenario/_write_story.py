"""kav storyboard dataclasses -> OpenSCENARIO 1.2 elements (positions, triggers, actions).

The inverse of :mod:`scenarios.openscenario._read_story`: whatever these functions write,
the importer reads back to an equal dataclass (lane offsets up to float rounding, since
OpenSCENARIO gives their dynamics as a lateral acceleration).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from scenarios.openscenario._read_story import EVENT_STATES, LATERAL_ACC_K, RULES
from scenarios.schema import ScenarioFileError
from scenarios.storyboard import (
    AcquirePosition,
    EventState,
    LaneChange,
    LaneOffset,
    LanePosition,
    ReachPosition,
    RelativeDistance,
    RelativeLanePosition,
    SimulationTime,
    Speed,
    SpeedChange,
    Teleport,
    TimeHeadway,
    TimeToCollision,
    Transition,
    Trigger,
    WorldPosition,
)

RULE_TEXT = {v: k for k, v in RULES.items()}
STATE_TEXT = {"start": "startTransition", "end": "endTransition"}
assert all(EVENT_STATES[t] == s for s, t in STATE_TEXT.items())
DEFAULT_ACQUIRE_TOLERANCE = 0.3  # [m] AcquirePosition's default: OpenSCENARIO has no field


def fmt(value: object) -> str:
    """Attribute text: floats exactly (shortest repr), booleans as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value + 0.0)  # + 0.0: no "-0.0"
    return str(value)


def el(parent: ET.Element | None, tag: str, **attrs: object) -> ET.Element:
    """A child element; attributes in the given order, ``None`` values left out."""
    text = {k: fmt(v) for k, v in attrs.items() if v is not None}
    return ET.Element(tag, text) if parent is None else ET.SubElement(parent, tag, text)


class ExportError(ScenarioFileError):
    """A spec that OpenSCENARIO (or kav's export of it) cannot express."""


# -- positions -----------------------------------------------------------------------------

def position(parent: ET.Element, pos) -> None:
    p = el(parent, "Position")
    if isinstance(pos, WorldPosition):
        el(p, "WorldPosition", x=float(pos.x), y=float(pos.y),
           h=None if pos.heading is None else float(pos.heading))
    elif isinstance(pos, LanePosition):
        el(p, "LanePosition", roadId=pos.road, laneId=pos.lane, s=float(pos.s),
           offset=float(pos.offset))
    elif isinstance(pos, RelativeLanePosition):
        el(p, "RelativeLanePosition", entityRef=pos.entity, dLane=pos.dlane, ds=float(pos.ds),
           offset=float(pos.offset))
    else:
        raise TypeError(f"not a position: {pos!r}")


# -- triggers ------------------------------------------------------------------------------

def trigger(parent: ET.Element, tag: str, trig: Trigger | None, owner: str) -> ET.Element:
    """``<tag>`` (StartTrigger/StopTrigger) with one ConditionGroup per group; condition
    names ``<owner>_<group>_<condition>`` (1-based) keep them unique in the file."""
    t = el(parent, tag)
    for gi, group in enumerate(trig.groups if trig else (), 1):
        g = el(t, "ConditionGroup")
        for ci, c in enumerate(group, 1):
            condition(g, c, f"{owner}_{gi}_{ci}")
    return t


def condition(parent: ET.Element, c, name: str) -> None:
    node = el(parent, "Condition", name=name, delay=float(c.delay), conditionEdge=c.edge)
    if isinstance(c, SimulationTime):
        el(el(node, "ByValueCondition"), "SimulationTimeCondition", value=float(c.value),
           rule=RULE_TEXT[c.rule])
        return
    if isinstance(c, EventState):
        el(el(node, "ByValueCondition"), "StoryboardElementStateCondition",
           storyboardElementType="event", storyboardElementRef=c.event,
           state=STATE_TEXT[c.state])
        return
    by = el(node, "ByEntityCondition")
    el(el(by, "TriggeringEntities", triggeringEntitiesRule="any"), "EntityRef",
       entityRef=c.entity)
    ec = el(by, "EntityCondition")
    if isinstance(c, ReachPosition):
        # ReachPositionCondition is deprecated in 1.2: the same as a DistanceCondition
        d = el(ec, "DistanceCondition", freespace=False, rule="lessOrEqual",
               value=float(c.tolerance), relativeDistanceType="euclidianDistance",
               coordinateSystem="entity")
        position(d, c.position)
    elif isinstance(c, RelativeDistance):
        el(ec, "RelativeDistanceCondition", entityRef=c.ref, freespace=c.freespace,
           relativeDistanceType="longitudinal" if c.coordinate == "longitudinal"
           else "euclidianDistance", rule=RULE_TEXT[c.rule], value=float(c.value),
           coordinateSystem="entity")
    elif isinstance(c, TimeHeadway):
        el(ec, "TimeHeadwayCondition", entityRef=c.ref, freespace=c.freespace,
           rule=RULE_TEXT[c.rule], value=float(c.value), coordinateSystem="entity",
           relativeDistanceType="longitudinal")
    elif isinstance(c, TimeToCollision):
        t = el(ec, "TimeToCollisionCondition", freespace=c.freespace, rule=RULE_TEXT[c.rule],
               value=float(c.value), coordinateSystem="entity",
               relativeDistanceType="longitudinal")
        el(el(t, "TimeToCollisionConditionTarget"), "EntityRef", entityRef=c.ref)
    elif isinstance(c, Speed):
        el(ec, "SpeedCondition", rule=RULE_TEXT[c.rule], value=float(c.value))
    else:
        raise TypeError(f"not a condition: {c!r}")


# -- actions -------------------------------------------------------------------------------

def dynamics(parent: ET.Element, tag: str, t: Transition) -> None:
    el(parent, tag, dynamicsShape=t.shape, value=float(t.value), dynamicsDimension=t.dimension)


def private_action(parent: ET.Element, a, actors: tuple[str, ...], fail) -> None:
    """``<PrivateAction>`` for action ``a`` of an event on ``actors``; ``fail(reason)``
    makes the ExportError naming the action."""
    pa = el(parent, "PrivateAction")
    if isinstance(a, SpeedChange):
        sa = el(el(pa, "LongitudinalAction"), "SpeedAction")
        dynamics(sa, "SpeedActionDynamics", a.transition)
        target = el(sa, "SpeedActionTarget")
        if a.relative_to is None:
            el(target, "AbsoluteTargetSpeed", value=float(a.target))
        else:
            el(target, "RelativeTargetSpeed", entityRef=a.relative_to, value=float(a.target),
               speedTargetValueType=a.relative, continuous=False)
    elif isinstance(a, LaneChange):
        ref = a.relative_to
        if ref is None:
            if len(actors) != 1:
                raise fail("a lane change relative to each actor's own lane needs an event "
                           "with one actor (OpenSCENARIO names one reference entity)")
            ref = actors[0]
        lc = el(el(pa, "LateralAction"), "LaneChangeAction", targetLaneOffset=float(a.offset))
        dynamics(lc, "LaneChangeActionDynamics", a.transition)
        el(el(lc, "LaneChangeTarget"), "RelativeTargetLane", entityRef=ref, value=a.lanes)
    elif isinstance(a, LaneOffset):
        lo = el(el(pa, "LateralAction"), "LaneOffsetAction", continuous=False)
        acc = _lateral_acc(a, fail)
        el(lo, "LaneOffsetActionDynamics", dynamicsShape="step" if acc is None
           else a.transition.shape, maxLateralAcc=acc)
        el(el(lo, "LaneOffsetTarget"), "AbsoluteTargetLaneOffset", value=float(a.offset))
    elif isinstance(a, Teleport):
        position(el(pa, "TeleportAction"), a.position)
    elif isinstance(a, AcquirePosition):
        if a.tolerance != DEFAULT_ACQUIRE_TOLERANCE:
            raise fail(f"AcquirePosition tolerance {a.tolerance} m: OpenSCENARIO has no "
                       f"field for it (only the default {DEFAULT_ACQUIRE_TOLERANCE} m exports)")
        position(el(el(pa, "RoutingAction"), "AcquirePositionAction"), a.position)
    else:
        raise TypeError(f"not an action: {a!r}")


def _lateral_acc(a: LaneOffset, fail) -> float | None:
    """maxLateralAcc [m/s^2] that the importer turns back into ``a``'s transition time
    (None: a step). The inverse of :func:`._read_story.read_lane_offset`."""
    t = a.transition
    if t.shape == "step" or a.offset == 0.0:
        return None
    if t.dimension == "distance":
        raise fail("a lane offset over a distance has no OpenSCENARIO form (use time or rate)")
    duration = t.value if t.dimension == "time" else abs(a.offset) / t.value
    return LATERAL_ACC_K[t.shape] * abs(a.offset) / duration ** 2


def is_stop_time(group: tuple) -> bool:
    """A group that is just 'simulation time >= t' (the importer reads it as a duration)."""
    c = group[0]
    return (len(group) == 1 and isinstance(c, SimulationTime) and c.delay == 0.0
            and c.rule in ("greater", "greater_or_equal") and c.value > 0.0)


__all__ = ["ExportError", "el", "fmt", "is_stop_time", "private_action", "trigger"]
