"""Tracking: Kalman kernels vs reference, assignment vs brute force, tracker and fusion
behaviour on synthetic targets."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from planners.perception import (
    ExternalObjects,
    FusionConfig,
    Measurements,
    TrackerBank,
    TrackerConfig,
    fuse,
    linear_assignment,
)
from planners.perception import _kernels as K
from planners.perception import _reference as R

DT_US = 100_000  # 10 Hz


def brute_force(cost):
    """Minimum total over all assignments of min(n, m) pairs."""
    n, m = cost.shape
    best = np.inf
    if n <= m:
        for cols in itertools.permutations(range(m), n):
            best = min(best, sum(cost[i, c] for i, c in enumerate(cols)))
    else:
        for rows in itertools.permutations(range(n), m):
            best = min(best, sum(cost[r, j] for j, r in enumerate(rows)))
    return best


def test_assignment_matches_brute_force_and_scipy():
    rng = np.random.default_rng(0)
    for _ in range(60):
        n, m = rng.integers(1, 7, 2)
        cost = rng.uniform(-5, 20, (n, m)).round(rng.integers(0, 3))  # rounding makes ties
        ca, cb = np.empty(n, np.int64), np.empty(n, np.int64)
        ta = K.assign_min_cost(cost, ca)
        tb = R.assign_min_cost_ref(cost, cb)
        assert np.array_equal(ca, cb)
        assert ta == pytest.approx(brute_force(cost)) and tb == pytest.approx(ta)
        assert (ca >= 0).sum() == min(n, m) and len(set(ca[ca >= 0])) == min(n, m)
        assert sum(cost[i, ca[i]] for i in range(n) if ca[i] >= 0) == pytest.approx(ta)
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError:
        return
    for n, m in ((30, 40), (50, 20), (64, 64)):
        cost = rng.uniform(0, 100, (n, m))
        col = np.empty(n, np.int64)
        total = K.assign_min_cost(cost, col)
        r, c = linear_sum_assignment(cost)
        assert total == pytest.approx(cost[r, c].sum())


def test_linear_assignment_with_forbidden_pairs():
    inf = np.inf
    # greedy would take (0, 0) = 1 and leave row 1 unmatched; optimal makes two pairs
    cost = np.array([[1.0, 2.0], [3.0, inf], [inf, inf]])
    rows, cols = linear_assignment(cost)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    rows, cols = linear_assignment(np.full((3, 2), inf))
    assert rows.shape == (0,)


def random_bank_state(rng, cap, nx):
    X = rng.normal(0, 5, (cap, nx))
    A = rng.normal(0, 1, (cap, nx, nx))
    P = A @ A.transpose(0, 2, 1) + np.eye(nx) * 0.5
    active = rng.random(cap) < 0.8
    return active, X, P


@pytest.mark.parametrize("model", ["cv", "ctrv"])
def test_kalman_kernels_match_reference(model):
    rng = np.random.default_rng(1)
    cap, nx = 40, 4 if model == "cv" else 5
    active, X, P = random_bank_state(rng, cap, nx)
    if model == "ctrv":
        X[:5, 4] = 0.0  # the straight-line branch
    Xa, Pa, Xb, Pb = X.copy(), P.copy(), X.copy(), P.copy()
    if model == "cv":
        K.cv_predict(active, Xa, Pa, 0.1, 2.0)
        R.cv_predict_ref(active, Xb, Pb, 0.1, 2.0)
    else:
        K.ctrv_predict(active, Xa, Pa, 0.1, 2.0, 0.7)
        R.ctrv_predict_ref(active, Xb, Pb, 0.1, 2.0, 0.7)
    assert np.allclose(Xa, Xb, atol=1e-10) and np.allclose(Pa, Pb, atol=1e-9)
    assert np.array_equal(Xa[~active], X[~active])
    k = 25
    mx, my = rng.normal(0, 5, k), rng.normal(0, 5, k)
    mvar = rng.uniform(0.1, 2, k)
    ca, cb = np.empty((cap, k)), np.empty((cap, k))
    K.gate_costs(active, Xa, Pa, mx, my, mvar, 9.0, 6.0, ca)
    R.gate_costs_ref(active, Xa, Pa, mx, my, mvar, 9.0, 6.0, cb)
    assert np.array_equal(np.isfinite(ca), np.isfinite(cb)) and np.isfinite(ca).sum() > 10
    assert np.allclose(ca[np.isfinite(ca)], cb[np.isfinite(cb)])
    rows = np.flatnonzero(active)[:10].astype(np.int64)
    cols = rng.permutation(k)[:10].astype(np.int64)
    Z = rng.normal(0, 3, (k, 4))
    Rv = rng.uniform(0.05, 1.0, (k, 4))
    Rv[rng.random((k, 4)) < 0.3] = np.nan  # some components not measured
    comp = np.arange(4, dtype=np.int64)
    K.kf_update(rows, cols, Xa, Pa, Z, Rv, comp, -1)
    R.kf_update_ref(rows, cols, Xb, Pb, Z, Rv, comp, -1)
    assert np.allclose(Xa, Xb, atol=1e-8) and np.allclose(Pa, Pb, atol=1e-8)
    assert not np.allclose(Xa[rows], X[rows])


def test_heading_update_wraps_around_pi():
    X = np.array([[0.0, 0.0, 5.0, 3.1, 0.0]])
    P = np.eye(5)[None] * 0.1
    Z = np.array([[0.0, 0.0, 5.0, -3.1]])  # 0.083 rad from 3.1 the short way round
    Rv = np.array([[np.nan, np.nan, np.nan, 0.1]])
    one = np.zeros(1, np.int64)
    for update in (K.kf_update, R.kf_update_ref):
        Xi, Pi = X.copy(), P.copy()
        update(one, one, Xi, Pi, Z, Rv, np.arange(4, dtype=np.int64), 3)
        assert abs(abs(Xi[0, 3]) - np.pi) < 1e-9  # halfway: exactly at +-pi
        assert Pi[0, 3, 3] == pytest.approx(0.05)


def simulate(bank, states, rng, pos_sigma=0.5, vel_sigma=np.nan, drop=None):
    """Feed noisy measurements of ``states`` (steps, targets, [x, y, yaw, v]) to the bank;
    ``drop(step, target)`` hides a target. Returns the Tracks of every step."""
    out = []
    for k, st in enumerate(states):
        rows = [t for t in range(st.shape[0]) if drop is None or not drop(k, t)]
        s = st[rows]
        noise = rng.normal(0, pos_sigma, (len(rows), 2))
        speed = s[:, 3] + (0 if np.isnan(vel_sigma) else rng.normal(0, vel_sigma, len(rows)))
        m = Measurements.from_arrays(s[:, 0] + noise[:, 0], s[:, 1] + noise[:, 1], s[:, 2],
                                     speed, pos_sigma=pos_sigma, vel_sigma=vel_sigma)
        out.append(bank.step(k * DT_US, m))
    return out


def straight(n_steps, x0, y0, yaw, v):
    t = np.arange(n_steps) * DT_US * 1e-6
    return np.stack([x0 + v * np.cos(yaw) * t, y0 + v * np.sin(yaw) * t, np.full_like(t, yaw),
                     np.full_like(t, v)], 1)


def circle(n_steps, v, w):
    t = np.arange(n_steps) * DT_US * 1e-6
    h = w * t
    return np.stack([v / w * np.sin(h), v / w * (1 - np.cos(h)), h, np.full_like(t, v)], 1)


def test_cv_tracker_converges_on_constant_velocity_target():
    rng = np.random.default_rng(2)
    states = straight(60, 0.0, 0.0, 0.4, 12.0)[:, None, :]
    tr = simulate(TrackerBank(TrackerConfig(model="cv")), states, rng)
    last = tr[-1]
    assert last.n == 1 and last.confirmed[0] and last.track_id[0] == 0
    assert np.hypot(last.vx[0] - 12 * np.cos(0.4), last.vy[0] - 12 * np.sin(0.4)) < 0.8
    assert np.hypot(last.x[0] - states[-1, 0, 0], last.y[0] - states[-1, 0, 1]) < 0.6
    assert abs(last.yaw[0] - 0.4) < 0.08
    assert np.all(np.linalg.eigvalsh(last.pos_cov[0]) > 0)
    assert not tr[1].confirmed[0] and tr[2].confirmed[0]  # M = 3 hits
    assert last.age_us[0] == 59 * DT_US and last.hits[0] == 60


def test_ctrv_beats_cv_on_a_turning_target():
    errs = {}
    for model in ("cv", "ctrv"):
        rng = np.random.default_rng(3)
        states = circle(120, 10.0, 0.35)[:, None, :]  # 10 m/s on a 28.6 m radius
        tr = simulate(TrackerBank(TrackerConfig(model=model)), states, rng, pos_sigma=0.5)
        e = [np.hypot(t.x[0] - s[0, 0], t.y[0] - s[0, 1]) for t, s in zip(tr[30:], states[30:])]
        errs[model] = float(np.sqrt(np.mean(np.square(e))))
        if model == "ctrv":
            assert abs(np.mean([t.yaw_rate[0] for t in tr[60:]]) - 0.35) < 0.05
            assert abs(tr[-1].speed[0] - 10.0) < 0.6
    assert errs["ctrv"] < 0.6 * errs["cv"], errs


@pytest.mark.parametrize("model", ["cv", "ctrv"])
def test_crossing_targets_keep_their_ids(model):
    rng = np.random.default_rng(4)
    a = straight(50, -25.0, -1.0, 0.0, 10.0)  # crosses b near (0, 0) at step 25
    b = straight(50, 0.0, -25.0, np.pi / 2, 10.0)
    tr = simulate(TrackerBank(TrackerConfig(model=model)), np.stack([a, b], 1), rng,
                  pos_sigma=0.3, vel_sigma=0.5)
    for t, k in zip(tr[5:], range(5, 50)):
        assert t.n == 2 and t.track_id.tolist() == [0, 1]
        assert np.hypot(t.x[0] - a[k, 0], t.y[0] - a[k, 1]) < 1.5
        assert np.hypot(t.x[1] - b[k, 0], t.y[1] - b[k, 1]) < 1.5


def test_missed_detections_keep_then_delete():
    n_miss = 3
    cfg = TrackerConfig(death_misses=n_miss)
    states = straight(40, 0.0, 0.0, 0.0, 8.0)[:, None, :]
    # hidden for N - 1 steps: the track survives and picks the target up again
    tr = simulate(TrackerBank(cfg), states, np.random.default_rng(5),
                  drop=lambda k, t: 10 <= k < 10 + n_miss - 1)
    assert tr[11].misses[0] == 2 and tr[11].confirmed[0]
    assert all(t.n == 1 and t.track_id[0] == 0 for t in tr)
    # hidden for N steps: deleted on the N-th miss; the target returns as a new track
    tr = simulate(TrackerBank(cfg), states, np.random.default_rng(5),
                  drop=lambda k, t: 10 <= k < 10 + n_miss)
    assert tr[11].n == 1 and tr[12].n == 0
    assert tr[13].track_id.tolist() == [1] and not tr[13].confirmed[0]


def test_birth_only_inside_capacity_and_time_monotonic():
    bank = TrackerBank(TrackerConfig(max_tracks=2, birth_hits=1))
    t = bank.step(0, Measurements.from_arrays([0.0, 20.0, 40.0], [0.0, 0.0, 0.0]))
    assert t.n == 2 and t.confirmed.all()
    with pytest.raises(ValueError):
        bank.step(-1, None)


def ext(x, y, yaw=0.0, speed=0.0, age_us=0, source=7, pos_sigma=0.5):
    x = np.atleast_1d(np.asarray(x, float))
    k = x.shape[0]

    def a(v, dt=np.float64):
        return np.broadcast_to(np.asarray(v, dt), (k,)).copy()

    return ExternalObjects(x, a(y), a(yaw), a(speed), a(4.5), a(1.8), a(0, np.int8),
                           a(age_us, np.int64), a(pos_sigma), a(source, np.int32))


def test_fusion_external_only_object_is_confirmed():
    bank = TrackerBank(TrackerConfig(birth_hits=3))
    for k in range(4):
        t_us = k * DT_US
        # a car at 10 m/s, reported 200 ms late: the report shows it 2 m behind
        tr = fuse(bank, t_us, None, ext(10.0 * (t_us * 1e-6 - 0.2), 30.0, 0.0, 10.0, 200_000))
    assert tr.n == 1 and tr.confirmed[0]
    assert abs(tr.x[0] - 10.0 * 0.3) < 0.5 and abs(tr.y[0] - 30.0) < 0.5
    assert tr.pos_cov[0, 0, 0] > 0.25 ** 2  # inflated: worse than the 0.5 m report alone


def test_fusion_same_object_local_and_external_is_one_track():
    rng = np.random.default_rng(6)
    bank = TrackerBank(TrackerConfig())
    for k in range(20):
        t_s = k * DT_US * 1e-6
        own = Measurements.from_arrays(5.0 * t_s + rng.normal(0, 0.3), rng.normal(0, 0.3), 0.0,
                                       5.0, pos_sigma=0.3, vel_sigma=0.5)
        # two roadside units report it, one of them also sees a pedestrian the ego cannot
        e = ext([5.0 * (t_s - 0.1) + 0.4, 5.0 * (t_s - 0.3) - 0.3, 3.0],
                [0.3, -0.2, 12.0], 0.0, [5.0, 5.0, 0.0], [100_000, 300_000, 0], [3, 9, 9])
        tr = fuse(bank, k * DT_US, own, e)
    assert tr.n == 2 and tr.confirmed.all()
    car = int(np.argmin(np.abs(tr.y)))
    assert abs(tr.x[car] - 5.0 * 1.9) < 0.5 and abs(tr.vx[car] - 5.0) < 0.5


def test_fusion_rejects_stale_reports():
    bank = TrackerBank(TrackerConfig(birth_hits=1))
    cfg = FusionConfig(max_age_us=500_000)
    tr = fuse(bank, 0, None, ext([0.0, 50.0], [0.0, 0.0], age_us=[600_000, 400_000]), cfg)
    assert tr.n == 1 and tr.x[0] == pytest.approx(50.0)
    tr = fuse(bank, DT_US, None, ext(50.0, 0.0, age_us=2_000_000), cfg)
    assert tr.n == 1 and tr.misses[0] == 1  # the stale report did not count as a hit
