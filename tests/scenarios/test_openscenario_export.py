"""OpenSCENARIO export: round trip through the importer, determinism, the ASAM checker,
and clear errors for what OpenSCENARIO cannot express."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from scenarios.openscenario import export_xosc, load_xosc
from scenarios.schema import ScenarioFileError
from scenarios.spec import (
    EGO,
    ActorSpec,
    Criterion,
    EgoSpec,
    GeoReference,
    LinkDegradation,
    MapRef,
    RoadsideUnit,
    ScenarioSpec,
    SignalSpec,
    TrafficSpec,
    V2xSpec,
)
from scenarios.storyboard import (
    AcquirePosition,
    ActSpec,
    EventSpec,
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
from sim.actors import ActorKind
from tests.scenarios.qc_xosc_util import SCHEMA_CHECKER, precondition_skips, run_xosc_qc

DATA = Path(__file__).parent / "data"
XODR = str((DATA / "straight_3lane.xodr").resolve())


def assert_same_scenario(a: ScenarioSpec, b: ScenarioSpec, rel: float = 1e-9) -> None:
    """Every field of two specs equal, floats within ``rel``, except the map (an export
    always refers to the written .xodr). An act starting at 'time >= 0' equals one with no
    start trigger."""
    for f in dataclasses.fields(ScenarioSpec):
        if f.name != "map":
            _same(getattr(a, f.name), getattr(b, f.name), f.name, rel)


def _same(x, y, where: str, rel: float) -> None:
    if isinstance(x, ActSpec) and isinstance(y, ActSpec):
        x, y = (dataclasses.replace(v, start=_start(v.start)) for v in (x, y))
    if isinstance(x, float) and isinstance(y, (int, float)) and not isinstance(y, bool):
        assert math.isclose(x, y, rel_tol=rel, abs_tol=1e-12), f"{where}: {x!r} != {y!r}"
    elif dataclasses.is_dataclass(x) and not isinstance(x, type):
        assert type(x) is type(y), f"{where}: {type(x).__name__} != {type(y).__name__}"
        for f in dataclasses.fields(x):
            _same(getattr(x, f.name), getattr(y, f.name), f"{where}.{f.name}", rel)
    elif isinstance(x, tuple):
        assert isinstance(y, tuple) and len(x) == len(y), f"{where}: {x!r} != {y!r}"
        for i, (u, v) in enumerate(zip(x, y)):
            _same(u, v, f"{where}[{i}]", rel)
    else:
        assert type(x) is type(y) and x == y, f"{where}: {x!r} != {y!r}"


def _start(t: Trigger | None) -> Trigger | None:
    at_once = Trigger.all_of(SimulationTime(0.0, "greater_or_equal", edge="none"))
    return None if t == at_once else t


def rich_spec() -> ScenarioSpec:
    """A scenario using every position, condition, action, actor kind and kav-only field."""
    lead_brakes = EventSpec(
        "lead_brakes", ("lead",),
        Trigger(((SimulationTime(3.0), Speed(EGO, 5.0, "greater_or_equal")),
                 (ReachPosition(EGO, WorldPosition(100.0, -5.25), tolerance=3.0),))),
        (SpeedChange(2.0, Transition("linear", "rate", 3.0)),))
    moto = EventSpec(
        "moto_filter", ("moto",),
        Trigger.all_of(TimeHeadway(EGO, "lead", 1.5, "less", freespace=False, delay=0.5)),
        (LaneOffset(1.2, Transition("sinusoidal", "time", 2.0)),
         LaneOffset(-0.4, Transition("cubic", "time", 1.5)),
         SpeedChange(1.2, Transition("cubic", "distance", 20.0), relative_to="lead",
                     relative="factor")))
    lead_change = EventSpec(
        "lead_change", ("lead",),
        Trigger.all_of(TimeToCollision(EGO, "lead", 3.0, "less_or_equal")),
        (LaneChange(1, Transition("cubic", "distance", 30.0), offset=0.3),))
    walk = EventSpec(
        "walk", ("walker",),
        Trigger.all_of(RelativeDistance("walker", EGO, 30.0, "less", "cartesian")),
        (AcquirePosition(WorldPosition(200.0, -3.0)),))
    both = EventSpec(
        "both_react", ("truck", "bike"),
        Trigger.all_of(EventState("lead_brakes", "start", delay=1.0, edge="none")),
        (SpeedChange(-1.0, Transition("step"), relative_to=EGO),
         LaneChange(0, relative_to="lead"),
         Teleport(RelativeLanePosition("lead", -20.0, -1, 0.5))))
    late = EventSpec(
        "truck_speed", ("truck",), Trigger.all_of(EventState("lead_change", "end")),
        (SpeedChange(5.0, relative_to="lead", relative="delta"),
         Teleport(LanePosition(1, -3, 700.0, -0.2))))
    return ScenarioSpec(
        id="kav-export-demo", zone="pangyo", title="Export demo: every action and condition",
        description="A made-up scenario for the OpenSCENARIO round trip.",
        tests="export and import lose nothing", catalogue_ref="PG-TEST",
        map=MapRef(xodr=XODR),
        ego=EgoSpec(start=LanePosition(1, -2, 30.0), goal=WorldPosition(800.0, -5.25),
                    vehicle="shuttle", planner="idm-lane-follower", start_speed=8.0,
                    max_speed_kmh=30.0),
        geo=GeoReference(37.4, 127.1),
        actors=(
            ActorSpec("lead", ActorKind.CAR, RelativeLanePosition(EGO, 40.0), speed=10.0),
            ActorSpec("truck", ActorKind.TRUCK, LanePosition(1, -3, 100.0, 0.2),
                      behaviour="idm", speed=15.0, goal=LanePosition(1, -3, 900.0),
                      desired_speed=20.0, length=12.0, width=2.5),
            ActorSpec("moto", ActorKind.MOTORCYCLE, WorldPosition(20.0, -1.75, 0.0), speed=12.0),
            ActorSpec("walker", ActorKind.PEDESTRIAN, WorldPosition(200.0, -12.0, 1.5708),
                      speed=1.2),
            ActorSpec("van", ActorKind.CAR, LanePosition(1, -3, 400.0), behaviour="parked",
                      length=5.2),
            ActorSpec("bike", ActorKind.CYCLIST, LanePosition(1, -3, 60.0), speed=4.0),
            ActorSpec("bus_1", ActorKind.BUS, LanePosition(1, 1, 500.0), behaviour="idm",
                      speed=10.0),
        ),
        acts=(ActSpec("main", (lead_brakes, moto, lead_change, walk, both)),
              ActSpec("late", (late,), start=Trigger.all_of(SimulationTime(10.0, "greater"))),
              ActSpec("empty", ())),
        end=Trigger(((ReachPosition(EGO, WorldPosition(800.0, -5.25)),),
                     (SimulationTime(40.0),))),
        traffic=TrafficSpec(vehicles=5, pedestrians=2),
        signals=SignalSpec(straight_green=40.0, unprotected_left=True),
        bus_lane_hours="07:00-09:00,17:00-21:00",
        v2x=V2xSpec(radio="lte-v2x",
                    rsus=(RoadsideUnit("rsu1", WorldPosition(500.0, 12.0), ("CAM", "DENM"),
                                       400.0),),
                    degradation=LinkDegradation(0.8, 50.0, 5.0, 15.0)),
        criteria=(Criterion("no_collision", "ego_collisions", "==", 0.0, "count"),
                  Criterion("gap", "min_distance_m", ">=", 2.0, "m", actor="lead",
                            description="keeps a gap")),
        duration_s=45.0, dt_us=20_000, clock="21:40",
        parameters=(("Gap", 40.0), ("Lanes", 3), ("Name", "x y"), ("Flag", True)),
    )


def test_round_trip(tmp_path):
    spec = rich_spec()
    xosc, xodr = export_xosc(spec, tmp_path)
    assert (xosc.name, xodr.name) == ("kav-export-demo.xosc", "kav-export-demo.xodr")
    back = load_xosc(xosc)
    assert back.map == MapRef(xodr=str(xodr.resolve()))
    assert xodr.read_text() == Path(XODR).read_text()
    assert_same_scenario(spec, back)
    # lane offsets go through a lateral acceleration; everything else is exact
    assert dataclasses.replace(back, map=spec.map, acts=()) == dataclasses.replace(spec, acts=())


def test_cut_in_fixture_round_trip(tmp_path):
    spec = load_xosc(DATA / "cut_in.xosc")
    back = load_xosc(export_xosc(spec, tmp_path)[0])
    assert_same_scenario(spec, back)


def test_deterministic(tmp_path):
    spec = rich_spec()
    a, _ = export_xosc(spec, tmp_path / "a")
    b, _ = export_xosc(spec, tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()
    # and an imported export exports to the same bytes again
    c, _ = export_xosc(load_xosc(a), tmp_path / "c")
    assert c.read_bytes() == a.read_bytes()


def _assert_checker_clean(xosc: Path) -> None:
    report = run_xosc_qc(xosc)
    schema = [o for o in report.outcomes if o.checker_id == SCHEMA_CHECKER]
    assert [o.status for o in schema] == ["completed"]  # a schema issue skips the rest
    assert report.problems() == []
    assert precondition_skips(report) == []
    assert len(report.with_status("completed")) >= 15


def test_export_passes_the_asam_checker(tmp_path):
    _assert_checker_clean(export_xosc(rich_spec(), tmp_path)[0])


def _builtin_specs():
    try:
        from scenarios.catalog import builtin_catalog

        return list(builtin_catalog())
    except ImportError:
        return []


@pytest.mark.parametrize("spec", _builtin_specs(), ids=lambda s: s.id)
def test_catalogue_round_trip_and_checker(spec, tmp_path):
    xosc, _ = export_xosc(spec, tmp_path)
    assert_same_scenario(spec, load_xosc(xosc))
    _assert_checker_clean(xosc)


def test_catalogue_present():
    if not _builtin_specs():
        pytest.skip("scenarios.catalog is not there yet")


def _export_error(tmp_path, **changes) -> ScenarioFileError:
    spec = dataclasses.replace(rich_spec(), **changes)
    with pytest.raises(ScenarioFileError) as info:
        export_xosc(spec, tmp_path)
    return info.value


def _one_event(*actions, actors=("truck", "bike")) -> tuple[ActSpec, ...]:
    return (ActSpec("a", (EventSpec("e", actors, Trigger.all_of(SimulationTime(1.0)),
                                    actions),)),)


def test_lane_change_of_several_actors_needs_a_reference(tmp_path):
    err = _export_error(tmp_path, acts=_one_event(LaneChange(1)))
    assert err.path == "acts.a.events.e.actions[0]" and "one actor" in err.reason


def test_acquire_position_tolerance_has_no_openscenario_field(tmp_path):
    err = _export_error(tmp_path, acts=_one_event(AcquirePosition(WorldPosition(0, 0), 2.0)))
    assert "tolerance" in err.reason


def test_lane_offset_rate_comes_back_as_a_time(tmp_path):
    """OpenSCENARIO gives a lane offset's dynamics as a peak lateral acceleration, which
    the import turns into a time: a rate [m/s] comes back as offset / rate [s]."""
    spec = dataclasses.replace(rich_spec(), acts=_one_event(
        LaneOffset(-0.4, Transition("cubic", "rate", 0.5)), actors=("moto",)))
    (action,) = load_xosc(export_xosc(spec, tmp_path)[0]).acts[0].events[0].actions
    assert action.offset == -0.4 and action.transition.dimension == "time"
    assert action.transition.shape == "cubic"
    assert math.isclose(action.transition.value, 0.8, rel_tol=1e-9)


def test_lane_offset_over_a_distance_rejected(tmp_path):
    err = _export_error(tmp_path, acts=_one_event(
        LaneOffset(1.0, Transition("linear", "distance", 10.0)), actors=("moto",)))
    assert "distance" in err.reason
