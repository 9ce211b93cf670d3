"""OpenSCENARIO import: the hand-written cut-in fixture, and a clear error (file, element
path, reason) for every construct outside kav's subset."""

from __future__ import annotations

import importlib.resources
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scenarios.openscenario import UnsupportedElement, load_xosc
from scenarios.openscenario._params import evaluate
from scenarios.schema import ScenarioFileError
from scenarios.spec import EGO
from scenarios.storyboard import (
    EventState,
    LaneChange,
    LanePosition,
    RelativeDistance,
    RelativeLanePosition,
    SpeedChange,
    Transition,
    Trigger,
    WorldPosition,
)
from sim.actors import ActorKind

DATA = Path(__file__).parent / "data"
CUT_IN = DATA / "cut_in.xosc"


def test_cut_in_fixture_is_valid_openscenario_1_1():
    from lxml import etree

    xsd = importlib.resources.files("qc_openscenario.schema").joinpath("1.1.0/OpenSCENARIO.xsd")
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    assert schema.validate(etree.parse(str(CUT_IN))), schema.error_log


def test_straight_road_fixture_loads():
    from sim.roadnet.loader import load_network

    net = load_network(DATA / "straight_3lane.xodr")
    assert net.lanes.n == 6 and net.geo_reference.startswith("+proj=tmerc")
    assert abs(float(net.lanes.length.max()) - 1000.0) < 0.01


def test_cut_in_imports():
    spec = load_xosc(CUT_IN)
    assert spec.id == "cut-in" and spec.zone == "custom"
    assert spec.title.startswith("Cut-in")
    assert spec.map.xodr == str((DATA / "straight_3lane.xodr").resolve())
    assert dict(spec.parameters) == {"EgoSpeed": 25.0, "EgoStartS": 50.0, "EgoLane": -2,
                                     "CutInGap": 40.0, "CutInDistance": 15.0,
                                     "BrakeTargetSpeed": 10.0}
    assert spec.ego.start == LanePosition(1, -2, 50.0, 0.0)
    assert spec.ego.start_speed == 25.0 and spec.ego.vehicle == "car"
    # no goal in the file: 300 m ahead along the ego's lane (lane -2 centre: y = -5.25)
    assert spec.ego.goal == WorldPosition(350.0, -5.25)
    (cut,) = spec.actors
    assert (cut.name, cut.kind, cut.behaviour) == ("CutInVehicle", ActorKind.CAR, "scripted")
    assert cut.start == RelativeLanePosition(EGO, 40.0, 1, 0.0)
    assert cut.speed == 20.0  # ${$EgoSpeed - 5}
    assert (cut.length, cut.width) == (4.6, 1.9)
    (act,) = spec.acts
    assert act.name == "CutInAct" and act.start is None  # "time > 0" = at once
    cut_in, brake = act.events
    assert cut_in.actors == brake.actors == ("CutInVehicle",)
    assert cut_in.trigger == Trigger.all_of(
        RelativeDistance("CutInVehicle", EGO, 15.0, "less", "longitudinal", freespace=True))
    assert cut_in.actions == (LaneChange(0, Transition("sinusoidal", "time", 3.0),
                                         relative_to=EGO),)
    assert brake.trigger == Trigger.all_of(EventState("CutInEvent", "end", edge="none"))
    assert brake.actions == (SpeedChange(10.0, Transition("linear", "rate", 4.0)),)
    assert spec.end is None and spec.duration_s == 30.0


# -- error cases: the fixture, edited ---------------------------------------------------

def _edit(tmp_path: Path, edit, copy_map: bool = True) -> Path:
    """The cut-in fixture changed by ``edit(root)``, written next to a copy of its map."""
    tree = ET.parse(CUT_IN)
    edit(tree.getroot())
    out = tmp_path / "cut_in.xosc"
    tree.write(out, encoding="unicode")
    if copy_map:
        shutil.copy(DATA / "straight_3lane.xodr", tmp_path)
    return out


