"""Channel kernels vs their plain twins: geometry exactly, floats to 1e-9, draws identically;
and the whole model on both backends."""

import math

import numpy as np
import pytest

from sim.roadnet.network import Structures
from v2x.channel import (
    LTE_V2X,
    WAVE,
    Blockers,
    ChannelConfig,
    ChannelModel,
    CongestionTracker,
    RxSet,
    TxBatch,
)
from v2x.channel import _kernels as K
from v2x.channel import _reference as R


def random_scene(rng, p, m, k, size=300.0, snap=False):
    """p transmit positions, m receivers, k occluders (half vehicles). With snap, coordinates
    sit on a 12.5 m lattice: segments along grid lines, through corners, touching boxes."""
    def coord(n):
        c = rng.uniform(-size / 2, size / 2, n)
        return np.round(c / 12.5) * 12.5 if snap else c
    tx = (coord(p), coord(p), rng.choice([0.0, 1.5, 5.0, 20.0], p))
    rx = (coord(m), coord(m), rng.choice([1.5, 1.6, 3.0, 5.0], m))
    yaw = rng.choice([0.0, math.pi / 2, math.pi / 4], k) if snap else rng.uniform(-4, 4, k)
    ob = (coord(k), coord(k), yaw, rng.uniform(2, 40, k), rng.uniform(1, 25, k),
          rng.choice([1.0, 1.6, 3.0, 10.0, 30.0], k), rng.random(k) < 0.5)
    return tx, rx, ob


@pytest.mark.parametrize("seed,snap", [(0, False), (1, False), (2, True), (3, True)])
def test_geometry_kernel_matches_reference(seed, snap):
    rng = np.random.default_rng(seed)
    tx, rx, ob = random_scene(rng, 30, 25, 40, snap=snap)
    tx[0][:5], tx[1][:5] = rx[0][:5], rx[1][:5]  # some zero-length plan-view links
    for highway, f in ((False, 5.9), (True, 5.9), (False, 2.0)):
        shape = (30, 25)
        out = (np.empty(shape, np.int8), np.empty(shape, np.int8), np.empty(shape),
               np.empty(shape), np.empty(shape))
        K.link_geometry(*tx, *rx, *ob, 250.0, highway, f, 10.0, *out)
        ref = R.link_geometry_ref(*tx, *rx, *ob, 250.0, highway, f)
        np.testing.assert_array_equal(out[0], ref[0])
        np.testing.assert_array_equal(out[1], ref[1])
        for a, b in zip(out[2:], ref[2:]):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
        states = set(np.unique(out[0]).tolist())
        assert {K.LOS, K.NLOS, K.OUT_OF_RANGE} <= states


def test_geometry_with_no_occluders_and_single_occluder():
    z = np.zeros(0)
    shape = (1, 2)
    out = (np.empty(shape, np.int8), np.empty(shape, np.int8), np.empty(shape),
           np.empty(shape), np.empty(shape))
    args = (np.array([0.0]), np.array([0.0]), np.array([1.5]), np.array([100.0, 0.0]),
            np.array([0.0, 100.0]), np.array([1.5, 1.5]))
    K.link_geometry(*args, z, z, z, z, z, z, np.zeros(0, bool), 500.0, False, 5.9, 25.0, *out)
    assert out[0].tolist() == [[K.LOS, K.LOS]]
    one = [np.array([v]) for v in (50.0, 0.0, 0.0, 10.0, 10.0, 10.0)] + [np.array([False])]
    K.link_geometry(*args, *one, 500.0, False, 5.9, 25.0, *out)
    assert out[0].tolist() == [[K.NLOS, K.LOS]]


def test_segment_and_occluder_kernels_match_reference():
    rng = np.random.default_rng(5)
    for _ in range(3000):
        a = rng.choice([0.0, 1.0, 2.5, -2.5], 4) if rng.random() < 0.3 else rng.uniform(-6, 6, 4)
        box = (rng.uniform(-1, 1), rng.uniform(-1, 1), *(lambda t: (math.cos(t), math.sin(t)))(
            rng.choice([0.0, math.pi / 2, rng.uniform(-3, 3)])), 2.5, 1.0)
        assert K.segment_box(*a, *box) == R.segment_box_ref(*a, *box)
        h = (rng.choice([0.0, 1.5, 5.0]), rng.choice([1.5, 3.0]))
        for veh in (False, True):
            assert (K.occluder_blocks(a[0], a[1], h[0], a[2], a[3], h[1], *box, 2.0, veh)
                    == R.occluder_blocks_ref(a[0], a[1], h[0], a[2], a[3], h[1], *box, 2.0, veh))


