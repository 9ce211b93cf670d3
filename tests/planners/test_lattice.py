"""Frenet lattice planner: kernels vs the plain-Python twin, collision check three ways,
and driving behaviour on straight and curved roads."""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from planners.lattice import (
    Constraints,
    FrenetState,
    LatticeConfig,
    LatticePlanner,
    Obstacles,
    check_collisions,
    check_collisions_numpy,
    reference_path,
    to_cartesian,
    to_frenet,
)
from planners.lattice import _kernels as K
from tests.planners.lattice_reference import collisions_reference, plan_reference

R_ARC = 50.0


def straight_path(length=300.0):
    return reference_path(np.array([[-20.0, 0.0], [length, 0.0]]))


def arc_path(radius=R_ARC, angle=2.0):
    a = np.linspace(0.0, angle, 400)
    return reference_path(np.c_[radius * np.sin(a), radius * (1.0 - np.cos(a))])


@pytest.fixture(scope="module")
def planner():
    return LatticePlanner(LatticeConfig())


@pytest.fixture(scope="module")
def small():
    return LatticePlanner(LatticeConfig.with_size(210))


def obstacles_on(path, cfg, s, d, v, length=4.6, width=1.9):
    """Obstacles moving along the path at constant speed v (n_obs,) from (s, d)."""
    s, d, v = (np.atleast_1d(np.asarray(a, float)) for a in (s, d, v))
    t = np.arange(cfg.n_t) * cfg.dt
    ss = s[:, None] + v[:, None] * t
    x, y, h = to_cartesian(path, ss.ravel(), np.repeat(d, cfg.n_t))
    yaw = h.reshape(ss.shape) + np.where(v < 0, np.pi, 0.0)[:, None]
    n = len(s)
    return Obstacles(x.reshape(ss.shape), y.reshape(ss.shape), yaw, np.full(n, length),
                     np.full(n, width), np.ones(ss.shape, bool))


# -- building blocks ---------------------------------------------------------------------

def test_polynomial_boundary_conditions():
    T, dt = 4.0, 0.1
    n_t = 51
    c = K.quintic_coeffs(1.0, 2.0, -0.5, 3.5, 0.3, 0.2, T)
    x, v, a = np.empty(n_t), np.empty(n_t), np.empty(n_t)
    K.fill_profile(*c, T, dt, x, v, a)
    k_T = 40
    assert (x[0], v[0], a[0]) == pytest.approx((1.0, 2.0, -0.5))
    assert (x[k_T], v[k_T], a[k_T]) == pytest.approx((3.5, 0.3, 0.2), abs=1e-9)
    assert x[-1] == pytest.approx(3.5 + 0.3 * 1.0) and a[-1] == 0.0  # continues at v(T)
    q = K.quartic_coeffs(0.0, 8.0, 1.0, 12.0, 0.0, T)
    K.fill_profile(*q, T, dt, x, v, a)
    assert (v[0], a[0]) == pytest.approx((8.0, 1.0))
    assert (v[k_T], a[k_T]) == pytest.approx((12.0, 0.0), abs=1e-9)
    assert np.all(v[k_T:] == pytest.approx(12.0))
    t = np.linspace(0.0, T, 200001)
    jerk = 6 * c[3] + 24 * c[4] * t + 60 * c[5] * t * t
    assert K.jerk_integral(c[3], c[4], c[5], T) == pytest.approx(
        np.trapz(jerk * jerk, t), rel=1e-6)


def test_reference_path_on_arc_and_frenet_round_trip():
    path = arc_path()
    assert np.allclose(np.diff(path.s), path.ds)
    inner = slice(20, -20)
    assert np.allclose(path.kappa[inner], 1.0 / R_ARC, atol=2e-4)
    rng = np.random.default_rng(3)
    s, d = rng.uniform(5.0, path.length - 5.0, 50), rng.uniform(-4.0, 4.0, 50)
    x, y, _ = to_cartesian(path, s, d)
    assert np.allclose(np.hypot(x, y - R_ARC), R_ARC - d, atol=1e-3)  # left = inside
    s2, d2 = to_frenet(path, x, y)
    # the normal of the interpolated heading vs the chord: ~d * ds * kappa / 2 in s
    assert np.allclose(s2, s, atol=0.03) and np.allclose(d2, d, atol=2e-3)
    # beyond the end: straight extrapolation both ways
    s3, d3 = to_frenet(path, *to_cartesian(path, [path.s[-1] + 10.0], [1.0])[:2])
    assert s3[0] == pytest.approx(path.s[-1] + 10.0) and d3[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="uniformly"):
        dataclasses.replace(path, s=path.s ** 1.01)