def _find(root: ET.Element, xpath: str) -> ET.Element:
    found = root.find(xpath)
    assert found is not None, xpath
    return found


def _replace_children(parent: ET.Element, xml: str) -> None:
    for child in list(parent):
        parent.remove(child)
    parent.append(ET.fromstring(xml))


def _error(path: Path) -> ScenarioFileError:
    with pytest.raises(ScenarioFileError) as info:
        load_xosc(path)
    assert str(info.value).startswith(f"{path.name}: ")
    return info.value


def test_unsupported_action(tmp_path):
    def edit(root):
        _replace_children(_find(root, ".//Action[@name='Brake']/PrivateAction"),
                          '<ControllerAction><ActivateControllerAction longitudinal="true"/>'
                          "</ControllerAction>")

    err = _error(_edit(tmp_path, edit))
    assert isinstance(err, UnsupportedElement)
    assert err.path.endswith("Event[@name='BrakeEvent']/Action[@name='Brake']/PrivateAction/"
                             "ControllerAction")
    assert err.path.startswith("Storyboard/Story[@name='CutInStory']/Act[@name='CutInAct']/")
    assert "not supported by kav's OpenSCENARIO import" in err.reason
    assert "LateralAction" in err.reason  # lists what is supported there


def test_unsupported_condition(tmp_path):
    def edit(root):
        _replace_children(_find(root, ".//Condition[@name='CutInGapReached']//EntityCondition"),
                          '<CollisionCondition><EntityRef entityRef="Ego"/></CollisionCondition>')

    err = _error(_edit(tmp_path, edit))
    assert isinstance(err, UnsupportedElement)
    assert err.path.endswith("Condition[@name='CutInGapReached']/ByEntityCondition/"
                             "EntityCondition/CollisionCondition")
    assert "RelativeDistanceCondition" in err.reason


def test_unsupported_global_action_in_init(tmp_path):
    def edit(root):
        actions = _find(root, "Storyboard/Init/Actions")
        actions.insert(0, ET.fromstring(
            '<GlobalAction><EnvironmentAction><Environment name="e"/></EnvironmentAction>'
            "</GlobalAction>"))

    err = _error(_edit(tmp_path, edit))
    assert err.path == "Storyboard/Init/Actions/GlobalAction"


def _use_catalog(root: ET.Element, directory: str, assignments: str = "") -> None:
    _find(root, "CatalogLocations").append(ET.fromstring(
        f'<VehicleCatalog><Directory path="{directory}"/></VehicleCatalog>'))
    _replace_children(_find(root, "Entities/ScenarioObject[@name='CutInVehicle']"),
                      '<CatalogReference catalogName="VehicleCatalog" entryName="car_red">'
                      f"{assignments}</CatalogReference>")


def test_missing_catalog(tmp_path):
    err = _error(_edit(tmp_path, lambda root: _use_catalog(root, "Catalogs/Vehicles")))
    assert "catalog 'VehicleCatalog' entry 'car_red'" in err.reason
    assert "catalog not found" in err.reason and "Catalogs/Vehicles" in err.reason
    assert err.path == "Entities/ScenarioObject[@name='CutInVehicle']/CatalogReference"


def test_catalog_reference_resolves_with_assignments(tmp_path):
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "VehicleCatalog.xosc").write_text(
        '<OpenSCENARIO><FileHeader revMajor="1" revMinor="0" date="2025-01-01T00:00:00" '
        'author="t" description="c"/><Catalog name="VehicleCatalog">'
        '<Vehicle name="car_red" vehicleCategory="van"><ParameterDeclarations>'
        '<ParameterDeclaration name="Length" parameterType="double" value="4.6"/>'
        "</ParameterDeclarations><BoundingBox><Center x=\"1\" y=\"0\" z=\"1\"/>"
        '<Dimensions width="2.0" length="$Length" height="2"/></BoundingBox>'
        '<Performance maxSpeed="40" maxAcceleration="3" maxDeceleration="8"/><Axles>'
        '<FrontAxle maxSteering="0.5" wheelDiameter="0.7" trackWidth="1.7" positionX="3" '
        'positionZ="0.35"/><RearAxle maxSteering="0" wheelDiameter="0.7" trackWidth="1.7" '
        'positionX="0" positionZ="0.35"/></Axles><Properties/></Vehicle></Catalog>'
        "</OpenSCENARIO>")
    xosc = _edit(tmp_path, lambda root: _use_catalog(
        root, "cat", '<ParameterAssignments><ParameterAssignment parameterRef="Length" '
                     'value="${$CutInGap / 8}"/></ParameterAssignments>'))
    (cut,) = load_xosc(xosc).actors
    assert (cut.kind, cut.length, cut.width) == (ActorKind.CAR, 5.0, 2.0)


