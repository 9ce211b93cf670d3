"""Benchmark helpers for the Frenet lattice planner (``planners.lattice``).

* ``bench_lattice(n)``: ``LatticePlanner.plan`` vs the plain-Python twin
  ``tests/planners/lattice_reference.py`` on one realistic scene (curved road, ten
  predicted obstacles), same inputs, same choice checked, warm (the first call, which
  compiles or loads the Numba kernels, is left out), median of repeats.
* ``bench_collision(n, n_obs)``: the Numba collision kernel vs its vectorised NumPy version
  on the candidate poses of the same scene, equality checked.

Each returns a dict for the table of ``benchmarks/planner.py``.
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO))

from planners.lattice import (  # noqa: E402
    Constraints,
    FrenetState,
    LatticeConfig,
    LatticePlanner,
    Obstacles,
    check_collisions,
    check_collisions_numpy,
    reference_path,
    to_cartesian,
)
from tests.planners.lattice_reference import plan_reference  # noqa: E402

LANE = 3.5  # [m] lane width of the scene


def lattice_scene(n_candidates: int = 1000, n_obs: int = 10, seed: int = 0):
    """(path, state, obstacles, constraints, config) of the benchmark scene.

    A 20 m straight then a 150 m left arc of radius 60 m; the ego in the right of two lanes
    at 10 m/s, cap 13.9 m/s (50 km/h), allowed to use both lanes; obstacles predicted at
    constant speed along their lanes: a slower leader, traffic in the left lane, oncoming
    traffic in the opposite lane, a parked car on the right shoulder, more spread ahead.
    """
    rng = np.random.default_rng(seed)
    cfg = LatticeConfig.with_size(n_candidates)
    a = np.linspace(0.0, 150.0 / 60.0, 300)
    arc = np.c_[20.0 + 60.0 * np.sin(a), 60.0 * (1.0 - np.cos(a))]
    path = reference_path(np.vstack(([[0.0, 0.0]], arc)))
    state = FrenetState(s=15.0, s_d=10.0, s_dd=0.0, d=0.2, d_d=0.0)
    lanes = np.array([0.0, LANE, 2 * LANE, -LANE])  # own, left, oncoming, shoulder
    base_s = [35.0, 25.0, 60.0, 70.0, 45.0, 90.0, 110.0, 80.0, 130.0, 55.0]
    base_l = [0, 1, 2, 3, 1, 0, 2, 1, 2, 2]
    base_v = [5.0, 11.0, -10.0, 0.0, 9.0, 6.0, -12.0, 10.0, -9.0, -11.0]
    s0 = np.array([base_s[j % 10] + 12.0 * (j // 10) for j in range(n_obs)])
    s0 = s0 + rng.uniform(-2.0, 2.0, n_obs)
    d0 = lanes[[base_l[j % 10] for j in range(n_obs)]] + rng.normal(0.0, 0.2, n_obs)
    v0 = np.array([base_v[j % 10] for j in range(n_obs)])
    t = np.arange(cfg.n_t) * cfg.dt
    s = s0[:, None] + v0[:, None] * t
    x, y, h = to_cartesian(path, s.ravel(), np.repeat(d0, cfg.n_t))
    yaw = h.reshape(s.shape) + np.where(v0 < 0.0, np.pi, 0.0)[:, None]
    obstacles = Obstacles(x.reshape(s.shape), y.reshape(s.shape), yaw,
                          np.full(n_obs, 4.6), np.full(n_obs, 1.9), np.ones(s.shape, bool))
    constraints = Constraints(v_max=13.9, d_min=-0.5 * LANE + 1.0, d_max=1.5 * LANE - 1.0)
    return path, state, obstacles, constraints, cfg


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def bench_lattice(n_candidates: int = 1000, repeats: int = 30, ref_repeats: int = 3,
                  seed: int = 0) -> dict:
    """kav planner vs the plain-Python reference planner on the benchmark scene.

    Returns name, kav_ms, reference_ms (median per plan), ratio (reference / kav),
    same_choice (both pick the same candidate), n_candidates.
    """
    path, state, obstacles, constraints, cfg = lattice_scene(n_candidates, seed=seed)
    planner = LatticePlanner(cfg)
    result = planner.plan(path, state, obstacles, constraints)  # compile / load, left out
    kav_ms = _median_ms(lambda: planner.plan(path, state, obstacles, constraints), repeats)
    ref = plan_reference(path, state, obstacles, constraints, cfg)
    ref_ms = _median_ms(lambda: plan_reference(path, state, obstacles, constraints, cfg),
                        ref_repeats)
    return dict(name=f"lattice planner, {cfg.n_candidates} candidates", kav_ms=kav_ms,
                reference_ms=ref_ms, ratio=ref_ms / kav_ms, same_choice=result.best == ref.best,
                n_candidates=cfg.n_candidates)


def bench_collision(n_candidates: int = 1000, n_obs: int = 10, repeats: int = 30,
                    seed: int = 0) -> dict:
    """Numba collision kernel vs the vectorised NumPy version on every candidate of the
    benchmark scene (all rows checked). Returns name, kav_ms, numpy_ms, ratio, equal."""
    path, state, obstacles, constraints, cfg = lattice_scene(n_candidates, n_obs, seed)
    # limits lifted so every candidate is feasible and its whole row of poses is written
    loose = dataclasses.replace(cfg, a_max=1e9, a_min=-1e9, kappa_max=1e9, v_tol=1e9,
                                v_reverse=1e9)
    planner = LatticePlanner(loose)
    planner.plan(path, state, obstacles, constraints)
    x, y, cyaw, syaw = planner._cart[:4]
    x, y, yaw = x.copy(), y.copy(), np.arctan2(syaw, cyaw)
    # a row the planner stopped writing early holds leftover memory: compare written rows
    # only (garbage made the two versions disagree now and then, depending on the heap)
    ok = ((np.abs(x) < 1e6).all(1) & (np.abs(y) < 1e6).all(1)
          & np.isfinite(yaw).all(1))  # NaN compares False: dropped too
    x[~ok], y[~ok], yaw[~ok] = 0.0, 0.0, 0.0
    args = (x, y, yaw, obstacles, cfg.ego_length, cfg.ego_width, cfg.collision_margin, ok)
    kav = check_collisions(*args)
    kav_ms = _median_ms(lambda: check_collisions(*args), repeats)
    ref = check_collisions_numpy(*args)
    numpy_ms = _median_ms(lambda: check_collisions_numpy(*args), max(3, repeats // 3))
    return dict(name=f"collision check, {x.shape[0]} candidates x {n_obs} obstacles",
                kav_ms=kav_ms, numpy_ms=numpy_ms, ratio=numpy_ms / kav_ms,
                equal=bool(np.array_equal(kav, ref)))


if __name__ == "__main__":
    for n in (210, 1000, 4000):
        print(bench_lattice(n))
    print(bench_collision())
