""":class:`scenarios.spec.ScenarioSpec` -> OpenSCENARIO 1.2 (.xosc) + its OpenDRIVE map.

The output validates against the official 1.2 XSD and passes the ASAM OpenSCENARIO
checker; :func:`scenarios.openscenario.load_xosc` reads it back to the same spec (up to the
map, which becomes ``MapRef(xodr=...)``). Layout:

* the ego is the entity ``ego``; actors keep their names; kinds map to vehicle categories
  (car, bus, truck, motorbike, bicycle) or a Pedestrian, with the kind's box unless the
  actor overrides it; kav-only data goes into ``kav:`` properties (:mod:`._kav`);
* Init: a TeleportAction and an initial (step) SpeedAction per entity;
* one Story; per act one ManeuverGroup per event (kav events name their own actors); an act
  that starts at once gets a 'simulation time >= 0' start trigger (Act needs one);
* StopTrigger: ``spec.end``'s groups plus 'simulation time >= duration_s'.

Deterministic: the same spec gives the same bytes (fixed FileHeader date, ordered
attributes, shortest exact float text).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from scenarios.map_registry import map_text
from scenarios.openscenario import _kav
from scenarios.openscenario._write_story import (
    ExportError,
    el,
    is_stop_time,
    position,
    private_action,
    trigger,
)
from scenarios.openscenario.importer import EGO_NAMES
from scenarios.spec import EGO, SHUTTLE_DIMENSIONS, ScenarioSpec
from scenarios.storyboard import ActSpec, SimulationTime, Trigger
from sim.actors import KIND_PROPS, ActorKind

REV_MINOR = 2
DATE = "2025-01-01T00:00:00"  # fixed: same spec, same bytes
CATEGORY = {ActorKind.CAR: "car", ActorKind.BUS: "bus", ActorKind.TRUCK: "truck",
            ActorKind.MOTORCYCLE: "motorbike", ActorKind.CYCLIST: "bicycle"}
HEIGHT = {ActorKind.CAR: 1.5, ActorKind.BUS: 3.2, ActorKind.TRUCK: 3.0,
          ActorKind.MOTORCYCLE: 1.4, ActorKind.PEDESTRIAN: 1.8, ActorKind.CYCLIST: 1.7}  # [m]
PEDESTRIAN_MASS = 75.0  # [kg]
WHEEL_DIAMETER = 0.7  # [m]
START_AT_ONCE = Trigger.all_of(SimulationTime(0.0, "greater_or_equal", edge="none"))


def export_xosc(spec: ScenarioSpec, out_dir: str | Path,
                base_dir: str | Path | None = None) -> tuple[Path, Path]:
    """Write ``<id>.xosc`` and ``<id>.xodr`` (the map's text; a relative ``spec.map.xodr``
    is relative to ``base_dir``) into ``out_dir``; returns both paths. ExportError for a
    spec OpenSCENARIO cannot express."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    xodr = out / f"{spec.id}.xodr"
    xosc = out / f"{spec.id}.xosc"
    xodr.write_text(map_text(spec.map, Path(base_dir) if base_dir else None), encoding="utf-8")
    xosc.write_text(to_xosc(spec, xodr.name), encoding="utf-8")
    return xosc, xodr


def to_xosc(spec: ScenarioSpec, xodr_name: str) -> str:
    """The OpenSCENARIO document for ``spec`` as text; its LogicFile is ``xodr_name``."""
    root = el(None, "OpenSCENARIO")
    header = el(root, "FileHeader", revMajor=1, revMinor=REV_MINOR, date=DATE,
                description=spec.title, author="kav")
    _properties(header, _scenario_properties(spec))
    if spec.parameters:
        decls = el(root, "ParameterDeclarations")
        for name, value in spec.parameters:
            el(decls, "ParameterDeclaration", name=name, parameterType=_param_type(value),
               value=value)
    el(root, "CatalogLocations")
    el(el(root, "RoadNetwork"), "LogicFile", filepath=xodr_name)
    _entities(el(root, "Entities"), spec)
    board = el(root, "Storyboard")
    _init(el(el(board, "Init"), "Actions"), spec)
    if spec.acts:
        story = el(board, "Story", name="story")
        for act in spec.acts:
            _act(story, act, spec)
    groups = spec.end.groups if spec.end else ()
    stop = SimulationTime(float(spec.duration_s), "greater_or_equal")
    if (stop,) not in groups:
        groups = (*groups, (stop,))
    trigger(board, "StopTrigger", Trigger(groups), "stop")
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _param_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    return "string"


def _fail(spec: ScenarioSpec, where: str):
    return lambda reason: ExportError(spec.id, where, reason)


def _scenario_properties(spec: ScenarioSpec) -> list[tuple[str, str]]:
    props = _kav.encode(spec, _kav.SCENARIO_FIELDS)
    if "kav:duration_s" not in dict(props) and spec.end and \
            any(is_stop_time(g) for g in spec.end.groups):
        # the importer would otherwise read that group as the duration
        props.append(("kav:duration_s", repr(float(spec.duration_s))))
    return props