def test_config_sizes():
    assert LatticeConfig().n_candidates >= 1000
    for n in (210, 1000, 4000):
        assert LatticeConfig.with_size(n).n_candidates == n
    assert abs(LatticeConfig.with_size(2000).n_candidates - 2000) < 200
    assert LatticeConfig().n_t == 51


# -- kernels vs the plain-Python planner ----------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_kernels_match_reference(small, seed):
    rng = np.random.default_rng(seed)
    cfg = small.config
    path = arc_path()
    state = FrenetState(s=rng.uniform(0, 10), s_d=rng.uniform(0, 14), s_dd=rng.uniform(-1, 1),
                        d=rng.uniform(-0.5, 0.5), d_d=rng.uniform(-0.3, 0.3))
    n = 8
    obs = obstacles_on(path, cfg, state.s + rng.uniform(5, 60, n),
                       rng.choice([-3.5, 0.0, 3.5], n) + rng.normal(0, 0.3, n),
                       rng.uniform(-8, 8, n))
    valid = obs.valid.copy()
    valid[0, 20:] = False  # a prediction that ends
    obs = dataclasses.replace(obs, valid=valid)
    stop = state.s + rng.uniform(25, 70) if seed % 2 == 0 else math.inf
    cons = Constraints(v_max=rng.uniform(8, 14), s_stop=stop, d_min=-1.5, d_max=4.5)
    res = small.plan(path, state, obs, cons)
    ref = plan_reference(path, state, obs, cons, cfg)
    assert res.n_candidates == len(ref.costs) == cfg.n_candidates
    assert np.array_equal(res.feasible, ref.feasible)
    assert np.array_equal(res.collision_free, ref.collision_free)
    assert res.n_collision_free < res.n_feasible < res.n_candidates  # every rule exercised
    finite = np.isfinite(ref.costs)
    assert np.array_equal(np.isfinite(res.costs), finite)
    np.testing.assert_allclose(res.costs[finite], ref.costs[finite], rtol=1e-9)
    assert res.best == ref.best and res.emergency == (ref.best < 0)
    if ref.best < 0:
        return
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-12)
    np.testing.assert_allclose(res.v, ref.v, rtol=1e-12)
    np.testing.assert_allclose(res.s, ref.s, rtol=1e-12)


# -- collision check --------------------------------------------------------------------------

def test_collision_kernel_numpy_and_reference_agree():
    rng = np.random.default_rng(7)
    n, n_t, n_obs = 300, 15, 6
    x, y = rng.uniform(0, 40, (n, n_t)), rng.uniform(0, 40, (n, n_t))
    yaw = rng.uniform(-np.pi, np.pi, (n, n_t))
    obs = Obstacles(rng.uniform(0, 40, (n_obs, n_t)), rng.uniform(0, 40, (n_obs, n_t)),
                    rng.uniform(-np.pi, np.pi, (n_obs, n_t)), rng.uniform(0.5, 12, n_obs),
                    rng.uniform(0.5, 2.5, n_obs), rng.random((n_obs, n_t)) < 0.8)
    check = rng.random(n) < 0.9
    for margin in (0.0, 0.4):
        a = check_collisions(x, y, yaw, obs, 4.6, 1.9, margin, check)
        b = check_collisions_numpy(x, y, yaw, obs, 4.6, 1.9, margin, check)
        c = collisions_reference(x, y, yaw, obs, 4.6, 1.9, margin, check)
        assert np.array_equal(a, b) and np.array_equal(a, c)
        assert 0 < a.sum() < check.sum() and not a[~check].any()


