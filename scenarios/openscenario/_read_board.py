"""The storyboard's structure: Init, Story/Act/ManeuverGroup/Maneuver/Event, and the
stop trigger's run duration."""

from __future__ import annotations

import re

from scenarios.openscenario._read_story import Names, read_private, read_trigger
from scenarios.openscenario._xml import Node
from scenarios.storyboard import (
    ActSpec,
    EventSpec,
    SimulationTime,
    SpeedChange,
    Teleport,
    Trigger,
)

DEFAULT_DURATION_S = 60.0  # when neither kav:duration_s nor a stop time is given


def ident(name: str) -> str:
    """An OpenSCENARIO name as a kav name (letters, digits, _ -): others become ``_``."""
    out = re.sub(r"[^A-Za-z0-9_\-]", "_", name)
    return out if re.match(r"^[A-Za-z_]", out) else f"_{out}"


def read_init(node: Node, names: Names) -> dict[str, dict]:
    """kav name -> {"start": Position, "speed": float} from the Init actions."""
    out: dict[str, dict] = {}
    for priv in node.one("Actions").children({"Private"}):
        name = names.entity(priv)
        got = out.setdefault(name, {})
        for pa in priv.children({"PrivateAction"}):
            action = read_private(pa, names, (name,))
            key = "start" if isinstance(action, Teleport) else "speed"
            if isinstance(action, Teleport):
                value = action.position
            elif (isinstance(action, SpeedChange) and action.relative_to is None
                  and action.transition.shape == "step"):
                value = action.target
            else:
                raise pa.fail("kav's Init takes a TeleportAction and an absolute SpeedAction "
                              "with step dynamics (an initial speed)")
            if key in got:
                raise pa.fail(f"a second initial {'position' if key == 'start' else 'speed'} "
                              f"for {priv.text('entityRef')!r}")
            got[key] = value
    return out


def action_names(board: Node) -> dict[str, list[tuple[str, int]]]:
    """Action name -> [(kav event name, number of actions in that event)], so a condition
    on an action's state can be read as one on its event (if the action is alone there)."""
    out: dict[str, list[tuple[str, int]]] = {}
    for event in board.el.iter("Event"):
        actions = event.findall("Action")
        for a in actions:
            out.setdefault(a.get("name", ""), []).append((ident(event.get("name", "")),
                                                          len(actions)))
    return out


def read_story(story: Node, names: Names) -> list[ActSpec]:
    acts = []
    for act in story.children({"Act"}, ignore={"ParameterDeclarations"}):
        act.children({"ManeuverGroup", "StartTrigger"})
        events = [e for mg in act.all("ManeuverGroup") for e in _maneuver_group(mg, names)]
        start = read_trigger(act.opt("StartTrigger"), names)
        acts.append(act.build(ActSpec, name=ident(act.text("name")), events=tuple(events),
                              start=_at_zero_is_none(start)))
    return acts


def _maneuver_group(mg: Node, names: Names) -> list[EventSpec]:
    if mg.integer("maximumExecutionCount", 1) != 1:
        raise mg.fail("kav runs every maneuver group once", "maximumExecutionCount")
    mg.children({"Actors", "Maneuver"})
    actors_node = mg.one("Actors")
    if actors_node.flag("selectTriggeringEntities", False):
        raise actors_node.fail("kav events name their actors explicitly",
                               "selectTriggeringEntities")
    actors = tuple(names.entity(r) for r in actors_node.children({"EntityRef"}))
    out = []
    for man in mg.all("Maneuver"):
        for ev in man.children({"Event"}, ignore={"ParameterDeclarations"}):
            if ev.integer("maximumExecutionCount", 1) != 1:
                raise ev.fail("kav fires every event once", "maximumExecutionCount")
            ev.enum("priority", {"overwrite": 0, "override": 0, "parallel": 0}, ("skip",))
            ev.children({"Action", "StartTrigger"})
            actions = tuple(read_private(a.choice({"PrivateAction"}), names, actors)
                            for a in ev.all("Action"))
            trigger = read_trigger(ev.opt("StartTrigger"), names)
            if trigger is None:  # no trigger: the event starts with its act
                trigger = Trigger.all_of(SimulationTime(0.0, "greater_or_equal", edge="none"))
            out.append(ev.build(EventSpec, name=ident(ev.text("name")), actors=actors,
                                trigger=trigger, actions=actions))
    return out


def _at_zero_is_none(t: Trigger | None) -> Trigger | None:
    """An act start 'simulation time > 0 (or >= 0)' is the same as starting at once."""
    if t is not None and len(t.groups) == 1 and len(t.groups[0]) == 1:
        c = t.groups[0][0]
        if (isinstance(c, SimulationTime) and c.value == 0.0 and c.delay == 0.0
                and c.rule in ("greater", "greater_or_equal")):
            return None
    return t


def split_stop_time(end: Trigger | None, duration: float | None
                     ) -> tuple[Trigger | None, float]:
    """The run's duration [s] and what is left of the stop trigger. A group that is just
    'simulation time >= t' ends the run at t: without a ``kav:duration_s`` property the
    earliest such t is the duration and those groups leave the trigger (else
    :data:`DEFAULT_DURATION_S`); with it, only groups at exactly that time leave."""
    if end is None:
        return None, DEFAULT_DURATION_S if duration is None else duration
    times, rest = [], []
    for g in end.groups:
        c = g[0]
        if (len(g) == 1 and isinstance(c, SimulationTime) and c.delay == 0.0
                and c.rule in ("greater", "greater_or_equal") and c.value > 0.0
                and (duration is None or c.value == duration)):
            times.append(c.value)
        else:
            rest.append(g)
    if duration is None:
        duration = min(times) if times else DEFAULT_DURATION_S
    return (Trigger(tuple(rest)) if rest else None), duration
