"""OpenSCENARIO 1.0-1.3 (.xosc) -> :class:`scenarios.spec.ScenarioSpec`.

Reads the subset listed in :mod:`scenarios.openscenario` and rejects everything else with
:class:`~scenarios.schema.ScenarioFileError` naming the file, the element path and the
reason (:class:`~scenarios.openscenario._xml.UnsupportedElement` for valid OpenSCENARIO
outside the subset). Nothing is skipped silently, except vendor ``<Property>`` values that
are not ``kav:`` (renderer hints), SceneGraphFile (3D visuals) and parameter constraint
groups (they restrict variants, not the concrete scenario).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from scenarios.openscenario import _kav
from scenarios.openscenario._goal import derive_goal
from scenarios.openscenario._params import resolve_parameters
from scenarios.openscenario._read_board import (
    action_names,
    ident,
    read_init,
    read_story,
    split_stop_time,
)
from scenarios.openscenario._read_story import Names, read_trigger
from scenarios.openscenario._xml import Node, parse_file
from scenarios.openscenario.catalogs import Catalogs
from scenarios.schema import ScenarioFileError
from scenarios.spec import EGO, ActorSpec, EgoSpec, MapRef, ScenarioSpec
from sim.actors import KIND_PROPS, ActorKind

EGO_NAMES = ("ego", "hero", "ego_vehicle")  # compared case-insensitively
VEHICLES = {"car": ActorKind.CAR, "van": ActorKind.CAR, "bus": ActorKind.BUS,
            "truck": ActorKind.TRUCK, "trailer": ActorKind.TRUCK,
            "semitrailer": ActorKind.TRUCK, "motorbike": ActorKind.MOTORCYCLE,
            "bicycle": ActorKind.CYCLIST}
EGO_VEHICLES = {"car": "car", "van": "car", "bus": "bus"}


@dataclass
class _Entity:
    node: Node  # the ScenarioObject
    name: str  # kav name
    kind: ActorKind
    category: str  # Vehicle | Pedestrian | MiscObject
    length: float
    width: float
    vehicle: str | None = None  # the vehicleCategory
    props: dict = field(default_factory=dict)  # decoded kav: properties


def scenario_id(path: Path) -> str:
    """The file name as a scenario id: lower case, runs of other characters -> ``-``."""
    out = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")
    return out or "scenario"


def load_xosc(path: str | Path) -> ScenarioSpec:
    """Import the OpenSCENARIO file ``path``; ScenarioFileError naming what is wrong or
    unsupported. The map is ``MapRef(xodr=<absolute path of the LogicFile>)``."""
    path = Path(path).resolve()
    source = path.name
    root = Node(parse_file(path, source), "", source)
    if root.tag != "OpenSCENARIO":
        raise root.fail(f"the root element is <{root.tag}>, not <OpenSCENARIO>")
    root.children({"FileHeader", "ParameterDeclarations", "CatalogLocations", "RoadNetwork",
                   "Entities", "Storyboard"})
    header = root.one("FileHeader")
    header.children({"Properties"}, ignore={"License"})
    scope = resolve_parameters(root, {})
    catalogs = Catalogs(root.opt("CatalogLocations"), path.parent)
    xodr = _road_network(root.one("RoadNetwork"), path.parent)
    entities = _entities(root.one("Entities"), catalogs)
    names = Names({osc: e.name for osc, e in entities.items()}, {})
    ego = next(e for e in entities.values() if e.name == EGO)
    board = root.one("Storyboard")
    board.children({"Init", "Story", "StopTrigger"})
    init = read_init(board.one("Init"), names)
    names.actions = action_names(board)
    acts = tuple(a for story in board.all("Story") for a in read_story(story, names))
    scenario_props = _scenario_props(header, ego)
    end = read_trigger(board.opt("StopTrigger"), names)
    end, duration = split_stop_time(end, scenario_props.pop("duration_s", None))
    for e in entities.values():
        if e.name not in init or "start" not in init[e.name]:
            raise e.node.fail("entity has no TeleportAction in Storyboard/Init (kav needs "
                              "every actor's start position)")
    actors = tuple(_actor(e, init[e.name]) for e in entities.values() if e.name != EGO)
    ego_spec = _ego(ego, init[EGO], xodr, {n: v["start"] for n, v in init.items()})
    return root.build(
        ScenarioSpec, id=scenario_id(path), zone=scenario_props.pop("zone", "custom"),
        title=header.text("description", "") or path.stem, map=MapRef(xodr=str(xodr)),
        ego=ego_spec, actors=actors, acts=acts, end=end, duration_s=duration,
        parameters=tuple(scope.items()), **scenario_props)


def _properties(body: Node) -> list[tuple[str, str, str]]:
    """(name, value, path) of ``body``'s ``Properties/Property`` elements (Files and
    CustomContent are vendor data kav does not read)."""
    props = body.opt("Properties")
    if props is None:
        return []
    return [(p.text("name"), p.text("value"), p.path)
            for p in props.children({"Property"}, ignore={"File", "CustomContent"})]


def _scenario_props(header: Node, ego: _Entity) -> dict:
    """Scenario-level kav: properties from the FileHeader, or (1.0/1.1 files) the ego."""
    out = _kav.decode(_properties(header), _kav.SCENARIO_FIELDS, ScenarioSpec, header.source)
    for key, value in ego.props.items():
        if key in _kav.SCENARIO_FIELDS:
            if key in out:
                raise ego.node.fail(f"kav:{key} is given both in the FileHeader and here")
            out[key] = value
    return out


def _road_network(node: Node, base: Path) -> Path:
    node.children({"LogicFile"}, ignore={"SceneGraphFile"})
    logic = node.opt("LogicFile")
    if logic is None:
        raise node.fail("missing <LogicFile>: kav needs the OpenDRIVE map")
    xodr = (base / logic.text("filepath")).resolve()
    if not xodr.is_file():
        raise logic.fail(f"OpenDRIVE file {xodr} not found (filepath is relative to the "
                         ".xosc file)", "filepath")
    return xodr


def _entities(node: Node, catalogs: Catalogs) -> dict[str, _Entity]:
    out: dict[str, _Entity] = {}
    objects = node.children({"ScenarioObject"})
    egos = [o.text("name") for o in objects if o.text("name").lower() in EGO_NAMES]
    if len(egos) != 1:
        raise node.fail(("no entity is the ego" if not egos else f"several egos: {egos}")
                        + f"; kav takes the entity named one of {', '.join(EGO_NAMES)} "
                          "(case-insensitive) as the vehicle under test")
    for obj in objects:
        osc = obj.text("name")
        body = obj.choice({"Vehicle", "Pedestrian", "MiscObject", "CatalogReference"})
        if body.tag == "CatalogReference":
            body = catalogs.entry(body)
        name = EGO if osc == egos[0] else ident(osc)
        if name in {e.name for e in out.values()} or (name == EGO and osc != egos[0]):
            raise obj.fail(f"entity name {osc!r} clashes with another entity as kav name "
                           f"{name!r}")
        e = _body(obj, body, name)
        out[osc] = e
    return out


def _body(obj: Node, body: Node, name: str) -> _Entity:
    ignore = {"ParameterDeclarations"}
    if body.tag == "Vehicle":
        body.children({"BoundingBox", "Performance", "Axles", "Properties"}, ignore)
        cat = body.text("vehicleCategory")
        kind = body.enum("vehicleCategory", VEHICLES, ("train", "tram"))
    elif body.tag == "Pedestrian":
        body.children({"BoundingBox", "Properties"}, ignore)
        body.enum("pedestrianCategory", {"pedestrian": 0, "wheelchair": 0}, ("animal",))
        cat, kind = None, ActorKind.PEDESTRIAN
    else:  # a MiscObject: a parked obstacle of its own size
        body.children({"BoundingBox", "Properties"}, ignore)
        body.enum("miscObjectCategory", {"obstacle": 0, "none": 0},
                  ("barrier", "building", "crosswalk", "gantry", "parkingSpace", "patch",
                   "pole", "railing", "roadMark", "soundBarrier", "streetLamp",
                   "trafficIsland", "tree", "vegetation", "wind"))
        cat, kind = None, ActorKind.CAR
    dims = body.one("BoundingBox").one("Dimensions")
    props = _properties(body)
    if name == EGO:
        allowed, owner = _kav.SCENARIO_FIELDS + _kav.EGO_FIELDS, EgoSpec
    else:
        allowed, owner = _kav.ACTOR_FIELDS, ActorSpec
    decoded = _kav.decode(props, allowed, owner, body.source)
    return _Entity(obj, name, kind, body.tag, dims.num("length"), dims.num("width"), cat,
                   decoded)


def _actor(e: _Entity, init: dict) -> ActorSpec:
    box = KIND_PROPS[e.kind]
    # the kind's own box stays implicit (None), so an export/import round trip is exact
    length = None if e.category != "MiscObject" and abs(e.length - box.length) < 1e-9 \
        else e.length
    width = None if e.category != "MiscObject" and abs(e.width - box.width) < 1e-9 \
        else e.width
    behaviour = e.props.get("behaviour", "parked" if e.category == "MiscObject" else "scripted")
    return e.node.build(ActorSpec, name=e.name, kind=e.kind, start=init["start"],
                        behaviour=behaviour, speed=init.get("speed", 0.0),
                        goal=e.props.get("goal"), desired_speed=e.props.get("desired_speed"),
                        length=length, width=width)


def _ego(e: _Entity, init: dict, xodr: Path, starts: dict) -> EgoSpec:
    if e.category != "Vehicle" or e.vehicle not in EGO_VEHICLES:
        raise e.node.fail(f"the ego must be a car, van or bus Vehicle, not "
                          f"{e.vehicle or e.category}")
    goal = e.props.get("goal")
    if goal is None:
        try:
            goal = derive_goal(xodr, init["start"], starts)
        except (ValueError, IndexError) as exc:  # PositionError, MapError
            raise e.node.fail(f"cannot derive the ego's goal: {exc}") from None
    kw = {k: e.props[k] for k in ("planner", "max_speed_kmh") if k in e.props}
    return e.node.build(EgoSpec, start=init["start"], goal=goal,
                        vehicle=e.props.get("vehicle", EGO_VEHICLES[e.vehicle]),
                        start_speed=init.get("speed", 0.0), **kw)


__all__ = ["load_xosc", "ScenarioFileError"]