def _properties(parent: ET.Element, props: list[tuple[str, str]]) -> None:
    p = el(parent, "Properties")
    for key, value in props:
        el(p, "Property", name=key, value=value)


def _entities(parent: ET.Element, spec: ScenarioSpec) -> None:
    ego = spec.ego
    dims = SHUTTLE_DIMENSIONS if ego.vehicle == "shuttle" else None
    _object(parent, EGO, ego.kind, dims, _kav.encode(ego, _kav.EGO_FIELDS),
            f"kav_{ego.vehicle}")
    for a in spec.actors:
        if a.name.lower() in EGO_NAMES:
            raise ExportError(spec.id, f"actors.{a.name}", f"{a.name!r} would read back as "
                              f"the ego (import takes {', '.join(EGO_NAMES)} as the ego)")
        box = KIND_PROPS[a.kind]
        dims = (a.length or box.length, a.width or box.width)
        _object(parent, a.name, a.kind, dims, _kav.encode(a, _kav.ACTOR_FIELDS),
                f"kav_{a.kind.name.lower()}")


def _object(parent: ET.Element, name: str, kind: ActorKind,
            dims: tuple[float, float] | None, props: list[tuple[str, str]],
            model: str) -> None:
    """A ScenarioObject; ``dims`` (length, width) [m], None for the kind's box."""
    k = KIND_PROPS[kind]
    length, width = dims or (k.length, k.width)
    obj = el(parent, "ScenarioObject", name=name)
    if kind == ActorKind.PEDESTRIAN:
        body = el(obj, "Pedestrian", name=model, mass=PEDESTRIAN_MASS,
                  pedestrianCategory="pedestrian")
        _box(body, float(length), float(width), HEIGHT[kind], 0.0)
    else:
        body = el(obj, "Vehicle", name=model, vehicleCategory=CATEGORY[kind])
        # OpenSCENARIO's vehicle origin is the rear axle: the box centre is half a
        # wheelbase ahead of it
        _box(body, float(length), float(width), HEIGHT[kind], k.wheelbase / 2.0)
        el(body, "Performance", maxSpeed=k.max_speed, maxAcceleration=k.max_accel,
           maxDeceleration=k.max_decel)
        axles = el(body, "Axles")
        track = round(0.85 * float(width), 3)
        el(axles, "FrontAxle", maxSteering=float(k.max_steer), wheelDiameter=WHEEL_DIAMETER,
           trackWidth=track, positionX=k.wheelbase, positionZ=WHEEL_DIAMETER / 2.0)
        el(axles, "RearAxle", maxSteering=0.0, wheelDiameter=WHEEL_DIAMETER, trackWidth=track,
           positionX=0.0, positionZ=WHEEL_DIAMETER / 2.0)
    _properties(body, props)


def _box(body: ET.Element, length: float, width: float, height: float, cx: float) -> None:
    bb = el(body, "BoundingBox")
    el(bb, "Center", x=float(cx), y=0.0, z=height / 2.0)
    el(bb, "Dimensions", width=width, length=length, height=height)


def _init(actions: ET.Element, spec: ScenarioSpec) -> None:
    starts = [(EGO, spec.ego.start, spec.ego.start_speed)]
    starts += [(a.name, a.start, a.speed) for a in spec.actors]
    for name, start, speed in starts:
        priv = el(actions, "Private", entityRef=name)
        position(el(el(priv, "PrivateAction"), "TeleportAction"), start)
        sa = el(el(el(priv, "PrivateAction"), "LongitudinalAction"), "SpeedAction")
        el(sa, "SpeedActionDynamics", dynamicsShape="step", value=0.0, dynamicsDimension="time")
        el(el(sa, "SpeedActionTarget"), "AbsoluteTargetSpeed", value=float(speed))


def _act(story: ET.Element, act: ActSpec, spec: ScenarioSpec) -> None:
    a = el(story, "Act", name=act.name)
    if not act.events:  # an Act needs a ManeuverGroup: an empty one does nothing
        group = el(a, "ManeuverGroup", maximumExecutionCount=1, name=f"{act.name}_group")
        el(group, "Actors", selectTriggeringEntities=False)
    for ev in act.events:
        group = el(a, "ManeuverGroup", maximumExecutionCount=1, name=f"{ev.name}_group")
        actors = el(group, "Actors", selectTriggeringEntities=False)
        for name in ev.actors:
            el(actors, "EntityRef", entityRef=name)
        event = el(el(group, "Maneuver", name=f"{ev.name}_maneuver"), "Event", name=ev.name,
                   priority="override", maximumExecutionCount=1)
        for i, action in enumerate(ev.actions, 1):
            where = f"acts.{act.name}.events.{ev.name}.actions[{i - 1}]"
            node = el(event, "Action", name=f"{ev.name}_action{i}")
            private_action(node, action, ev.actors, _fail(spec, where))
        trigger(event, "StartTrigger", ev.trigger, ev.name)
    trigger(a, "StartTrigger", act.start or START_AT_ONCE, act.name)
