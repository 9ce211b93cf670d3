"""The built-in suites' scenario files (``scenarios/suites/scenarios``) and their
proving-ground maps: every file parses, every variant is a valid, placeable scenario, the
sweep grids have the sizes the suites expect, the no-braking geometry hits where the test
says, and one closed-loop run of the reference stack passes."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from planners.base import Plan, Planner
from scenarios.map_registry import build_map, map_builders
from scenarios.maps.corridor_presets import proving_ground_presets
from scenarios.scenario_file import read_scenario_file
from scenarios.setup import build_world
from scenarios.spec import EGO, ScenarioSpec
from sim.actors import ActorKind
from sim.rng import RngTree
from sim.roadnet.network import LaneType

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios" / "suites" / "scenarios"
# file stem -> variants (product of the declared ``values`` lists)
GRIDS = {"ncap-ccrs": 5, "ncap-ccrm": 6, "ncap-ccrb": 4, "ncap-cpna": 12, "ncap-cpfa": 6,
         "r157-cut-in": 18, "r157-lead-brake": 6}
COMFORT_DECEL = 2.0  # [m/s^2] the reference stack's approach deceleration


class HoldSpeed(Planner):
    """Neither brakes nor steers: where a test's actors meet an ego that does nothing."""

    name = "hold-speed"

    def initialize(self, init) -> None:
        self.init = init

    def compute_plan(self, inp) -> Plan:
        return Plan(0.0, 0.0)


def _logical(stem: str):
    return read_scenario_file(SCENARIOS / f"{stem}.toml")


@pytest.fixture(scope="module")
def nets():
    """builder -> (network, engine) at the default limit (positions do not depend on it)."""
    from sim.engines.embedded import EmbeddedEngine
    from sim.roadnet.loader import load_network_text

    out = {}
    for name in proving_ground_presets():
        net = load_network_text(build_map(name), f"{name}.xodr")
        out[name] = (net, EmbeddedEngine(net))
    return out


def _run(spec: ScenarioSpec, tmp_path: Path, planner: str | None = None, seed: int = 0):
    from scenarios.map_registry import map_text
    from scenarios.runner import simulate

    path = tmp_path / "map.xodr"
    path.write_text(map_text(spec.map), encoding="utf-8")
    return simulate(spec, seed, path, planner)


# -- files and grids -----------------------------------------------------------------------

def test_every_suite_scenario_is_listed():
    assert sorted(p.stem for p in SCENARIOS.glob("*.toml")) == sorted(GRIDS)


@pytest.mark.parametrize("stem", sorted(GRIDS))
def test_file_parses_and_every_variant_is_a_spec(stem):
    logical = _logical(stem)
    specs = logical.variants()
    assert len(specs) == GRIDS[stem]
    assert len({s.parameters for s in specs}) == len(specs), "variants differ"
    for spec in specs:
        assert isinstance(spec, ScenarioSpec)
        assert spec.id == stem and spec.duration_s <= 20.0
        assert spec.traffic.vehicles == 0 and spec.traffic.pedestrians == 0 and spec.v2x is None
        assert spec.map.builder in proving_ground_presets()
        assert any(c.metric == "ego_collisions" and c.op == "==" and c.threshold == 0
                   for c in spec.criteria)
        # the ego drives at the test speed: the posted limit is its start speed
        assert dict(spec.map.params) == {"limit_mps": spec.ego.start_speed}
        # a limit just above the start speed (km/h rounded to 0.1): no speeding at t = 0
        assert round(spec.ego.start_speed * 3.6, 1) >= spec.ego.start_speed * 3.6
    decls = logical.decls
    assert all(d.unit for d in decls.values()), "every parameter states its unit"
    assert decls["ego_speed"].unit == "m/s"


def test_ncap_and_r157_speed_ranges():
    kmh = {stem: sorted(round(s.ego.start_speed * 3.6) for s in _logical(stem).variants())
           for stem in GRIDS}
    assert sorted(set(kmh["ncap-ccrs"])) == [10, 20, 30, 40, 50]
    assert sorted(set(kmh["ncap-ccrm"])) == [30, 40, 50, 60, 70, 80]
    assert set(kmh["ncap-ccrb"]) == {50}
    assert sorted(set(kmh["ncap-cpna"])) == sorted(set(kmh["ncap-cpfa"])) == [
        10, 20, 30, 40, 50, 60]
    assert sorted(set(kmh["r157-cut-in"])) == sorted(set(kmh["r157-lead-brake"])) == [
        60, 90, 120]
    cut_in = {dict(s.parameters)["lateral_speed"] for s in _logical("r157-cut-in").variants()}
    assert min(cut_in) >= 0.5 and max(cut_in) <= 3.0