@pytest.mark.parametrize("dx, dy, oyaw, margin, hit", [
    (4.0, 0.0, 0.0, 0.0, True),  # end to end, exactly touching
    (4.0 + 1e-9, 0.0, 0.0, 0.0, False),
    (0.0, 2.0, np.pi, 0.0, True),  # side by side, touching, opposite heading
    (0.0, 2.0 + 1e-9, 0.0, 0.0, False),
    (4.25, 0.0, 0.0, 0.25, True),  # the ego's margin closes a 0.25 m gap exactly
    (4.25 + 1e-9, 0.0, 0.0, 0.25, False),
    (4.0, 2.0, 0.0, 0.0, True),  # corners touching
    (4.0, 2.0 + 1e-9, 0.0, 0.0, False),
    (2.9, 0.0, np.pi / 2, 0.0, True),  # crossing at right angles, overlapping 0.1 m
    (3.1, 0.0, np.pi / 2, 0.0, False),
])
def test_collision_edge_cases(dx, dy, oyaw, margin, hit):
    # ego 4 x 2 at the origin heading +x; obstacle 4 x 2, or 2 x 4 when crossing
    x, y, yaw = np.zeros((1, 2)), np.zeros((1, 2)), np.zeros((1, 2))
    obs = Obstacles(np.array([[dx, 100.0]]), np.array([[dy, 100.0]]), np.full((1, 2), oyaw),
                    np.array([4.0]), np.array([2.0]), np.array([[True, True]]))
    got = [check_collisions(x, y, yaw, obs, 4.0, 2.0, margin)[0],
           check_collisions_numpy(x, y, yaw, obs, 4.0, 2.0, margin)[0],
           collisions_reference(x, y, yaw, obs, 4.0, 2.0, margin)[0]]
    assert got == [hit, hit, hit]
    gone = dataclasses.replace(obs, valid=np.array([[False, True]]))
    assert not check_collisions(x, y, yaw, gone, 4.0, 2.0, margin)[0]


# -- behaviour --------------------------------------------------------------------------------

def test_straight_road_tracks_centre_at_target_speed(planner):
    path = straight_path()
    cfg = planner.config
    res = planner.plan(path, FrenetState(s=0.0, s_d=8.0, d=0.4), Obstacles.none(cfg.n_t),
                       Constraints(v_max=12.0, d_min=-1.5, d_max=1.5))
    assert not res.emergency and res.best >= 0 and res.n_feasible > 100
    assert abs(res.d[-1]) < 1e-9 and abs(res.y[-1]) < 1e-9
    assert res.v[-1] == pytest.approx(12.0, abs=1e-6) and np.all(res.v <= 12.1)
    assert np.all(np.abs(res.yaw) < 0.05) and np.all(np.diff(res.x) > 0)
    assert res.t[-1] == pytest.approx(max(cfg.horizons)) and len(res.x) == cfg.n_t


def test_passes_stopped_obstacle_when_band_allows(planner):
    path = straight_path()
    cfg = planner.config
    obs = obstacles_on(path, cfg, [40.0], [0.0], [0.0])
    res = planner.plan(path, FrenetState(s=0.0, s_d=10.0), obs,
                       Constraints(v_max=10.0, d_min=-1.0, d_max=4.5))
    assert not res.emergency and res.n_collision_free < res.n_feasible
    assert res.d.max() > 2.0 and res.s[-1] > 45.0  # moved over and went past
    assert not check_collisions(res.x[None], res.y[None], res.yaw[None], obs,
                                cfg.ego_length, cfg.ego_width)[0]


