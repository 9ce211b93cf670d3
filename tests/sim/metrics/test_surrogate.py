"""surrogate: TTC, DRAC, minimum distance, PET and nuPlan's TTC bound, hand-computed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.metrics.geometry import box_gap
from sim.metrics.surrogate import Surrogate
from tests.sim.metrics._safety_fixtures import DT, actor, context, run, state


def _track(k_max, ego_fn, *other_fns):
    return [state(k, [ego_fn(k * DT)] + [f(k * DT) for f in other_fns]) for k in range(k_max)]


def test_box_gap_cases():
    # aligned, 10 m between centres along x: 10 - 4.9 = 5.1
    assert box_gap(0, 0, 0, 4.9, 1.86, [10.0], [0.0], [0.0], 4.9, 1.86)[0] == pytest.approx(5.1)
    # corner to corner at 45 deg: (3, 2) gap vector between the nearest corners
    g = box_gap(0, 0, 0, 2.0, 2.0, [5.0], [4.0], [0.0], 2.0, 2.0)[0]
    assert g == pytest.approx(math.hypot(3.0, 2.0))
    # rotated square touching: overlap -> 0
    assert box_gap(0, 0, 0, 2.0, 2.0, [2.3], [0.0], [math.pi / 4], 2.0, 2.0)[0] == 0.0


def test_ttc_drac_and_distance_to_a_slower_lead():
    sts = _track(3, lambda t: actor(x=10.0 * t, speed=10.0),
                 lambda t: actor(x=30.0 + 5.0 * t, speed=5.0))
    rep, stepped = run(Surrogate(), context(), sts)
    # last state (t = 0.1 s): gap = 30 + 0.5 - 1.0 - 4.9 = 24.6, closing 5 m/s
    gap = 24.6
    assert rep.values["min_ttc_s"] == pytest.approx(gap / 5.0)
    assert rep.values["min_ttc_s:1"] == pytest.approx(gap / 5.0)
    assert rep.values["min_distance_m"] == pytest.approx(gap)
    assert rep.values["max_drac_mps2"] == pytest.approx(25.0 / (2 * gap))
    assert rep.series["ttc_s"] == pytest.approx([25.1 / 5, 24.85 / 5, 24.6 / 5])
    assert not stepped and rep.values["ttc_within_bound"] == 1.0


def test_not_closing_gives_inf_ttc_and_no_drac():
    sts = _track(3, lambda t: actor(x=10.0 * t, speed=10.0),
                 lambda t: actor(x=30.0 + 12.0 * t, speed=12.0))
    rep, _ = run(Surrogate(), context(), sts)
    assert math.isinf(rep.values["min_ttc_s"]) and rep.values["max_drac_mps2"] == 0.0


def test_emergency_braking_once_per_episode():
    # stopped car 30 m gap ahead of a 20 m/s ego: DRAC = 400 / 60 = 6.67 > 5
    def other(t):
        # present (in the path) for 0.2 s, away (30 m to the side) for 0.2 s, back again
        side = 30.0 if 0.2 <= t < 0.4 else 0.0
        return actor(x=34.9, y=side)

    sts = _track(12, lambda t: actor(x=0.0, speed=20.0), other)
    rep, stepped = run(Surrogate(), context(), sts)
    assert [e.kind for e in rep.events] == ["emergency_braking_required"] * 2
    assert rep.events[0].value == pytest.approx(400.0 / 60.0) and rep.events[0].time_s == 0.0
    assert rep.events[1].time_s == pytest.approx(0.4)
    assert stepped == list(rep.events)  # the initial state's event came out with step 1
    assert rep.values["max_drac_mps2"] == pytest.approx(400.0 / 60.0)


def test_nuplan_projected_ttc():
    # ego 10 m/s, stopped car with a bumper gap of 8.05 m: overlap first at 0.9 s
    sts = [state(0, [actor(speed=10.0), actor(x=4.9 + 8.05)])]
    sts.append(sts[0])
    rep, _ = run(Surrogate(), context(), sts)
    assert rep.values["nuplan_min_ttc_s"] == pytest.approx(0.9)
    assert rep.values["ttc_within_bound"] == 0.0
    # gap 9.55 m: 1.0 s, within the 0.95 s bound
    sts = [state(0, [actor(speed=10.0), actor(x=4.9 + 9.55)])] * 2
    rep, _ = run(Surrogate(), context(), sts)
    assert rep.values["nuplan_min_ttc_s"] == pytest.approx(1.0)
    assert rep.values["ttc_within_bound"] == 1.0
    # a stopped ego is not judged; a car behind is not counted
    sts = [state(0, [actor(speed=0.0), actor(x=4.9 + 1.0, speed=-5.0)])] * 2
    rep, _ = run(Surrogate(), context(), sts)
    assert math.isinf(rep.values["nuplan_min_ttc_s"])
    sts = [state(0, [actor(speed=10.0), actor(x=-4.9 - 1.0, speed=20.0)])] * 2
    rep, _ = run(Surrogate(), context(), sts)
    assert math.isinf(rep.values["nuplan_min_ttc_s"])


def _crossing(delay_s: float):
    """Ego along +x at 10 m/s through x = 0 at t = 5 s; a car along +y at 10 m/s crossing
    the ego's path ``delay_s`` after the ego's rear left the other's path."""
    ego_out = (3.38 + 50.0) / 10.0  # ego rear (x - 2.45) passes x = 0.93
    t_in = ego_out + delay_s  # other's front (y + 2.45) reaches y = -0.93

    def other(t):
        return actor(x=0.0, y=-3.38 + 10.0 * (t - t_in), yaw=math.pi / 2, speed=10.0)

    def parallel(t):
        return actor(x=-50.0 + 10.0 * t, y=10.0, speed=10.0)

    return _track(241, lambda t: actor(x=-50.0 + 10.0 * t, speed=10.0), other, parallel)


def test_pet_of_a_crossing_behind_the_ego():
    rep, _ = run(Surrogate(), context(), _crossing(3.0))
    # grid 0.5 m at 10 m/s (0.05 s each way) plus one 0.05 s step
    assert rep.values["pet_s:1"] == pytest.approx(3.0, abs=0.15)
    assert math.isinf(rep.values["pet_s:2"])
    assert rep.values["pet_s"] == rep.values["pet_s:1"]
    rep, _ = run(Surrogate(), context(), _crossing(-0.5))  # they meet: a collision
    assert rep.values["pet_s:1"] == 0.0
    assert rep.series["min_distance_m"].min() == 0.0
    assert len(rep.series["ttc_s"]) == 241


def test_per_actor_keys_only_for_rows_that_existed():
    sts = [state(k, [actor(speed=1.0), actor(x=20.0), actor(valid=False)]) for k in range(3)]
    rep, _ = run(Surrogate(), context(), sts)
    assert "min_ttc_s:1" in rep.values and "pet_s:1" in rep.values
    assert not any(k.endswith(":2") for k in rep.values)
    assert np.isfinite(rep.values["min_distance_m:1"])