@pytest.mark.parametrize("stem", sorted(GRIDS))
def test_every_variant_places_on_its_map(stem, nets):
    """Ego on a driving lane with a route far longer than it can drive in the run (no goal
    braking, no early end), vehicles on driving lanes, every map variant builds."""
    built = set()
    for spec in _logical(stem).variants():
        if spec.map.params not in built:
            assert "<OpenDRIVE" in build_map(spec.map.builder, dict(spec.map.params))
            built.add(spec.map.params)
        net, engine = nets[spec.map.builder]
        world = build_world(spec, net, engine.walk, RngTree(0))
        st = world.state
        v = spec.ego.start_speed
        assert world.mission.length > v * spec.duration_s + v * v / (2 * COMFORT_DECEL) + 50
        for name, row in world.rows.items():
            if name == EGO or st.kind[row] != ActorKind.PEDESTRIAN:
                assert st.lane[row] >= 0 and net.lanes.type[st.lane[row]] == LaneType.DRIVING
                assert abs(st.d[row]) < 1e-6, name
            assert st.x[row] > st.x[0] or name == EGO, "actors start ahead of the ego"


# -- maps ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, default_kmh", [("straight_arterial", 50.0),
                                               ("straight_motorway", 100.0)])
def test_proving_ground_maps_take_the_limit(name, default_kmh):
    assert name in map_builders()
    text = build_map(name)
    assert re.search(rf'<speed max="{default_kmh:g}" unit="km/h"/>', text)
    assert '<speed max="80" unit="km/h"/>' in build_map(name, {"limit_mps": 22.222})
    assert build_map(name) == text  # deterministic
    with pytest.raises(ValueError, match="no parameter"):
        build_map(name, {"speed_kmh": 80.0})
    with pytest.raises(ValueError, match="limit_mps"):
        build_map(name, {"limit_mps": 100.0})


def test_proving_ground_lane_layout(nets):
    """Lane centres where the scenario files put the cars: arterial 2 x 3.25 m per side,
    motorway 3 x 3.6 m per side, both straight along y = 0 with closed ends."""
    from sim.roadnet.queries import locate

    for name, ys, width in (("straight_arterial", (-1.875, -5.125), 3.25),
                            ("straight_motorway", (-3.3, -6.9, -10.5), 3.6)):
        net, _ = nets[name]
        hit = locate(net, np.full(len(ys), -300.0), np.asarray(ys))
        assert np.all(hit.dist < 1e-3) and np.all(np.abs(hit.d) < 1e-3)
        assert len(set(hit.lane.tolist())) == len(ys)
        assert np.allclose(net.points.width[net.lanes.pt_ptr[hit.lane]], width)
        ln = net.lanes
        driving = np.flatnonzero(ln.type == LaneType.DRIVING)
        assert all(len(ln.successors(i)) > 0 for i in driving), "no dead ends"


@pytest.mark.parametrize("name", sorted(proving_ground_presets()))
def test_proving_ground_maps_pass_the_asam_checker(name):
    pytest.importorskip("qc_opendrive")
    from tests.scenarios.qc_util import run_qc
    from tests.scenarios.test_maps_qc import assert_clean

    assert_clean(run_qc(build_map(name, {"limit_mps": 16.666})))


# -- closed loop -----------------------------------------------------------------------------

@pytest.mark.parametrize("walker_start_y, share", [(-8.715, 0.25), (-7.785, 0.75)])
def test_cpna_walker_meets_a_non_braking_ego_at_its_impact_point(walker_start_y, share,
                                                                  tmp_path):
    """At 60 km/h an ego that neither brakes nor steers hits the walker 3.0 s in, at 25 % or
    75 % of its width from the near (right) side."""
    spec = _logical("ncap-cpna").concrete({"ego_speed": 16.666,
                                           "walker_start_y": walker_start_y})
    res, hist, _ = _run(spec, tmp_path, f"{__name__}:HoldSpeed", seed=0)
    hits = [c for c in res.collisions if c.involves_ego]
    assert len(hits) == 1 and hits[0].time_s == pytest.approx(3.0, abs=0.1)
    k = int(round(hits[0].time_s / 0.05))
    right_edge = hist.y[k, 0] - 0.5 * hist.width[0]
    assert (hist.y[k, 1] - right_edge) / hist.width[0] == pytest.approx(share, abs=0.05)


def test_ccrs_reference_stack_stops_short_of_the_stationary_car(tmp_path):
    """CCRs at 50 km/h, 8 s: the reference stack holds the test speed, brakes to a stop
    behind the car and passes every criterion."""
    spec = replace(_logical("ncap-ccrs").concrete({"ego_speed": 13.888}), duration_s=8.0)
    res, hist, _ = _run(spec, tmp_path)
    assert res.verdict == "PASS", res.criteria
    assert res.error is None and res.terminated is None
    assert res.collisions == [] and all(c["status"] == "pass" for c in res.criteria)
    assert hist.speed[0, 0] == pytest.approx(13.888)
    assert hist.speed[-1, 0] < 0.2, "stopped"
    assert -float(np.min(hist.accel[:, 0])) > COMFORT_DECEL, "it had to brake"
    gap = hist.x[-1, 1] - hist.x[-1, 0] - 0.5 * (hist.length[0] + hist.length[1])
    assert 0.5 < gap < 6.0
    assert math.isfinite(res.metrics["surrogate"]["min_ttc_s"])