def budget_inputs(rng, n, p, m, use_prob, shadowing):
    inv = rng.integers(0, p, n)
    sender = np.where(rng.random(n) < 0.3, -1, rng.integers(0, m, n))
    g_state = rng.choice([K.LOS, K.NLOSV, K.NLOS, K.OUT_OF_RANGE], (p, m)).astype(np.int8)
    g_below = np.where(g_state == K.NLOSV, rng.integers(1, 3, (p, m)), 0).astype(np.int8)
    g_pl, g_mu = rng.uniform(60, 140, (p, m)), rng.uniform(0, 12, (p, m))
    if use_prob:
        p_los, p_below = rng.random((p, m)), rng.integers(0, 3, (p, m)).astype(np.int8)
        p_mu = rng.uniform(0, 12, (p, m))
    else:
        p_los, p_below, p_mu = np.zeros((0, 0)), np.zeros((0, 0), np.int8), np.zeros((0, 0))
    big = n * m
    return (inv, sender, rng.uniform(10, 30, n), 3.0, g_state, g_below, g_pl, g_mu, use_prob,
            p_los, p_below, p_mu, 3.0, 4.0, 4.0, shadowing, rng.standard_normal(big),
            rng.standard_normal(big), rng.random(big), -85.0, rng.uniform(50, 600, n))


@pytest.mark.parametrize("use_prob,shadowing", [(False, True), (True, True), (False, False)])
def test_budget_and_delivery_kernels_match_reference(use_prob, shadowing):
    rng = np.random.default_rng(11)
    n, p, m = 60, 7, 13
    args = budget_inputs(rng, n, p, m, use_prob, shadowing)
    power, state, heard = np.empty((n, m)), np.empty((n, m), np.int8), np.empty(m)
    K.link_budget(*args, power, state, heard)
    rp, rs, rh = R.link_budget_ref(*args)
    np.testing.assert_array_equal(state, rs)
    np.testing.assert_allclose(power, rp, rtol=0, atol=1e-9)
    np.testing.assert_allclose(heard, rh, rtol=0, atol=1e-9)
    assert (state == K.SELF).sum() == (args[1] >= 0).sum()

    inv, sender, airtime = args[0], args[1], args[-1]
    g_dist = rng.uniform(1, 800, (p, m))
    for prof, cbr, pdr in ((WAVE, rng.random(m), 1.0), (LTE_V2X, np.zeros(m), 0.7),
                           (WAVE, np.full(m, 0.99), 0.0)):
        d_args = (inv, sender, rng.integers(20, 1500, n), airtime, power, state, g_dist, cbr,
                  prof.cs_threshold_dbm, prof.sensitivity_dbm, prof.per_slope_db,
                  float(prof.reference_bytes), float(prof.overhead_bytes),
                  prof.collision_at_ref, prof.cbr_ref, prof.collision_exponent,
                  prof.collision_max, pdr, rng.random(n * m), prof.latency_floor_us,
                  prof.access_uniform_us, prof.access_exp_mean_us, prof.cbr_latency_cap,
                  rng.random(n), rng.standard_exponential(n), 250)
        delivered, latency = np.empty((n, m), bool), np.empty((n, m), np.int64)
        K.link_delivery(*d_args, delivered, latency)
        rd, rl = R.link_delivery_ref(*d_args)
        np.testing.assert_array_equal(delivered, rd)
        np.testing.assert_array_equal(latency, rl)
        assert latency.min() >= 1
        if pdr == 0.0:
            assert not delivered.any()


def test_bounded_success_draw_matches_the_plain_curve():
    rng = np.random.default_rng(3)
    power = rng.uniform(-110, -60, 20000)
    u, keep = rng.random(20000), rng.choice([1.0, 0.8], 20000)
    for size in (40, 300, 1400):
        lr = (size + WAVE.overhead_bytes) / WAVE.reference_bytes
        got = np.array([K.draw_success(u[i], keep[i], power[i], -85.0, 1.0, lr, 2.0 ** -lr)
                        for i in range(len(u))])
        want = u < keep * WAVE.success_probability(power, size)
        assert np.array_equal(got, want)


def test_model_backends_agree_end_to_end():
    rng = np.random.default_rng(21)
    m, n, k = 12, 40, 15
    rx = RxSet(np.arange(m) * 7, rng.uniform(0, 300, m), rng.uniform(0, 300, m),
               np.full(m, 1.5))
    send = rng.integers(-1, m, n)
    x = np.where(send >= 0, rx.x[send], 150.0)
    y = np.where(send >= 0, rx.y[send], 150.0)
    tx = TxBatch(send, x, y, np.where(send >= 0, 1.5, 6.0), np.full(n, 20.0),
                 rng.integers(50, 500, n))
    st = Structures(tuple(map(str, range(k))), ("building",) * k, rng.uniform(0, 300, k),
                    rng.uniform(0, 300, k), rng.uniform(-3, 3, k), rng.uniform(5, 30, k),
                    rng.uniform(5, 30, k), np.full(k, 12.0))
    bl = Blockers(rng.uniform(0, 300, 20), rng.uniform(0, 300, 20), rng.uniform(-3, 3, 20),
                  np.full(20, 12.0), np.full(20, 2.5), np.full(20, 3.0), rng.random(20) < 0.9)
    for mode in ("geometry", "probability"):
        cfg = ChannelConfig(vehicle_blockage=mode, extra_latency_us=17)
        res = []
        for backend in ("numba", "reference"):
            model = ChannelModel(cfg, st, backend=backend)
            res.append(model.links(5000, tx, rx, bl, np.random.default_rng(9),
                                   CongestionTracker()))
        a, b = res
        for f in ("delivered", "latency_us", "state", "cbr"):
            np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
        np.testing.assert_allclose(a.rx_power_dbm, b.rx_power_dbm, rtol=1e-6)
        assert a.delivered.any() and (a.state == K.NLOS).any()
