"""Planner contract, registry, and the IDM lane-follower baseline."""

import inspect

import numpy as np
import pytest

from planners.base import Plan, Planner, PlannerInput
from planners.baselines import IdmLaneFollower
from planners.registry import PlannerRegistry, default_registry


class Stopper(Planner):
    name = "stopper"

    def initialize(self, init):
        self.init = init

    def compute_plan(self, inp):
        return Plan(accel=-3.0, steer=0.0)


class Broken(Planner):
    def initialize(self, init):
        pass

    def compute_plan(self, inp):
        return (0.0, 0.0)


def test_registry_rejects_duplicates_and_loads_by_path():
    reg = PlannerRegistry()
    reg.register("stopper", Stopper)
    with pytest.raises(ValueError, match="already registered"):
        reg.register("stopper", Stopper)
    assert isinstance(reg.create("tests.planners.test_planner_api:Stopper"), Stopper)
    with pytest.raises(KeyError, match="unknown planner 'nope'"):
        reg.create("nope")
    with pytest.raises(KeyError, match="cannot load planner"):
        reg.create("tests.planners.test_planner_api:Missing")
    with pytest.raises(TypeError, match="not a subclass"):
        reg.create("numpy:ndarray")


def test_registered_planners_override_the_contract_exactly():
    for name in default_registry().names():
        planner = default_registry().create(name)
        for method in ("initialize", "compute_plan"):
            ours = inspect.signature(getattr(type(planner), method))
            base = inspect.signature(getattr(Planner, method))
            assert list(ours.parameters) == list(base.parameters), (name, method)


def test_plan_is_timed_and_type_checked():
    p = Stopper()
    out = p.plan(None)
    assert out.accel == -3.0 and p.timings.summary()["calls"] == 1
    with pytest.raises(TypeError, match="expected Plan"):
        Broken().plan(None)


def test_idm_follower_drives_its_route(sangam, sangam_engine):
    from scenarios.catalog import builtin_catalog
    from scenarios.runner import EGO_ROW, simulate

    demo = builtin_catalog().get("sangam-grid-demo")
    result, hist, _ = simulate(demo, 1, _map_path(sangam), duration_s=20.0)
    assert result.ego["distance_m"] > 80.0
    assert result.planner["name"] == IdmLaneFollower.name and result.planner["calls"] == 400
    ego_path = np.stack([hist.x[:, EGO_ROW], hist.y[:, EGO_ROW]], 1)
    assert np.all(np.isfinite(ego_path))
    assert not any(c.involves_ego for c in result.collisions)


def _map_path(net):
    from pathlib import Path

    return Path(net.source)


def test_planner_input_is_frozen():
    import dataclasses

    inp = PlannerInput(0, None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        inp.time_us = 5
