"""OpenSCENARIO positions, triggers and private actions -> kav storyboard dataclasses.

Each reader takes a :class:`~scenarios.openscenario._xml.Node` and a :class:`Names` (entity
and storyboard-element name mapping) and rejects, naming the element, whatever kav cannot
represent faithfully.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scenarios.openscenario._xml import Node
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

RULES = {"lessThan": "less", "greaterThan": "greater", "equalTo": "equal",
         "lessOrEqual": "less_or_equal", "greaterOrEqual": "greater_or_equal"}
SHAPES = {s: s for s in ("step", "linear", "cubic", "sinusoidal")}
DIMENSIONS = {d: d for d in ("time", "distance", "rate")}
EDGES = {"rising": "rising", "none": "none"}
# coordinate systems kav measures in the entity's heading frame: exact on straight roads,
# an approximation of road/lane coordinates on curves
FRAMES = {"entity": "entity", "road": "road", "lane": "lane"}
EVENT_STATES = {"startTransition": "start", "runningState": "start",
                "endTransition": "end", "completeState": "end"}


@dataclass
class Names:
    """OpenSCENARIO entity name -> kav actor name; action name -> (event name, number of
    actions in that event), for StoryboardElementStateConditions on actions."""

    entities: dict[str, str]
    actions: dict[str, list[tuple[str, int]]]

    def entity(self, node: Node, attr: str = "entityRef") -> str:
        name = node.text(attr)
        if name not in self.entities:
            raise node.fail(f"unknown entity {name!r} (entities: "
                            f"{', '.join(self.entities)})", attr)
        return self.entities[name]


# -- positions -----------------------------------------------------------------------------

POSITIONS = ("WorldPosition", "LanePosition", "RelativeLanePosition")


def read_position(node: Node, names: Names):
    """A ``<Position>`` element -> WorldPosition | LanePosition | RelativeLanePosition."""
    p = node.choice(POSITIONS)
    if p.tag == "WorldPosition":
        for a in ("p", "r"):
            if p.num(a, 0.0) != 0.0:
                raise p.fail("kav places actors on the road surface: pitch/roll must be 0", a)
        return p.build(WorldPosition, x=p.num("x"), y=p.num("y"), heading=p.num("h", None))
    _orientation(p)
    if p.tag == "LanePosition":
        road = p.text("roadId")
        if not road.lstrip("-").isdigit():
            raise p.fail(f"road id {road!r} is not an integer (kav reads integer road ids, "
                         "as CARLA does)", "roadId")
        return p.build(LanePosition, road=int(road), lane=p.integer("laneId"), s=p.num("s"),
                       offset=p.num("offset", 0.0))
    if p.has("dsLane") or not p.has("ds"):
        raise p.fail("kav reads RelativeLanePosition with ds (dsLane is not supported)")
    return p.build(RelativeLanePosition, entity=names.entity(p), ds=p.num("ds"),
                   dlane=p.integer("dLane"), offset=p.num("offset", 0.0))


def _orientation(p: Node) -> None:
    """Only the default orientation (along the lane) is representable."""
    for o in p.children({"Orientation"}):
        if any(o.num(a, 0.0) != 0.0 for a in ("h", "p", "r")) or \
                o.text("type", "relative") != "relative":
            raise o.fail("kav orients actors along their lane: only a relative orientation "
                         "of 0 is supported")


# -- triggers ------------------------------------------------------------------------------

def read_trigger(node: Node | None, names: Names) -> Trigger | None:
    """A Start/StopTrigger; None when absent or without condition groups."""
    if node is None:
        return None
    groups = []
    for g in node.children({"ConditionGroup"}):
        groups.append(tuple(read_condition(c, names) for c in g.children({"Condition"})))
    if not groups:
        return None
    return node.build(Trigger, groups=tuple(groups))


def read_condition(node: Node, names: Names):
    edge = node.enum("conditionEdge", EDGES, ("falling", "risingOrFalling"))
    delay = node.num("delay", 0.0)
    common = {"delay": delay, "edge": edge}
    inner = node.choice({"ByValueCondition", "ByEntityCondition"})
    if inner.tag == "ByValueCondition":
        c = inner.choice({"SimulationTimeCondition", "StoryboardElementStateCondition"})
        if c.tag == "SimulationTimeCondition":
            return c.build(SimulationTime, value=c.num("value"), rule=_rule(c), **common)
        return _element_state(c, names, common)
    trig = inner.one("TriggeringEntities")
    refs = trig.children({"EntityRef"})
    if len(refs) != 1:
        raise trig.fail(f"kav conditions watch one entity; found {len(refs)} EntityRefs")
    trig.enum("triggeringEntitiesRule", {"any": "any", "all": "all"})
    inner.children({"TriggeringEntities", "EntityCondition"})
    entity = names.entity(refs[0])
    c = inner.one("EntityCondition").choice(
        {"ReachPositionCondition", "DistanceCondition", "RelativeDistanceCondition",
         "TimeHeadwayCondition", "TimeToCollisionCondition", "SpeedCondition"})
    if c.tag in ("ReachPositionCondition", "DistanceCondition"):
        return _reach(c, entity, names, common)
    if c.tag == "SpeedCondition":
        if c.has("direction"):
            raise c.fail("kav compares the speed magnitude only", "direction")
        return c.build(Speed, entity=entity, value=c.num("value"), rule=_rule(c), **common)
    if c.tag == "RelativeDistanceCondition":
        kind = c.enum("relativeDistanceType",
                      {"longitudinal": "longitudinal", "cartesianDistance": "cartesian",
                       "euclidianDistance": "cartesian"}, ("lateral",))
        _frame(c)
        return c.build(RelativeDistance, entity=entity, ref=names.entity(c), value=c.num("value"),
                       rule=_rule(c), coordinate=kind, freespace=c.flag("freespace"), **common)
    _frame(c)
    if c.tag == "TimeHeadwayCondition":
        _longitudinal(c)
        return c.build(TimeHeadway, entity=entity, ref=names.entity(c), value=c.num("value"),
                       rule=_rule(c), freespace=c.flag("freespace"), **common)
    _longitudinal(c)
    target = c.one("TimeToCollisionConditionTarget").choice({"EntityRef", "Position"})
    if target.tag == "Position":
        raise target.unsupported({"EntityRef"})
    return c.build(TimeToCollision, entity=entity, ref=names.entity(target),
                   value=c.num("value"), rule=_rule(c), freespace=c.flag("freespace"), **common)


def _rule(c: Node) -> str:
    return c.enum("rule", RULES, ("notEqualTo",))


def _frame(c: Node) -> None:
    c.enum("coordinateSystem", FRAMES, ("trajectory",), default="entity")
    if c.text("routingAlgorithm", "undefined") != "undefined":
        raise c.fail("kav measures distances without routing", "routingAlgorithm")


def _longitudinal(c: Node) -> None:
    c.enum("relativeDistanceType", {"longitudinal": "longitudinal"},
           ("lateral", "cartesianDistance", "euclidianDistance"), default="longitudinal")


def _reach(c: Node, entity: str, names: Names, common: dict) -> ReachPosition:
    """ReachPositionCondition, or a DistanceCondition that says the same (centre within
    ``value`` of a position) -> ReachPosition."""
    position = read_position(c.one("Position"), names)
    c.children({"Position"})
    if c.tag == "ReachPositionCondition":
        tol = c.num("tolerance")
    else:
        if c.flag("freespace") or _rule(c) not in ("less", "less_or_equal"):
            raise c.fail("kav reads a DistanceCondition only as 'reach position': "
                         "freespace=false and rule lessThan/lessOrEqual")
        c.enum("relativeDistanceType", {"cartesianDistance": 0, "euclidianDistance": 0},
               ("longitudinal", "lateral"), default=0)
        _frame(c)
        tol = c.num("value")
    return c.build(ReachPosition, entity=entity, position=position, tolerance=tol, **common)


def _element_state(c: Node, names: Names, common: dict) -> EventState:
    kind = c.enum("storyboardElementType", {"event": "event", "action": "action"},
                  ("story", "act", "maneuver", "maneuverGroup"))
    state = c.enum("state", EVENT_STATES, ("standbyState", "stopTransition", "skipTransition"))
    ref = c.text("storyboardElementRef").split("::")[-1]  # 1.2 qualified names: last part
    if kind == "action":
        found = names.actions.get(ref, [])
        if len(found) != 1:
            raise c.fail(f"action {ref!r} is {'ambiguous' if found else 'unknown'}",
                         "storyboardElementRef")
        ref, n_actions = found[0]
        if n_actions != 1:
            raise c.fail(f"kav tracks events, not single actions: action {ref!r} shares its "
                         "event with other actions", "storyboardElementRef")
    return c.build(EventState, event=ref, state=state, **common)


# -- actions -------------------------------------------------------------------------------

def read_private(pa: Node, names: Names, actors: tuple[str, ...]):
    """A ``<PrivateAction>`` on ``actors`` (kav names) -> kav action."""
    a = pa.choice({"LongitudinalAction", "LateralAction", "TeleportAction", "RoutingAction"})
    if a.tag == "TeleportAction":
        return Teleport(read_position(a.one("Position"), names))
    if a.tag == "RoutingAction":
        acq = a.choice({"AcquirePositionAction"})
        return AcquirePosition(read_position(acq.one("Position"), names))
    if a.tag == "LongitudinalAction":
        return read_speed(a.choice({"SpeedAction"}), names)
    lat = a.choice({"LaneChangeAction", "LaneOffsetAction"})
    if lat.tag == "LaneChangeAction":
        target = lat.one("LaneChangeTarget").choice({"RelativeTargetLane"})
        ref = names.entity(target)
        # relative to the (sole) actor itself is kav's default: its own lane
        relative_to = None if actors == (ref,) else ref
        return lat.build(LaneChange, lanes=target.integer("value"),
                         transition=read_transition(lat.one("LaneChangeActionDynamics")),
                         relative_to=relative_to, offset=lat.num("targetLaneOffset", 0.0))
    return read_lane_offset(lat)


def read_transition(d: Node) -> Transition:
    """TransitionDynamics -> Transition. A step needs no value or dimension (many files
    leave them out); a rate's sign says nothing (the target sets the direction), so a
    negative rate (e.g. ``-5`` for braking) is read as its magnitude."""
    if d.text("followingMode", "position") != "position":
        raise d.fail("kav follows the dynamics exactly (followingMode 'position' only)",
                     "followingMode")
    shape = d.enum("dynamicsShape", SHAPES)
    step = shape == "step"
    dimension = d.enum("dynamicsDimension", DIMENSIONS, default="time" if step else None)
    if dimension is None:
        raise d.fail("missing attribute", "dynamicsDimension")
    value = d.num("value", 0.0 if step else None)
    if value is None:
        raise d.fail("missing attribute", "value")
    if dimension == "rate":
        value = abs(value)
    return d.build(Transition, shape=shape, dimension=dimension, value=value)


def read_speed(sa: Node, names: Names) -> SpeedChange:
    transition = read_transition(sa.one("SpeedActionDynamics"))
    t = sa.one("SpeedActionTarget").choice({"AbsoluteTargetSpeed", "RelativeTargetSpeed"})
    if t.tag == "AbsoluteTargetSpeed":
        return t.build(SpeedChange, target=t.num("value"), transition=transition)
    if t.flag("continuous"):
        raise t.fail("kav sets a relative target speed once (continuous='false' only)",
                     "continuous")
    return t.build(SpeedChange, target=t.num("value"), transition=transition,
                   relative_to=names.entity(t),
                   relative=t.enum("speedTargetValueType", {"delta": "delta",
                                                            "factor": "factor"}))


# peak lateral acceleration of a lateral move of d [m] over T [s] is K * d / T^2:
# sinusoidal d/2 (1 - cos(pi t/T)) -> pi^2/2; cubic d (3u^2 - 2u^3) -> 6; linear (read
# as accelerate half-way, brake half-way) -> 4
LATERAL_ACC_K = {"sinusoidal": math.pi ** 2 / 2.0, "cubic": 6.0, "linear": 4.0}


def read_lane_offset(lat: Node) -> LaneOffset:
    """LaneOffsetAction -> LaneOffset. kav's transition is a time; OpenSCENARIO gives a
    maximum lateral acceleration a [m/s^2], so T = sqrt(K * |offset| / a) with K of the
    shape (:data:`LATERAL_ACC_K`), assuming the move starts from the lane centre. No
    maxLateralAcc (unbounded) or a step shape -> a step."""
    if lat.flag("continuous"):
        raise lat.fail("kav moves to a lane offset once (continuous='false' only)", "continuous")
    target = lat.one("LaneOffsetTarget").choice({"AbsoluteTargetLaneOffset"})
    offset = target.num("value")
    d = lat.one("LaneOffsetActionDynamics")
    shape = d.enum("dynamicsShape", SHAPES)
    acc = d.num("maxLateralAcc", None)
    if shape == "step" or acc is None or offset == 0.0:
        return LaneOffset(offset, Transition("step", "time", 0.0))
    if acc <= 0.0:
        raise d.fail(f"must be > 0, got {acc}", "maxLateralAcc")
    return LaneOffset(offset, Transition(shape, "time",
                                         math.sqrt(LATERAL_ACC_K[shape] * abs(offset) / acc)))
