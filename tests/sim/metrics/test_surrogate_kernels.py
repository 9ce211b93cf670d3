"""surrogate kernel: Numba ``surrogate_step`` against its plain twin on random scenes, and the
metric against the NumPy implementation it replaced."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.metrics import _kernels as K
from sim.metrics._reference import box_gap_ref, surrogate_step_ref
from sim.metrics.base import StepInput
from sim.metrics.geometry import box_gap, overlaps, to_frame
from sim.metrics.surrogate import _NU_T, NUPLAN_HORIZON, STOPPED_MPS, Surrogate
from tests.sim.metrics import test_surrogate as T
from tests.sim.metrics._safety_fixtures import actor, context, run, state

TOL = dict(rtol=1e-9, atol=1e-9)


def _scene(rng, n_others, spread=30.0):
    """Random rows (ego and others shuffled), some invalid, some close enough to touch."""
    n = n_others + 1 + int(rng.integers(0, 3))  # plus invalid padding rows
    r = int(rng.integers(0, n))
    valid = np.zeros(n, bool)
    others = rng.permutation(np.array([j for j in range(n) if j != r], np.int64))[:n_others]
    valid[others] = True
    valid[r] = rng.random() > 0.05
    x = rng.uniform(-spread, spread, n)
    y = rng.uniform(-spread / 3, spread / 3, n)
    yaw = rng.uniform(-math.pi, math.pi, n)
    near = rng.random(n) < 0.3  # near the ego's lane, roughly aligned
    y[near] = rng.normal(0.0, 1.5, near.sum())
    yaw[near] = rng.normal(0.0, 0.3, near.sum())
    x[r], y[r], yaw[r] = rng.uniform(-5, 5), rng.uniform(-1, 1), rng.normal(0.0, 0.2)
    speed = rng.uniform(0.0, 20.0, n)
    speed[rng.random(n) < 0.2] = 0.0
    if rng.random() < 0.2:
        speed[r] = rng.choice([0.0, 0.04, -3.0])
    length = rng.uniform(0.5, 12.0, n)
    width = rng.uniform(0.5, 2.6, n)
    return r, valid, x, y, yaw, speed, length, width


def _call(fn, r, valid, x, y, yaw, speed, length, width, prior):
    n = len(x)
    min_ttc = np.full(n, np.inf) if prior is None else prior[0].copy()
    min_dist = np.full(n, np.inf) if prior is None else prior[1].copy()
    seen = np.zeros(n, bool)
    out = np.empty(K.OUT_SIZE)
    row = fn(r, valid, x, y, yaw, speed, length, width, _NU_T, STOPPED_MPS, NUPLAN_HORIZON,
             min_ttc, min_dist, seen, out)
    return int(row), out, min_ttc, min_dist, seen


@pytest.mark.parametrize("n_others", [0, 1, 2, 5, 30, 150])
def test_kernel_matches_reference(n_others):
    rng = np.random.default_rng(1000 + n_others)
    nu_hits = drac_hits = 0
    for _ in range(40 if n_others < 100 else 8):
        sc = _scene(rng, n_others)
        n = len(sc[1])
        prior = None if rng.random() < 0.5 else (rng.uniform(0, 20, n), rng.uniform(0, 20, n))
        got = _call(K.surrogate_step, *sc, prior)
        want = _call(surrogate_step_ref, *sc, prior)
        assert got[0] == want[0]
        for g, w in zip(got[1:], want[1:], strict=True):
            np.testing.assert_allclose(g, w, **TOL)
        nu_hits += np.isfinite(got[1][K.OUT_NU_TTC])
        drac_hits += got[1][K.OUT_DRAC] > 0
        if n_others == 0 or not sc[1][sc[0]]:
            assert got[0] == -1 and not got[4].any()
            np.testing.assert_array_equal(got[1], [np.inf, np.inf, 0.0, np.inf])
    if n_others >= 5:  # the random scenes do exercise the DRAC and nuPlan branches
        assert nu_hits > 0 and drac_hits > 0


def test_gap_matches_geometry():
    rng = np.random.default_rng(7)
    r, valid, x, y, yaw, speed, length, width = _scene(rng, 200, spread=8.0)
    valid[r] = True
    _, _, _, min_dist, _ = _call(K.surrogate_step, r, valid, x, y, yaw, speed, length, width,
                                 None)
    o = np.flatnonzero(valid & (np.arange(len(x)) != r))
    want = box_gap(x[r], y[r], yaw[r], length[r], width[r], x[o], y[o], yaw[o], length[o],
                   width[o])
    np.testing.assert_allclose(min_dist[o], want, **TOL)
    ref = [box_gap_ref((x[r], y[r], yaw[r], length[r], width[r]),
                       (x[j], y[j], yaw[j], length[j], width[j])) for j in o]
    np.testing.assert_allclose(want, ref, **TOL)
    assert (want == 0).any() and (want > 0).any()


class _NumpySurrogate(Surrogate):
    """The vectorised NumPy ``_observe`` the kernel replaced, kept as an oracle."""

    def _observe(self, st):
        r = self.r
        self.poses.append(np.stack([st.x, st.y, st.yaw, st.valid.astype(float)]))
        self.times.append(st.time_us / 1e6)
        mask = st.valid.copy()
        mask[r] = False
        o = np.flatnonzero(mask)
        if not st.valid[r] or len(o) == 0:
            self.ttc_series.append(math.inf)
            self.dist_series.append(math.inf)
            self.drac_series.append(0.0)
            return self._episode(0.0, st, -1)
        self.seen[o] = True
        ex, ey, eyaw, ev = float(st.x[r]), float(st.y[r]), float(st.yaw[r]), float(st.speed[r])
        el, ew = float(st.length[r]), float(st.width[r])
        gap = box_gap(ex, ey, eyaw, el, ew, st.x[o], st.y[o], st.yaw[o], st.length[o],
                      st.width[o])
        dx, dy = st.x[o] - ex, st.y[o] - ey
        dist = np.maximum(np.hypot(dx, dy), 1e-9)
        vex, vey = ev * math.cos(eyaw), ev * math.sin(eyaw)
        vox, voy = st.speed[o] * np.cos(st.yaw[o]), st.speed[o] * np.sin(st.yaw[o])
        closing = ((vex - vox) * dx + (vey - voy) * dy) / dist
        ttc = np.full(len(o), np.inf)
        cl = closing > 1e-6
        ttc[cl] = gap[cl] / closing[cl]
        self.min_ttc[o] = np.minimum(self.min_ttc[o], ttc)
        self.min_dist[o] = np.minimum(self.min_dist[o], gap)
        self.ttc_series.append(float(ttc.min()))
        self.dist_series.append(float(gap.min()))
        lon, lat = to_frame(ex, ey, eyaw, st.x[o], st.y[o])
        rel = st.yaw[o] - eyaw
        half_lat = 0.5 * (st.length[o] * np.abs(np.sin(rel)) + st.width[o] * np.abs(np.cos(rel)))
        vc = ev - st.speed[o] * np.cos(rel)
        path = (lon > 0) & (np.abs(lat) < 0.5 * ew + half_lat) & (vc > 0) & (gap > 0)
        drac = np.zeros(len(o))
        drac[path] = vc[path] ** 2 / (2.0 * gap[path])
        k = int(np.argmax(drac))
        self.max_drac = max(self.max_drac, float(drac[k]))
        self.drac_series.append(float(drac[k]))
        self._nuplan(st, o, gap, dist, dx, dy, vex - vox, vey - voy, lon)
        return self._episode(float(drac[k]), st, int(o[k]))

    def _nuplan(self, st, o, gap, dist, dx, dy, rvx, rvy, lon):
        r = self.r
        if abs(st.speed[r]) < STOPPED_MPS:
            return
        reach = 0.5 * (math.hypot(st.length[r], st.width[r])
                       + np.hypot(st.length[o], st.width[o]))
        cand = (gap > 0) & (lon > 0) & (dist - reach <= NUPLAN_HORIZON * np.hypot(rvx, rvy))
        if not cand.any():
            return
        c = np.flatnonzero(cand)
        t = _NU_T[:, None]
        px = dx[c][None, :] - rvx[c][None, :] * t
        py = dy[c][None, :] - rvy[c][None, :] * t
        shape = px.shape
        j = o[c]
        hit = overlaps(0.0, 0.0, st.yaw[r], st.length[r], st.width[r], px.ravel(), py.ravel(),
                       np.broadcast_to(st.yaw[j], shape).ravel(),
                       np.broadcast_to(st.length[j], shape).ravel(),
                       np.broadcast_to(st.width[j], shape).ravel()).reshape(shape)
        any_hit = hit.any(axis=0)
        if any_hit.any():
            first = _NU_T[np.argmax(hit[:, any_hit], axis=0)]
            self.nu_min = min(self.nu_min, float(first.min()))


def _same_report(states):
    got, got_stepped = run(Surrogate(), context(), states)
    want, want_stepped = run(_NumpySurrogate(), context(), states)
    assert got.values.keys() == want.values.keys()
    for key, w in want.values.items():
        assert got.values[key] == pytest.approx(w, rel=1e-12, abs=1e-12), key
    assert got.units == want.units
    for key, w in want.series.items():
        np.testing.assert_allclose(got.series[key], w, rtol=1e-12, atol=1e-12)
    assert [(e.kind, e.time_s, e.actors, e.detail) for e in got.events] == \
        [(e.kind, e.time_s, e.actors, e.detail) for e in want.events]
    np.testing.assert_allclose([e.value for e in got.events], [e.value for e in want.events],
                               rtol=1e-12)
    assert len(got_stepped) == len(want_stepped)
    return got


def _existing_scenarios():
    car = T.actor
    yield T._track(3, lambda t: car(x=10.0 * t, speed=10.0),
                   lambda t: car(x=30.0 + 5.0 * t, speed=5.0))
    yield T._track(3, lambda t: car(x=10.0 * t, speed=10.0),
                   lambda t: car(x=30.0 + 12.0 * t, speed=12.0))
    yield T._track(12, lambda t: car(x=0.0, speed=20.0),
                   lambda t: car(x=34.9, y=30.0 if 0.2 <= t < 0.4 else 0.0))
    for ego, other in ((car(speed=10.0), car(x=4.9 + 8.05)),
                       (car(speed=10.0), car(x=4.9 + 9.55)),
                       (car(speed=0.0), car(x=4.9 + 1.0, speed=-5.0)),
                       (car(speed=10.0), car(x=-4.9 - 1.0, speed=20.0))):
        yield [state(0, [ego, other])] * 2
    yield T._crossing(3.0)
    yield T._crossing(-0.5)
    yield [state(k, [car(speed=1.0), car(x=20.0), car(valid=False)]) for k in range(3)]


@pytest.mark.parametrize("k", range(10))
def test_metric_unchanged_on_existing_scenarios(k):
    _same_report(list(_existing_scenarios())[k])


@pytest.mark.parametrize("n_others", [0, 1, 10, 100])
def test_metric_unchanged_on_random_drives(n_others):
    """Others scattered ahead on a straight road, constant velocities, rows coming and
    going; the ego brakes and stops half way through (the stopped-ego branch)."""
    rng = np.random.default_rng(n_others)
    x0 = rng.uniform(-20, 80, n_others)
    y0 = rng.choice([-3.5, 0.0, 3.5], n_others) + rng.normal(0, 0.3, n_others)
    v = rng.uniform(0, 8, n_others)
    yaw = rng.normal(0, 0.05, n_others)
    on = rng.integers(0, 30, n_others)
    off = on + rng.integers(5, 60, n_others)
    if n_others >= 10:  # a slow lead car in the ego's lane
        x0[0], y0[0], v[0], yaw[0], on[0], off[0] = 25.0, 0.0, 1.0, 0.0, 0, 60
    states, ex = [], 0.0
    for k in range(60):
        t = k * 0.05
        ev = max(15.0 - 6.0 * t, 0.0)
        ex += ev * 0.05
        rows = [actor(x=ex, speed=ev, valid=k != 7)]
        rows += [actor(x=x0[j] + v[j] * t * math.cos(yaw[j]), y=y0[j] + v[j] * t * math.sin(yaw[j]),
                       yaw=yaw[j], speed=v[j], valid=bool(on[j] <= k < off[j]))
                 for j in range(n_others)]
        states.append(state(k, rows))
    rep = _same_report(states)
    if n_others >= 10:
        assert rep.values["max_drac_mps2"] > 0 and np.isfinite(rep.values["nuplan_min_ttc_s"])


def test_step_input_shape_unchanged():
    """The kernel path leaves the metric's public per-step output as before."""
    sts = T._track(3, lambda t: actor(x=10.0 * t, speed=10.0), lambda t: actor(x=30.0))
    m = Surrogate()
    m.start(context(), sts[0])
    assert m.update(StepInput(1, sts[0], sts[1], None, ())) == []
    assert len(m.ttc_series) == 2 and len(m.poses) == 2