def test_stops_behind_obstacle_when_band_forbids(planner):
    path = straight_path()
    cfg = planner.config
    obs = obstacles_on(path, cfg, [40.0], [0.0], [0.0])
    rear = 40.0 - 2.3
    state = FrenetState(s=0.0, s_d=10.0)
    cons = Constraints(v_max=10.0, d_min=-0.5, d_max=0.5)
    for _ in range(150):  # closed loop: replan every step from the planned next state
        res = planner.plan(path, state, obs, cons)
        assert not res.emergency and res.n_collision_free < res.n_feasible
        assert np.abs(res.d).max() <= 0.5
        assert res.s.max() + cfg.ego_length / 2 < rear
        state = FrenetState(s=res.s[1], s_d=res.v[1], s_dd=res.a[1], d=res.d[1])
    assert state.s_d < 0.3 and state.s + cfg.ego_length / 2 > rear - 5.0


def test_stops_before_stop_line_closed_loop(planner):
    path = straight_path()
    cfg = planner.config
    s_stop = 60.0
    state = FrenetState(s=0.0, s_d=10.0)
    cons = Constraints(v_max=12.0, s_stop=s_stop, d_min=-0.5, d_max=0.5)
    none = Obstacles.none(cfg.n_t)
    for _ in range(200):
        res = planner.plan(path, state, none, cons)
        assert not res.emergency
        assert res.s.max() + cfg.ego_length / 2 <= s_stop + 1e-9
        state = FrenetState(s=res.s[1], s_d=res.v[1], s_dd=res.a[1], d=res.d[1])
    front = state.s + cfg.ego_length / 2
    assert state.s_d < 0.3 and s_stop - 3.0 < front <= s_stop


def test_follows_curve(planner):
    path = arc_path()
    cfg = planner.config
    res = planner.plan(path, FrenetState(s=5.0, s_d=10.0), Obstacles.none(cfg.n_t),
                       Constraints(v_max=10.0, d_min=-1.5, d_max=1.5))
    assert not res.emergency
    assert np.abs(res.d).max() < 1e-9
    assert np.allclose(np.hypot(res.x, res.y - R_ARC), R_ARC, atol=0.05)
    assert np.allclose(res.kappa, 1.0 / R_ARC, rtol=0.02)
    heading = np.arctan2(np.diff(res.y), np.diff(res.x))
    assert np.allclose(np.unwrap(res.yaw[1:]), np.unwrap(heading), atol=0.02)


def test_emergency_stop_when_nothing_is_free(planner):
    path = straight_path()
    cfg = planner.config
    obs = obstacles_on(path, cfg, [9.0], [0.0], [0.0])
    res = planner.plan(path, FrenetState(s=0.0, s_d=15.0, d=0.2), obs,
                       Constraints(v_max=15.0, d_min=-0.5, d_max=0.5))
    assert res.emergency and res.best == -1 and res.n_collision_free == 0
    assert np.all(np.isinf(res.costs))
    assert res.a[1] == pytest.approx(cfg.a_min) and res.v[-1] == pytest.approx(0.0)
    assert np.all(res.d == 0.2) and np.all(np.diff(res.s) >= 0)


def test_ego_above_the_cap_slows_down(planner):
    cfg = planner.config
    res = planner.plan(straight_path(), FrenetState(s=0.0, s_d=15.0), Obstacles.none(cfg.n_t),
                       Constraints(v_max=10.0))
    assert not res.emergency and res.n_feasible > 0
    assert res.v[-1] <= 10.0 + 1e-6 and np.all(np.diff(res.v) <= 1e-9)


def test_obstacle_grid_must_match(planner):
    with pytest.raises(ValueError, match="shape"):
        planner.plan(straight_path(), FrenetState(s=0.0, s_d=5.0), Obstacles.none(10),
                     Constraints(v_max=10.0))


# -- benchmark helpers (smoke) -----------------------------------------------------------------

def test_benchmark_helpers_run():
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "_lattice.py"
    spec = importlib.util.spec_from_file_location("kav_bench_lattice", path)
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    try:
        spec.loader.exec_module(bench)
        row = bench.bench_lattice(210, repeats=2, ref_repeats=1)
        assert row["same_choice"] and row["ratio"] > 1.0 and row["n_candidates"] == 210
        row = bench.bench_collision(210, n_obs=5, repeats=2)
        assert row["equal"] and row["kav_ms"] > 0.0
    finally:
        sys.modules.pop(spec.name, None)