def test_unknown_parameter_reference(tmp_path):
    def edit(root):
        _find(root, ".//Private[@entityRef='Ego']//LanePosition").set("s", "$Nope")

    err = _error(_edit(tmp_path, edit))
    assert "unknown parameter $Nope" in err.reason and "EgoSpeed" in err.reason
    assert err.path.endswith("Private[@entityRef='Ego']/PrivateAction[1]/TeleportAction/"
                             "Position/LanePosition/@s")


def test_missing_map(tmp_path):
    err = _error(_edit(tmp_path, lambda root: None, copy_map=False))
    assert err.path == "RoadNetwork/LogicFile/@filepath"
    assert "straight_3lane.xodr not found" in err.reason


def test_no_logic_file(tmp_path):
    def edit(root):
        rn = _find(root, "RoadNetwork")
        rn.remove(_find(rn, "LogicFile"))

    err = _error(_edit(tmp_path, edit))
    assert err.path == "RoadNetwork" and "LogicFile" in err.reason


@pytest.mark.parametrize("edge", ["falling", "risingOrFalling"])
def test_falling_edge_rejected(tmp_path, edge):
    def edit(root):
        _find(root, ".//Condition[@name='CutInGapReached']").set("conditionEdge", edge)

    err = _error(_edit(tmp_path, edit))
    assert err.path.endswith("Condition[@name='CutInGapReached']/@conditionEdge")
    assert f"{edge!r} is not supported by kav" in err.reason


def test_no_ego(tmp_path):
    def edit(root):
        for el in root.iter():
            for key in ("name", "entityRef"):
                if el.get(key) == "Ego":
                    el.set(key, "Subject")

    err = _error(_edit(tmp_path, edit))
    assert err.path == "Entities" and "ego, hero, ego_vehicle" in err.reason


def test_ttc_to_a_position_rejected(tmp_path):
    def edit(root):
        _replace_children(
            _find(root, ".//Condition[@name='CutInGapReached']//EntityCondition"),
            '<TimeToCollisionCondition freespace="false" rule="lessThan" value="2" '
            'alongRoute="false"><TimeToCollisionConditionTarget><Position>'
            '<WorldPosition x="0" y="0"/></Position></TimeToCollisionConditionTarget>'
            "</TimeToCollisionCondition>")

    err = _error(_edit(tmp_path, edit))
    assert err.path.endswith("TimeToCollisionCondition/TimeToCollisionConditionTarget/Position")


def test_state_of_a_story_element_rejected(tmp_path):
    def edit(root):
        _find(root, ".//StoryboardElementStateCondition").set("storyboardElementType", "act")

    err = _error(_edit(tmp_path, edit))
    assert err.path.endswith("StoryboardElementStateCondition/@storyboardElementType")
    assert "'act' is not supported by kav" in err.reason


def test_absolute_target_lane_rejected(tmp_path):
    def edit(root):
        _replace_children(_find(root, ".//LaneChangeTarget"),
                          '<AbsoluteTargetLane value="-1"/>')

    err = _error(_edit(tmp_path, edit))
    assert err.path.endswith("LaneChangeTarget/AbsoluteTargetLane")


def test_kav_properties_and_other_ego_names(tmp_path):
    def edit(root):
        for el in root.iter():
            for key in ("name", "entityRef"):
                if el.get(key) == "Ego":
                    el.set(key, "hero")
        props = _find(root, "Entities/ScenarioObject[@name='hero']/Vehicle/Properties")
        props.append(ET.fromstring('<Property name="kav:goal" value="900 -5.25"/>'))
        props.append(ET.fromstring('<Property name="kav:zone" value="pangyo"/>'))
        props.append(ET.fromstring('<Property name="kav:clock" value="22:15"/>'))
        cut = _find(root, "Entities/ScenarioObject[@name='CutInVehicle']/Vehicle/Properties")
        cut.append(ET.fromstring('<Property name="kav:behaviour" value="idm"/>'))

    spec = load_xosc(_edit(tmp_path, edit))
    assert spec.ego.goal == WorldPosition(900.0, -5.25)
    assert (spec.zone, spec.clock) == ("pangyo", "22:15")
    assert spec.actors[0].behaviour == "idm"
    assert spec.actors[0].start == RelativeLanePosition(EGO, 40.0, 1, 0.0)


def test_unknown_kav_property_rejected(tmp_path):
    def edit(root):
        _find(root, "Entities/ScenarioObject[@name='CutInVehicle']/Vehicle/Properties").append(
            ET.fromstring('<Property name="kav:zone" value="pangyo"/>'))

    err = _error(_edit(tmp_path, edit))
    assert "unknown property 'kav:zone'" in err.reason and "kav:behaviour" in err.reason


def test_misc_object_is_a_parked_obstacle(tmp_path):
    def edit(root):
        _replace_children(
            _find(root, "Entities/ScenarioObject[@name='CutInVehicle']"),
            '<MiscObject name="cone" mass="5" miscObjectCategory="obstacle"><BoundingBox>'
            '<Center x="0" y="0" z="0.3"/><Dimensions width="0.4" length="0.4" height="0.7"/>'
            "</BoundingBox><Properties/></MiscObject>")
        stories = _find(root, "Storyboard")
        stories.remove(_find(stories, "Story"))
        _find(root, ".//AbsoluteTargetSpeed[@value='${$EgoSpeed - 5}']").set("value", "0")

    (cone,) = load_xosc(_edit(tmp_path, edit)).actors
    assert (cone.behaviour, cone.length, cone.width, cone.speed) == ("parked", 0.4, 0.4, 0.0)


def test_sloppy_but_common_forms(tmp_path):
    """What real files (e.g. esmini's examples) do: a step without value or dimension, a
    negative braking rate, a Story-level parameter naming the actor, comments."""
    def edit(root):
        init_speed = _find(root, ".//Private[@entityRef='Ego']//SpeedActionDynamics")
        del init_speed.attrib["value"], init_speed.attrib["dynamicsDimension"]
        _find(root, ".//Action[@name='Brake']//SpeedActionDynamics").set("value", "-4")
        story = _find(root, "Storyboard/Story")
        story.insert(0, ET.fromstring(
            '<ParameterDeclarations><ParameterDeclaration name="owner" '
            'parameterType="string" value="CutInVehicle"/></ParameterDeclarations>'))
        _find(story, ".//Actors/EntityRef").set("entityRef", "$owner")
        story.insert(1, ET.Comment(" a comment "))

    spec = load_xosc(_edit(tmp_path, edit))
    assert spec.ego.start_speed == 25.0
    brake = spec.acts[0].events[1]
    assert brake.actors == ("CutInVehicle",)
    assert brake.actions == (SpeedChange(10.0, Transition("linear", "rate", 4.0)),)
    assert "owner" not in dict(spec.parameters)  # only the file's own (root) parameters


def test_expressions():
    scope = {"a": 2.0, "n": 3}
    assert evaluate("$a + 1", scope) == 3.0
    assert evaluate("($a * $n - 1) / 5 + sqrt(16)", scope) == 5.0
    with pytest.raises(ValueError, match="unknown parameter"):
        evaluate("$b + 1", scope)
    with pytest.raises(ValueError, match="unsupported expression"):
        evaluate("__import__('os')", scope)
